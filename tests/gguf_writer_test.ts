import { assert, assertEquals, assertRejects } from "./assert.ts";
import { gguf } from "@huggingface/gguf";
import {
  FILE_TYPES,
  type GgufCorruption,
  hfEntries,
  makeLibrary,
  shardEntries,
  writeGguf,
} from "./gguf_writer.ts";

const GIB = 1024 ** 3;

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "gguf_writer_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("writeGguf() writes a GGUF v3 file that @huggingface/gguf parses", async () => {
  await withTemp(async (dir) => {
    const path = `${dir}/Qwen3-30B-A3B-Q5_K_M.gguf`;
    const w = await writeGguf(path, {
      architecture: "qwen3moe",
      parameterCount: 30.5e9,
      sizeLabel: "30B-A3B",
      fileType: "Q5_K_M",
      contextLength: 40960,
      blockCount: 48,
      expertCount: 128,
      metadata: { "tokenizer.ggml.model": "gpt2" },
    });
    const head = await Deno.readFile(path);
    assertEquals(new TextDecoder().decode(head.subarray(0, 4)), "GGUF");
    assertEquals(new DataView(head.buffer).getUint32(4, true), 3);
    const p = await gguf(path, { allowLocalFile: true });
    const md = p.metadata as Record<string, unknown>;
    assertEquals(md["version"], 3);
    assertEquals(md["general.architecture"], "qwen3moe");
    assertEquals(md["general.name"], "Qwen3-30B-A3B-Q5_K_M");
    assertEquals(md["general.parameter_count"], 30_500_000_000n);
    assertEquals(md["general.size_label"], "30B-A3B");
    assertEquals(md["general.file_type"], FILE_TYPES["Q5_K_M"]);
    assertEquals(md["qwen3moe.context_length"], 40960);
    assertEquals(md["qwen3moe.block_count"], 48);
    assertEquals(md["qwen3moe.expert_count"], 128);
    assertEquals(md["tokenizer.ggml.model"], "gpt2");
    assert(p.tensorInfos.length >= 1, "at least one tensor");
    assertEquals(Number(p.tensorDataOffset), w.headerSize);
  });
});

Deno.test("writeGguf() extends files sparsely to the requested size", async () => {
  await withTemp(async (dir) => {
    const w = await writeGguf(`${dir}/big.gguf`, { size: 40 * GIB });
    const st = await Deno.stat(w.path);
    assertEquals(st.size, 40 * GIB);
    assertEquals(w.size, 40 * GIB);
    if (st.blocks !== null) assert(st.blocks * 512 < 1024 * 1024, `allocated ${st.blocks} blocks`);
    // The last tensor's data ends at the end of the file.
    const p = await gguf(w.path, { allowLocalFile: true });
    const last = p.tensorInfos.at(-1)!;
    const end = Number(p.tensorDataOffset) + Number(last.offset) +
      last.shape.reduce((a, d) => a * Number(d), 1) * 4;
    assert(end <= 40 * GIB && end > 40 * GIB - 8192, `tensor data ends at ${end}`);
  });
});

Deno.test("writeGguf() writes split keys and projector keys", async (t) => {
  await withTemp(async (dir) => {
    await t.step("shard", async () => {
      await writeGguf(`${dir}/s.gguf`, { split: { no: 1, count: 3 } });
      const md = (await gguf(`${dir}/s.gguf`, { allowLocalFile: true, typedMetadata: true }))
        .typedMetadata as Record<string, { value: unknown; type: number }>;
      assertEquals(md["split.no"], { value: 1, type: 2 });
      assertEquals(md["split.count"], { value: 3, type: 2 });
      assertEquals(md["split.tensors.count"]?.type, 5);
    });
    await t.step("projector", async () => {
      await writeGguf(`${dir}/mmproj.gguf`, { projector: true });
      const md = (await gguf(`${dir}/mmproj.gguf`, { allowLocalFile: true })).metadata as Record<
        string,
        unknown
      >;
      assertEquals(md["general.type"], "mmproj");
      assertEquals(md["general.architecture"], "clip");
      assertEquals(md["general.file_type"], FILE_TYPES["F16"]);
    });
  });
});

Deno.test("writeGguf() breaks files on request", async (t) => {
  await withTemp(async (dir) => {
    const cases: [GgufCorruption, (bytes: Uint8Array, headerSize: number) => void][] = [
      ["bad-magic", (b) => assertEquals(new TextDecoder().decode(b.subarray(0, 4)), "GGML")],
      ["bad-version", (b) => assertEquals(new DataView(b.buffer).getUint32(4, true), 99)],
      ["truncated-header", (b, h) => assert(b.length > 0 && b.length < h, `${b.length} < ${h}`)],
      ["empty", (b) => assertEquals(b.length, 0)],
      ["garbage", (b) => assert(!new TextDecoder().decode(b.subarray(0, 4)).startsWith("GGUF"))],
    ];
    for (const [corrupt, check] of cases) {
      await t.step(corrupt, async () => {
        const path = `${dir}/${corrupt}.gguf`;
        const good = await writeGguf(`${dir}/${corrupt}-good.gguf`, {});
        await writeGguf(path, { corrupt });
        check(await Deno.readFile(path), good.headerSize);
      });
    }
    await t.step("truncated-data", async () => {
      const w = await writeGguf(`${dir}/td.gguf`, { corrupt: "truncated-data", size: 2 * GIB });
      assert(w.size > w.headerSize && w.size < 2 * GIB, `size ${w.size}`);
    });
  });
});

Deno.test("writeGguf() sets mtime and rejects unknown file types", async () => {
  await withTemp(async (dir) => {
    const w = await writeGguf(`${dir}/m.gguf`, { mtime: 1_700_000_000 });
    assertEquals((await Deno.stat(w.path)).mtime?.getTime(), 1_700_000_000_000);
    await assertRejects(() => writeGguf(`${dir}/x.gguf`, { fileType: "Q9_Z" }), RangeError, "Q9_Z");
  });
});

Deno.test("makeLibrary() builds models, shards, symlinks, text files and directories", async () => {
  await withTemp(async (root) => {
    const paths = await makeLibrary(root, {
      "llm/a.gguf": { size: 3 * GIB },
      ...shardEntries("big/B", 3, { size: 30 * GIB }),
      "llm/link.gguf": { kind: "symlink", target: "a.gguf" },
      "notes.txt": { kind: "text", content: "hello" },
      "locked": { kind: "dir", mode: 0o700 },
    });
    assertEquals((await Deno.stat(paths["llm/a.gguf"]!)).size, 3 * GIB);
    assertEquals(
      await Deno.realPath(paths["llm/link.gguf"]!),
      await Deno.realPath(paths["llm/a.gguf"]!),
    );
    assertEquals(await Deno.readTextFile(`${root}/notes.txt`), "hello");
    assertEquals((await Deno.stat(`${root}/locked`)).mode! & 0o777, 0o700);
    const shards = Object.keys(paths).filter((p) => p.startsWith("big/"));
    assertEquals(shards, [
      "big/B-00001-of-00003.gguf",
      "big/B-00002-of-00003.gguf",
      "big/B-00003-of-00003.gguf",
    ]);
    const md = (await gguf(paths[shards[2]!]!, { allowLocalFile: true })).metadata as Record<
      string,
      unknown
    >;
    assertEquals([md["split.no"], md["split.count"], md["general.name"]], [2, 3, "B"]);
    assertEquals((await Deno.stat(paths[shards[0]!]!)).size, 10 * GIB);
  });
});

Deno.test("hfEntries() lays out the Hugging Face hub cache with relative links into blobs", async () => {
  await withTemp(async (root) => {
    const spec = hfEntries("bartowski/Qwen3-8B-GGUF", {
      "Qwen3-8B-Q4_K_M.gguf": { size: 5 * GIB },
      "sub/mmproj-Qwen3-8B-F16.gguf": { projector: true },
    }, { revision: "abc123" });
    const paths = await makeLibrary(root, spec);
    const link = `${root}/models--bartowski--Qwen3-8B-GGUF/snapshots/abc123/Qwen3-8B-Q4_K_M.gguf`;
    assert(paths["models--bartowski--Qwen3-8B-GGUF/snapshots/abc123/Qwen3-8B-Q4_K_M.gguf"]);
    const target = await Deno.readLink(link);
    assert(target.startsWith("../../blobs/"), target);
    assertEquals((await Deno.stat(link)).size, 5 * GIB);
    const sub =
      `${root}/models--bartowski--Qwen3-8B-GGUF/snapshots/abc123/sub/mmproj-Qwen3-8B-F16.gguf`;
    assert((await Deno.readLink(sub)).startsWith("../../../blobs/"));
    assert((await Deno.stat(sub)).isFile);
    assertEquals(
      await Deno.readTextFile(`${root}/models--bartowski--Qwen3-8B-GGUF/refs/main`),
      "abc123",
    );
  });
});

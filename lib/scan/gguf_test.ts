import { assert, assertEquals, assertNotEquals, assertRejects } from "../../tests/assert.ts";
import { type GgufCorruption, writeGguf, type WriteGgufOptions } from "../../tests/gguf_writer.ts";
import { LlamaPackError } from "../errors.ts";
import {
  fingerprintFile,
  type GgufInfo,
  parseSizeLabel,
  quantName,
  readGgufHeader,
} from "./gguf.ts";

const GIB = 1024 ** 3;

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "gguf_test_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("readGgufHeader() reads the metadata llama-pack needs", async (t) => {
  await withTemp(async (dir) => {
    const cases: [string, string, WriteGgufOptions, Partial<GgufInfo>][] = [
      ["a plain model", "Gemma2-9B.gguf", {
        architecture: "gemma2",
        parameterCount: 9.24e9,
        fileType: "Q5_K_M",
        contextLength: 8192,
        blockCount: 42,
        size: 6 * GIB,
      }, {
        architecture: "gemma2",
        name: "Gemma2-9B",
        parameterCount: 9.24e9,
        quant: "Q5_K_M",
        contextLength: 8192,
        layerCount: 42,
        expertCount: null,
        splitNo: null,
        splitCount: null,
        isProjector: false,
      }],
      ["a mixture of experts", "moe.gguf", {
        architecture: "qwen3moe",
        name: "Qwen3 30B A3B",
        parameterCount: 30.5e9,
        expertCount: 128,
        fileType: "IQ4_NL",
      }, { name: "Qwen3 30B A3B", expertCount: 128, quant: "IQ4_NL", architecture: "qwen3moe" }],
      ["parameters from the size label", "label.gguf", { sizeLabel: "8x7B" }, {
        parameterCount: 56e9,
        sizeLabel: "8x7B",
      }],
      ["parameters from the tensor shapes", "shapes.gguf", { size: 64 * 1024 ** 2 }, {
        parameterCount: 8 + Math.floor((64 * 1024 ** 2 - 2048) / 4 / 1024) * 1024,
      }],
      ["a shard", "Big-00002-of-00003.gguf", { split: { no: 1, count: 3 } }, {
        splitNo: 1,
        splitCount: 3,
        name: "Big",
        parameterCount: null,
      }],
      ["a projector", "mmproj-F16.gguf", { projector: true }, {
        architecture: "clip",
        isProjector: true,
        quant: "F16",
      }],
      ["a projector by type only", "vision.gguf", {
        projector: true,
        architecture: "siglip",
      }, { architecture: "siglip", isProjector: true }],
      ["quant from the file name", "Foo-Q6_K.gguf", { fileType: 4242 }, { quant: "Q6_K" }],
      ["no quant anywhere", "Foo.gguf", { fileType: 4242 }, { quant: null }],
    ];
    for (const [what, file, options, want] of cases) {
      await t.step(what, async () => {
        const path = `${dir}/${file}`;
        await writeGguf(path, options);
        const h = await readGgufHeader(path);
        const got = Object.fromEntries(
          Object.keys(want).map((k) => [k, h.info[k as keyof GgufInfo]]),
        );
        if (want.parameterCount !== undefined && want.parameterCount !== null) {
          got.parameterCount = Math.round(got.parameterCount as number);
        }
        assertEquals(got, want);
        assertEquals(h.size, (await Deno.stat(path)).size);
      });
    }
  });
});

Deno.test("readGgufHeader() reads headers longer than one read chunk (big vocabularies)", async () => {
  await withTemp(async (dir) => {
    const tokens = Array.from({ length: 130_000 }, (_, i) => `token_${i}_abcdef`);
    const path = `${dir}/vocab.gguf`;
    const w = await writeGguf(path, {
      metadata: { "tokenizer.ggml.tokens": tokens },
      parameterCount: 1e9,
      size: 8 * 1024 ** 2,
    });
    assert(w.headerSize > 2.1e6, `header ${w.headerSize} bytes`);
    const h = await readGgufHeader(path);
    assertEquals(h.info.parameterCount, 1e9);
    assertEquals(h.info.layerCount, 32);
  });
});

Deno.test("readGgufHeader() rejects broken files with BAD_GGUF naming the file and the reason", async (t) => {
  await withTemp(async (dir) => {
    const cases: [GgufCorruption, string][] = [
      ["bad-magic", "bad magic (the file does not start with 'GGUF')"],
      ["bad-version", 'unsupported version "99"'],
      ["truncated-header", "truncated header"],
      ["truncated-data", "truncated (the file has"],
      ["empty", "the file is empty"],
      ["garbage", "bad magic"],
    ];
    for (const [corrupt, reason] of cases) {
      await t.step(corrupt, async () => {
        const path = `${dir}/${corrupt}.gguf`;
        await writeGguf(path, { corrupt, size: GIB });
        const err = await assertRejects(() => readGgufHeader(path), LlamaPackError);
        assertEquals(err.code, "BAD_GGUF");
        assert(
          err.message.startsWith(`${path}: not a GGUF file: ${reason}`),
          `message: ${err.message}`,
        );
        assertEquals(err.message.split("\n").length, 1);
      });
    }
    await t.step("a directory", async () => {
      await Deno.mkdir(`${dir}/d.gguf`);
      const err = await assertRejects(() => readGgufHeader(`${dir}/d.gguf`), LlamaPackError);
      assertEquals([err.code, err.message], [
        "BAD_GGUF",
        `${dir}/d.gguf: not a GGUF file: not a regular file`,
      ]);
    });
  });
});

Deno.test("readGgufHeader() reports a missing file as IO", async () => {
  const err = await assertRejects(
    () => readGgufHeader("/nonexistent/llama-pack/x.gguf"),
    LlamaPackError,
  );
  assertEquals([err.code, err.message], [
    "IO",
    "/nonexistent/llama-pack/x.gguf: cannot read: no such file",
  ]);
});

Deno.test("fingerprintFile() follows content and size, not names or times", async () => {
  await withTemp(async (dir) => {
    const a = await writeGguf(`${dir}/a/m.gguf`, { name: "m", size: 2 * GIB, mtime: 1000 });
    const b = await writeGguf(`${dir}/b/renamed.gguf`, { name: "m", size: 2 * GIB, mtime: 2000 });
    const c = await writeGguf(`${dir}/c/m.gguf`, { name: "m", size: 3 * GIB });
    const d = await writeGguf(`${dir}/d/m.gguf`, { name: "other", size: 2 * GIB });
    const fa = await fingerprintFile(a.path);
    assertEquals(fa, await fingerprintFile(b.path));
    assertEquals(fa, (await readGgufHeader(a.path)).fingerprint);
    assertNotEquals(fa, await fingerprintFile(c.path));
    assertNotEquals(fa, await fingerprintFile(d.path));
    assertEquals(fa.length, 16);
    // Same first MiB, different size: still different.
    await Deno.writeFile(`${dir}/x`, new Uint8Array(10));
    await Deno.writeFile(`${dir}/y`, new Uint8Array(11));
    assertNotEquals(await fingerprintFile(`${dir}/x`), await fingerprintFile(`${dir}/y`));
  });
});

Deno.test("quantName() and parseSizeLabel() decode header values", async (t) => {
  await t.step("file types", () => {
    for (
      const [n, name] of [[0, "F32"], [1, "F16"], [7, "Q8_0"], [15, "Q4_K_M"], [18, "Q6_K"], [
        25,
        "IQ4_NL",
      ], [32, "BF16"]] as const
    ) {
      assertEquals(quantName(n), name);
    }
    assertEquals(quantName(-1), null);
  });
  await t.step("size labels", () => {
    const cases: [string, number | null][] = [
      ["8B", 8e9],
      ["1.5B", 1.5e9],
      ["135M", 135e6],
      ["8x7B", 56e9],
      ["30B-A3B", 30e9],
      ["1T", 1e12],
      ["big", null],
      ["", null],
    ];
    for (const [label, want] of cases) assertEquals(parseSizeLabel(label), want, label);
  });
});

import { assert, assertEquals } from "../../tests/assert.ts";
import { hfEntries, makeLibrary, shardEntries } from "../../tests/gguf_writer.ts";
import { hfRevisionEntries } from "../../tests/store_fixtures.ts";
import { listHuggingFace } from "./huggingface.ts";

const MAIN = "a".repeat(40);
const OLD = "b".repeat(40);

async function withHub(fn: (hub: string) => Promise<void>): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "hf_test_" }));
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("listHuggingFace() takes refs/main's snapshot, and other revisions only for files main lacks", async () => {
  await withHub(async (hub) => {
    await makeLibrary(hub, {
      ...hfEntries("bartowski/Qwen3-8B-GGUF", {
        "Qwen3-8B-Q4_K_M.gguf": { size: 5e6 },
        "mmproj-Qwen3-8B-f16.gguf": { projector: true },
        ...Object.fromEntries(
          Object.entries(shardEntries("Q8_0/Qwen3-8B-Q8_0", 2, { size: 9e6 })).map((
            [k, v],
          ) => [k, v as never]),
        ),
      }, { revision: MAIN }),
      // An older snapshot: one file main also has (superseded), one only it has.
      ...hfRevisionEntries("bartowski/Qwen3-8B-GGUF", {
        "Qwen3-8B-Q4_K_M.gguf": { size: 4e6 },
        "Qwen3-8B-IQ2_M.gguf": { size: 3e6 },
      }, OLD),
      // What the hub client leaves around: locks, .no_exist, an unfinished blob, datasets.
      ".locks/models--bartowski--Qwen3-8B-GGUF/abc.lock": { kind: "text", content: "" },
      "models--bartowski--Qwen3-8B-GGUF/.no_exist/x/README.gguf": { kind: "text", content: "" },
      "models--bartowski--Qwen3-8B-GGUF/blobs/ffff.incomplete": { kind: "text", content: "GG" },
      "datasets--x--y/snapshots/r/data.gguf": { size: 1e6 },
    });
    const r = await listHuggingFace(hub);
    assertEquals(r.warnings, []);
    assertEquals(r.files.map((f) => f.modelId), [
      "bartowski/Qwen3-8B-GGUF/Q8_0/Qwen3-8B-Q8_0-00001-of-00002.gguf",
      "bartowski/Qwen3-8B-GGUF/Q8_0/Qwen3-8B-Q8_0-00002-of-00002.gguf",
      "bartowski/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf",
      "bartowski/Qwen3-8B-GGUF/mmproj-Qwen3-8B-f16.gguf",
      "bartowski/Qwen3-8B-GGUF/Qwen3-8B-IQ2_M.gguf",
    ]);
    const q4 = r.files.find((f) => f.modelId.endsWith("Q4_K_M.gguf"))!;
    assertEquals(q4.size, 5e6, "main's version, not the older snapshot's");
    assertEquals(
      q4.path,
      `${hub}/models--bartowski--Qwen3-8B-GGUF/snapshots/${MAIN}/Qwen3-8B-Q4_K_M.gguf`,
    );
    assert(q4.realPath.includes("/blobs/"), q4.realPath);
    assertEquals(q4.rel, "huggingface/bartowski/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf");
    const iq2 = r.files.find((f) => f.modelId.endsWith("IQ2_M.gguf"))!;
    assert(iq2.path.includes(`/snapshots/${OLD}/`));
  });
});

Deno.test("listHuggingFace() without refs/main takes every snapshot, newest first", async () => {
  await withHub(async (hub) => {
    await makeLibrary(hub, {
      ...hfRevisionEntries("a/m-GGUF", { "m-Q4_0.gguf": { size: 1e6 } }, OLD),
      ...hfRevisionEntries("a/m-GGUF", { "m-Q4_0.gguf": { size: 2e6 } }, MAIN),
    });
    const older = new Date(Date.now() - 86400e3);
    await Deno.utime(`${hub}/models--a--m-GGUF/snapshots/${OLD}`, older, older);
    const r = await listHuggingFace(hub);
    assertEquals(r.files.map((f) => [f.modelId, f.size]), [["a/m-GGUF/m-Q4_0.gguf", 2e6]]);
  });
});

Deno.test("listHuggingFace() skips broken snapshot links and links leaving the cache, with warnings", async () => {
  await withHub(async (hub) => {
    const outside = await Deno.makeTempDir();
    try {
      await Deno.writeTextFile(`${outside}/x.gguf`, "GGUF");
      const snap = `models--a--b/snapshots/${MAIN}`;
      await makeLibrary(hub, {
        [`models--a--b/refs/main`]: { kind: "text", content: MAIN + "\n" },
        [`${snap}/gone.gguf`]: { kind: "symlink", target: "../../blobs/deadbeef" },
        [`${snap}/away.gguf`]: { kind: "symlink", target: `${outside}/x.gguf` },
      });
      const r = await listHuggingFace(hub);
      assertEquals(r.files, []);
      assertEquals(r.warnings.map((w) => w.kind).sort(), ["broken-link", "outside"]);
      assert(r.warnings.some((w) => w.message.includes("blob is missing")));
    } finally {
      await Deno.remove(outside, { recursive: true });
    }
  });
});

Deno.test("listHuggingFace() reads degraded-mode snapshots (real files, no links) and a missing cache", async () => {
  await withHub(async (hub) => {
    await makeLibrary(hub, {
      "models--a--b/refs/main": { kind: "text", content: MAIN },
      [`models--a--b/snapshots/${MAIN}/b-Q4_K_M.gguf`]: { size: 1e6 },
    });
    const r = await listHuggingFace(hub);
    assertEquals(r.files.map((f) => [f.modelId, f.path === f.realPath]), [[
      "a/b/b-Q4_K_M.gguf",
      true,
    ]]);
    assertEquals((await listHuggingFace(`${hub}/nope`)).files, []);
  });
});

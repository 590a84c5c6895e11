import { assert, assertEquals } from "../../tests/assert.ts";
import { makeLibrary } from "../../tests/gguf_writer.ts";
import { ollamaEntries } from "../../tests/store_fixtures.ts";
import { listOllama } from "./ollama.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "ollama_test_" }));
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("listOllama() finds model and projector layers, merges tags that share blobs, skips non-GGUF manifests", async () => {
  await withDir(async (dir) => {
    await makeLibrary(
      dir,
      ollamaEntries({
        "llama3.2:3b": { model: { size: 3e6 } },
        "llama3.2:latest": { model: {}, sameAs: "llama3.2:3b" },
        "gemma3:4b": { model: { size: 4e6 }, projector: { size: 1e6 } },
        "alice/coder:q8": { model: { size: 2e6 } },
        "hf.co/bartowski/Qwen3-8B-GGUF:Q4_K_M": { model: { size: 5e6 } },
        "safetensor-thing:latest": { model: {}, noModelLayer: true },
      }),
    );
    const r = await listOllama(dir);
    assertEquals(r.warnings, []);
    assertEquals(r.files.map((f) => [f.modelId, f.rel, f.aliases]), [
      ["alice/coder:q8", "ollama/alice/coder/q8/model.gguf", []],
      ["gemma3:4b", "ollama/gemma3/4b/model.gguf", []],
      ["gemma3:4b", "ollama/gemma3/4b/mmproj.gguf", []],
      [
        "hf.co/bartowski/Qwen3-8B-GGUF:Q4_K_M",
        "ollama/hf.co/bartowski/Qwen3-8B-GGUF/Q4_K_M/model.gguf",
        [],
      ],
      ["llama3.2:3b", "ollama/llama3.2/3b/model.gguf", ["llama3.2:latest"]],
    ]);
    for (const f of r.files) {
      assert(/\/blobs\/sha256-[0-9a-f]{64}$/.test(f.path), f.path);
      assertEquals(f.size, (await Deno.stat(f.path)).size);
    }
  });
});

Deno.test("listOllama() warns about a missing blob, a broken manifest and a bad digest, and goes on", async () => {
  await withDir(async (dir) => {
    const spec = ollamaEntries({ "ok:1": { model: {} }, "gone:1": { model: {} } });
    const goneBlob = JSON.parse(
      (spec["manifests/registry.ollama.ai/library/gone/1"] as { content: string }).content,
    ).layers[0].digest.replace(":", "-");
    delete spec[`blobs/${goneBlob}`];
    await makeLibrary(dir, {
      ...spec,
      "manifests/registry.ollama.ai/library/broken/1": { kind: "text", content: "{not json" },
      "manifests/registry.ollama.ai/library/evil/1": {
        kind: "text",
        content: JSON.stringify({
          layers: [{ mediaType: "application/vnd.ollama.image.model", digest: "../../../etc/x" }],
        }),
      },
    });
    const r = await listOllama(dir);
    assertEquals(r.files.map((f) => f.modelId), ["ok:1"]);
    assertEquals(r.warnings.map((w) => w.kind).sort(), ["broken-link", "unreadable", "unreadable"]);
    assert(r.warnings.some((w) => w.message.includes("missing blob (named by")));
    assert(r.warnings.some((w) => w.message.includes("no valid sha256 digest")));
  });
});

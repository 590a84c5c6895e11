import { assertEquals } from "../../tests/assert.ts";
import { makeLibrary, shardEntries } from "../../tests/gguf_writer.ts";
import { llamaCppEntries } from "../../tests/store_fixtures.ts";
import { listLlamaCpp } from "./llama_cpp.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "lcp_test_" }));
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("listLlamaCpp() names files by their manifests, groups a repository's projector, and keeps unknown files as their own models", async () => {
  await withDir(async (dir) => {
    const shards = shardEntries("Q8_0/Big-Q8_0", 2, { size: 4e6 });
    await makeLibrary(dir, {
      ...llamaCppEntries({
        "ggml-org/gemma-3-4b-it-GGUF": {
          tag: "Q4_K_M",
          files: {
            "gemma-3-4b-it-Q4_K_M.gguf": { size: 2e6 },
            "mmproj-model-f16.gguf": { projector: true },
          },
          mmproj: "mmproj-model-f16.gguf",
        },
        // Both make "a_b_c_…": the manifest that names the file decides.
        "a/b_c": { files: { "x.gguf": {} } },
        "a_b/c": { files: { "y.gguf": {} } },
        // "a_b_c_d_…" is "a/b_c_d"'s (longer) rather than "a/b_c"'s.
        "a/b_c_d": { files: { "z.gguf": {} } },
        "unsloth/Big-GGUF": {
          files: Object.fromEntries(Object.entries(shards).map(([k, v]) => [k, v as never])),
          gguf: "Q8_0/Big-Q8_0-00001-of-00002.gguf",
        },
      }),
      "loose-Q4_0.gguf": {},
      "sidecar_file.gguf": {},
      "sidecar_file.gguf.json": {
        kind: "text",
        content: JSON.stringify({
          url: "https://huggingface.co/TheBloke/Old-GGUF/resolve/main/old.Q4_0.gguf",
          etag: "x",
        }),
      },
      "busy.gguf.downloadInProgress": { kind: "text", content: "GG" },
      "rpc/abcdef.gguf": {},
    });
    const r = await listLlamaCpp(dir);
    assertEquals(r.warnings, []);
    assertEquals(
      r.files.map((f) => [f.modelId, f.rel]),
      [
        ["a/b_c_d/z.gguf", "llama.cpp/a/b_c_d/z.gguf"],
        ["a/b_c/x.gguf", "llama.cpp/a/b_c/x.gguf"],
        ["a_b/c/y.gguf", "llama.cpp/a_b/c/y.gguf"],
        [
          "ggml-org/gemma-3-4b-it-GGUF/gemma-3-4b-it-Q4_K_M.gguf",
          "llama.cpp/ggml-org/gemma-3-4b-it-GGUF/gemma-3-4b-it-Q4_K_M.gguf",
        ],
        [
          "ggml-org/gemma-3-4b-it-GGUF/mmproj-model-f16.gguf",
          "llama.cpp/ggml-org/gemma-3-4b-it-GGUF/mmproj-model-f16.gguf",
        ],
        ["loose-Q4_0.gguf", "llama.cpp/loose-Q4_0/loose-Q4_0.gguf"],
        ["TheBloke/Old-GGUF/old.Q4_0.gguf", "llama.cpp/TheBloke/Old-GGUF/old.Q4_0.gguf"],
        [
          "unsloth/Big-GGUF/Q8_0/Big-Q8_0-00001-of-00002.gguf",
          "llama.cpp/unsloth/Big-GGUF/Q8_0/Big-Q8_0-00001-of-00002.gguf",
        ],
        [
          "unsloth/Big-GGUF/Q8_0/Big-Q8_0-00002-of-00002.gguf",
          "llama.cpp/unsloth/Big-GGUF/Q8_0/Big-Q8_0-00002-of-00002.gguf",
        ],
      ],
    );
  });
});

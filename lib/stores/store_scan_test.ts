import { assert, assertEquals } from "../../tests/assert.ts";
import { hfEntries, makeLibrary } from "../../tests/gguf_writer.ts";
import { llamaCppEntries, ollamaEntries, storeWorld } from "../../tests/store_fixtures.ts";
import { snapshotTree } from "../../tests/tree_snapshot.ts";
import type { HeaderRecord, MetadataCache } from "../scan/headers.ts";
import { scanStores } from "./store_scan.ts";
import { storeRoots } from "./store_roots.ts";

const MIB = 1024 ** 2;

function memoryCache(): MetadataCache {
  const m = new Map<string, HeaderRecord>();
  return {
    get: (p, s, t) => m.get(`${p}|${s}|${t}`),
    set: (p, s, t, r) => void m.set(`${p}|${s}|${t}`, r),
  };
}

async function withHome(fn: (home: string) => Promise<void>): Promise<void> {
  const home = await Deno.realPath(await Deno.makeTempDir({ prefix: "store_scan_test_" }));
  try {
    await fn(home);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
}

Deno.test("scanStores() reads every store once, rescans from the cache, and writes nothing in any store", async () => {
  await withHome(async (home) => {
    const w = await storeWorld(home, {
      hf: hfEntries("bartowski/Qwen3-8B-GGUF", {
        "Qwen3-8B-Q4_K_M.gguf": { size: 5 * MIB, parameterCount: 8.2e9 },
      }),
      llamaCpp: llamaCppEntries({
        "ggml-org/gemma-3-4b-it-GGUF": {
          files: { "gemma-3-4b-it-Q4_K_M.gguf": { size: 3 * MIB } },
        },
      }),
      lmStudio: { "lmstudio-community/Phi-4-GGUF/Phi-4-Q8_0.gguf": { fileType: "Q8_0" } },
      ollama: ollamaEntries({
        "llama3.2:3b": { model: { size: 2 * MIB } },
        "broken:1": { model: { corrupt: "bad-magic" } },
      }),
    });
    const roots = storeRoots({}, { HOME: home, ...w.env });
    const before = await snapshotTree(home);
    const cache = memoryCache();
    const first = await scanStores(roots, { cache });
    assertEquals(first.files.map((f) => `${f.store}:${f.modelId}`), [
      "huggingface:bartowski/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf",
      "llama_cpp:ggml-org/gemma-3-4b-it-GGUF/gemma-3-4b-it-Q4_K_M.gguf",
      "lmstudio:lmstudio-community/Phi-4-GGUF/Phi-4-Q8_0.gguf",
      "ollama:llama3.2:3b",
    ]);
    assertEquals(first.warnings.map((x) => x.kind), ["bad-gguf"]);
    assertEquals(first.stores.map((s) => `${s.kind}:${s.models}`), [
      "huggingface:1",
      "llama_cpp:1",
      "lmstudio:1",
      "ollama:2",
    ]);
    assertEquals([first.stats.headersRead, first.stats.cacheHits], [5, 0]);
    const hf = first.files[0]!;
    assertEquals([hf.tier, hf.root, hf.info.parameterCount, hf.viaSymlink], [
      "hdd",
      w.hf,
      8.2e9,
      true,
    ]);
    assertEquals(first.missing, [`${home}/.cache/lm-studio/models`]);

    const again = await scanStores(roots, { cache });
    assertEquals([again.stats.headersRead, again.stats.cacheHits], [0, 5]);
    assertEquals(again.files.map((f) => f.fingerprint), first.files.map((f) => f.fingerprint));
    assertEquals(await snapshotTree(home), before);
  });
});

Deno.test("scanStores() skips a store that contains ssd_path and counts a file two stores share once", async () => {
  await withHome(async (home) => {
    await makeLibrary(home, {
      "hub/models--a--b/refs/main": { kind: "text", content: "r1" },
      "hub/models--a--b/blobs/0001": { size: MIB },
      "hub/models--a--b/snapshots/r1/b-Q4_0.gguf": { kind: "symlink", target: "../../blobs/0001" },
      "hub/llama-pack-ssd/.keep": { kind: "text", content: "" },
      "lms/me/b/b-Q4_0.gguf": { kind: "symlink", target: `${home}/hub/models--a--b/blobs/0001` },
    });
    const roots = [
      { kind: "huggingface" as const, path: `${home}/hub`, explicit: true },
      { kind: "lmstudio" as const, path: `${home}/lms`, explicit: true },
    ];
    const inside = await scanStores(roots, { ssdPath: `${home}/hub/llama-pack-ssd` });
    assertEquals(inside.files.map((f) => f.store), ["lmstudio"]);
    assert(inside.warnings[0]!.message.includes("contains ssd_path"), inside.warnings[0]!.message);
    const both = await scanStores(roots, { ssdPath: `${home}/ssd` });
    assertEquals(both.files.map((f) => `${f.store}:${f.modelId}`), ["huggingface:a/b/b-Q4_0.gguf"]);
  });
});

Deno.test("scanStores() warns about an explicit store directory that does not exist", async () => {
  const r = await scanStores([{ kind: "ollama", path: "/nonexistent/ollama", explicit: true }]);
  assertEquals(r.warnings.map((w) => [w.kind, w.message]), [[
    "root-missing",
    "/nonexistent/ollama: Ollama directory does not exist (stores.ollama)",
  ]]);
});

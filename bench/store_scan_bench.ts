/**
 * Store rescan benchmark: 2,000 GGUF files across the four stores of other
 * tools (Hugging Face cache, llama.cpp cache, LM Studio, Ollama), rescanned
 * incrementally with a warm header cache — target < 1 s — both in-process
 * (the store scan alone) and as the whole `llama-pack -u` process.
 *
 * Run: `deno bench --allow-all bench/store_scan_bench.ts`
 *
 * @module
 */

import process from "node:process";
import { hfEntries, type LibrarySpec } from "../tests/gguf_writer.ts";
import { llamaCppEntries, ollamaEntries, storeWorld } from "../tests/store_fixtures.ts";
import type { HeaderRecord, MetadataCache } from "../lib/scan/headers.ts";
import { scanStores } from "../lib/stores/store_scan.ts";
import { storeRoots } from "../lib/stores/store_roots.ts";

const GIB = 1024 ** 3;
const home = await Deno.realPath(await Deno.makeTempDir({ prefix: "store_bench_" }));
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(home, { recursive: true });
  } catch {
    // already gone
  }
});

// 2,000 files: 500 per store. Hugging Face: 50 repositories of 9 quants and
// a projector; llama.cpp: 50 repositories of 10 files with manifests;
// LM Studio: 50 repositories of 10 files; Ollama: 500 tags of 250 models
// (each model and a projector).
const opts = (i: number) => ({ size: (1 + (i % 4)) * GIB, parameterCount: (1 + (i % 9)) * 1e9 });
const hf: LibrarySpec = {};
const lcp: Parameters<typeof llamaCppEntries>[0] = {};
const lms: LibrarySpec = {};
const oll: Parameters<typeof ollamaEntries>[0] = {};
for (let r = 0; r < 50; r++) {
  const files: Record<string, ReturnType<typeof opts> | { projector: true }> = {};
  for (let q = 0; q < 9; q++) files[`M${r}-Q${q}.gguf`] = opts(q);
  files[`mmproj-M${r}-F16.gguf`] = { projector: true };
  Object.assign(
    hf,
    hfEntries(`org${r % 7}/M${r}-GGUF`, files, { revision: `rev${r}`.padEnd(40, "0") }),
  );
  lcp[`org${r % 7}/L${r}-GGUF`] = {
    files: Object.fromEntries(Array.from({ length: 10 }, (_, q) => [`L${r}-Q${q}.gguf`, opts(q)])),
  };
  for (let q = 0; q < 10; q++) lms[`pub${r % 5}/S${r}-GGUF/S${r}-Q${q}.gguf`] = opts(q);
}
for (let m = 0; m < 250; m++) {
  oll[`model${m}:q${m % 3}`] = { model: opts(m), projector: { size: 1e6 } };
}
const w = await storeWorld(home, {
  hf,
  llamaCpp: llamaCppEntries(lcp),
  lmStudio: lms,
  ollama: ollamaEntries(oll),
});
const env = { HOME: home, ...w.env };
const roots = storeRoots({}, env);

const mem = new Map<string, HeaderRecord>();
const cache: MetadataCache = {
  get: (p, s, m) => mem.get(`${p}|${s}|${m}`),
  set: (p, s, m, r) => void mem.set(`${p}|${s}|${m}`, r),
};
const cold = performance.now();
const first = await scanStores(roots, { cache });
const coldMs = performance.now() - cold;
if (first.files.length !== 2000) throw new Error(`expected 2000 files, got ${first.files.length}`);
console.log(`cold store scan of 2,000 files (headers read): ${coldMs.toFixed(0)} ms`);

// Wall time depends on what else the machine runs; CPU time much less so.
for (let i = 0; i < 5; i++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await scanStores(roots, { cache });
  const c = process.cpuUsage(c0);
  console.log(
    `warm store rescan: ${(performance.now() - t0).toFixed(0)} ms wall, ${
      ((c.user + c.system) / 1000).toFixed(0)
    } ms CPU (load ${Deno.loadavg()[0]!.toFixed(1)})`,
  );
}

Deno.bench("rescan 2,000 unchanged store files, warm in-memory cache", {
  n: 10,
  warmup: 2,
}, async () => {
  const r = await scanStores(roots, { cache });
  if (r.stats.headersRead !== 0 || r.files.length !== 2000) throw new Error("cache missed");
});

// The whole command, as a user runs it: a state dir and a config whose HDD
// and SSD are empty, so every model comes from the stores.
await Deno.mkdir(`${home}/hdd`);
await Deno.mkdir(`${home}/ssd`);
await Deno.writeTextFile(
  `${home}/config.json`,
  JSON.stringify({ ssd_path: `${home}/ssd`, hdd_path: `${home}/hdd` }),
);
const cliEnv = {
  ...env,
  PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
  DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`,
  LLAMA_PACK_CONFIG: `${home}/config.json`,
  LLAMA_PACK_STATE_DIR: `${home}/state`,
  NO_COLOR: "1",
};
const cli = new URL("../cli.ts", import.meta.url).pathname;
const update = () =>
  new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", cli, "-u"],
    env: cliEnv,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
const warm = await update();
if (warm.code !== 0) throw new Error(new TextDecoder().decode(warm.stderr));
console.log(new TextDecoder().decode(warm.stdout).trim());

Deno.bench("llama-pack -u, 2,000 unchanged store files, whole process", {
  n: 5,
  warmup: 1,
}, async () => {
  const r = await update();
  if (r.code !== 0) throw new Error(new TextDecoder().decode(r.stderr));
});

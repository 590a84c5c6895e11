/**
 * Model-library benchmarks: incremental rescan of 2,000 unchanged model files
 * with a warm header cache (target < 1 s), grouping them into models, and
 * rendering `-l` for 1,000 models.
 *
 * Run: `deno bench --allow-all bench/scan_bench.ts`
 *
 * @module
 */

import { type LibrarySpec, makeLibrary } from "../tests/gguf_writer.ts";
import {
  type HeaderRecord,
  type MetadataCache,
  type ScanRoot,
  scanTiers,
} from "../lib/scan/scan.ts";
import { buildLibrary } from "../lib/core/library.ts";
import type { ListEntry } from "../lib/core/list_entry.ts";
import { listJson } from "../lib/core/list_json.ts";
import { renderList } from "../lib/core/list_view.ts";
import { StateStore } from "../lib/state/store.ts";
import { storeMetadataCache } from "../lib/commands/update.ts";

const GIB = 1024 ** 3;
const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "scan_bench_" }));
globalThis.addEventListener("unload", () => {
  try {
    Deno.removeSync(dir, { recursive: true });
  } catch {
    // already gone
  }
});

// 2,000 files: 1,600 on the HDD (160 directories, some split models and
// projectors among them) and 400 SSD copies of the first ones.
const hdd: LibrarySpec = {};
const ssd: LibrarySpec = {};
for (let d = 0; d < 160; d++) {
  for (let f = 0; f < 10; f++) {
    const rel = f === 9
      ? `org${d % 20}/m${d}/mmproj-m${d}-F16.gguf`
      : `org${d % 20}/m${d}/M${d}-${f}-Q4_K_M.gguf`;
    const opts = f === 9
      ? { projector: true }
      : { size: (1 + (f % 5)) * GIB, parameterCount: (1 + f) * 1e9, name: `M${d}-${f}` };
    hdd[rel] = opts;
    if (d < 40) ssd[rel] = opts;
  }
}
await makeLibrary(`${dir}/hdd`, hdd);
await makeLibrary(`${dir}/ssd`, ssd);
const roots: ScanRoot[] = [
  { tier: "ssd", path: `${dir}/ssd` },
  { tier: "hdd", path: `${dir}/hdd` },
];

const mem = new Map<string, HeaderRecord>();
const memoryCache: MetadataCache = {
  get: (p, s, m) => mem.get(`${p}|${s}|${m}`),
  set: (p, s, m, r) => void mem.set(`${p}|${s}|${m}`, r),
};
const cold = performance.now();
const first = await scanTiers(roots, { cache: memoryCache });
const coldMs = performance.now() - cold;
if (first.files.length !== 2000) throw new Error(`expected 2000 files, got ${first.files.length}`);

const store = StateStore.open(`${dir}/state`);
const seed = storeMetadataCache(store);
for (const f of first.files) {
  seed.set(f.realPath, f.size, f.mtimeMs, { ok: true, info: f.info, fingerprint: f.fingerprint });
}
seed.flush();
console.log(`cold scan of 2,000 files (headers read): ${coldMs.toFixed(0)} ms`);

Deno.bench("rescan 2,000 unchanged files, warm in-memory cache", { n: 10, warmup: 2 }, async () => {
  const r = await scanTiers(roots, { cache: memoryCache });
  if (r.stats.headersRead !== 0) throw new Error("cache missed");
});

Deno.bench("rescan 2,000 unchanged files, warm SQLite cache (StateStore)", {
  n: 10,
  warmup: 2,
}, async () => {
  // As -u does it: the gguf_cache table read once, then looked up in memory.
  const r = await scanTiers(roots, { cache: storeMetadataCache(store) });
  if (r.stats.headersRead !== 0) throw new Error("cache missed");
});

Deno.bench("buildLibrary() on 2,000 scanned files", { n: 20, warmup: 2 }, () => {
  const lib = buildLibrary(first.files);
  if (lib.models.length !== 1440) throw new Error(`got ${lib.models.length} models`);
});

const entries: ListEntry[] = Array.from({ length: 1000 }, (_, i) => ({
  id: `org/m${i}/Model-${i}-Q4_K_M.gguf`,
  name: `Model-${i}-with-a-realistic-long-name-Q4_K_M.gguf`,
  rank: (i * 7919) % 1000 / 100,
  uses: i % 37,
  lastUsed: i % 5 === 0 ? null : 1_760_000_000 + i * 3600,
  firstSeen: 1_750_000_000 + i * 600,
  params: (1 + (i % 70)) * 1e9,
  quant: "Q4_K_M",
  size: (1 + (i % 40)) * GIB,
  ssd: i % 3 === 0
    ? { state: "verified", hot: i % 2 === 0, path: `/ssd/m${i}.gguf` }
    : { state: "none" },
  hdd: { present: i % 50 !== 0, path: `/hdd/m${i}.gguf` },
  statsOnly: false,
  ssdOnly: i % 50 === 0,
  meta: { architecture: "llama", layerCount: 32, contextLength: 8192 },
}));

Deno.bench("renderList() 1,000 models, lines", { n: 50, warmup: 5 }, () => {
  renderList(entries, { color: true });
});

Deno.bench("renderList() 1,000 models, -v -v", { n: 50, warmup: 5 }, () => {
  renderList(entries, { verbose: 2 });
});

Deno.bench("renderList() 1,000 models, table", { n: 20, warmup: 2 }, () => {
  renderList(entries, { view: "table", width: 160 });
});

Deno.bench("listJson() 1,000 models + stringify", { n: 50, warmup: 5 }, () => {
  JSON.stringify(listJson(entries));
});

// ---- the real CLI as a subprocess (what a user waits for) ----

const cli = new URL("../cli.ts", import.meta.url).pathname;
const cliEnv = (stateDir: string, config: string) => ({
  DENO_DIR: Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`,
  PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
  HOME: dir,
  LLAMA_PACK_CONFIG: config,
  LLAMA_PACK_STATE_DIR: stateDir,
  NO_COLOR: "1",
});
async function runCli(args: string[], env: Record<string, string>): Promise<void> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", cli, ...args],
    env,
    clearEnv: true,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (out.code !== 0) {
    throw new Error(`llama-pack ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

// A state with the 2,000-file tree scanned once.
await Deno.writeTextFile(
  `${dir}/config.json`,
  JSON.stringify({
    ssd_path: `${dir}/ssd`,
    hdd_path: `${dir}/hdd`,
    ssd_min_free_gb: 0,
    server_binary: "/bin/true",
  }),
);
const scanEnv = cliEnv(`${dir}/cli-state`, `${dir}/config.json`);
await runCli(["-u"], scanEnv);

// A state with 1,000 models, 200 SSD copies and 5,000 uses.
const listState = StateStore.open(`${dir}/list-state`);
const now = Date.now() / 1000;
listState.applyScan(
  Array.from({ length: 1000 }, (_, i) => {
    const rel = `org${i % 20}/m${i}/Model-${i}-Q4_K_M.gguf`;
    const size = (1 + (i % 40)) * GIB;
    const row = (tier: "ssd" | "hdd") => ({
      path: `${dir}/${tier}/${rel}`,
      tier,
      root: `${dir}/${tier}`,
      rel,
      role: "model",
      size,
      mtime: 0,
    });
    return {
      id: rel,
      name: `Model-${i}-Q4_K_M.gguf`,
      size,
      fingerprint: `f${i}`,
      ssdOnly: false,
      metadata: {
        architecture: "llama",
        parameterCount: (1 + (i % 70)) * 1e9,
        quant: "Q4_K_M",
        contextLength: 8192,
        layerCount: 32,
        relPath: rel,
        shardCount: 1,
        projectors: [],
      },
      files: i % 5 === 0 ? [row("hdd"), row("ssd")] : [row("hdd")],
    };
  }),
  { now, renames: {}, keepPrefixes: [], prune: false },
);
listState.tx(() => {
  for (let i = 0; i < 5000; i++) {
    const m = (i * 7) % 300;
    listState.recordUse({
      modelId: `org${m % 20}/m${m}/Model-${m}-Q4_K_M.gguf`,
      at: now - (i % 90) * 86400 - i,
    });
  }
});
listState.close();
const listEnv = cliEnv(`${dir}/list-state`, `${dir}/config.json`);

Deno.bench("llama-pack --version (Deno start-up baseline)", {
  group: "cli",
  baseline: true,
  n: 8,
  warmup: 1,
}, async () => {
  await runCli(["--version"], listEnv);
});

Deno.bench(
  "llama-pack -l, 1,000 models, 5,000 uses",
  { group: "cli", n: 8, warmup: 1 },
  async () => {
    await runCli(["-l"], listEnv);
  },
);

Deno.bench("llama-pack -u, 2,000 unchanged files", { group: "cli", n: 8, warmup: 1 }, async () => {
  await runCli(["-u"], scanEnv);
});

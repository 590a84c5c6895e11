/**
 * The command behind -u/--update: scans the configured HDD, SSD and custom
 * directories, groups the GGUF files into models and records them in the
 * state store. Headers are read only for new or changed files (the store's
 * `gguf_cache`); nothing is ever written inside the model directories.
 *
 * @module
 */

import { errorMessage, LlamaPackError } from "../errors.ts";
import { writeModelNames } from "../state/model_names_file.ts";
import { ssdRoomWarning } from "../cache/tier_space.ts";
import { completionNames } from "./completions.ts";
import {
  buildLibrary,
  type KnownModel,
  type LibraryModel,
  type ModelCopy,
} from "../core/library.ts";
import { type HeaderRecord, type MetadataCache, type ScanRoot, scanTiers } from "../scan/scan.ts";
import type { FileRow, ScannedModelRecord, StateStore } from "../state/store.ts";
import { STORE_LABELS } from "../core/stores.ts";
import { type FoundStore, scanStores } from "../stores/store_scan.ts";
import { storeRoots } from "../stores/store_roots.ts";
import type { CommandContext } from "./context.ts";

/**
 * A {@linkcode MetadataCache} over the state store's `gguf_cache` table. The
 * table is read once into memory (one query instead of one per file); writes
 * are buffered and written in one transaction by `flush()`.
 *
 * @param store The state store.
 * @returns The cache and its flush function (returns the rows written).
 */
export function storeMetadataCache(store: StateStore): MetadataCache & { flush(): number } {
  const rows = new Map(store.ggufCacheRows().map((r) => [r.path, r]));
  const pending: [string, number, number, HeaderRecord][] = [];
  return {
    get: (path, size, mtimeMs) => {
      const row = rows.get(path);
      if (!row || row.size !== size || row.mtime !== mtimeMs) return undefined;
      try {
        const v = JSON.parse(row.info) as HeaderRecord;
        return v && typeof v === "object" && "ok" in v ? v : undefined;
      } catch {
        return undefined;
      }
    },
    set: (path, size, mtimeMs, record) => void pending.push([path, size, mtimeMs, record]),
    flush: () => {
      const n = pending.length;
      if (n > 0) {
        store.tx(() => {
          for (const [p, s, m, r] of pending) store.ggufCacheSet(p, s, m, r);
        });
      }
      pending.length = 0;
      return n;
    },
  };
}

function fileRows(copy: ModelCopy): Omit<FileRow, "model_id">[] {
  const row = (path: string, role: string, i: number) => ({
    path,
    tier: copy.tier,
    root: copy.root,
    rel: copy.rels[i] ?? path.slice(copy.root.length).replace(/^\/+/, ""),
    role,
    size: 0,
    mtime: 0,
  });
  return [
    ...copy.files.map((p, i) => row(p, "model", i)),
    ...copy.projectors.map((p, i) => row(p, "mmproj", copy.files.length + i)),
  ];
}

/**
 * Turns a library model into the record the store keeps.
 *
 * @param m The model.
 * @param stats Size and mtime of every scanned file by path.
 * @returns The record.
 */
function toRecord(
  m: LibraryModel,
  stats: Map<string, { size: number; mtimeMs: number }>,
): ScannedModelRecord {
  const files = [m.hdd, m.ssd].flatMap((c) => (c ? fileRows(c) : []));
  for (const f of files) {
    const st = stats.get(f.path);
    f.size = st?.size ?? 0;
    f.mtime = (st?.mtimeMs ?? 0) / 1000;
  }
  return {
    id: m.id,
    name: m.name,
    size: m.size,
    fingerprint: m.fingerprint,
    ssdOnly: m.ssdOnly,
    metadata: {
      ...m.info,
      weightsSize: m.weightsSize,
      shardCount: m.shardCount,
      missingShards: m.missingShards,
      projectors: m.projectorNames,
      relPath: m.relPath,
      ...(m.store ? { store: m.store } : {}),
      ...(m.aliases.length ? { aliases: m.aliases } : {}),
      // Other permanent copies with the same content, for --dupes.
      ...(m.extraHdd.length
        ? {
          extraCopies: m.extraHdd.map((c) => ({
            path: c.path,
            files: c.files,
            store: c.store ?? null,
          })),
        }
        : {}),
    },
    files,
  };
}

/** What {@linkcode scanAndRecord} found and changed. */
export interface ScanRecordResult {
  /** The directories scanned. */
  roots: ScanRoot[];
  /** The files and warnings of the scan. */
  scan: Awaited<ReturnType<typeof scanTiers>>;
  /** The files grouped into models. */
  lib: ReturnType<typeof buildLibrary>;
  /** What the store changed: added, renamed, gone, pruned. */
  result: ReturnType<StateStore["applyScan"]>;
  /** The stores of other tools that were found, with their model counts. */
  stores: FoundStore[];
  /** When the scan started (`performance.now()`). */
  started: number;
  /** HDD roots offline now (missing, or empty though models were known there). */
  offlineRoots: string[];
  /** The models on them (kept as they were). */
  offlineIds: Set<string>;
  /** How many models each offline root holds. */
  offlineCounts: Map<string, number>;
}

/**
 * Scans every configured directory, groups the files into models and records
 * them in the state store; prints nothing. `-u` and `--pull` (which indexes
 * what it downloaded at once) share it.
 *
 * @param ctx The command context.
 * @param prune Forget models whose files are gone.
 * @returns The scan, the library and the store's changes.
 * @throws {LlamaPackError} `IO` when no configured directory could be read at all.
 */
export async function scanAndRecord(
  ctx: CommandContext,
  prune: boolean,
): Promise<ScanRecordResult> {
  const config = await ctx.config();
  const roots: ScanRoot[] = [
    ...(config.ssd_path ? [{ tier: "ssd" as const, path: config.ssd_path }] : []),
    ...config.hdd_path.map((path) => ({ tier: "hdd" as const, path })),
    // Custom directories are permanent tiers like the HDD (after it, so a
    // model on both keeps its HDD copy as the main one).
    ...config.custom_paths.map((path) => ({ tier: "hdd" as const, path })),
  ];
  const store = ctx.state();
  const started = performance.now();
  const cache = storeMetadataCache(store);
  const tierScan = await scanTiers(roots, { cache });
  // The stores of other tools: read-only permanent tiers. A file reached both
  // from a configured directory and from a store belongs to the store.
  const stores = await scanStores(storeRoots(config.stores, ctx.env), {
    cache,
    ssdPath: config.ssd_path,
  });
  const inStores = new Set(stores.files.map((f) => f.realPath));
  const scan = {
    files: [...tierScan.files.filter((f) => !inStores.has(f.realPath)), ...stores.files],
    warnings: [...tierScan.warnings, ...stores.warnings],
    stats: {
      dirs: tierScan.stats.dirs + stores.stats.dirs,
      files: tierScan.stats.files + stores.stats.files,
      headersRead: tierScan.stats.headersRead + stores.stats.headersRead,
      cacheHits: tierScan.stats.cacheHits + stores.stats.cacheHits,
    },
  };
  const scanned = performance.now();
  cache.flush();
  const missingRoots = tierScan.warnings.filter((w) => w.kind === "root-missing");
  if (roots.length > 0 && missingRoots.length === roots.length && stores.stores.length === 0) {
    throw new LlamaPackError(
      "IO",
      `cannot scan: none of the model directories exists (${roots.map((r) => r.path).join(", ")})`,
      { hint: `set ssd_path and hdd_path in ${ctx.configPath} (llama-pack --edit-config)` },
    );
  }

  const known: KnownModel[] = store.models().flatMap((m) => {
    if (m.fingerprint === null) return [];
    let weightsSize = m.size;
    try {
      const md = m.metadata ? JSON.parse(m.metadata) : undefined;
      if (typeof md?.weightsSize === "number") weightsSize = md.weightsSize;
    } catch {
      // keep the total size
    }
    return [{ id: m.id, fingerprint: m.fingerprint, weightsSize }];
  });
  const grouped = performance.now();
  // The files of an unfinished copy or eviction (its unit is `copying` or
  // `evicting`) are nobody's model: never indexed, cleaned up by the next copy.
  const unfinished = new Set(
    store.ssdUnits().filter((u) => u.state !== "verified").flatMap((u) =>
      u.files.map((f) => f.ssd_path)
    ),
  );
  const lib = buildLibrary(scan.files.filter((f) => !unfinished.has(f.path)), { known });
  const built = performance.now();
  const stats = new Map(scan.files.map((f) => [f.path, { size: f.size, mtimeMs: f.mtimeMs }]));
  // An HDD root that is missing, or holds no model file although the state
  // knows some under it, is offline (an unplugged disk, or its empty mount
  // point): its models and their SSD copies are kept as they were.
  const knownHdd = store.files().filter((f) => f.tier === "hdd");
  const foundRoots = new Set(scan.files.map((f) => f.root));
  const offlineRoots = config.hdd_path.filter((root) =>
    scan.warnings.some((w) => w.kind === "root-missing" && w.path === root) ||
    (!foundRoots.has(root) && knownHdd.some((f) => f.root === root))
  );
  const keepPrefixes = [
    ...scan.warnings
      .filter((w) => w.kind === "unreadable" && !w.path.endsWith(".gguf"))
      .map((w) => w.path),
    ...offlineRoots,
  ];
  const offlineIds = new Set(
    knownHdd.filter((f) => offlineRoots.includes(f.root)).map((f) => f.model_id),
  );
  const result = store.applyScan(lib.models.map((m) => toRecord(m, stats)), {
    now: ctx.now(),
    renames: lib.renames,
    keepPrefixes,
    prune,
  });
  const stored = performance.now();
  ctx.debug(
    2,
    `update: scan ${(scanned - started).toFixed(0)} ms, cache flush + known ${
      (grouped - scanned).toFixed(0)
    } ms, grouping ${(built - grouped).toFixed(0)} ms, state ${(stored - built).toFixed(0)} ms`,
  );
  // The names shell completions offer, kept beside the state.
  await writeModelNames(ctx.stateDir, completionNames(store)).catch((err) =>
    ctx.debug(1, `update: cannot write the model names file: ${errorMessage(err)}`)
  );
  const offlineCounts = new Map(
    offlineRoots.map((root) => [
      root,
      new Set(knownHdd.filter((f) => f.root === root).map((f) => f.model_id)).size,
    ]),
  );
  return {
    roots,
    scan,
    lib,
    result,
    started,
    stores: stores.stores,
    offlineRoots,
    offlineIds,
    offlineCounts,
  };
}

/**
 * Runs -u/--update: scan, group, record, report.
 *
 * Prints one summary line to stdout and one `warning: …` line per problem
 * (unreadable directory, broken file, symlink loop, missing shard) to stderr;
 * `-v` lists the models added, renamed and gone.
 *
 * @param ctx The command context.
 * @returns 0, also when some files were skipped with a warning.
 * @throws {LlamaPackError} `IO` when no configured directory could be read at all.
 */
export async function updateCommand(ctx: CommandContext): Promise<number> {
  const prune = ctx.cmd.action.kind === "update" && ctx.cmd.action.prune;
  const config = await ctx.config();
  const {
    roots,
    scan,
    lib,
    result,
    started,
    stores,
    offlineRoots,
    offlineIds,
    offlineCounts,
  } = await scanAndRecord(ctx, prune);

  // A broken file is reported once, until it changes; -v lists it every time.
  const shown = scan.warnings.filter((w) =>
    (!w.known || ctx.cmd.verbose >= 1) &&
    !(w.kind === "root-missing" && offlineRoots.includes(w.path))
  );
  for (const root of offlineRoots) {
    const n = offlineCounts.get(root) ?? 0;
    ctx.err(
      `warning: ${root}: offline (${
        scan.warnings.some((w) => w.kind === "root-missing" && w.path === root)
          ? "missing"
          : "no model files there now"
      }; unplugged?): its ${n} model${n === 1 ? " is" : "s are"} kept, ` +
        `and SSD copies still serve them\n`,
    );
  }
  const knownBroken = scan.warnings.filter((w) => w.known && ctx.cmd.verbose < 1).length;
  for (const w of shown) ctx.err(`warning: ${w.message}\n`);
  for (const w of lib.warnings) ctx.err(`warning: ${w}\n`);

  const hdd = lib.models.filter((m) => m.hdd !== null && m.store === null).length;
  const inStore = lib.models.filter((m) => m.store !== null).length;
  const cached = lib.models.filter((m) => m.hdd !== null && m.ssd !== null).length;
  // An SSD file whose original lies on an offline HDD is a copy, not SSD-only.
  const offlineCopies = lib.models.filter((m) => m.ssdOnly && offlineIds.has(m.id)).length;
  const ssdOnly = lib.models.filter((m) => m.ssdOnly).length - offlineCopies;
  const offlineOnly = offlineIds.size - offlineCopies;
  const seconds = (performance.now() - started) / 1000;
  const changes = [
    `${result.added.length} new`,
    ...(result.renamed.length ? [`${result.renamed.length} renamed`] : []),
    `${result.gone.length} gone`,
    ...(prune ? [`${result.pruned.length} pruned`] : []),
  ];
  const problems = shown.length + lib.warnings.length;
  const nStores = stores.length;
  const where = nStores === 0
    ? ""
    : ` and ${nStores} store${nStores === 1 ? "" : "s"} of other tools`;
  ctx.out(
    `Scanned ${roots.length} director${roots.length === 1 ? "y" : "ies"}${where}: ${
      lib.models.length + offlineOnly
    } model${lib.models.length + offlineOnly === 1 ? "" : "s"} (${hdd} on HDD, ${
      nStores ? `${inStore} in stores, ` : ""
    }${cached} also on SSD, ${
      offlineIds.size > 0
        ? `${offlineIds.size} on an offline HDD (${offlineCopies} with an SSD copy), `
        : ""
    }${ssdOnly} SSD-only); ${changes.join(", ")}; ` +
      `${scan.stats.files} files, ${scan.stats.headersRead} headers read, ${scan.stats.cacheHits} cached; ` +
      `${seconds.toFixed(2)}s${
        problems ? `; ${problems} warning${problems === 1 ? "" : "s"}` : ""
      }${
        knownBroken
          ? `; ${knownBroken} broken file${
            knownBroken === 1 ? "" : "s"
          } skipped as before (-v lists)`
          : ""
      }\n`,
  );
  if (config.ssd_path) {
    const room = await ssdRoomWarning(config);
    if (room) ctx.err(`warning: ${room}\n`);
  }
  if (ctx.cmd.verbose >= 1) {
    const lines = [
      ...stores.map((st) =>
        `  store:   ${STORE_LABELS[st.kind]} ${st.path} (${st.models} model${
          st.models === 1 ? "" : "s"
        }, read-only)`
      ),
      ...result.added.map((id) => `  new:     ${id}`),
      ...result.renamed.map(([from, to]) => `  renamed: ${from} -> ${to} (history kept)`),
      ...result.gone.map((id) => `  gone:    ${id} (stats kept; -u --prune forgets it)`),
      ...result.pruned.map((id) => `  pruned:  ${id}`),
    ];
    if (lines.length) ctx.out(lines.join("\n") + "\n");
  }
  return 0;
}

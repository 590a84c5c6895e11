/**
 * Scans the stores of other tools: runs each store's reader over its
 * directories and reads (or takes from the header cache) the GGUF header of
 * every file found, the same way the tier scan does. The result is one
 * scanned file per GGUF file, in the tier scan's shape, so the library
 * groups store models like HDD models — a store is a read-only permanent
 * tier — with three more facts: the store, the model id its reader gave, and
 * other names.
 *
 * Nothing is written in a store: readers only list, stat, read links and
 * read manifests and headers.
 *
 * Needs `--allow-read`.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import { type GgufHeader, readGgufHeader } from "../gguf.ts";
import { parseShardName } from "../library.ts";
import type { HeaderRecord, MetadataCache, ScannedFile, ScanStats, ScanWarning } from "../scan.ts";
import { listHuggingFace } from "./huggingface.ts";
import { listLlamaCpp } from "./llama_cpp.ts";
import { listLmStudio } from "./lmstudio.ts";
import { listOllama } from "./ollama.ts";
import { isWithin, type StoreFile, type StoreListing } from "./store_listing.ts";
import { STORE_LABELS, type StoreKind, type StoreRoot } from "./store_roots.ts";

/** A GGUF file found in a store, with its header. */
export interface StoreScannedFile extends ScannedFile {
  /** The store it lives in. */
  store: StoreKind;
  /** The id of the model whose first file this is. */
  modelId: string;
  /** Other names of the same model. */
  aliases: string[];
}

/** One store directory that was found, and what it holds. */
export interface FoundStore {
  /** Which store. */
  kind: StoreKind;
  /** Its directory. */
  path: string;
  /** Models in it (first files of weights; shards and projectors not counted). */
  models: number;
  /** GGUF files in it. */
  files: number;
}

/** What {@linkcode scanStores} found. */
export interface StoreScanResult {
  /** Valid GGUF files, store by store in the readers' order. */
  files: StoreScannedFile[];
  /** Problems, in the order met. */
  warnings: ScanWarning[];
  /** Counters, as the tier scan counts. */
  stats: ScanStats;
  /** The store directories that exist, with their model counts. */
  stores: FoundStore[];
  /** Store directories looked for that do not exist. */
  missing: string[];
}

/** Options of {@linkcode scanStores}. */
export interface StoreScanOptions {
  /** Header cache. @default no cache: every header is read */
  cache?: MetadataCache;
  /** Reads one header. @default readGgufHeader */
  readHeader?: (path: string) => Promise<GgufHeader>;
  /** Headers read at the same time. @default 4 */
  concurrency?: number;
  /**
   * The SSD directory: a store that contains it is not used, since
   * llama-pack writes there and never writes in a store.
   * @default no check
   */
  ssdPath?: string;
}

const READERS: Record<StoreKind, (root: string) => Promise<StoreListing>> = {
  huggingface: listHuggingFace,
  llama_cpp: listLlamaCpp,
  lmstudio: listLmStudio,
  ollama: listOllama,
};

/**
 * Counts a listing's models: its weight files that start a model (first
 * shards and single files), projectors left out.
 *
 * @param files The files a store reader listed.
 * @returns The number of models.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { countModels } from "./store_scan.ts";
 * const f = (rel: string) => ({ rel }) as never;
 * assert(countModels([f("a/x.gguf"), f("a/mmproj-x.gguf"), f("b/y-00001-of-00002.gguf"), f("b/y-00002-of-00002.gguf")]) === 2);
 * ```
 */
export function countModels(files: readonly Pick<StoreFile, "rel">[]): number {
  return files.filter((f) => {
    const name = f.rel.slice(f.rel.lastIndexOf("/") + 1);
    return !/mmproj/i.test(name) && (parseShardName(name)?.no ?? 1) === 1;
  }).length;
}

async function realDir(path: string): Promise<string | undefined> {
  try {
    return (await Deno.stat(path)).isDirectory ? await Deno.realPath(path) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Lists the stores' files without reading headers: which store directories
 * exist and what they hold. Used for the first-run message and by
 * {@linkcode scanStores}.
 *
 * @param roots The store directories to look in.
 * @param options The SSD directory (a store containing it is skipped).
 * @returns The listings of the directories that exist, and warnings.
 *
 * @example No stores at all
 * ```ts
 * import assert from "node:assert/strict";
 * import { listStores } from "./store_scan.ts";
 * const r = await listStores([{ kind: "ollama", path: "/nonexistent/ollama", explicit: false }]);
 * assert(r.stores.length === 0 && r.warnings.length === 0);
 * ```
 */
export async function listStores(
  roots: readonly StoreRoot[],
  options: Pick<StoreScanOptions, "ssdPath"> = {},
): Promise<{
  stores: (FoundStore & { listing: StoreListing })[];
  warnings: ScanWarning[];
  missing: string[];
}> {
  const warnings: ScanWarning[] = [];
  const missing: string[] = [];
  const stores: (FoundStore & { listing: StoreListing })[] = [];
  const ssdReal = options.ssdPath === undefined ? undefined : await realDir(options.ssdPath);
  const seenReal = new Set<string>();
  for (const root of roots) {
    const label = STORE_LABELS[root.kind];
    const real = await realDir(root.path);
    if (real === undefined) {
      missing.push(root.path);
      if (root.explicit) {
        warnings.push({
          kind: "root-missing",
          path: root.path,
          message: `${root.path}: ${label} directory does not exist (stores.${root.kind})`,
        });
      }
      continue;
    }
    if (seenReal.has(real)) continue;
    seenReal.add(real);
    if (ssdReal !== undefined && isWithin(ssdReal, real)) {
      warnings.push({
        kind: "outside",
        path: root.path,
        message:
          `${root.path}: the ${label} contains ssd_path, where llama-pack writes; not used (move ssd_path out of it, or set stores.${root.kind} to false)`,
      });
      continue;
    }
    const listing = await READERS[root.kind](root.path);
    warnings.push(...listing.warnings);
    stores.push({
      kind: root.kind,
      path: root.path,
      models: countModels(listing.files),
      files: listing.files.length,
      listing,
    });
  }
  return { stores, warnings, missing };
}

/**
 * Scans the stores: lists each, then reads the header of every file (from
 * the cache when its real path, size and mtime are known). A file reached
 * from two stores (a link from one into the other) counts once, for the
 * first.
 *
 * @param roots The store directories to look in.
 * @param options Header cache, header reader, concurrency, SSD directory.
 * @returns The files with headers, warnings, counters and the stores found.
 * @throws {LlamaPackError} Only for unexpected errors; unreadable files and
 *   bad GGUF files are warnings.
 *
 * @example Scanning an Ollama store
 * ```ts
 * import assert from "node:assert/strict";
 * import { scanStores } from "./store_scan.ts";
 * import { ollamaEntries } from "../../tests/store_fixtures.ts";
 * import { makeLibrary } from "../../tests/gguf_writer.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await makeLibrary(dir, ollamaEntries({ "qwen3:8b": { model: { parameterCount: 8e9 } } }));
 *   const r = await scanStores([{ kind: "ollama", path: dir, explicit: true }]);
 *   assert(r.files[0]?.modelId === "qwen3:8b" && r.files[0].info.parameterCount === 8e9);
 *   assert(r.stores[0]?.models === 1);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function scanStores(
  roots: readonly StoreRoot[],
  options: StoreScanOptions = {},
): Promise<StoreScanResult> {
  const listed = await listStores(roots, options);
  const warnings = [...listed.warnings];
  const stats: ScanStats = { dirs: 0, files: 0, headersRead: 0, cacheHits: 0 };
  const unique: StoreFile[] = [];
  const seen = new Set<string>();
  for (const s of listed.stores) {
    stats.dirs += s.listing.dirs;
    for (const f of s.listing.files) {
      // Ollama projectors shared by two models appear twice on purpose.
      const key = `${f.realPath}\0${f.rel}`;
      const firstReal = !seen.has(f.realPath);
      if (seen.has(key) || (!firstReal && !f.rel.includes("mmproj"))) continue;
      seen.add(key);
      seen.add(f.realPath);
      unique.push(f);
    }
  }
  stats.files = unique.length;
  const readHeader = options.readHeader ?? readGgufHeader;
  const cache = options.cache;
  const results: (StoreScannedFile | null)[] = new Array(unique.length).fill(null);
  const records = new Map<string, Promise<HeaderRecord | null>>();
  const recordOf = (f: StoreFile): Promise<HeaderRecord | null> => {
    let p = records.get(f.realPath);
    if (!p) {
      p = (async () => {
        const hit = cache ? await cache.get(f.realPath, f.size, f.mtimeMs) : undefined;
        if (hit) {
          stats.cacheHits++;
          return hit;
        }
        stats.headersRead++;
        let rec: HeaderRecord;
        try {
          const h = await readHeader(f.realPath);
          rec = { ok: true, info: h.info, fingerprint: h.fingerprint };
        } catch (err) {
          if (err instanceof LlamaPackError && err.code === "BAD_GGUF") {
            rec = { ok: false, reason: err.message.replace(/^.*?: not a GGUF file: /, "") };
          } else {
            const msg = err instanceof Error ? err.message.replace(/^.*?: /, "") : String(err);
            warnings.push({
              kind: "unreadable",
              path: f.path,
              message: `${f.path}: ${msg} (skipped)`,
            });
            return null;
          }
        }
        if (cache) await cache.set(f.realPath, f.size, f.mtimeMs, rec);
        return rec;
      })();
      records.set(f.realPath, p);
    }
    return p;
  };
  let next = 0;
  const worker = async () => {
    while (next < unique.length) {
      const idx = next++;
      const f = unique[idx]!;
      const rec = await recordOf(f);
      if (rec === null) continue;
      if (!rec.ok) {
        warnings.push({
          kind: "bad-gguf",
          path: f.path,
          message: `${f.path}: not a GGUF file: ${rec.reason} (skipped)`,
        });
        continue;
      }
      results[idx] = {
        tier: "hdd",
        root: f.root,
        relPath: f.rel,
        path: f.path,
        realPath: f.realPath,
        viaSymlink: f.path !== f.realPath,
        size: f.size,
        mtimeMs: f.mtimeMs,
        info: rec.info,
        fingerprint: rec.fingerprint,
        store: f.kind,
        modelId: f.modelId,
        aliases: f.aliases,
      };
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  return {
    files: results.filter((r): r is StoreScannedFile => r !== null),
    warnings,
    stats,
    stores: listed.stores.map(({ kind, path, models, files }) => ({ kind, path, models, files })),
    missing: listed.missing,
  };
}

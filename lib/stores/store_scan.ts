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

import type { ScannedFile } from "../core/scanned.ts";
import { countStoreModels, STORE_LABELS, type StoreKind } from "../core/stores.ts";
import type { GgufHeader } from "../scan/gguf.ts";
import { type MetadataCache, readHeaders } from "../scan/headers.ts";
import type { ScanStats } from "../scan/scan.ts";
import type { FoundFile, ScanRoot, ScanWarning } from "../scan/walk.ts";
import { listHuggingFace } from "./huggingface.ts";
import { listLlamaCpp } from "./llama_cpp.ts";
import { listLmStudio } from "./lmstudio.ts";
import { listOllama } from "./ollama.ts";
import { isWithin, type StoreListing } from "./store_listing.ts";
import type { StoreRoot } from "./store_roots.ts";

/** A GGUF file found in a store, with its header (the store fields always set). */
export type StoreScannedFile =
  & ScannedFile
  & Required<Pick<ScannedFile, "store" | "modelId" | "aliases">>;

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
      models: countStoreModels(listing.files.map((f) => f.rel)),
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
  const stats: ScanStats = { dirs: 0, files: 0, headersRead: 0, cacheHits: 0 };
  const scanRoots: ScanRoot[] = [];
  const found: FoundFile[] = [];
  const byKey = new Map<string, StoreListing["files"][number]>();
  const seen = new Set<string>();
  for (const s of listed.stores) {
    stats.dirs += s.listing.dirs;
    const rootIndex = scanRoots.push({ tier: "hdd", path: s.path }) - 1;
    for (const f of s.listing.files) {
      // A file reached from two stores counts for the first; an Ollama
      // projector two models share appears once per model on purpose.
      const key = `${f.path}\0${f.rel}`;
      if (byKey.has(key) || (seen.has(f.realPath) && !/mmproj/i.test(f.rel))) continue;
      seen.add(f.realPath);
      byKey.set(key, f);
      found.push({
        rootIndex,
        relPath: f.rel,
        path: f.path,
        realPath: f.realPath,
        viaSymlink: f.path !== f.realPath,
        size: f.size,
        mtimeMs: f.mtimeMs,
      });
    }
  }
  stats.files = found.length;
  const read = await readHeaders(found, scanRoots, options);
  stats.headersRead = read.headersRead;
  stats.cacheHits = read.cacheHits;
  const files = read.files.map((file): StoreScannedFile => {
    const f = byKey.get(`${file.path}\0${file.relPath}`)!;
    return { ...file, store: f.kind, modelId: f.modelId, aliases: f.aliases };
  });
  return {
    files,
    warnings: [...listed.warnings, ...read.warnings],
    stats,
    stores: listed.stores.map(({ kind, path, models, files }) => ({ kind, path, models, files })),
    missing: listed.missing,
  };
}

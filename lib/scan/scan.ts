/**
 * Finds the GGUF files under the configured tier roots (the adapter between
 * the file system and the pure `lib/core/library.ts` grouping): the walk is
 * in `walk.ts`, header reading and its cache in `headers.ts`; this module
 * runs one after the other.
 *
 * - Walks every root recursively for `*.gguf`, in name order.
 * - Follows symlinks (files and directories) whose real path stays inside a
 *   root of the same tier — the Hugging Face hub cache keeps
 *   `models--org--name/snapshots/<rev>/x.gguf` as links into `blobs/` — and
 *   records the real path. Links leaving the tier's trees are not followed
 *   (warning); a link to one of its own ancestors is a loop (warning); a
 *   directory reached twice is walked once, real directories winning over
 *   links to them.
 * - Skips hidden entries (`.llama-pack-partial/` where interrupted copies
 *   live, `.locks`, `._x.gguf`, …) except `.cache/huggingface/hub` and
 *   `.cache/llama.cpp`, the model caches of `hf download` and `llama-server -hf`.
 * - Reports unreadable directories and files, broken links and invalid GGUF
 *   files as warnings; the scan goes on.
 * - Reads headers only for files the {@linkcode MetadataCache} does not know
 *   at the same (real path, size, mtime).
 * - Never writes anything inside the roots.
 *
 * Needs `--allow-read`.
 *
 * @module
 */

import type { ScannedFile } from "../core/scanned.ts";
import { type MetadataCache, readHeaders } from "./headers.ts";
import type { GgufHeader } from "./gguf.ts";
import { findGgufFiles, type ScanRoot, type ScanWarning } from "./walk.ts";

export type { ScannedFile, Tier } from "../core/scanned.ts";
export type { HeaderRecord, MetadataCache } from "./headers.ts";
export type { ScanRoot, ScanWarning, ScanWarningKind } from "./walk.ts";

/** Counters of one scan. */
export interface ScanStats {
  /** Directories read. */
  dirs: number;
  /** GGUF candidates found (after removing duplicates). */
  files: number;
  /** Headers read from disk (cache misses). */
  headersRead: number;
  /** Headers taken from the cache. */
  cacheHits: number;
}

/** What {@linkcode scanTiers} found. */
export interface ScanResult {
  /** Valid GGUF files, sorted by tier (ssd first), root order, then relPath. */
  files: ScannedFile[];
  /** Problems, in the order met. */
  warnings: ScanWarning[];
  /** Counters. */
  stats: ScanStats;
}

/** Options of {@linkcode scanTiers}. */
export interface ScanOptions {
  /** Header cache. @default no cache: every header is read */
  cache?: MetadataCache;
  /** Reads one header. @default readGgufHeader */
  readHeader?: (path: string) => Promise<GgufHeader>;
  /** Headers read at the same time. @default 4 */
  concurrency?: number;
}

/**
 * Scans the tier roots for GGUF files and reads (or takes from the cache)
 * their headers.
 *
 * @param roots The directories to scan, each with its tier.
 * @param options Cache, header reader and concurrency.
 * @returns The files, warnings and counters.
 * @throws {LlamaPackError} `IO` only on unexpected file-system errors; missing
 *   roots, unreadable directories and bad files are warnings.
 *
 * @example Scanning a small tree twice with a cache
 * ```ts
 * import assert from "node:assert/strict";
 * import { scanTiers, type HeaderRecord } from "./scan.ts";
 * import { makeLibrary } from "../../tests/gguf_writer.ts";
 * const root = await Deno.makeTempDir();
 * try {
 *   await makeLibrary(root, { "llm/a.gguf": { size: 1024 ** 3 }, "llm/bad.gguf": { corrupt: "garbage" } });
 *   const store = new Map<string, HeaderRecord>();
 *   const cache = {
 *     get: (p: string, s: number, m: number) => store.get(`${p}|${s}|${m}`),
 *     set: (p: string, s: number, m: number, r: HeaderRecord) => void store.set(`${p}|${s}|${m}`, r),
 *   };
 *   const first = await scanTiers([{ tier: "hdd", path: root }], { cache });
 *   assert(first.files.length === 1 && first.warnings[0]?.kind === "bad-gguf");
 *   const again = await scanTiers([{ tier: "hdd", path: root }], { cache });
 *   assert(again.stats.headersRead === 0 && again.stats.cacheHits === 2);
 * } finally {
 *   await Deno.remove(root, { recursive: true });
 * }
 * ```
 */
export async function scanTiers(roots: ScanRoot[], options: ScanOptions = {}): Promise<ScanResult> {
  const walked = await findGgufFiles(roots);
  const read = await readHeaders(walked.files, roots, options);
  const warnings = [...walked.warnings, ...read.warnings];
  const stats: ScanStats = {
    dirs: walked.dirs,
    files: walked.files.length,
    headersRead: read.headersRead,
    cacheHits: read.cacheHits,
  };

  const rootOrder = new Map(roots.map((r, i) => [r.path, (r.tier === "ssd" ? 0 : 1000) + i]));
  const files = read.files.sort((a, b) =>
    rootOrder.get(a.root)! - rootOrder.get(b.root)! ||
    (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0)
  );
  return { files, warnings, stats };
}

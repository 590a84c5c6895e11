/**
 * Reads the headers of the GGUF files a walk found (the metadata half of the
 * scanner), taking them from a {@linkcode MetadataCache} when it knows the
 * file at the same (real path, size, mtime), and reading them with a few
 * workers at once otherwise. Files that are not GGUF and unreadable files
 * become warnings.
 *
 * Needs `--allow-read`.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import type { GgufInfo, ScannedFile } from "../core/scanned.ts";
import { type GgufHeader, readGgufHeader } from "./gguf.ts";
import type { FoundFile, ScanRoot, ScanWarning, ScanWarningKind } from "./walk.ts";

/** What is cached per file: its header, or why it is not a GGUF file. */
export type HeaderRecord =
  | { ok: true; info: GgufInfo; fingerprint: string }
  | { ok: false; reason: string };

/**
 * Where header metadata is cached between scans (the state store implements
 * it with SQLite). Methods may be synchronous or return promises.
 */
export interface MetadataCache {
  /**
   * The record stored for this file, if it was stored with the same size and mtime.
   * @param realPath The file's real path.
   * @param size Its size in bytes.
   * @param mtimeMs Its modification time in milliseconds since the epoch.
   */
  get(
    realPath: string,
    size: number,
    mtimeMs: number,
  ): HeaderRecord | undefined | Promise<HeaderRecord | undefined>;
  /**
   * Stores the record for this file (replacing any older one for the path).
   * @param realPath The file's real path.
   * @param size Its size in bytes.
   * @param mtimeMs Its modification time in milliseconds since the epoch.
   * @param record The header, or the reason it is not GGUF.
   */
  set(realPath: string, size: number, mtimeMs: number, record: HeaderRecord): void | Promise<void>;
}

/** Options of {@linkcode readHeaders}. */
export interface ReadHeadersOptions {
  /** Header cache. @default no cache: every header is read */
  cache?: MetadataCache;
  /** Reads one header. @default readGgufHeader */
  readHeader?: (path: string) => Promise<GgufHeader>;
  /** Headers read at the same time. @default 4 */
  concurrency?: number;
}

/** What {@linkcode readHeaders} read. */
export interface ReadHeadersResult {
  /** The valid GGUF files, in the order they were given. */
  files: ScannedFile[];
  /** Bad and unreadable files, in the order met. */
  warnings: ScanWarning[];
  /** Headers read from disk (cache misses). */
  headersRead: number;
  /** Headers taken from the cache. */
  cacheHits: number;
}

/**
 * Reads (or takes from the cache) the header of every found file.
 *
 * @param found The files, as {@linkcode findGgufFiles} lists them.
 * @param roots The roots their `rootIndex` refers to.
 * @param options Cache, header reader and concurrency.
 * @returns The files with their headers, warnings and counters.
 *
 * @example Reading a header once, then from the cache
 * ```ts
 * import assert from "node:assert/strict";
 * import { type HeaderRecord, readHeaders } from "./headers.ts";
 * import { findGgufFiles } from "./walk.ts";
 * import { makeLibrary } from "../../tests/gguf_writer.ts";
 * const root = await Deno.makeTempDir();
 * try {
 *   await makeLibrary(root, { "a.gguf": { size: 1024 ** 2 } });
 *   const roots = [{ tier: "hdd" as const, path: root }];
 *   const { files } = await findGgufFiles(roots);
 *   const store = new Map<string, HeaderRecord>();
 *   const cache = { get: (p: string) => store.get(p), set: (p: string, _s: number, _m: number, r: HeaderRecord) => void store.set(p, r) };
 *   const first = await readHeaders(files, roots, { cache });
 *   assert(first.files[0]?.tier === "hdd" && first.headersRead === 1);
 *   const again = await readHeaders(files, roots, { cache });
 *   assert(again.cacheHits === 1 && again.headersRead === 0);
 * } finally {
 *   await Deno.remove(root, { recursive: true });
 * }
 * ```
 */
export async function readHeaders(
  found: readonly FoundFile[],
  roots: readonly ScanRoot[],
  options: ReadHeadersOptions = {},
): Promise<ReadHeadersResult> {
  const warnings: ScanWarning[] = [];
  let headersRead = 0;
  let cacheHits = 0;
  const warn = (kind: ScanWarningKind, path: string, what: string, known = false) =>
    warnings.push({ kind, path, message: `${path}: ${what}`, ...(known ? { known } : {}) });

  const readHeader = options.readHeader ?? readGgufHeader;
  const cache = options.cache;
  const results: (ScannedFile | null)[] = new Array(found.length).fill(null);
  let next = 0;
  const worker = async () => {
    while (next < found.length) {
      const idx = next++;
      const c = found[idx]!;
      let rec = cache ? await cache.get(c.realPath, c.size, c.mtimeMs) : undefined;
      const cached = rec !== undefined;
      if (rec) {
        cacheHits++;
      } else {
        headersRead++;
        try {
          const h = await readHeader(c.realPath);
          rec = { ok: true, info: h.info, fingerprint: h.fingerprint };
        } catch (err) {
          if (err instanceof LlamaPackError && err.code === "BAD_GGUF") {
            rec = { ok: false, reason: err.message.replace(/^.*?: not a GGUF file: /, "") };
          } else {
            const msg = err instanceof Error ? err.message.replace(/^.*?: /, "") : String(err);
            warn("unreadable", c.path, `${msg} (skipped)`);
            continue;
          }
        }
        if (cache) await cache.set(c.realPath, c.size, c.mtimeMs, rec);
      }
      if (!rec.ok) {
        // Reported once per file: a verdict from the cache is for a file that has not changed.
        warn("bad-gguf", c.path, `not a GGUF file: ${rec.reason} (skipped)`, cached);
        continue;
      }
      const root = roots[c.rootIndex]!;
      results[idx] = {
        tier: root.tier,
        root: root.path,
        relPath: c.relPath,
        path: c.path,
        realPath: c.realPath,
        viaSymlink: c.viaSymlink,
        size: c.size,
        mtimeMs: c.mtimeMs,
        info: rec.info,
        fingerprint: rec.fingerprint,
      };
    }
  };
  const n = Math.max(1, Math.min(options.concurrency ?? 4, found.length));
  await Promise.all(Array.from({ length: n }, worker));

  const files = results.filter((f): f is ScannedFile => f !== null);
  return { files, warnings, headersRead, cacheHits };
}

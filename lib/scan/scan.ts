/**
 * Finds the GGUF files under the configured tier roots (the adapter between
 * the file system and the pure {@linkcode ./library.ts} grouping).
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

import { PARTIAL_DIR } from "../cache/copy.ts";
import { isInside } from "../cache/fs_checks.ts";
import { join } from "node:path";
import { LlamaPackError } from "../errors.ts";
import { type GgufHeader, type GgufInfo, readGgufHeader } from "./gguf.ts";

/** A storage tier. */
export type Tier = "ssd" | "hdd";

/** One configured directory to scan. */
export interface ScanRoot {
  /** The tier the directory belongs to. */
  tier: Tier;
  /** The directory as configured (absolute). */
  path: string;
}

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

/** One GGUF file found by {@linkcode scanTiers}. */
export interface ScannedFile {
  /** The tier of the root it was found under. */
  tier: Tier;
  /** That root, as configured. */
  root: string;
  /** Path relative to the root, `/`-separated, as found (through links). */
  relPath: string;
  /** Absolute path as found: `root/relPath`. */
  path: string;
  /** The real path (links resolved). */
  realPath: string;
  /** True when reached through a symlink. */
  viaSymlink: boolean;
  /** Size in bytes. */
  size: number;
  /** Modification time, milliseconds since the epoch. */
  mtimeMs: number;
  /** Header metadata. */
  info: GgufInfo;
  /** Header fingerprint (see `fingerprintFile`). */
  fingerprint: string;
}

/** Kinds of {@linkcode ScanWarning}. */
export type ScanWarningKind =
  | "root-missing"
  | "unreadable"
  | "bad-gguf"
  | "outside"
  | "loop"
  | "broken-link";

/** Something the scan skipped, and why. */
export interface ScanWarning {
  /** What kind of problem. */
  kind: ScanWarningKind;
  /** The path concerned. */
  path: string;
  /** One line for the user: `<path>: <what>`. */
  message: string;
}

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

/** Hidden subtrees that hold models: `.cache/huggingface/hub`, `.cache/llama.cpp`. */
const HIDDEN_ALLOWED: Record<string, readonly string[] | null> = {
  ".cache": ["huggingface", "llama.cpp"],
  "huggingface": ["hub"],
};

interface Candidate {
  rootIndex: number;
  relPath: string;
  path: string;
  realPath: string;
  viaSymlink: boolean;
  size: number;
  mtimeMs: number;
}

interface PendingLink {
  rootIndex: number;
  relPath: string;
  path: string;
  targetReal: string;
  parentReal: string;
}

const inside = (child: string, parent: string) => child === parent || isInside(parent, child);

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
  const warnings: ScanWarning[] = [];
  const stats: ScanStats = { dirs: 0, files: 0, headersRead: 0, cacheHits: 0 };
  const warn = (kind: ScanWarningKind, path: string, what: string) =>
    warnings.push({ kind, path, message: `${path}: ${what}` });

  // Real paths of the roots, for the "stays inside the tier" rule.
  const realRoots: (string | null)[] = [];
  for (const r of roots) {
    try {
      const st = await Deno.stat(r.path);
      if (!st.isDirectory) {
        warn("root-missing", r.path, `${r.tier} path is not a directory`);
        realRoots.push(null);
        continue;
      }
      realRoots.push(await Deno.realPath(r.path));
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) {
        warn("root-missing", r.path, `${r.tier} path does not exist`);
      } else if (err instanceof Deno.errors.PermissionDenied) {
        warn("unreadable", r.path, `cannot read ${r.tier} path: permission denied`);
      } else {
        throw new LlamaPackError("IO", `${r.path}: cannot scan: ${String(err)}`, { cause: err });
      }
      realRoots.push(null);
    }
  }
  const tierRealRoots = (tier: Tier) =>
    realRoots.filter((p, i): p is string => p !== null && roots[i]!.tier === tier);

  const visitedDirs = new Set<string>();
  const candidates: Candidate[] = [];
  const pending: PendingLink[] = [];

  const walk = async (
    rootIndex: number,
    dirPath: string,
    dirReal: string,
    relDir: string,
    only: readonly string[] | null,
  ) => {
    if (visitedDirs.has(dirReal)) return;
    visitedDirs.add(dirReal);
    let entries: Deno.DirEntry[];
    try {
      entries = [];
      for await (const e of Deno.readDir(dirPath)) entries.push(e);
    } catch (err) {
      if (err instanceof Deno.errors.PermissionDenied) {
        warn("unreadable", dirPath, "cannot read directory: permission denied (skipped)");
        return;
      }
      if (err instanceof Deno.errors.NotFound) return; // vanished during the scan
      warn("unreadable", dirPath, `cannot read directory: ${String(err)} (skipped)`);
      return;
    }
    stats.dirs++;
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const tier = roots[rootIndex]!.tier;
    const files: { name: string; link: boolean }[] = [];
    const subdirs: { name: string; only: readonly string[] | null }[] = [];
    for (const e of entries) {
      if (only !== null && !only.includes(e.name)) continue;
      let childOnly: readonly string[] | null = null;
      if (e.name.startsWith(".")) {
        const allowed = HIDDEN_ALLOWED[e.name];
        if (allowed === undefined || e.name === PARTIAL_DIR) continue;
        childOnly = allowed;
      } else if (only !== null) {
        childOnly = HIDDEN_ALLOWED[e.name] ?? null;
      }
      const rel = relDir === "" ? e.name : `${relDir}/${e.name}`;
      const path = join(dirPath, e.name);
      if (e.isSymlink) {
        let target: Deno.FileInfo;
        let targetReal: string;
        try {
          target = await Deno.stat(path);
          targetReal = await Deno.realPath(path);
        } catch (err) {
          if (err instanceof Deno.errors.NotFound) {
            if (e.name.toLowerCase().endsWith(".gguf")) {
              warn("broken-link", path, "broken symlink (skipped)");
            }
          } else if (isLoopError(err)) {
            warn("loop", path, "symlink loop (not followed)");
          } else if (err instanceof Deno.errors.PermissionDenied) {
            warn("unreadable", path, "cannot follow symlink: permission denied (skipped)");
          } else {
            warn("unreadable", path, `cannot follow symlink: ${String(err)} (skipped)`);
          }
          continue;
        }
        if (!target.isDirectory && !e.name.toLowerCase().endsWith(".gguf")) continue;
        if (!tierRealRoots(tier).some((r) => inside(targetReal, r))) {
          warn(
            "outside",
            path,
            `symlink points outside the ${tier} directories, to ${targetReal} (not followed)`,
          );
          continue;
        }
        if (target.isDirectory) {
          if (inside(dirReal, targetReal)) {
            warn(
              "loop",
              path,
              `symlink loop: points to its own ancestor ${targetReal} (not followed)`,
            );
            continue;
          }
          pending.push({ rootIndex, relPath: rel, path, targetReal, parentReal: dirReal });
        } else if (target.isFile) {
          candidates.push({
            rootIndex,
            relPath: rel,
            path,
            realPath: targetReal,
            viaSymlink: true,
            size: target.size,
            mtimeMs: target.mtime?.getTime() ?? 0,
          });
        }
        continue;
      }
      if (e.isDirectory) subdirs.push({ name: e.name, only: childOnly });
      else if (e.isFile && e.name.toLowerCase().endsWith(".gguf")) {
        files.push({ name: e.name, link: false });
      }
    }
    await Promise.all(files.map(async (f) => {
      const path = join(dirPath, f.name);
      try {
        const st = await Deno.stat(path);
        candidates.push({
          rootIndex,
          relPath: relDir === "" ? f.name : `${relDir}/${f.name}`,
          path,
          realPath: join(dirReal, f.name),
          viaSymlink: false,
          size: st.size,
          mtimeMs: st.mtime?.getTime() ?? 0,
        });
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return;
        warn("unreadable", path, `cannot stat: ${String(err)} (skipped)`);
      }
    }));
    for (const d of subdirs) {
      const rel = relDir === "" ? d.name : `${relDir}/${d.name}`;
      await walk(rootIndex, join(dirPath, d.name), join(dirReal, d.name), rel, d.only);
    }
  };

  for (let i = 0; i < roots.length; i++) {
    const real = realRoots[i];
    if (real === null || real === undefined) continue;
    await walk(i, roots[i]!.path, real, "", null);
  }
  // Directory links last, so real directories win over links to them.
  while (pending.length > 0) {
    const p = pending.shift()!;
    if (visitedDirs.has(p.targetReal)) continue;
    await walk(p.rootIndex, p.path, p.targetReal, p.relPath, null);
  }

  // One entry per real file: direct paths beat links, then root order, then relPath.
  candidates.sort((a, b) =>
    Number(a.viaSymlink) - Number(b.viaSymlink) || a.rootIndex - b.rootIndex ||
    (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0)
  );
  const seen = new Set<string>();
  const unique = candidates.filter((c) => !seen.has(c.realPath) && seen.add(c.realPath));
  stats.files = unique.length;

  const readHeader = options.readHeader ?? readGgufHeader;
  const cache = options.cache;
  const results: (ScannedFile | null)[] = new Array(unique.length).fill(null);
  let next = 0;
  const worker = async () => {
    while (next < unique.length) {
      const idx = next++;
      const c = unique[idx]!;
      let rec = cache ? await cache.get(c.realPath, c.size, c.mtimeMs) : undefined;
      if (rec) {
        stats.cacheHits++;
      } else {
        stats.headersRead++;
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
        warn("bad-gguf", c.path, `not a GGUF file: ${rec.reason} (skipped)`);
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
  const n = Math.max(1, Math.min(options.concurrency ?? 4, unique.length));
  await Promise.all(Array.from({ length: n }, worker));

  const rootOrder = new Map(roots.map((r, i) => [r.path, (r.tier === "ssd" ? 0 : 1000) + i]));
  const files = results.filter((f): f is ScannedFile => f !== null).sort((a, b) =>
    rootOrder.get(a.root)! - rootOrder.get(b.root)! ||
    (a.relPath < b.relPath ? -1 : a.relPath > b.relPath ? 1 : 0)
  );
  return { files, warnings, stats };
}

function isLoopError(err: unknown): boolean {
  return err instanceof Deno.errors.FilesystemLoop ||
    (err instanceof Error && /ELOOP|too many levels of symbolic links/i.test(err.message));
}

/**
 * Walks the configured tier roots for GGUF files (the directory half of the
 * scanner; `headers.ts` reads what it finds).
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
 * - Reports unreadable directories, broken links and loops as warnings; the
 *   walk goes on. Never writes anything inside the roots.
 *
 * Needs `--allow-read`.
 *
 * @module
 */

import { PARTIAL_DIR } from "../cache/partials.ts";
import { isInside } from "../cache/fs_checks.ts";
import { join } from "node:path";
import { LlamaPackError } from "../errors.ts";
import type { Tier } from "../core/scanned.ts";

/** One configured directory to scan. */
export interface ScanRoot {
  /** The tier the directory belongs to. */
  tier: Tier;
  /** The directory as configured (absolute). */
  path: string;
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
  /**
   * Already reported by an earlier scan and unchanged since (a broken file
   * whose verdict came from the header cache): shown with `-v` only.
   */
  known?: boolean;
}

/** One `*.gguf` file found by {@linkcode findGgufFiles}, before its header is read. */
export interface FoundFile {
  /** Index of the root it was found under. */
  rootIndex: number;
  /** Path relative to the root, `/`-separated, as found (through links). */
  relPath: string;
  /** Absolute path as found. */
  path: string;
  /** The real path (links resolved). */
  realPath: string;
  /** True when reached through a symlink. */
  viaSymlink: boolean;
  /** Size in bytes. */
  size: number;
  /** Modification time, milliseconds since the epoch. */
  mtimeMs: number;
}

/** What {@linkcode findGgufFiles} found. */
export interface FoundFiles {
  /** One entry per real file: direct paths before links, then root order, then relPath. */
  files: FoundFile[];
  /** Problems, in the order met. */
  warnings: ScanWarning[];
  /** Directories read. */
  dirs: number;
}

/** Hidden subtrees that hold models: `.cache/huggingface/hub`, `.cache/llama.cpp`. */
const HIDDEN_ALLOWED: Record<string, readonly string[] | null> = {
  ".cache": ["huggingface", "llama.cpp"],
  "huggingface": ["hub"],
};

interface PendingLink {
  rootIndex: number;
  relPath: string;
  path: string;
  targetReal: string;
  parentReal: string;
}

const inside = (child: string, parent: string) => child === parent || isInside(parent, child);

/**
 * Walks the roots and lists every GGUF file once (by real path), without
 * reading any header.
 *
 * @param roots The directories to walk, each with its tier.
 * @returns The files, the warnings and the number of directories read.
 * @throws {LlamaPackError} `IO` only on unexpected file-system errors; missing
 *   roots, unreadable directories and broken links are warnings.
 *
 * @example A file reached directly and through a link is listed once
 * ```ts
 * import assert from "node:assert/strict";
 * import { findGgufFiles } from "./walk.ts";
 * const root = await Deno.makeTempDir();
 * try {
 *   await Deno.mkdir(`${root}/llm`);
 *   await Deno.writeTextFile(`${root}/llm/a.gguf`, "x");
 *   await Deno.symlink(`${root}/llm/a.gguf`, `${root}/link.gguf`);
 *   await Deno.writeTextFile(`${root}/llm/notes.txt`, "x");
 *   const found = await findGgufFiles([{ tier: "hdd", path: root }]);
 *   assert(found.files.length === 1 && found.files[0]?.relPath === "llm/a.gguf");
 *   assert(found.dirs === 2 && found.warnings.length === 0);
 * } finally {
 *   await Deno.remove(root, { recursive: true });
 * }
 * ```
 */
export async function findGgufFiles(roots: readonly ScanRoot[]): Promise<FoundFiles> {
  const warnings: ScanWarning[] = [];
  let dirs = 0;
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
  const candidates: FoundFile[] = [];
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
    dirs++;
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
  return { files: unique, warnings, dirs };
}

function isLoopError(err: unknown): boolean {
  return err instanceof Deno.errors.FilesystemLoop ||
    (err instanceof Error && /ELOOP|too many levels of symbolic links/i.test(err.message));
}

/**
 * The bookkeeping of copies in progress: the hidden directory under the SSD
 * root that holds them, the names of a copy's temp file, sidecar and lock,
 * and the cleanup of what interrupted copies left behind.
 *
 * @module
 */

import { basename, join, relative, resolve } from "node:path";
import { LlamaPackError } from "../errors.ts";
import { hashBytes } from "./hash.ts";
import { acquireLock } from "./lock.ts";
import { lstatOrUndefined } from "./fs_checks.ts";
import { osReason } from "./os_errors.ts";

/** The hidden directory, directly under the SSD root, that holds copies in progress. */
export const PARTIAL_DIR = ".llama-pack-partial";

/** The files a copy to one destination uses in the partial directory. */
export interface PartialPaths {
  /** The partial directory, `<ssd_root>/.llama-pack-partial`. */
  dir: string;
  /** The temp file the copy writes. */
  temp: string;
  /** The JSON sidecar saying what the temp file is. */
  sidecar: string;
  /** The per-destination lock file. */
  lock: string;
}

/**
 * Names the partial files for a destination: `<file name>.<xxh64 of the
 * path relative to the SSD root>.part|.json|.lock`, so a later run finds them.
 *
 * @param ssdRoot The SSD cache root.
 * @param dest The final path of the copy, inside `ssdRoot`.
 * @returns The partial directory and the temp, sidecar and lock paths.
 *
 * @example Naming the temp file of a copy
 * ```ts
 * import assert from "node:assert/strict";
 * import { partialPaths } from "./partials.ts";
 * const p = await partialPaths("/ssd", "/ssd/llm/Gemma2-9B.gguf");
 * assert(p.dir === "/ssd/.llama-pack-partial");
 * assert(/^\/ssd\/\.llama-pack-partial\/Gemma2-9B\.gguf\.[0-9a-f]{16}\.part$/.test(p.temp));
 * ```
 */
export async function partialPaths(ssdRoot: string, dest: string): Promise<PartialPaths> {
  const root = resolve(ssdRoot);
  const rel = relative(root, resolve(dest));
  const key = await hashBytes(new TextEncoder().encode(rel));
  const dir = join(root, PARTIAL_DIR);
  const stem = join(dir, `${basename(dest).slice(0, 160)}.${key}`);
  return { dir, temp: `${stem}.part`, sidecar: `${stem}.json`, lock: `${stem}.lock` };
}

/** What a sidecar file records about a copy in progress. */
export interface PartialInfo {
  /** The source (HDD) path. */
  src: string;
  /** The final destination path. */
  dest: string;
  /** The source's size in bytes. */
  size: number;
  /** The source's mtime, ms since the epoch. */
  mtimeMs: number;
  /** Process id of the copier. */
  pid: number;
  /** When the copy started, unix seconds. */
  startedAt: number;
}

/** One leftover removed by {@linkcode cleanupPartials}. */
export interface RemovedPartial {
  /** The file removed. */
  path: string;
  /** Its size in bytes. */
  bytes: number;
  /** The destination its copy was heading for, when its sidecar said. */
  dest?: string;
}

/**
 * Removes the leftovers of interrupted copies: temp files, sidecars and lock
 * files in `<ssd_root>/.llama-pack-partial/` whose copy is not running (its
 * lock is free). Touches nothing outside that directory, and only files whose
 * names the copy protocol makes. Needs `--allow-read --allow-write`.
 *
 * @param ssdRoot The SSD cache root.
 * @returns What was removed (empty when there was nothing to clean).
 * @throws {LlamaPackError} `UNSAFE` when the partial directory is a symlink; `IO` when it cannot be read.
 *
 * @example Cleaning an SSD root with no partial directory
 * ```ts
 * import assert from "node:assert/strict";
 * import { cleanupPartials } from "./partials.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   assert((await cleanupPartials(dir)).length === 0);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function cleanupPartials(ssdRoot: string): Promise<RemovedPartial[]> {
  const dir = join(resolve(ssdRoot), PARTIAL_DIR);
  const dirInfo = await lstatOrUndefined(dir);
  if (dirInfo === undefined) return [];
  if (!dirInfo.isDirectory) {
    throw new LlamaPackError(
      "UNSAFE",
      `cannot clean partial copies in ${dir}: it is not a plain directory (symlink?)`,
    );
  }
  const stems = new Set<string>();
  try {
    for await (const entry of Deno.readDir(dir)) {
      const m = /^(.+\.[0-9a-f]{16})\.(part|json|lock)$/.exec(entry.name);
      if (m && entry.isFile) stems.add(m[1]!);
    }
  } catch (err) {
    throw new LlamaPackError("IO", `cannot read ${dir}: ${osReason(err)}`, { cause: err });
  }
  const removed: RemovedPartial[] = [];
  for (const stem of [...stems].sort()) {
    const lockPath = join(dir, `${stem}.lock`);
    const lock = await acquireLock(lockPath, { wait: false, removeOnRelease: true });
    if (lock === null) continue; // a copy is running
    try {
      const sidecar = join(dir, `${stem}.json`);
      let dest: string | undefined;
      try {
        const info = JSON.parse(await Deno.readTextFile(sidecar)) as Partial<PartialInfo>;
        if (typeof info.dest === "string") dest = info.dest;
      } catch {
        // no or unreadable sidecar
      }
      for (const path of [join(dir, `${stem}.part`), sidecar]) {
        const st = await lstatOrUndefined(path);
        if (!st?.isFile) continue;
        await Deno.remove(path);
        removed.push(
          dest === undefined ? { path, bytes: st.size } : { path, bytes: st.size, dest },
        );
      }
    } finally {
      await lock.release();
    }
  }
  await Deno.remove(dir).catch(() => {}); // only if empty
  return removed;
}

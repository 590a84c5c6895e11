/**
 * Safe deletion of an SSD copy. The HDD copy is the permanent one: an SSD
 * copy is deleted only when its HDD original is there, whole, and really a
 * different file from the one being deleted.
 *
 * @module
 */

import { dirname, join, resolve } from "node:path";
import { LlamaPackError } from "../errors.ts";
import { formatSize } from "../core/units.ts";
import { PARTIAL_DIR } from "./partials.ts";
import { hashFile } from "./hash.ts";
import { isInside, lstatOrUndefined, statOrUndefined } from "./fs_checks.ts";
import { treeOverlap } from "./tier_alias.ts";

/** Options of {@linkcode deleteSsdCopy}. */
export interface DeleteSsdCopyOptions {
  /** The SSD cache root; nothing outside it is ever deleted. */
  ssdRoot: string;
  /** The SSD copy to delete. */
  ssdPath: string;
  /** Its HDD original, which must exist, whole. */
  hddPath: string;
  /** The model's size in bytes; the HDD original must have exactly this size. */
  expectedSize: number;
  /**
   * The hash recorded for the copy (xxh64, 16 hex digits).
   * @default {undefined}
   */
  expectedHash?: string;
  /**
   * Hash the HDD original and compare it with `expectedHash` (when one is recorded).
   * @default {false}
   */
  hashCheck?: boolean;
  /**
   * The HDD root the original lives under; its directory must not be the SSD
   * root's directory (a symlink or bind mount of one onto the other).
   * @default {dirname(hddPath)}
   */
  hddRoot?: string;
  /**
   * Run every check but delete nothing.
   * @default {false}
   */
  dryRun?: boolean;
}

/** What {@linkcode deleteSsdCopy} did. */
export interface DeleteSsdCopyResult {
  /** Whether the SSD copy was deleted (`false` for a dry run or a copy already gone). */
  deleted: boolean;
  /** The copy's size in bytes (0 when it was already gone). */
  bytes: number;
  /** Whether the HDD original's hash was checked. */
  hashChecked: boolean;
  /** Empty directories removed after the copy (never the SSD root). */
  removedDirs: string[];
}

/**
 * Deletes an SSD copy of a model, only when that cannot lose data:
 *
 * - the SSD path is a regular file (not a symlink) and, after resolving
 *   symlinks, lies inside the SSD root (not in its partial-copy directory);
 * - the HDD original exists, is a regular file of `expectedSize` bytes, and
 *   hashes to `expectedHash` when one was recorded and `hashCheck` is on;
 * - the two paths are not the same file (device + inode), and the SSD root
 *   and the HDD root are not the same directory (a symlinked or bind-mounted
 *   SSD directory pointing at the HDD directory), nor is either inside the
 *   other — by device and inode, and by the mount table for bind mounts of
 *   a subdirectory (`tier_alias.ts`).
 *
 * Then it deletes the copy and the directories it leaves empty inside the
 * SSD root. An SSD copy that is already gone is reported, not an error.
 * Needs `--allow-read --allow-write`.
 *
 * @param options The SSD root, both paths, the expected size and hash, dry run.
 * @returns Whether it deleted, how many bytes, and the directories removed.
 * @throws {LlamaPackError} `UNSAFE` (`<what>: <why>`) when any check fails; nothing is deleted then.
 *
 * @example Deleting a copy whose HDD original is intact
 * ```ts
 * import assert from "node:assert/strict";
 * import { deleteSsdCopy } from "./evict.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await Deno.mkdir(`${dir}/hdd`);
 *   await Deno.mkdir(`${dir}/ssd/llm`, { recursive: true });
 *   await Deno.writeTextFile(`${dir}/hdd/m.gguf`, "weights");
 *   await Deno.writeTextFile(`${dir}/ssd/llm/m.gguf`, "weights");
 *   const r = await deleteSsdCopy({
 *     ssdRoot: `${dir}/ssd`,
 *     ssdPath: `${dir}/ssd/llm/m.gguf`,
 *     hddPath: `${dir}/hdd/m.gguf`,
 *     expectedSize: 7,
 *   });
 *   assert(r.deleted && r.bytes === 7 && r.removedDirs.length === 1);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function deleteSsdCopy(options: DeleteSsdCopyOptions): Promise<DeleteSsdCopyResult> {
  try {
    return await checkAndDelete(options);
  } catch (err) {
    if (err instanceof LlamaPackError) throw err;
    throw new LlamaPackError(
      "UNSAFE",
      `refusing to delete ${options.ssdPath}: cannot check it: ${
        err instanceof Error ? err.message : String(err)
      }`,
      { cause: err },
    );
  }
}

async function checkAndDelete(options: DeleteSsdCopyOptions): Promise<DeleteSsdCopyResult> {
  const ssdRoot = resolve(options.ssdRoot);
  const ssdPath = resolve(options.ssdPath);
  const hddPath = resolve(options.hddPath);
  const hddRoot = resolve(options.hddRoot ?? dirname(hddPath));
  const refuse = (why: string, cause?: unknown): LlamaPackError =>
    new LlamaPackError(
      "UNSAFE",
      `refusing to delete ${ssdPath}: ${why}`,
      cause === undefined ? {} : { cause },
    );

  // The SSD side: a regular file inside the SSD root.
  if (!isInside(ssdRoot, ssdPath)) throw refuse(`it is outside the SSD root ${ssdRoot}`);
  const rootInfo = await statOrUndefined(ssdRoot);
  if (!rootInfo?.isDirectory) throw refuse(`the SSD root ${ssdRoot} is not a directory`);
  const ssdInfo = await lstatOrUndefined(ssdPath);
  if (ssdInfo === undefined) {
    return { deleted: false, bytes: 0, hashChecked: false, removedDirs: [] };
  }
  if (ssdInfo.isSymlink) throw refuse("it is a symlink, not a copy");
  if (!ssdInfo.isFile) throw refuse("it is not a regular file");
  const realRoot = await Deno.realPath(ssdRoot);
  const realSsd = await Deno.realPath(ssdPath);
  if (!isInside(realRoot, realSsd)) {
    throw refuse(`it resolves to ${realSsd}, outside the SSD root ${realRoot}`);
  }
  if (isInside(join(realRoot, PARTIAL_DIR), realSsd)) {
    throw refuse(`it is a copy in progress (in ${PARTIAL_DIR}); use cleanup instead`);
  }

  // The HDD side: the original exists, whole.
  const hddInfo = await statOrUndefined(hddPath);
  if (hddInfo === undefined) throw refuse(`its HDD original ${hddPath} does not exist`);
  if (!hddInfo.isFile) throw refuse(`its HDD original ${hddPath} is not a regular file`);
  if (hddInfo.size !== options.expectedSize) {
    throw refuse(
      `its HDD original ${hddPath} has ${hddInfo.size} bytes (${formatSize(hddInfo.size)}), ` +
        `expected ${options.expectedSize} (${formatSize(options.expectedSize)})`,
    );
  }

  // Not the same file, not the same directory tree.
  if (sameFile(ssdInfo, hddInfo)) {
    throw refuse(`it is the same file as its HDD original ${hddPath} (same device and inode)`);
  }
  const hddRootInfo = await statOrUndefined(hddRoot);
  if (hddRootInfo !== undefined && sameFile(rootInfo, hddRootInfo)) {
    throw refuse(`the SSD root ${ssdRoot} is the HDD directory ${hddRoot} (symlink or bind mount)`);
  }
  const realHdd = await Deno.realPath(hddPath);
  if (await anyAncestorIs(dirname(realHdd), rootInfo)) {
    throw refuse(`its HDD original ${hddPath} lies inside the SSD root ${ssdRoot}`);
  }
  if (hddRootInfo !== undefined && (await anyAncestorIs(dirname(realSsd), hddRootInfo))) {
    throw refuse(`the SSD copy lies inside the HDD directory ${hddRoot}`);
  }
  // A bind mount of a directory below the HDD root is invisible to the
  // ancestor walk above; the mount table shows it.
  const overlap = await treeOverlap(ssdRoot, hddRoot);
  if (overlap !== undefined) {
    throw refuse(`the SSD root and the HDD directory are one directory tree (${overlap.why})`);
  }

  // Same content, when a hash was recorded and checking is asked for.
  let hashChecked = false;
  if (options.hashCheck && options.expectedHash !== undefined) {
    const { hash } = await hashFile(hddPath);
    if (hash !== options.expectedHash) {
      throw refuse(
        `its HDD original ${hddPath} hashes to ${hash}, the recorded copy to ${options.expectedHash}`,
      );
    }
    hashChecked = true;
  }

  if (options.dryRun) {
    return { deleted: false, bytes: ssdInfo.size, hashChecked, removedDirs: [] };
  }

  // Still the file we checked (not swapped meanwhile)?
  const again = await lstatOrUndefined(ssdPath);
  if (again === undefined || !again.isFile || !sameFile(again, ssdInfo)) {
    throw refuse("it changed while it was being checked");
  }
  try {
    await Deno.remove(ssdPath);
  } catch (err) {
    throw new LlamaPackError(
      "IO",
      `cannot delete ${ssdPath}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }

  const removedDirs: string[] = [];
  for (let d = dirname(ssdPath); isInside(ssdRoot, d); d = dirname(d)) {
    try {
      await Deno.remove(d); // fails unless empty
      removedDirs.push(d);
    } catch {
      break;
    }
  }
  return { deleted: true, bytes: ssdInfo.size, hashChecked, removedDirs };
}

function sameFile(a: Deno.FileInfo, b: Deno.FileInfo): boolean {
  return a.dev === b.dev && a.ino !== null && a.ino === b.ino;
}

/** Whether `dir` or any of its ancestors is the directory `target` (device + inode). */
async function anyAncestorIs(dir: string, target: Deno.FileInfo): Promise<boolean> {
  for (let d = dir;; d = dirname(d)) {
    const info = await statOrUndefined(d);
    if (info !== undefined && sameFile(info, target)) return true;
    if (dirname(d) === d) return false;
  }
}

/**
 * `--cleanup`'s side of `--pull` downloads: the facts about each download
 * row (its temp file by `partialPathFor`, looked at with `lstat`, its owner,
 * its pull lock) for `core/cleanup_downloads.ts` to decide from, and the
 * removal of one abandoned download — under the file's pull lock, after
 * deciding again from fresh facts, so a pull that started meanwhile wins.
 *
 * @module
 */

import { dirname } from "node:path";
import { ownerAlive } from "../cache/copy_jobs.ts";
import { acquireLock, isLocked } from "../cache/lock.ts";
import {
  type DownloadLeftover,
  type PathKind,
  planDownloadCleanup,
} from "../core/cleanup_downloads.ts";
import type { DownloadRow } from "../core/records.ts";
import type { DownloadTable } from "../state/downloads.ts";
import { partialPathFor, pullLockPath } from "./download_partials.ts";

/** What is at `path`, without following a symlink. */
async function pathKind(path: string): Promise<PathKind> {
  let st: Deno.FileInfo;
  try {
    st = await Deno.lstat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return { kind: "missing" };
    }
    return { kind: "other" };
  }
  if (st.isSymlink) return { kind: "symlink" };
  if (st.isDirectory) return { kind: "dir" };
  if (!st.isFile) return { kind: "other" };
  return { kind: "file", bytes: st.size, mtime: (st.mtime?.getTime() ?? Date.now()) / 1000 };
}

/** The facts about one row. */
async function leftoverOf(row: DownloadRow, stateDir: string): Promise<DownloadLeftover> {
  const hash = row.content_hash ?? null;
  const partialPath = hash ? partialPathFor(row.target_path, { sha256: hash }) : undefined;
  return {
    id: row.id,
    label: row.label,
    state: row.state,
    targetPath: row.target_path,
    partialPath,
    partial: partialPath === undefined ? { kind: "other" } : await pathKind(partialPath),
    dir: await pathKind(dirname(row.target_path)),
    ownerAlive: ownerAlive({ pid: row.pid, owner_start: row.owner_start }),
    locked: await isLocked(pullLockPath(stateDir, row.target_path)),
    updatedAt: row.updated_at,
  };
}

/**
 * The facts `--cleanup` decides abandoned downloads from: every download
 * row that is not done, with its temp file, directory, owner and lock.
 * Needs `--allow-read` (for `/proc` too).
 *
 * @param downloads The table (`store.downloads`).
 * @param stateDir The state directory (for the pull locks).
 * @returns One entry per row.
 *
 * @example No rows, no facts
 * ```ts
 * import assert from "node:assert/strict";
 * import { StateStore } from "../state/store.ts";
 * import { downloadLeftovers } from "./abandoned_downloads.ts";
 * const dir = await Deno.makeTempDir();
 * const store = StateStore.open(dir);
 * assert.deepEqual(await downloadLeftovers(store.downloads, dir), []);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function downloadLeftovers(
  downloads: DownloadTable,
  stateDir: string,
): Promise<DownloadLeftover[]> {
  const out: DownloadLeftover[] = [];
  for (const row of downloads.all(["downloading", "interrupted", "failed"])) {
    out.push(await leftoverOf(row, stateDir));
  }
  return out;
}

/** What {@linkcode removeAbandonedDownload} did. */
export type RemovedDownload =
  | { removed: true; bytes: number }
  | { removed: false; why: string };

/**
 * Removes one abandoned download: takes the file's pull lock (without
 * waiting), decides again from fresh facts with the same rules, removes the
 * temp file (a regular file; a symlink is never followed) and forgets the row.
 *
 * @param downloads The table.
 * @param stateDir The state directory.
 * @param id The row.
 * @param partialDays `cleanup.partial_days`.
 * @param now The time, unix seconds.
 * @returns The bytes freed, or why it was kept.
 *
 * @example A row that is not there any more is kept (nothing to do)
 * ```ts
 * import assert from "node:assert/strict";
 * import { StateStore } from "../state/store.ts";
 * import { removeAbandonedDownload } from "./abandoned_downloads.ts";
 * const dir = await Deno.makeTempDir();
 * const store = StateStore.open(dir);
 * const r = await removeAbandonedDownload(store.downloads, dir, 7, 7, 1e9);
 * assert.deepEqual(r, { removed: false, why: "its record changed meanwhile" });
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function removeAbandonedDownload(
  downloads: DownloadTable,
  stateDir: string,
  id: number,
  partialDays: number,
  now: number,
): Promise<RemovedDownload> {
  const first = downloads.get(id);
  if (first === undefined) return { removed: false, why: "its record changed meanwhile" };
  const lock = await acquireLock(pullLockPath(stateDir, first.target_path), {
    wait: false,
    removeOnRelease: true,
    note: `cleanup of ${first.target_path}`,
  });
  if (lock === null) return { removed: false, why: "a pull of it is running" };
  try {
    const row = downloads.get(id);
    if (row === undefined || row.updated_at !== first.updated_at) {
      return { removed: false, why: "its record changed meanwhile" };
    }
    const fact = { ...(await leftoverOf(row, stateDir)), locked: false };
    const [item] = planDownloadCleanup([fact], partialDays, now);
    if (item === undefined) return { removed: false, why: "it is not abandoned any more" };
    let bytes = 0;
    if (fact.partial.kind === "file" && fact.partialPath !== undefined) {
      // Deno.remove never follows a symlink: at worst it removes a link planted meanwhile.
      await Deno.remove(fact.partialPath);
      bytes = fact.partial.bytes;
    }
    downloads.remove([id]);
    return { removed: true, bytes };
  } finally {
    await lock.release();
  }
}

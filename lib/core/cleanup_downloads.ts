/**
 * Which abandoned `--pull` downloads `--cleanup` removes (pure: the owner
 * checks, what is on disk and the clock are arguments). A download's hidden
 * temp file goes only when every one of these holds:
 *
 * - its path is exactly the one the download row names (`partialPathFor` of
 *   the row's target and recorded hash; a row without a hash is left alone),
 *   directly inside the target's directory, which is a real directory;
 * - what is at that path is a regular file (a symlink is never followed);
 * - the row is `interrupted` or `failed`, or `downloading` with its owner
 *   gone; no live process owns it and no pull holds the file's lock;
 * - the row and the file were last written more than
 *   `cleanup.partial_days` ago.
 *
 * Removing the file forgets the row; a row whose temp file is already gone
 * is forgotten under the same conditions. A final-named file is never an
 * item, nor is anything that is not exactly the row's temp file.
 *
 * @module
 */

import type { CleanupItem } from "./cleanup.ts";
import type { DownloadRow } from "./records.ts";

/** Days after which an abandoned download's temp file goes, when the config does not say. */
export const DEFAULT_PARTIAL_DAYS = 7;

/** What is at a path, looked at without following a symlink. */
export type PathKind =
  | { kind: "file"; bytes: number; /** Last modified, unix seconds. */ mtime: number }
  | { kind: "dir" }
  | { kind: "symlink" }
  | { kind: "other" }
  | { kind: "missing" };

/** One download row and what is on disk for it: the facts {@linkcode planDownloadCleanup} decides from. */
export interface DownloadLeftover {
  /** The row id. */
  id: number;
  /** `owner/name:QUANT`. */
  label: string;
  /** The row's state. */
  state: DownloadRow["state"];
  /** The file's final path, as recorded. */
  targetPath: string;
  /** The temp file the row names (`partialPathFor`), `undefined` when the row has no hash. */
  partialPath: string | undefined;
  /** What is at `partialPath` (lstat). */
  partial: PathKind;
  /** What the target's directory is (lstat). */
  dir: PathKind;
  /** The process recorded as owner still runs (same pid and start time). */
  ownerAlive: boolean;
  /** A pull holds the file's download lock. */
  locked: boolean;
  /** The row's last update, unix seconds. */
  updatedAt: number;
}

function days(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  return `${d} day${d === 1 ? "" : "s"}`;
}

/** `a/b/.c` is directly inside `a/b` (and is not the target itself). */
function directlyInside(dir: string, path: string): boolean {
  const prefix = dir.endsWith("/") ? dir : `${dir}/`;
  const rest = path.slice(prefix.length);
  return path.startsWith(prefix) && rest.length > 0 && !rest.includes("/") && rest !== "." &&
    rest !== "..";
}

/**
 * Decides which abandoned downloads `--cleanup` removes.
 *
 * @param rows Each download row with what is on disk for it.
 * @param partialDays `cleanup.partial_days`.
 * @param now The time, unix seconds.
 * @returns Items of kind `download` (target: the row id; label: the temp
 *   file, or the record when the file is gone), by row id.
 *
 * @example An interrupted download's temp file after 10 days; a running one stays
 * ```ts
 * import assert from "node:assert/strict";
 * import { planDownloadCleanup } from "./cleanup_downloads.ts";
 * const row = { id: 1, label: "o/m:Q8_0", state: "interrupted" as const,
 *   targetPath: "/hdd/o/m/m-Q8_0.gguf", partialPath: "/hdd/o/m/.m-Q8_0.gguf.abababababababab.llama-pack-download",
 *   partial: { kind: "file" as const, bytes: 5e9, mtime: 0 }, dir: { kind: "dir" as const },
 *   ownerAlive: false, locked: false, updatedAt: 0 };
 * const running = { ...row, id: 2, state: "downloading" as const, ownerAlive: true };
 * const items = planDownloadCleanup([row, running], 7, 10 * 86400);
 * assert.deepEqual(items.map((i) => [i.target, i.bytes]), [["1", 5e9]]);
 * ```
 */
export function planDownloadCleanup(
  rows: readonly DownloadLeftover[],
  partialDays: number,
  now: number,
): CleanupItem[] {
  const age = partialDays * 86400;
  const items: CleanupItem[] = [];
  for (const r of [...rows].sort((a, b) => a.id - b.id)) {
    if (r.state === "done" || r.ownerAlive || r.locked) continue;
    if (r.partialPath === undefined || now - r.updatedAt <= age) continue;
    const slash = r.targetPath.lastIndexOf("/");
    if (slash <= 0) continue;
    const dir = r.targetPath.slice(0, slash);
    if (!directlyInside(dir, r.partialPath) || r.partialPath === r.targetPath) continue;
    const how = r.state === "downloading" ? "its process died" : r.state;
    if (r.partial.kind === "missing") {
      items.push({
        kind: "download",
        target: String(r.id),
        label: `download record ${r.id} (${r.label}: ${r.targetPath})`,
        bytes: 0,
        reason: `its temp file is gone (${how} ${days(now - r.updatedAt)} ago)`,
      });
      continue;
    }
    if (r.partial.kind !== "file" || r.dir.kind !== "dir") continue;
    if (now - r.partial.mtime <= age) continue;
    items.push({
      kind: "download",
      target: String(r.id),
      label: r.partialPath,
      bytes: r.partial.bytes,
      reason: `left by a download of ${r.label} (${how} ${days(now - r.updatedAt)} ago)`,
    });
  }
  return items;
}

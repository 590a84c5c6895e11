/**
 * OS errors (no space, quota, read-only, permission, not found) in the words
 * a user needs, for the copy and cleanup messages.
 *
 * @module
 */

import { formatSize } from "../core/units.ts";

/**
 * Turns an OS error into the words a user needs.
 *
 * @param err The error thrown by a file-system call.
 * @param root The disk or directory to name in the message.
 * @param size The bytes the operation needed, named when the disk is full.
 * @returns A short reason, e.g. `no space left on /ssd (needs 4.0 GiB)`.
 *
 * @example Naming a full disk and a read-only one
 * ```ts
 * import assert from "node:assert/strict";
 * import { osReason } from "./os_errors.ts";
 * const full = Object.assign(new Error("write"), { code: "ENOSPC" });
 * assert(osReason(full, "/ssd", 4 * 1024 ** 3) === "no space left on /ssd (needs 4.0 GiB)");
 * const ro = Object.assign(new Error("open"), { code: "EROFS" });
 * assert(osReason(ro) === "the SSD is on a read-only file system");
 * assert(osReason(new Error("odd")) === "odd");
 * ```
 */
export function osReason(err: unknown, root?: string, size?: number): string {
  const code = (err as { code?: unknown })?.code;
  const where = root ?? "the SSD";
  switch (code) {
    case "ENOSPC":
      return `no space left on ${where}` +
        (size === undefined ? "" : ` (needs ${formatSize(size)})`);
    case "EDQUOT":
      return `disk quota exceeded on ${where}`;
    case "EROFS":
      return `${where} is on a read-only file system`;
    case "EACCES":
    case "EPERM":
      return `permission denied (${err instanceof Error ? err.message : String(err)})`;
    case "ENOENT":
      return `not found (${err instanceof Error ? err.message : String(err)})`;
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

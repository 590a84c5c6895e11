/**
 * A file's identity — device, inode, size, mtime and ctime — and the
 * comparisons the copy protocol and the serve-time check make with it. The
 * ctime is what catches a file rewritten in place with its mtime restored
 * afterwards (`rsync --inplace -t`): every write changes it and no user tool
 * sets it back.
 *
 * Deno's `stat` reports the ctime in whole seconds only, so on Linux it is
 * read to the nanosecond with `statx(2)` from the C library (through
 * `Deno.dlopen`; `--allow-all` grants it). Where that is not possible it is
 * compared in whole seconds. Either way a copy starts reading its source only
 * once the clock is past its ctime by a margin (`waitQuiet`): a write during
 * the copy then always gets a later ctime.
 *
 * @module
 */

import type { FileIdentity } from "../core/records.ts";

export type { FileIdentity } from "../core/records.ts";

/** How far past a source's ctime the clock must be before a copy reads it (a few kernel ticks). */
export const QUIET_MARGIN_MS = 50;

/** `statx(2)` through the C library, or `null` where it cannot be loaded. */
let statx:
  | ((path: Uint8Array, flags: number, mask: number, buf: Uint8Array) => number)
  | null
  | undefined;

function loadStatx(): typeof statx {
  if (statx !== undefined) return statx;
  statx = null;
  if (Deno.build.os !== "linux") return statx;
  for (const name of ["libc.so.6", "libc.so"]) {
    try {
      const lib = Deno.dlopen(name, {
        statx: { parameters: ["i32", "buffer", "i32", "u32", "buffer"], result: "i32" },
      });
      statx = (path, flags, mask, buf) => lib.symbols.statx(-100, path, flags, mask, buf);
      break;
    } catch {
      // not this name, or no permission: whole seconds it is
    }
  }
  return statx;
}

/**
 * A file's ctime in milliseconds with its nanoseconds (`statx`), or
 * `undefined` when that cannot be read here.
 *
 * @param path The file.
 * @param follow Follow a final symlink (`stat`), or not (`lstat`).
 * @returns Milliseconds since the epoch, fractional.
 */
function preciseCtimeMs(path: string, follow: boolean): number | undefined {
  const call = loadStatx();
  if (!call) return undefined;
  const buf = new Uint8Array(256);
  // AT_SYMLINK_NOFOLLOW = 0x100; STATX_CTIME = 0x80.
  if (call(new TextEncoder().encode(path + "\0"), follow ? 0 : 0x100, 0x80, buf) !== 0) {
    return undefined;
  }
  const view = new DataView(buf.buffer);
  if ((view.getUint32(0, true) & 0x80) === 0) return undefined; // no ctime reported
  // struct statx: stx_ctime at offset 96 (tv_sec: i64, tv_nsec: u32).
  return Number(view.getBigInt64(96, true)) * 1000 + view.getUint32(104, true) / 1e6;
}

/** Whole seconds when either side only has whole seconds. */
function sameCtime(a: number, b: number): boolean {
  if (a % 1000 === 0 || b % 1000 === 0) return Math.floor(a / 1000) === Math.floor(b / 1000);
  return a === b;
}

/**
 * The identity in a `Deno.FileInfo`.
 *
 * @param st What `Deno.stat` returned.
 * @returns Device, inode, size, mtime and ctime (0 where the platform has none).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { identityOfInfo } from "./file_identity.ts";
 * const id = identityOfInfo(await Deno.stat(Deno.execPath()));
 * assert(id.ino > 0 && id.size > 0 && id.ctimeMs > 0);
 * ```
 */
export function identityOfInfo(st: Deno.FileInfo): FileIdentity {
  return {
    dev: st.dev,
    ino: st.ino ?? 0,
    size: st.size,
    mtimeMs: st.mtime?.getTime() ?? 0,
    ctimeMs: st.ctime?.getTime() ?? 0,
  };
}

/**
 * Reads a file's identity (following symlinks), its ctime to the nanosecond
 * where `statx` can be called. Needs `--allow-read` (and `--allow-ffi` for
 * the precise ctime).
 *
 * @param path The file.
 * @returns Its identity.
 * @throws The OS error when it cannot be read (e.g. `Deno.errors.NotFound`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fileIdentity } from "./file_identity.ts";
 * const file = await Deno.makeTempFile();
 * await Deno.writeTextFile(file, "GGUF");
 * assert((await fileIdentity(file)).size === 4);
 * await Deno.remove(file);
 * ```
 */
export async function fileIdentity(path: string): Promise<FileIdentity> {
  const id = identityOfInfo(await Deno.stat(path));
  const ctimeMs = preciseCtimeMs(path, true);
  return ctimeMs === undefined ? id : { ...id, ctimeMs };
}

/**
 * What changed between two identities of a file, in words, or `undefined`
 * when nothing did. The ctime is compared exactly, or in whole seconds when
 * one side was read without `statx`; `ctime: false` leaves it out (an SSD
 * copy's ctime changes when it is linked into place). A device number alone
 * is not a change: it can differ after a reboot that detected the disks in
 * another order, and the same inode with the same size, mtime and ctime is
 * the same file.
 *
 * @param was The recorded identity.
 * @param now The current one.
 * @param options Whether to compare the ctime.
 * @returns E.g. `"it was modified (ctime)"`, or `undefined`.
 *
 * @example A rewrite with the mtime put back
 * ```ts
 * import assert from "node:assert/strict";
 * import { identityChange } from "./file_identity.ts";
 * const was = { dev: 1, ino: 2, size: 3, mtimeMs: 4000, ctimeMs: 5000 };
 * assert(identityChange(was, { ...was }) === undefined);
 * assert(identityChange(was, { ...was, ctimeMs: 9000 }) === "it was modified (ctime)");
 * assert(identityChange(was, { ...was, ctimeMs: 9000 }, { ctime: false }) === undefined);
 * assert(identityChange(was, { ...was, ino: 7 }) === "it was replaced by another file");
 * assert(identityChange(was, { ...was, dev: 9 }) === undefined); // the disk renumbered
 * ```
 */
export function identityChange(
  was: FileIdentity,
  now: FileIdentity,
  options: { ctime?: boolean } = {},
): string | undefined {
  if (now.ino !== was.ino) return "it was replaced by another file";
  if (now.size !== was.size) return `its size changed (${was.size} -> ${now.size} bytes)`;
  if (now.mtimeMs !== was.mtimeMs) return "it was modified (mtime)";
  if ((options.ctime ?? true) && !sameCtime(was.ctimeMs, now.ctimeMs)) {
    return "it was modified (ctime)";
  }
  return undefined;
}

/**
 * Waits until the clock is past a file's ctime by {@linkcode QUIET_MARGIN_MS}
 * (past the end of its second, when only whole seconds are known), so any
 * later write to it gets a later ctime; at most `maxWaitMs` (a file written
 * all the time is not waited for forever: its change is caught by the check
 * after the copy). A ctime in the future (a clock that differs, e.g. over
 * NFS) is not waited for.
 *
 * @param path The file.
 * @param options The clock and the longest wait.
 * @returns The file's identity once it is quiet (or the wait ran out).
 * @throws The OS error when it cannot be read.
 *
 * @example A file written long ago needs no wait
 * ```ts
 * import assert from "node:assert/strict";
 * import { waitQuiet } from "./file_identity.ts";
 * const started = Date.now();
 * await waitQuiet(Deno.execPath());
 * assert(Date.now() - started < 1000);
 * ```
 */
export async function waitQuiet(
  path: string,
  options: { now?: () => number; maxWaitMs?: number } = {},
): Promise<FileIdentity> {
  const now = options.now ?? Date.now;
  const deadline = now() + (options.maxWaitMs ?? 3000);
  for (;;) {
    const id = await fileIdentity(path);
    const quietAt = (id.ctimeMs % 1000 === 0 ? id.ctimeMs + 1000 : id.ctimeMs) + QUIET_MARGIN_MS;
    const wait = quietAt - now();
    if (wait <= 0 || wait > 1000 + QUIET_MARGIN_MS || now() >= deadline) return id;
    await new Promise((r) => setTimeout(r, Math.min(wait, deadline - now())));
  }
}

/**
 * What a loading server shows of its work (Linux `/proc`): CPU time, bytes
 * read from storage and resident memory. Two readings tell whether a slow
 * load is still progressing (`loadProgressed` in `lib/core/load_timeout.ts`),
 * so a model on a slow disk gets more time while it makes progress.
 *
 * @module
 */

import type { LoadSignals } from "../core/load_timeout.ts";

/**
 * Parses `/proc/<pid>/stat` and `/proc/<pid>/io` into load signals.
 *
 * @param stat The text of `/proc/<pid>/stat`.
 * @param io The text of `/proc/<pid>/io` (empty when unreadable).
 * @returns The signals, or `undefined` when `stat` is malformed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseLoadSignals } from "./load_signals.ts";
 * const stat = "7 (llama-server) R 1 7 7 0 -1 0 0 0 0 0 120 30 0 0 20 0 4 0 100 1000 2500";
 * const s = parseLoadSignals(stat, "rchar: 10\nread_bytes: 4096\n");
 * assert.deepEqual(s, { cpuTicks: 150, readBytes: 4096, rssPages: 2500 });
 * ```
 */
export function parseLoadSignals(stat: string, io: string): LoadSignals | undefined {
  const close = stat.lastIndexOf(")");
  if (close < 0) return undefined;
  // After ")": field 3 is index 0, so utime (14) is 11, stime (15) 12, rss (24) 21.
  const f = stat.slice(close + 2).trim().split(/\s+/);
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  const rss = Number(f[21]);
  if (![utime, stime, rss].every(Number.isFinite)) return undefined;
  const read = /^read_bytes:\s*(\d+)/m.exec(io);
  return { cpuTicks: utime + stime, readBytes: read ? Number(read[1]) : 0, rssPages: rss };
}

/**
 * Reads a process's load signals.
 *
 * @param pid The process.
 * @returns The signals, or `undefined` when the process is gone.
 *
 * @example Our own signals
 * ```ts
 * import assert from "node:assert/strict";
 * import { readLoadSignals } from "./load_signals.ts";
 * assert((readLoadSignals(Deno.pid)?.rssPages ?? 0) > 0);
 * ```
 */
export function readLoadSignals(pid: number): LoadSignals | undefined {
  let stat: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  } catch {
    return undefined;
  }
  let io = "";
  try {
    io = Deno.readTextFileSync(`/proc/${pid}/io`);
  } catch {
    // not ours to read, or gone: CPU time and memory still tell
  }
  return parseLoadSignals(stat, io);
}

/**
 * A process's resident memory (`VmRSS` of `/proc/<pid>/status`), in bytes.
 *
 * @param pid The process.
 * @returns Its resident bytes, or `undefined` when the process is gone or
 *   unreadable.
 *
 * @example Our own memory
 * ```ts
 * import assert from "node:assert/strict";
 * import { residentBytes } from "./load_signals.ts";
 * assert((residentBytes(Deno.pid) ?? 0) > 1024 * 1024);
 * ```
 */
export function residentBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s*(\d+)\s*kB/m.exec(Deno.readTextFileSync(`/proc/${pid}/status`));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

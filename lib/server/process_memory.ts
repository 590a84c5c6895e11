/**
 * How much memory a server uses: the resident set (`VmRSS` in
 * `/proc/<pid>/status`) of every process in its process group. A model that
 * is memory-mapped counts as it is paged in. Linux only; needs `--allow-all`
 * for `/proc`.
 *
 * @module
 */

import { processGroupMembers } from "./process_identity.ts";

/**
 * The resident memory of one process.
 *
 * @param pid The process.
 * @returns Bytes, or `undefined` when the process is gone or unreadable.
 *
 * @example This process uses some memory
 * ```ts
 * import assert from "node:assert/strict";
 * import { residentBytes } from "./process_memory.ts";
 * assert((residentBytes(Deno.pid) ?? 0) > 1024 * 1024);
 * ```
 */
export function residentBytes(pid: number): number | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(`/proc/${pid}/status`);
  } catch {
    return undefined;
  }
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}

/**
 * The resident memory of a process group (a server and any helpers it started).
 *
 * @param pgid The group id (a llama-pack server's pid: it leads its own group).
 * @returns Bytes, or `undefined` when no member could be read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { groupResidentBytes } from "./process_memory.ts";
 * assert(groupResidentBytes(2 ** 22 + 9) === undefined);
 * ```
 */
export function groupResidentBytes(pgid: number): number | undefined {
  let total: number | undefined;
  for (const pid of processGroupMembers(pgid)) {
    const rss = residentBytes(pid);
    if (rss !== undefined) total = (total ?? 0) + rss;
  }
  return total;
}

/**
 * Background copy jobs: the lock that lets one copy run at a time, who owns
 * a job (a live process: pid and start time), and the reaping of jobs whose
 * owner died.
 *
 * @module
 */

import { join } from "node:path";
import { isDeadState, readProcStat } from "../server/process_identity.ts";
import type { CopyJobRow, ProcessOwner, StateStore } from "../state/store.ts";

/**
 * The lock file that lets one copy to the SSD run at a time.
 *
 * @param stateDir The state directory.
 * @returns `<stateDir>/copy.lock`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { copyLockPath } from "./copy_jobs.ts";
 * assert(copyLockPath("/state") === "/state/copy.lock");
 * ```
 */
export function copyLockPath(stateDir: string): string {
  return join(stateDir, "copy.lock");
}

/**
 * The identity of a live process as the owner of a job: its pid and start
 * time. Needs `--allow-read` for `/proc`.
 *
 * @param pid The process; this one by default.
 * @returns Its pid and start time, or `undefined` when it is not running.
 *
 * @example This process
 * ```ts
 * import assert from "node:assert/strict";
 * import { processOwner } from "./copy_jobs.ts";
 * assert(processOwner()?.pid === Deno.pid);
 * ```
 */
export function processOwner(pid: number = Deno.pid): ProcessOwner | undefined {
  const stat = readProcStat(pid);
  if (stat === undefined || isDeadState(stat.state)) return undefined;
  return { pid, startTime: stat.startTime };
}

/**
 * Whether the process that owns a job still runs: same pid, same start time
 * (when recorded), not a zombie.
 *
 * @param job The job's owner fields.
 * @returns `false` for a job without an owner, or whose owner is gone.
 *
 * @example A job owned by this process
 * ```ts
 * import assert from "node:assert/strict";
 * import { ownerAlive, processOwner } from "./copy_jobs.ts";
 * const me = processOwner()!;
 * assert(ownerAlive({ pid: me.pid, owner_start: String(me.startTime) }));
 * assert(!ownerAlive({ pid: me.pid, owner_start: String(me.startTime + 1) }));
 * assert(!ownerAlive({ pid: null, owner_start: null }));
 * ```
 */
export function ownerAlive(job: Pick<CopyJobRow, "pid" | "owner_start">): boolean {
  if (job.pid === null) return false;
  const now = processOwner(job.pid);
  if (now === undefined) return false;
  return job.owner_start === null || Number(job.owner_start) === now.startTime;
}

/**
 * Marks copy jobs whose owner is gone as failed: a `queued` or `copying` job
 * is owned from the moment it exists (by who queued it, then by its copier),
 * so a job whose owning process no longer runs (killed, crashed, never
 * started) is dead at once and never blocks its model. A job without an
 * owner (queued by an older llama-pack) is dead too.
 *
 * @param store The state store.
 * @param now Unix seconds.
 * @returns The jobs marked failed.
 *
 * @example Nothing to reap in an empty store
 * ```ts
 * import assert from "node:assert/strict";
 * import { StateStore } from "../state/store.ts";
 * import { reapStaleJobs } from "./copy_jobs.ts";
 * const dir = await Deno.makeTempDir();
 * const store = StateStore.open(dir);
 * assert(reapStaleJobs(store, 0).length === 0);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function reapStaleJobs(store: StateStore, now: number): CopyJobRow[] {
  const reaped: CopyJobRow[] = [];
  for (const job of store.copyJobs(["queued", "copying"])) {
    if (ownerAlive(job)) continue;
    const why = job.pid === null
      ? "nobody owns the job (queued by an older llama-pack)"
      : `the copier (pid ${job.pid}) stopped before finishing`;
    store.updateCopyJob(job.id, { state: "failed", message: why, now });
    reaped.push(job);
  }
  return reaped;
}

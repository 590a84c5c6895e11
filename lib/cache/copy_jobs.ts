/**
 * Background copy jobs: the lock that lets one copy run at a time, and the
 * reaping of jobs whose copier died or never started.
 *
 * @module
 */

import { join } from "node:path";
import { readProcessIdentity } from "../server/process_identity.ts";
import type { CopyJobRow, StateStore } from "../state/store.ts";

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
 * Marks copy jobs whose copier is gone as failed: a `copying` or `queued`
 * job whose process no longer runs (killed, crashed), or a `queued` job that
 * no copier took within `maxQueuedSeconds`. Without this a dead copier's job
 * would block promotion of its model for ever.
 *
 * @param store The state store.
 * @param now Unix seconds.
 * @param options How long a job may wait for its copier to start.
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
export function reapStaleJobs(
  store: StateStore,
  now: number,
  options: { maxQueuedSeconds?: number } = {},
): CopyJobRow[] {
  const maxQueued = options.maxQueuedSeconds ?? 600;
  const reaped: CopyJobRow[] = [];
  for (const job of store.copyJobs(["queued", "copying"])) {
    let why: string | undefined;
    if (job.pid !== null && readProcessIdentity(job.pid) === undefined) {
      why = `the copier (pid ${job.pid}) stopped before finishing`;
    } else if (job.pid === null && now - job.created_at > maxQueued) {
      why = "no copier took the job";
    }
    if (why) {
      store.updateCopyJob(job.id, { state: "failed", message: why, now });
      reaped.push(job);
    }
  }
  return reaped;
}

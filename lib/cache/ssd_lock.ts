/**
 * The SSD lock: one lock file in the state directory that serialises
 * "choose an SSD copy and start a server on it" (`-m`) with "delete an SSD
 * copy" (eviction). A server is recorded before the lock is released, and
 * eviction looks for servers using a copy while it holds the lock, so a copy
 * a starting server has chosen is never deleted under it. Both sides hold
 * the lock only for moments (never while a model loads or a copy runs).
 *
 * @module
 */

import { join } from "node:path";
import { acquireLock } from "./lock.ts";

/**
 * The SSD lock's file.
 *
 * @param stateDir The state directory.
 * @returns `<stateDir>/ssd.lock`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ssdLockPath } from "./ssd_lock.ts";
 * assert(ssdLockPath("/state") === "/state/ssd.lock");
 * ```
 */
export function ssdLockPath(stateDir: string): string {
  return join(stateDir, "ssd.lock");
}

/**
 * Runs `fn` holding the SSD lock (waiting for it). Needs `--allow-read --allow-write`.
 *
 * @param stateDir The state directory.
 * @param note What the holder does, for others waiting.
 * @param fn The work.
 * @returns What `fn` returns.
 * @throws {LlamaPackError} `IO`/`DISK_FULL` when the lock cannot be taken; what `fn` throws.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { withSsdLock } from "./ssd_lock.ts";
 * const dir = await Deno.makeTempDir();
 * assert(await withSsdLock(dir, "test", () => Promise.resolve(7)) === 7);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function withSsdLock<T>(
  stateDir: string,
  note: string,
  fn: () => Promise<T>,
): Promise<T> {
  const lock = (await acquireLock(ssdLockPath(stateDir), { note, removeOnRelease: true }))!;
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

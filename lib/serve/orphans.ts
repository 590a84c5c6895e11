/**
 * What a new `--serve` does about servers a dead one left behind: a
 * `--serve` killed with SIGKILL (or lost with its machine's power) cannot
 * stop its children; the next one finds them by their owner in the state
 * store and stops them (SIGTERM → grace → SIGKILL, never a process that is
 * not the recorded one), closing their uses with their durations.
 *
 * @module
 */

import type { ServerRow, StateStore } from "../state/store.ts";
import { pruneServers, stopRecordedServer } from "../server/records.ts";
import { isOrphan, liveServes } from "../server/serve_records.ts";

/** One orphan stopped. */
export interface StoppedOrphan {
  /** Its row. */
  row: ServerRow;
  /** What the stop did. */
  outcome: string;
}

/**
 * Stops every server whose `--serve` is gone.
 *
 * @param store The state store.
 * @param options Grace period and clock.
 * @returns The orphans found and what happened to each.
 *
 * @example Nothing to do in a new store
 * ```ts
 * import assert from "node:assert/strict";
 * import { StateStore } from "../state/store.ts";
 * import { stopOrphans } from "./orphans.ts";
 * const dir = await Deno.makeTempDir();
 * const store = StateStore.open(dir);
 * assert((await stopOrphans(store, { graceMs: 10, now: 0 })).length === 0);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function stopOrphans(
  store: StateStore,
  options: { graceMs: number; now: number },
): Promise<StoppedOrphan[]> {
  const serves = liveServes(store);
  const { live } = pruneServers(store);
  const orphans = live.filter((row) => isOrphan(row, serves));
  return await Promise.all(orphans.map(async (row) => ({
    row,
    outcome: (await stopRecordedServer(store, row, options)).outcome,
  })));
}

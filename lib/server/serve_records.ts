/**
 * Which servers belong to a `llama-pack --serve` (pure reading of the state
 * store plus `/proc` checks): the live `--serve` processes, the owner of a
 * server row, and the servers whose `--serve` is gone (orphans to stop).
 *
 * @module
 */

import type { ServeRow, ServerRow, StateStore } from "../state/store.ts";
import { isSameProcess } from "./process_identity.ts";
import { identityOf } from "./records.ts";

/**
 * The `--serve` processes still running; rows of dead ones are forgotten.
 *
 * @param store The state store.
 * @returns The live rows.
 *
 * @example None in a new store
 * ```ts
 * import assert from "node:assert/strict";
 * import { StateStore } from "../state/store.ts";
 * import { liveServes } from "./serve_records.ts";
 * const dir = await Deno.makeTempDir();
 * const store = StateStore.open(dir);
 * store.serves.add({ host: "127.0.0.1", port: 1, pid: 2 ** 22 + 5, start_time: "1", cmdline: "x", started_at: 0 });
 * assert(liveServes(store).length === 0 && store.serves.all().length === 0);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function liveServes(store: StateStore): ServeRow[] {
  const live: ServeRow[] = [];
  for (const row of store.serves.all()) {
    if (isSameProcess(identityOf(row))) live.push(row);
    else store.serves.remove(row.host, row.port, row.pid);
  }
  return live;
}

/**
 * The live `--serve` that owns a server, if any.
 *
 * @param row The server.
 * @param serves The live `--serve` processes.
 * @returns Its owner, or `undefined` (a `-m` server, or an orphan).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ownerOf } from "./serve_records.ts";
 * const serve = { host: "127.0.0.1", port: 8080, pid: 9, start_time: "1", cmdline: "x", started_at: 0 };
 * assert(ownerOf({ owner_pid: 9 } as never, [serve]) === serve);
 * assert(ownerOf({ owner_pid: null } as never, [serve]) === undefined);
 * ```
 */
export function ownerOf(row: ServerRow, serves: readonly ServeRow[]): ServeRow | undefined {
  if (row.owner_pid === null || row.owner_pid === undefined) return undefined;
  return serves.find((s) => s.pid === row.owner_pid);
}

/**
 * Whether a server was started by a `--serve` that is no longer running.
 *
 * @param row The server.
 * @param serves The live `--serve` processes.
 * @returns `true` for an orphan.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isOrphan } from "./serve_records.ts";
 * assert(isOrphan({ owner_pid: 9 } as never, []));
 * assert(!isOrphan({ owner_pid: null } as never, []));
 * ```
 */
export function isOrphan(row: ServerRow, serves: readonly ServeRow[]): boolean {
  return row.owner_pid !== null && row.owner_pid !== undefined && !ownerOf(row, serves);
}

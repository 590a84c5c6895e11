/**
 * The recorded servers (the state store's `servers` table) checked against
 * the live processes: which are still running, which are stale, and how to
 * stop one and close its use. Shared by `-m`, `--status` and `-k`.
 *
 * @module
 */

import type { ServerRow, StateStore } from "../state/store.ts";
import { isSameProcess, type ProcessIdentity } from "./process_identity.ts";
import { type StopResult, stopServer, type StopServerOptions } from "./stop_server.ts";

/**
 * The identity stored in a server row. The command line is stored as a JSON
 * array; a value that is not one (a damaged row) gives an empty command line,
 * which {@linkcode isSameProcess} never matches, so such a row is never
 * signalled.
 *
 * @param row The row.
 * @returns Its pid, start time and command line.
 *
 * The command line is stored as a JSON array (SQLite text ends at a NUL,
 * so the NUL-joined form older versions wrote kept only the binary; such a
 * row still reads, as the binary alone).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { identityOf } from "./records.ts";
 * const id = identityOf({ pid: 7, start_time: "123", cmdline: '["llama-server","-m","x.gguf"]' });
 * assert(id.startTime === 123 && id.cmdline.length === 3);
 * assert(identityOf({ pid: 7, start_time: "123", cmdline: "llama-server" }).cmdline.length === 0);
 * ```
 */
export function identityOf(
  row: Pick<ServerRow, "pid" | "start_time" | "cmdline">,
): ProcessIdentity {
  return { pid: row.pid, startTime: Number(row.start_time), cmdline: cmdlineOf(row.cmdline) };
}

/**
 * A stored command line as its arguments.
 *
 * @param text The `cmdline` column: a JSON array of strings (migration 2 rewrote older rows).
 * @returns The binary and its arguments; none for a damaged row, which then matches no process.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cmdlineOf } from "./records.ts";
 * assert.deepEqual(cmdlineOf('["a","b c"]'), ["a", "b c"]);
 * assert.deepEqual(cmdlineOf("a"), []);
 * ```
 */
export function cmdlineOf(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value) && value.every((a) => typeof a === "string")) return value;
  } catch {
    // not JSON: a damaged row
  }
  return [];
}

/**
 * The row fields that record a process identity; the command line as a JSON
 * array, so every argument (and any character in it) round-trips.
 *
 * @param identity The identity.
 * @returns `pid`, `start_time` and `cmdline` as stored.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { identityFields, identityOf } from "./records.ts";
 * const fields = identityFields({ pid: 7, startTime: 9, cmdline: ["a", "b c", "\u0000"] });
 * assert.deepEqual(identityOf(fields).cmdline, ["a", "b c", "\u0000"]);
 * ```
 */
export function identityFields(
  identity: ProcessIdentity,
): Pick<ServerRow, "pid" | "start_time" | "cmdline"> {
  return {
    pid: identity.pid,
    start_time: String(identity.startTime),
    cmdline: JSON.stringify(identity.cmdline),
  };
}

/**
 * Records a server that still waits behind its gate, or stops it: a server
 * never runs unrecorded (a full state disk, a locked database). The row gets
 * the process's identity; the caller opens the gate once this returns.
 *
 * @param store The state store.
 * @param proc The spawned, held server.
 * @param row The row without its identity fields.
 * @returns The row as recorded.
 * @throws Whatever recording threw, after the held server was stopped.
 *
 * @example A failed record stops the held server
 * ```ts
 * import assert from "node:assert/strict";
 * import { recordHeldServer } from "./records.ts";
 * let aborted = false;
 * const store = { addServer() { throw new Error("disk full"); } } as never;
 * const proc = { identity: { pid: 1, startTime: 1, cmdline: ["x", "y"] }, abort: async () => { aborted = true; } };
 * await recordHeldServer(store, proc, {} as never).catch(() => {});
 * assert(aborted);
 * ```
 */
export async function recordHeldServer(
  store: StateStore,
  proc: { identity: ProcessIdentity; abort(): Promise<void> },
  row: Omit<ServerRow, "pid" | "start_time" | "cmdline">,
): Promise<ServerRow> {
  const recorded = { ...row, ...identityFields(proc.identity) } as ServerRow;
  try {
    store.addServer(recorded);
  } catch (err) {
    await proc.abort();
    throw err;
  }
  return recorded;
}

/** The recorded servers split by whether their process still runs. */
export interface CheckedServers {
  /** Still the very process llama-pack started. */
  live: ServerRow[];
  /** Gone (exited, zombie, or pid reused); removed from the store. */
  pruned: ServerRow[];
}

/**
 * Checks every recorded server against `/proc` and forgets the stale ones.
 *
 * @param store The state store.
 * @returns The live and the pruned rows.
 *
 * @example An empty store
 * ```ts
 * import assert from "node:assert/strict";
 * import { StateStore } from "../state/store.ts";
 * import { pruneServers } from "./records.ts";
 * const dir = await Deno.makeTempDir();
 * const store = StateStore.open(dir);
 * assert(pruneServers(store).live.length === 0);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function pruneServers(store: StateStore): CheckedServers {
  const live: ServerRow[] = [];
  const pruned: ServerRow[] = [];
  for (const row of store.servers()) {
    if (isSameProcess(identityOf(row))) {
      live.push(row);
    } else {
      pruned.push(row);
      forgetServer(store, row);
    }
  }
  return { live, pruned };
}

/**
 * Removes a server row, but only if it still records the same process (a
 * newer server may have taken the port meanwhile).
 *
 * @param store The state store.
 * @param row The row to remove.
 *
 * @example Forgetting nothing
 * ```ts
 * import { StateStore } from "../state/store.ts";
 * import { forgetServer } from "./records.ts";
 * const dir = await Deno.makeTempDir();
 * const store = StateStore.open(dir);
 * forgetServer(store, { host: "127.0.0.1", port: 1, pid: 1, start_time: "1" } as never);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function forgetServer(
  store: StateStore,
  row: Pick<ServerRow, "host" | "port" | "pid" | "start_time">,
): void {
  store.tx(() => {
    const current = store.servers().find((r) => r.host === row.host && r.port === row.port);
    if (current && current.pid === row.pid && current.start_time === row.start_time) {
      store.removeServer(row.host, row.port);
    }
  });
}

/** Options of {@linkcode stopRecordedServer}. */
export interface StopRecordedOptions extends StopServerOptions {
  /** The clock (unix seconds), for the use's duration. */
  now: number;
}

/**
 * Stops a recorded server (SIGTERM → grace → SIGKILL to its group, never a
 * reused pid), forgets it and records how long its use lasted.
 *
 * @param store The state store.
 * @param row The server.
 * @param options Grace period and clock.
 * @returns What the stop did.
 * @throws {LlamaPackError} `IO` when a signal cannot be sent.
 *
 * @example Stopping a server that is already gone
 * ```ts
 * import assert from "node:assert/strict";
 * import { StateStore } from "../state/store.ts";
 * import { stopRecordedServer } from "./records.ts";
 * const dir = await Deno.makeTempDir();
 * const store = StateStore.open(dir);
 * const row = { host: "127.0.0.1", port: 1, pid: 2 ** 22 + 3, start_time: "1", cmdline: "x", model_id: "m",
 *   model_path: "/m", tier: "hdd", log_path: "/l", started_at: 0, use_id: null };
 * store.addServer(row);
 * const r = await stopRecordedServer(store, row, { now: 10 });
 * assert(r.outcome === "not-running" && store.servers().length === 0);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function stopRecordedServer(
  store: StateStore,
  row: ServerRow,
  options: StopRecordedOptions,
): Promise<StopResult> {
  const result = await stopServer(identityOf(row), options);
  forgetServer(store, row);
  if (row.use_id !== null && result.outcome !== "pid-reused") {
    const use = store.uses(row.model_id).find((u) => u.id === row.use_id);
    if (use !== undefined && use.duration === null) {
      store.finishUse(row.use_id, { duration: Math.max(0, options.now - row.started_at) });
    }
  }
  return result;
}

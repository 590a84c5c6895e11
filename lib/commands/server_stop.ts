/**
 * How the commands stop servers: the grace period between SIGTERM and
 * SIGKILL, a stop's outcome in words (`-m` freeing its port, `-k`, Ctrl-C),
 * and why a stop takes long (llama-server waits for requests in flight).
 *
 * @module
 */

import type { ServerRow, StateStore } from "../state/store.ts";
import { openConnections } from "../server/connections.ts";
import { isSocketHost } from "../server/endpoint.ts";
import { stopRecordedServer } from "../server/records.ts";
import type { StopResult } from "../server/stop_server.ts";

/** How long a stop waits after SIGTERM before SIGKILL, unless `LLAMA_PACK_STOP_GRACE_MS` says otherwise. */
const STOP_GRACE_MS = 10_000;

/**
 * The grace period for stopping servers: 10 s, or `LLAMA_PACK_STOP_GRACE_MS`
 * from the environment (used by tests).
 *
 * @param env The environment.
 * @returns Milliseconds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stopGraceMs } from "./server_stop.ts";
 * assert(stopGraceMs({}) === 10000);
 * assert(stopGraceMs({ LLAMA_PACK_STOP_GRACE_MS: "250" }) === 250);
 * ```
 */
export function stopGraceMs(env: Readonly<Record<string, string | undefined>>): number {
  const raw = env.LLAMA_PACK_STOP_GRACE_MS;
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : STOP_GRACE_MS;
}

/** What a stop found beyond its outcome. */
export interface StopDetails {
  /** The grace period it allowed, in ms. */
  graceMs: number;
  /** Requests still in flight when it gave up waiting (SIGKILL), if it counted them. */
  inFlight?: number;
  /** Whether the server was still loading its model. */
  loading?: boolean;
}

const requests = (n: number) => `${n} request${n === 1 ? "" : "s"}`;

/**
 * Says what a stop did, in words.
 *
 * @param outcome The stop's outcome.
 * @param details The grace period, requests in flight, whether it was loading.
 * @returns A short phrase.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeStop } from "./server_stop.ts";
 * assert(describeStop("killed", { graceMs: 3000, inFlight: 1 }) ===
 *   "killed with SIGKILL after the 3.0s grace period (1 request was still in flight)");
 * assert(describeStop("terminated", { graceMs: 3000, loading: true }) === "stopped with SIGTERM while it was loading");
 * ```
 */
export function describeStop(outcome: string, details: StopDetails): string {
  switch (outcome) {
    case "terminated":
      return `stopped with SIGTERM${details.loading ? " while it was loading" : ""}`;
    case "killed": {
      const n = details.inFlight ?? 0;
      return `killed with SIGKILL after the ${(details.graceMs / 1000).toFixed(1)}s grace period` +
        (n > 0 ? ` (${requests(n)} ${n === 1 ? "was" : "were"} still in flight)` : "");
    }
    case "pid-reused":
      return "already gone (its pid now belongs to another process, left alone)";
    default:
      return "already gone";
  }
}

/**
 * Why a server has not exited a while after SIGTERM: llama-server stops
 * listening at once but exits only when every client with a request in
 * flight has disconnected.
 *
 * @param server E.g. `llama-server (pid 42)`.
 * @param inFlight The connections it still holds.
 * @param killInMs When SIGKILL follows.
 * @returns One sentence, without a newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stillRunningNotice } from "./server_stop.ts";
 * assert(stillRunningNotice("llama-server", 1, 2000) ===
 *   "llama-server is waiting for 1 request in flight to end before it exits; SIGKILL in 2.0s");
 * assert(stillRunningNotice("llama-server", 0, 9000) ===
 *   "llama-server has not exited after SIGTERM; SIGKILL in 9.0s");
 * ```
 */
export function stillRunningNotice(server: string, inFlight: number, killInMs: number): string {
  const when = `SIGKILL in ${(killInMs / 1000).toFixed(1)}s`;
  return inFlight > 0
    ? `${server} is waiting for ${requests(inFlight)} in flight to end before it exits; ${when}`
    : `${server} has not exited after SIGTERM; ${when}`;
}

/**
 * Stops a recorded server, saying (through `notify`) why when it does not
 * exit within a second: the requests it still serves.
 *
 * @param store The state store.
 * @param row The server.
 * @param options Grace period, clock, how to name the server, where notices go.
 * @returns What the stop did, and the requests in flight it counted.
 */
export async function stopExplained(
  store: StateStore,
  row: ServerRow,
  options: { graceMs: number; now: number; server: string; notify: (line: string) => void },
): Promise<{ result: StopResult; details: StopDetails }> {
  const details: StopDetails = { graceMs: options.graceMs, loading: row.use_id === null };
  const result = await stopRecordedServer(store, row, {
    graceMs: options.graceMs,
    now: options.now,
    onStillRunning: ({ killInMs }) => {
      details.inFlight = openConnections(row.pid, isSocketHost(row.host) ? row.host : row.port);
      options.notify(stillRunningNotice(options.server, details.inFlight, killInMs));
    },
  });
  return { result, details };
}

/**
 * How the commands stop servers: the grace period between SIGTERM and
 * SIGKILL, and a stop's outcome in words (`-m` freeing its port, `-k`).
 *
 * @module
 */

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

/**
 * Says what a stop did, in words.
 *
 * @param outcome The stop's outcome.
 * @returns A short phrase.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeStop } from "./server_stop.ts";
 * assert(describeStop("killed") === "killed with SIGKILL after the grace period");
 * ```
 */
export function describeStop(outcome: string): string {
  switch (outcome) {
    case "terminated":
      return "stopped with SIGTERM";
    case "killed":
      return "killed with SIGKILL after the grace period";
    case "pid-reused":
      return "already gone (its pid now belongs to another process, left alone)";
    default:
      return "already gone";
  }
}

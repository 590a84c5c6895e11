/**
 * Retrying a download: which failures are worth another attempt (dropped and
 * stalled connections, 408/429/5xx), the stall error, and an abortable sleep
 * for the back-off.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import { HubHttpError } from "./hub_errors.ts";

/**
 * Whether a failed attempt is worth another: dropped connections, stalls,
 * unreachable hubs, 408/429/5xx.
 *
 * @param err What the attempt threw.
 * @returns `true` to retry.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { retryable } from "./retry.ts";
 * import { HubHttpError } from "./hub_errors.ts";
 * assert(retryable(new HubHttpError(503, undefined, "u", "busy")));
 * assert(!retryable(new HubHttpError(404, "EntryNotFound", "u", "gone")));
 * ```
 */
export function retryable(err: unknown): boolean {
  if (err instanceof HubHttpError) {
    return err.status === 408 || err.status === 429 || err.status >= 500;
  }
  // hubFetch's "cannot reach the hub" keeps fetch's TypeError as its cause.
  if (err instanceof LlamaPackError) return err.cause instanceof TypeError;
  return err instanceof TypeError || err instanceof StallError ||
    (err instanceof Error && /connection|reset|closed|EOF|body/i.test(err.message));
}

/** A connection that sent nothing for too long. */
export class StallError extends Error {}

/**
 * Waits `ms`, or rejects with the signal's reason when it aborts first.
 *
 * @param ms Milliseconds.
 * @param signal Stops the wait.
 * @returns When the time is up.
 *
 * @example
 * ```ts
 * import { sleep } from "./retry.ts";
 * await sleep(1, undefined);
 * ```
 */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * The swapper of `--serve` (pure): which running servers must stop so that
 * one more model can run under `max_running`, and which idle servers have
 * been idle long enough to unload. It never mutates or logs: the scheduler
 * asks it again on every event, speculatively.
 *
 * @module
 */

/** Where a managed server is in its life, as the swapper sees it. */
export type ServerPhase = "waiting" | "starting" | "ready" | "stopping";

/** One server the scheduler holds. */
export interface RunningServer {
  /** The model it serves. */
  model: string;
  /**
   * - `waiting` — committed to start, waiting for a stopping server to free its slot;
   * - `starting` — spawned, loading;
   * - `ready` — serving;
   * - `stopping` — asked to stop, not yet gone.
   */
  phase: ServerPhase;
  /** Requests being served right now. */
  inFlight: number;
  /** When it last started or finished a request (unix seconds). */
  lastUsed: number;
}

/** What {@linkcode planSlot} decided. */
export type SlotPlan =
  | { kind: "fits"; evict: string[] }
  | { kind: "wait"; busy: string[] };

/** Least recently used first; ties by model id. */
const byLru = (a: RunningServer, b: RunningServer) =>
  a.lastUsed - b.lastUsed || (a.model < b.model ? -1 : a.model > b.model ? 1 : 0);

/**
 * Whether one more model can be committed to run, and what must stop first.
 * Servers that are waiting, starting or ready hold a slot; a stopping one is
 * already leaving. Only ready servers with no request in flight may be
 * evicted, least recently used first. When not enough of them are idle,
 * nothing is evicted: the plan says to wait, naming the busy servers
 * (least recently used first) whose requests must finish.
 *
 * @param maxRunning Most servers at once (≥ 1).
 * @param servers Every server the scheduler holds.
 * @returns `fits` with the servers to evict (possibly none), or `wait`.
 *
 * @example Evicting the least recently used idle server
 * ```ts
 * import assert from "node:assert/strict";
 * import { planSlot } from "./serve_swap.ts";
 * const plan = planSlot(1, [{ model: "a", phase: "ready", inFlight: 0, lastUsed: 5 }]);
 * assert.deepEqual(plan, { kind: "fits", evict: ["a"] });
 * const busy = planSlot(1, [{ model: "a", phase: "ready", inFlight: 2, lastUsed: 5 }]);
 * assert.deepEqual(busy, { kind: "wait", busy: ["a"] });
 * ```
 */
export function planSlot(maxRunning: number, servers: readonly RunningServer[]): SlotPlan {
  const holding = servers.filter((s) => s.phase !== "stopping");
  const need = holding.length + 1 - Math.max(1, maxRunning);
  if (need <= 0) return { kind: "fits", evict: [] };
  const ready = holding.filter((s) => s.phase === "ready").sort(byLru);
  const idle = ready.filter((s) => s.inFlight === 0);
  if (idle.length >= need) return { kind: "fits", evict: idle.slice(0, need).map((s) => s.model) };
  const busy = ready.filter((s) => s.inFlight > 0).slice(0, need - idle.length);
  return { kind: "wait", busy: busy.map((s) => s.model) };
}

/**
 * The ready servers that have been idle (no request in flight) for at
 * least `idleSeconds`.
 *
 * @param servers Every server the scheduler holds.
 * @param now Unix seconds.
 * @param idleSeconds The idle limit; `undefined` means never.
 * @returns Their models, least recently used first.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { idleServers } from "./serve_swap.ts";
 * const s = [{ model: "a", phase: "ready" as const, inFlight: 0, lastUsed: 0 }];
 * assert.deepEqual(idleServers(s, 100, 60), ["a"]);
 * assert.deepEqual(idleServers(s, 100, undefined), []);
 * ```
 */
export function idleServers(
  servers: readonly RunningServer[],
  now: number,
  idleSeconds: number | undefined,
): string[] {
  if (idleSeconds === undefined) return [];
  return servers
    .filter((s) => s.phase === "ready" && s.inFlight === 0 && now - s.lastUsed >= idleSeconds)
    .sort(byLru)
    .map((s) => s.model);
}

/**
 * The life of one managed server as an explicit state machine, as llama-swap
 * does it: stopped → starting → ready → stopping → stopped. Pure.
 *
 * @module
 */

/** Where a managed server is in its life. */
export type ServerState = "stopped" | "starting" | "ready" | "stopping";

/**
 * What can happen to a server:
 * - `spawn` — the process was started;
 * - `healthy` — its health check answered "ready";
 * - `stop` — someone asked it to stop (Ctrl-C, `-k`, a replacing load);
 * - `exit` — the process exited (on its own or after a stop).
 */
export type ServerEvent = "spawn" | "healthy" | "stop" | "exit";

const TRANSITIONS: Readonly<Record<ServerState, Partial<Record<ServerEvent, ServerState>>>> = {
  stopped: { spawn: "starting", stop: "stopped", exit: "stopped" },
  starting: { healthy: "ready", stop: "stopping", exit: "stopped" },
  ready: { stop: "stopping", exit: "stopped", healthy: "ready" },
  stopping: { stop: "stopping", exit: "stopped", healthy: "stopping" },
};

/**
 * The state after an event, or `undefined` when the event makes no sense in
 * that state (e.g. `spawn` while `ready`: a second process for one server).
 * Stopping is idempotent: `stop` in `stopped` or `stopping` changes nothing.
 *
 * @param state The current state.
 * @param event What happened.
 * @returns The next state, or `undefined` for an invalid transition.
 *
 * @example A normal life
 * ```ts
 * import assert from "node:assert/strict";
 * import { nextServerState } from "./lifecycle.ts";
 * let s = nextServerState("stopped", "spawn");   // starting
 * s = nextServerState(s!, "healthy");            // ready
 * s = nextServerState(s!, "stop");               // stopping
 * s = nextServerState(s!, "exit");               // stopped
 * assert(s === "stopped");
 * assert(nextServerState("ready", "spawn") === undefined);
 * ```
 */
export function nextServerState(state: ServerState, event: ServerEvent): ServerState | undefined {
  return TRANSITIONS[state][event];
}

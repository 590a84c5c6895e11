/**
 * The contract between the `--serve` scheduler (`serve_scheduler.ts`) and
 * whoever runs the servers: the tickets requests wait on, the effects the
 * scheduler asks for, and the errors it answers with. Types only.
 *
 * @module
 */

import type { RunningServer, ServerPhase } from "./serve_swap.ts";

/** A model's status: its server's phase, or `stopped`. */
export type ModelStatus = ServerPhase | "stopped";

/** One request waiting for a model's server. */
export interface Ticket {
  /** Unique per request. */
  readonly id: number;
  /** The model (its id in the index). */
  readonly model: string;
  /** A load request (`POST /models/load`): granted, it serves nothing and holds nothing. */
  readonly loadOnly?: boolean;
}

/** Why a ticket was refused. */
export type GrantError =
  | { kind: "start-failed"; model: string; message: string; detail: string | undefined }
  | { kind: "unloaded"; model: string }
  | { kind: "shutting-down" };

/** Why a server is asked to stop. */
export type StopReason = "evict" | "idle" | "unload" | "shutdown";

/** The scheduler's whole window onto the world. */
export interface SchedulerEffects {
  /** Start a server for `model`; answer later with `onStarted` or `onStartFailed` for `gen`. */
  startServer(model: string, gen: number): void;
  /** Stop `model`'s server of generation `gen`; answer later with `onStopped`. */
  stopServer(model: string, gen: number, reason: StopReason): void;
  /**
   * Let the ticket's request through to the ready server of generation
   * `gen`. Returns whether a caller was still there to take it (only then
   * does it count as in flight, and only then is `onServeDone` expected).
   */
  grantServe(ticket: Ticket, gen: number): boolean;
  /** Fail the ticket's request. */
  grantError(ticket: Ticket, error: GrantError): void;
  /** A model's status changed (listings, events). */
  statusChanged(model: string, status: ModelStatus): void;
}

/** Options of `ServeScheduler`. */
export interface ServeSchedulerOptions {
  /** Most servers running at once. @default 1 */
  maxRunning?: number;
  /** Stop a ready server idle this long (seconds); `undefined` = never. @default undefined */
  idleUnloadSeconds?: number;
}

/** One managed server, as `ServeScheduler.snapshot()` reports it. */
export interface ServerEntry extends RunningServer {
  /** Its start's generation. */
  gen: number;
  /** Tickets waiting for this start. */
  waiters: number;
  /** When it entered its phase (unix seconds). */
  since: number;
  /** It takes no new requests: a queued request waits for it to go idle. */
  draining: boolean;
}

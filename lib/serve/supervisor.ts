/**
 * The scheduler's adapter: it carries out what the pure
 * {@linkcode ServeScheduler} decides — starting and stopping servers
 * (`children.ts`), letting requests through or failing them — and feeds the
 * outcomes back as events. Requests get a {@linkcode Lease} on a ready
 * server; releasing it ends the request's time in flight. Every load is a
 * recorded use; after one, the cache decides on an SSD copy exactly as after
 * `-m` (the `promote` dependency).
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import type { IndexedModel } from "../core/model_index.ts";
import { loadBudget, type TierSpeeds } from "../core/load_timeout.ts";
import { ServeScheduler } from "../core/serve_scheduler.ts";
import type {
  GrantError,
  ModelStatus,
  SchedulerEffects,
  StopReason,
  Ticket,
} from "../core/serve_effects.ts";
import { type RunningEntry, type ServedState, statusEvent } from "../core/serve_listing.ts";
import { formatDuration } from "../core/units.ts";
import { readLogTail } from "../server/health.ts";
import {
  type Child,
  type ChildDeps,
  forgetChild,
  freeChildPort,
  recordChildReady,
  spawnChild,
  stopChild,
  waitChildReady,
} from "./children.ts";
import type { EventHub } from "./events.ts";
import { childFacts } from "./running_entry.ts";
import { grantErrorToHttp } from "./http_error.ts";

/** What the supervisor needs beyond starting children. */
export interface SupervisorDeps extends ChildDeps {
  /** Events for `/models/sse` (and later `/api/events`). */
  events: EventHub;
  /** Prints one line for the user. */
  log: (line: string) => void;
  /** The model index, fresh. */
  index: () => IndexedModel[];
  /** The tiers' read speeds, learned from past loads. */
  speeds: () => TierSpeeds;
  /** The cache's decision after a load (the `-m` code path); returns a note. */
  promote: (modelId: string, server: { host: string; port: number }) => Promise<string | undefined>;
}

/** A request's hold on a ready server. */
export interface Lease {
  /** The model. */
  model: string;
  /** Where its server listens. */
  host: string;
  /** Its port. */
  port: number;
  /** Ends the request's time in flight (call exactly once; later calls do nothing). */
  release(): void;
}

interface Pending {
  resolve: (lease: Lease) => void;
  reject: (err: unknown) => void;
  signal: AbortSignal;
  cleanup: () => void;
}

interface Start {
  gen: number;
  controller: AbortController;
  stopRequested: boolean;
  child?: Child;
  ready: boolean;
  done: Promise<void>;
}

/**
 * Runs servers for `--serve` (see the module doc).
 *
 * @example Nothing runs before the first request
 * ```ts
 * import assert from "node:assert/strict";
 * import { ServeSupervisor } from "./supervisor.ts";
 * import { EventHub } from "./events.ts";
 * const s = new ServeSupervisor({ events: new EventHub(), config: { serve: { max_running: 1 } } } as never);
 * assert(s.served("m").status === "stopped" && s.running().length === 0);
 * ```
 */
export class ServeSupervisor implements SchedulerEffects {
  /** The scheduler it runs. */
  readonly scheduler: ServeScheduler;
  readonly #deps: SupervisorDeps;
  readonly #pending = new Map<number, Pending>();
  readonly #starts = new Map<string, Start>();
  readonly #failures = new Map<string, { exitCode: number | null; message: string }>();
  #tickets = 0;
  #graceMs: number | undefined;

  /**
   * Creates the supervisor and its scheduler.
   *
   * @param deps Config, store, adapter, events, log, promotion.
   */
  constructor(deps: SupervisorDeps) {
    this.#deps = deps;
    this.scheduler = new ServeScheduler(this, {
      maxRunning: deps.config.serve.max_running,
      ...(deps.config.serve.idle_unload_s === undefined
        ? {}
        : { idleUnloadSeconds: deps.config.serve.idle_unload_s }),
    });
  }

  /**
   * Waits for a ready server of `model` (starting it, or waiting for a slot).
   *
   * @param model The model's id.
   * @param signal The client's signal: leaving cancels the wait.
   * @returns A lease on the ready server.
   * @throws {HttpError} 502 when it failed to load, 503 when unloaded or shutting down.
   */
  acquire(model: string, signal: AbortSignal): Promise<Lease> {
    const ticket: Ticket = { id: ++this.#tickets, model };
    return new Promise<Lease>((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason);
      const onAbort = () => {
        if (!this.#pending.delete(ticket.id)) return;
        this.scheduler.onCancel(ticket, this.#deps.now());
        reject(signal.reason);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      const cleanup = () => signal.removeEventListener("abort", onAbort);
      this.#pending.set(ticket.id, { resolve, reject, signal, cleanup });
      this.scheduler.onRequest(ticket, this.#deps.now());
    });
  }

  /**
   * Starts loading a model without a request to serve (`POST /models/load`).
   *
   * @param model The model's id.
   */
  load(model: string): void {
    this.scheduler.onRequest({ id: ++this.#tickets, model, loadOnly: true }, this.#deps.now());
  }

  /**
   * Unloads a model now (`POST /models/unload`).
   *
   * @param model The model's id.
   * @returns Whether anything was running or waiting.
   */
  unload(model: string): boolean {
    return this.scheduler.onUnload(model, this.#deps.now());
  }

  /** Lets time pass: idle servers past `idle_unload` stop. */
  tick(): void {
    this.scheduler.onTick(this.#deps.now());
  }

  /**
   * What `--serve` knows of a model's server, for listings.
   *
   * @param model The model's id.
   * @returns Its status, port, tier, args and last failure.
   */
  served(model: string): ServedState {
    const status = this.scheduler.status(model);
    const out: ServedState = { status };
    const child = this.#starts.get(model)?.child;
    if (child && status !== "stopped") {
      out.port = child.port;
      out.tier = child.tier;
      out.args = [this.#deps.config.server_binary, ...child.argv];
    }
    const failed = this.#failures.get(model);
    if (failed) out.failed = failed;
    return out;
  }

  /**
   * The servers running, in llama-swap's `/running` shape.
   *
   * @returns One entry per server that is loading, ready or stopping.
   */
  running(): RunningEntry[] {
    const ttl = this.#deps.config.serve.idle_unload_s ?? 0;
    return this.scheduler.snapshot().filter((e) => e.phase !== "waiting").map((e) => {
      const child = this.#starts.get(e.model)?.child;
      return {
        model: e.model,
        state: e.phase,
        ttl,
        name: child?.model.name ?? e.model,
        in_flight: e.inFlight,
        ...childFacts(child, this.#deps.config.server_binary),
      };
    });
  }

  /**
   * Begins a shutdown: waiting requests fail with 503, servers that serve
   * nothing stop; servers with requests in flight keep serving.
   */
  beginShutdown(): void {
    this.scheduler.onShutdown(this.#deps.now());
  }

  /**
   * Ends a shutdown: stops every server (SIGTERM → grace → SIGKILL) and
   * waits until all are gone and their uses closed.
   *
   * @param graceMs The grace period (0 kills at once).
   */
  async stopAll(graceMs: number = this.#deps.graceMs): Promise<void> {
    this.#graceMs = graceMs;
    this.scheduler.stopAll(this.#deps.now());
    if (graceMs === 0) {
      // Urgent: kill even the servers already stopping.
      for (const s of this.#starts.values()) {
        if (s.child) void stopChild(this.#deps, s.child, 0).catch(() => {});
      }
    }
    await Promise.all([...this.#starts.values()].map((s) => s.done));
  }

  // ---- SchedulerEffects ----

  /** Starts a server (answers with `onStarted` or `onStartFailed`). */
  startServer(model: string, gen: number): void {
    let finish = () => {};
    const start: Start = {
      gen,
      controller: new AbortController(),
      stopRequested: false,
      ready: false,
      done: new Promise<void>((r) => (finish = r)),
    };
    this.#starts.set(model, start);
    this.#run(model, start).catch((err) => {
      // #run answers the scheduler itself; whatever escapes it is logged, never fatal.
      this.#deps.log(`error: ${model}: ${err instanceof Error ? err.message : String(err)}`);
    }).finally(() => {
      if (this.#starts.get(model) === start) this.#starts.delete(model);
      finish();
    });
  }

  /** Stops a server (answers with `onStopped` once it is gone). */
  stopServer(model: string, gen: number, reason: StopReason): void {
    const start = this.#starts.get(model);
    if (!start || start.gen !== gen || start.stopRequested) return;
    start.stopRequested = true;
    const name = start.child?.model.name ?? model;
    this.#deps.log(`stopping ${name} (${reason === "evict" ? "to make room" : reason})`);
    start.controller.abort(new Error(`stopped: ${reason}`));
    if (start.child && start.ready) {
      void stopChild(this.#deps, start.child, this.#graceMs ?? this.#deps.graceMs).catch(() => {});
    }
  }

  /** Lets a request through; `false` when its caller has left. */
  grantServe(ticket: Ticket, gen: number): boolean {
    if (ticket.loadOnly) return true;
    const p = this.#pending.get(ticket.id);
    const child = this.#starts.get(ticket.model)?.child;
    if (!p || p.signal.aborted || !child || this.#starts.get(ticket.model)?.gen !== gen) {
      this.#pending.delete(ticket.id);
      return false;
    }
    this.#pending.delete(ticket.id);
    p.cleanup();
    let released = false;
    p.resolve({
      model: ticket.model,
      host: child.host,
      port: child.port,
      release: () => {
        if (released) return;
        released = true;
        this.scheduler.onServeDone(ticket.model, gen, this.#deps.now());
      },
    });
    return true;
  }

  /** Fails a request. */
  grantError(ticket: Ticket, error: GrantError): void {
    const p = this.#pending.get(ticket.id);
    if (!p) return;
    this.#pending.delete(ticket.id);
    p.cleanup();
    const names = new Map(this.#deps.index().map((m) => [m.id, m.name]));
    p.reject(grantErrorToHttp(error, (id) => names.get(id) ?? id));
  }

  /** Publishes a status change. */
  statusChanged(model: string, status: ModelStatus): void {
    this.#deps.events.publish({ type: "model_status", data: statusEvent(model, status) });
  }

  // ---- the life of one server ----

  async #run(model: string, start: Start): Promise<void> {
    const deps = this.#deps;
    const now = deps.now;
    let child: Child | undefined;
    try {
      const found = deps.index().find((m) => m.id === model);
      if (!found) throw new LlamaPackError("NO_MATCH", `model ${model} is no longer indexed`);
      const taken = new Set(
        [...this.#starts.values()].flatMap((s) => (s.child ? [s.child.port] : [])),
      );
      const port = await freeChildPort(deps, taken);
      if (start.stopRequested) throw start.controller.signal.reason;
      child = await spawnChild(deps, found, start.gen, port);
      start.child = child;
      const budget = loadBudget(
        found.size,
        child.tier,
        deps.speeds(),
        deps.config.serve.load_timeout_s === "adaptive"
          ? undefined
          : deps.config.serve.load_timeout_s,
      );
      deps.log(
        `loading ${found.name} from ${child.tier} on port ${port} (allowing ${
          formatDuration(budget.seconds)
        }: ${budget.reason})`,
      );
      const exited = child.proc.exited;
      const readyMs = await waitChildReady(deps, child, budget, start.controller.signal);
      if (start.stopRequested) throw start.controller.signal.reason;
      start.ready = true;
      recordChildReady(deps.store, child, readyMs);
      this.#failures.delete(model);
      deps.log(`ready: ${found.name} from ${child.tier} in ${(readyMs / 1000).toFixed(1)}s`);
      this.scheduler.onStarted(model, start.gen, now());
      void deps.promote(model, { host: child.host, port: child.port }).then(
        (note) => note && deps.log(note),
        (err) =>
          deps.log(`warning: no SSD copy decision: ${err instanceof Error ? err.message : err}`),
      );
      const status = await exited;
      forgetChild(deps, child, deps.log);
      if (!start.stopRequested) {
        deps.log(
          `${found.name} exited (${
            status.signal ? `signal ${status.signal}` : `code ${status.code}`
          }) after ${formatDuration(now() - child.startedAt)}: stopped by someone else or crashed`,
        );
      } else {
        deps.log(`stopped ${found.name} after ${formatDuration(now() - child.startedAt)}`);
      }
      this.scheduler.onStopped(model, start.gen, now());
    } catch (err) {
      let exitCode: number | null = null;
      if (child) {
        const grace = start.stopRequested ? this.#graceMs ?? deps.graceMs : 0;
        await stopChild(deps, child, grace).catch(() => {});
        exitCode = (await child.proc.exited).code;
        forgetChild(deps, child, deps.log);
      }
      if (start.stopRequested) {
        this.scheduler.onStopped(model, start.gen, now());
        return;
      }
      const message = err instanceof Error ? err.message : String(err);
      const tail = child ? readLogTail(child.logPath, { lines: 15 }) : [];
      this.#failures.set(model, { exitCode, message });
      deps.log(`failed to load ${child?.model.name ?? model}: ${message}`);
      this.scheduler.onStartFailed(model, start.gen, {
        message,
        ...(tail.length > 0 ? { detail: tail.join("\n") } : {}),
      }, now());
    }
  }
}

/**
 * The scheduler of `--serve`: the one owner of every managed server's state
 * (waiting → starting → ready → stopping → stopped), driven by events and
 * acting only through a small {@linkcode SchedulerEffects} interface, as
 * llama-swap's router does. Pure: no clock (`now` comes with each event), no
 * timers, no I/O; slow work (starting, stopping) happens outside and comes
 * back as an event. Tested synchronously with a fake `Effects`.
 *
 * Every request is a {@linkcode Ticket} for one model. Its fate, on arrival
 * and again on every later event until it is decided:
 * 1. the model's server is ready (and not draining for an earlier request) → served now;
 * 2. it is waiting or starting → the ticket joins that one start;
 * 3. it is stopped and a slot is free, or idle servers can be evicted
 *    (least recently used first, never one with requests in flight) → it is
 *    committed, and started as soon as the evicted servers have stopped;
 * 4. otherwise it waits in the queue, first in first out; the busy servers
 *    it waits for take no new requests until it is placed ("draining").
 *
 * Each start gets a generation number; events of an older generation (a
 * request that ends after its server was replaced) are ignored.
 *
 * @module
 */

import { idleServers, planSlot, type RunningServer, type ServerPhase } from "./serve_swap.ts";
import type {
  GrantError,
  ModelStatus,
  SchedulerEffects,
  ServerEntry,
  ServeSchedulerOptions,
  StopReason,
  Ticket,
} from "./serve_effects.ts";

interface Entry {
  model: string;
  phase: ServerPhase;
  gen: number;
  inFlight: number;
  lastUsed: number;
  since: number;
  waiters: Ticket[];
}

/**
 * The scheduler (see the module doc).
 *
 * @example One request starts a model; the next is served at once
 * ```ts
 * import assert from "node:assert/strict";
 * import { ServeScheduler } from "./serve_scheduler.ts";
 * const log: string[] = [];
 * const s = new ServeScheduler({
 *   startServer: (m, g) => log.push(`start ${m}#${g}`),
 *   stopServer: (m) => log.push(`stop ${m}`),
 *   grantServe: (t) => (log.push(`serve ${t.id}`), true),
 *   grantError: (t, e) => log.push(`error ${t.id} ${e.kind}`),
 *   statusChanged: () => {},
 * });
 * s.onRequest({ id: 1, model: "a" }, 0);
 * s.onStarted("a", 1, 5);
 * s.onRequest({ id: 2, model: "a" }, 6);
 * assert.deepEqual(log, ["start a#1", "serve 1", "serve 2"]);
 * assert(s.status("a") === "ready" && s.snapshot()[0]?.inFlight === 2);
 * ```
 */
export class ServeScheduler {
  readonly #effects: SchedulerEffects;
  readonly #maxRunning: number;
  readonly #idleSeconds: number | undefined;
  readonly #entries = new Map<string, Entry>();
  #queue: Ticket[] = [];
  #draining = new Set<string>();
  #gen = 0;
  #shuttingDown = false;

  /**
   * Creates the scheduler.
   *
   * @param effects How it acts on the world.
   * @param options `max_running` and `idle_unload`.
   */
  constructor(effects: SchedulerEffects, options: ServeSchedulerOptions = {}) {
    this.#effects = effects;
    this.#maxRunning = Math.max(1, options.maxRunning ?? 1);
    this.#idleSeconds = options.idleUnloadSeconds;
  }

  /** A model's status (its server's phase, or `stopped`). */
  status(model: string): ModelStatus {
    return this.#entries.get(model)?.phase ?? "stopped";
  }

  /**
   * Every managed server, in the order they were committed.
   *
   * @returns Copies of the scheduler's entries.
   */
  snapshot(): ServerEntry[] {
    return [...this.#entries.values()].map((e) => ({
      model: e.model,
      phase: e.phase,
      gen: e.gen,
      inFlight: e.inFlight,
      lastUsed: e.lastUsed,
      since: e.since,
      waiters: e.waiters.length,
      draining: this.#draining.has(e.model),
    }));
  }

  /** How many requests wait in the queue (not those joined to a start). */
  queued(): number {
    return this.#queue.length;
  }

  /**
   * A request arrived for `ticket.model`.
   *
   * @param ticket The request.
   * @param now Unix seconds.
   */
  onRequest(ticket: Ticket, now: number): void {
    if (this.#shuttingDown) return this.#effects.grantError(ticket, { kind: "shutting-down" });
    this.#queue.push(ticket);
    this.#drain(now);
  }

  /**
   * The caller of a ticket went away before it was decided: forget it.
   *
   * @param ticket The request.
   * @param now Unix seconds.
   */
  onCancel(ticket: Ticket, now: number): void {
    this.#queue = this.#queue.filter((t) => t.id !== ticket.id);
    const e = this.#entries.get(ticket.model);
    if (e) e.waiters = e.waiters.filter((t) => t.id !== ticket.id);
    this.#drain(now);
  }

  /**
   * A server became ready.
   *
   * @param model Its model.
   * @param gen Its start's generation.
   * @param now Unix seconds.
   */
  onStarted(model: string, gen: number, now: number): void {
    const e = this.#entry(model, gen);
    if (!e || e.phase !== "starting") return;
    this.#setPhase(e, "ready", now);
    e.lastUsed = now;
    const waiters = e.waiters;
    e.waiters = [];
    for (const t of waiters) this.#serve(e, t, now);
    this.#drain(now);
  }

  /**
   * A start failed (the process is gone): its waiters get the error, and the
   * next request may try again.
   *
   * @param model Its model.
   * @param gen Its start's generation.
   * @param error What went wrong, and the log's last lines.
   * @param now Unix seconds.
   */
  onStartFailed(
    model: string,
    gen: number,
    error: { message: string; detail?: string },
    now: number,
  ): void {
    const e = this.#entry(model, gen);
    if (!e) return;
    const failure: GrantError = {
      kind: "start-failed",
      model,
      message: error.message,
      detail: error.detail,
    };
    for (const t of e.waiters) this.#effects.grantError(t, failure);
    this.#remove(e);
    this.#drain(now);
  }

  /**
   * A request that was let through ended.
   *
   * @param model Its model.
   * @param gen The generation it was served by.
   * @param now Unix seconds.
   */
  onServeDone(model: string, gen: number, now: number): void {
    const e = this.#entry(model, gen);
    if (!e) return;
    e.inFlight = Math.max(0, e.inFlight - 1);
    e.lastUsed = now;
    if (e.inFlight === 0) this.#drain(now);
  }

  /**
   * A server's process is gone: asked to stop, stopped by someone else
   * (`-k`), or crashed.
   *
   * @param model Its model.
   * @param gen Its start's generation.
   * @param now Unix seconds.
   */
  onStopped(model: string, gen: number, now: number): void {
    const e = this.#entry(model, gen);
    if (!e) return;
    if (e.waiters.length > 0) {
      const failure: GrantError = {
        kind: "start-failed",
        model,
        message: "the server exited while loading",
        detail: undefined,
      };
      for (const t of e.waiters) this.#effects.grantError(t, failure);
    }
    this.#remove(e);
    this.#drain(now);
  }

  /**
   * Unload a model now (`POST /models/unload`): its server stops even with
   * requests in flight; requests waiting for it fail.
   *
   * @param model The model.
   * @param now Unix seconds.
   * @returns Whether there was anything to unload.
   */
  onUnload(model: string, now: number): boolean {
    const unloaded: GrantError = { kind: "unloaded", model };
    const queued = this.#queue.filter((t) => t.model === model);
    this.#queue = this.#queue.filter((t) => t.model !== model);
    for (const t of queued) this.#effects.grantError(t, unloaded);
    const e = this.#entries.get(model);
    if (!e || e.phase === "stopping") {
      this.#drain(now);
      return queued.length > 0 || e !== undefined;
    }
    for (const t of e.waiters) this.#effects.grantError(t, unloaded);
    e.waiters = [];
    if (e.phase === "waiting") this.#remove(e);
    else this.#stop(e, "unload", now);
    this.#drain(now);
    return true;
  }

  /**
   * Time passed: stop servers idle longer than `idle_unload`.
   *
   * @param now Unix seconds.
   */
  onTick(now: number): void {
    for (const model of idleServers(this.#running(), now, this.#idleSeconds)) {
      const e = this.#entries.get(model)!;
      this.#stop(e, "idle", now);
    }
    this.#drain(now);
  }

  /**
   * Shutting down: every waiting request fails, no new one is taken, and
   * servers that are not serving (waiting, starting, idle) stop. Ready
   * servers with requests in flight keep serving until {@linkcode stopAll}.
   *
   * @param now Unix seconds.
   */
  onShutdown(now: number): void {
    this.#shuttingDown = true;
    const refused: GrantError = { kind: "shutting-down" };
    for (const t of this.#queue) this.#effects.grantError(t, refused);
    this.#queue = [];
    for (const e of [...this.#entries.values()]) {
      for (const t of e.waiters) this.#effects.grantError(t, refused);
      e.waiters = [];
      if (e.phase === "waiting") this.#remove(e);
      else if (e.phase === "starting" || (e.phase === "ready" && e.inFlight === 0)) {
        this.#stop(e, "shutdown", now);
      }
    }
  }

  /**
   * Stops every server that is not already stopping (the end of a shutdown).
   *
   * @param now Unix seconds.
   */
  stopAll(now: number): void {
    this.#shuttingDown = true;
    for (const e of [...this.#entries.values()]) {
      if (e.phase === "waiting") this.#remove(e);
      else if (e.phase !== "stopping") this.#stop(e, "shutdown", now);
    }
  }

  #entry(model: string, gen: number): Entry | undefined {
    const e = this.#entries.get(model);
    return e && e.gen === gen ? e : undefined;
  }

  #running(): RunningServer[] {
    return [...this.#entries.values()].map((e) => ({
      model: e.model,
      phase: e.phase,
      inFlight: e.inFlight,
      lastUsed: e.lastUsed,
    }));
  }

  #setPhase(e: Entry, phase: ServerPhase, now: number): void {
    e.phase = phase;
    e.since = now;
    this.#effects.statusChanged(e.model, phase);
  }

  #remove(e: Entry): void {
    this.#entries.delete(e.model);
    this.#effects.statusChanged(e.model, "stopped");
  }

  #stop(e: Entry, reason: StopReason, now: number): void {
    if (e.phase === "stopping") return;
    this.#setPhase(e, "stopping", now);
    this.#effects.stopServer(e.model, e.gen, reason);
  }

  #serve(e: Entry, t: Ticket, now: number): void {
    e.lastUsed = now;
    if (this.#effects.grantServe(t, e.gen) && !t.loadOnly) e.inFlight++;
  }

  /** Decides every queued ticket that can be decided, in order, then starts what may start. */
  #drain(clock: number): void {
    if (this.#shuttingDown) return;
    const draining = new Set<string>();
    const remaining: Ticket[] = [];
    for (const t of this.#queue) {
      const e = this.#entries.get(t.model);
      if (e?.phase === "ready" && !draining.has(t.model)) {
        this.#serve(e, t, clock);
        continue;
      }
      if (e && (e.phase === "waiting" || e.phase === "starting")) {
        e.waiters.push(t);
        continue;
      }
      if (e) {
        remaining.push(t); // stopping, or ready but draining for an earlier request
        continue;
      }
      const plan = planSlot(this.#maxRunning, this.#running());
      if (plan.kind === "wait") {
        for (const m of plan.busy) draining.add(m);
        remaining.push(t);
        continue;
      }
      for (const victim of plan.evict) this.#stop(this.#entries.get(victim)!, "evict", clock);
      const entry: Entry = {
        model: t.model,
        phase: "waiting",
        gen: ++this.#gen,
        inFlight: 0,
        lastUsed: clock,
        since: clock,
        waiters: [t],
      };
      this.#entries.set(t.model, entry);
      this.#effects.statusChanged(t.model, "waiting");
    }
    this.#queue = remaining;
    this.#draining = draining;
    this.#startWaiting(clock);
  }

  /** Starts committed models while physical slots (starting, ready, stopping) are free. */
  #startWaiting(now: number): void {
    let physical = [...this.#entries.values()].filter((e) => e.phase !== "waiting").length;
    for (const e of this.#entries.values()) {
      if (physical >= this.#maxRunning) break;
      if (e.phase !== "waiting") continue;
      this.#setPhase(e, "starting", now);
      physical++;
      this.#effects.startServer(e.model, e.gen);
    }
  }
}

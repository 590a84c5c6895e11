/**
 * The servers `--serve` starts (its process machinery): choosing a port in
 * `serve.child_ports`, choosing the copy as `-m` does (a stale or damaged
 * SSD copy is passed over, with a note and an event), building the command
 * line, spawning the server in its own process group with its log in the
 * state directory, recording it as a llama-pack server owned by this
 * `--serve`, waiting for it to load within an adaptive budget, recording
 * the use, and stopping it.
 *
 * @module
 */

import { join } from "node:path";
import { LlamaPackError } from "../errors.ts";
import type { Config } from "../config/config.ts";
import type { IndexedModel } from "../core/model_index.ts";
import type { CopyPassedOverData } from "../core/api_events.ts";
import { passedOverData } from "../core/copy_note.ts";
import { type LoadBudget, loadProgressed } from "../core/load_timeout.ts";
import type { ServerRow, StateStore } from "../state/store.ts";
import type { ServerAdapter } from "../server/adapter.ts";
import { waitReady } from "../server/health.ts";
import { readLoadSignals } from "../server/load_signals.ts";
import { portInUse } from "../server/port_check.ts";
import { forgetServer, recordHeldServer, stopRecordedServer } from "../server/records.ts";
import { servedCopy } from "../cache/unit_check.ts";
import { withSsdLock } from "../cache/ssd_lock.ts";
import { type ServerProcess, spawnServer } from "../server/spawn_server.ts";
import type { StopResult } from "../server/stop_server.ts";

/** The address children listen on: they are reached only through `--serve`. */
export const CHILD_HOST = "127.0.0.1";

/** What starting and stopping children needs. */
export interface ChildDeps {
  /** The config. */
  config: Config;
  /** The state store. */
  store: StateStore;
  /** The state directory (logs go to `logs/`). */
  stateDir: string;
  /** The server type's adapter. */
  adapter: ServerAdapter;
  /** The environment children get (API keys removed). */
  childEnv: Record<string, string>;
  /** This `--serve`'s pid: children are recorded as its own. */
  ownerPid: number;
  /** The clock, unix seconds. */
  now: () => number;
  /** SIGTERM → SIGKILL grace, milliseconds. */
  graceMs: number;
  /** Told when a stale or damaged SSD copy is passed over (the note and the event). */
  passedOver: (data: CopyPassedOverData) => void;
}

/** One server `--serve` started. */
export interface Child {
  /** The model it serves. */
  model: IndexedModel;
  /** The scheduler's generation for this start. */
  gen: number;
  /** Where it listens. */
  host: string;
  /** Its port. */
  port: number;
  /** The tier it loads from. */
  tier: "ssd" | "hdd";
  /** Its arguments (without the binary). */
  argv: string[];
  /** The process. */
  proc: ServerProcess;
  /** Its row in the `servers` table. */
  row: ServerRow;
  /** Its log. */
  logPath: string;
  /** When it was spawned (unix seconds). */
  startedAt: number;
}

/**
 * The first port of `serve.child_ports` that no server of ours, no recorded
 * llama-pack server and no other program uses.
 *
 * @param deps Config and store.
 * @param taken Ports our own children hold.
 * @returns The port.
 * @throws {LlamaPackError} `PORT_BUSY` when the whole range is taken.
 */
export async function freeChildPort(deps: ChildDeps, taken: ReadonlySet<number>): Promise<number> {
  const { first, last } = deps.config.serve.child_ports;
  const recorded = new Set(deps.store.servers().map((r) => r.port));
  for (let port = first; port <= last; port++) {
    if (taken.has(port) || recorded.has(port)) continue;
    if (!(await portInUse(CHILD_HOST, port))) return port;
  }
  throw new LlamaPackError("PORT_BUSY", `no free port in serve.child_ports ${first}-${last}`, {
    hint: "widen serve.child_ports in the config",
  });
}

/**
 * Spawns a server for a model and records it (owned by this `--serve`).
 *
 * @param deps Config, store, adapter, environment.
 * @param model The model.
 * @param gen The scheduler's generation.
 * @param port The port to listen on.
 * @returns The child, loading.
 * @throws {LlamaPackError} `IO` when the model's files are missing, `SERVER_START` when it cannot be spawned.
 */
export async function spawnChild(
  deps: ChildDeps,
  model: IndexedModel,
  gen: number,
  port: number,
): Promise<Child> {
  const { config, adapter } = deps;
  const logDir = join(deps.stateDir, "logs");
  await Deno.mkdir(logDir, { recursive: true });
  const logPath = join(logDir, `server-${port}.log`);
  // As -m: the copy is chosen (checked on disk: a stale or damaged SSD copy
  // is passed over) and the server recorded under the SSD lock eviction
  // takes too, and the server runs only once it is recorded.
  const { child, proc } = await withSsdLock(deps.stateDir, `starting ${model.name}`, async () => {
    const { tier, copy, problem } = await servedCopy(model);
    if (problem !== undefined) deps.passedOver(passedOverData(model, problem, copy.path));
    const mmproj = copy.mmproj ?? model.hdd?.mmproj;
    const argv = adapter.buildArgv({
      modelPath: copy.path,
      ...(mmproj === undefined ? {} : { mmprojPath: mmproj }),
      host: CHILD_HOST,
      port,
      // As llama.cpp's router does: the child answers under the id /v1/models lists
      // (its /props model_alias, the "model" of its answers), unless the user names one.
      ...(deps.childEnv.LLAMA_ARG_ALIAS ? {} : { alias: model.id }),
      layers: [
        { label: "global_llama_args", args: config.global_llama_args },
        { label: `the stored args of ${model.name}`, args: model.storedArgs },
      ],
    });
    const startedAt = deps.now();
    const proc = await spawnServer(config.server_binary, argv, {
      logPath,
      env: deps.childEnv,
      clearEnv: true,
      held: true,
    });
    // Never let a server run that no record knows of: it has not started yet.
    const row = await recordHeldServer(deps.store, proc, {
      host: CHILD_HOST,
      port,
      model_id: model.id,
      model_path: copy.path,
      tier,
      log_path: logPath,
      started_at: startedAt,
      use_id: null,
      owner_pid: deps.ownerPid,
    });
    const child: Child = {
      model,
      gen,
      host: CHILD_HOST,
      port,
      tier,
      argv,
      proc,
      row,
      logPath,
      startedAt,
    };
    return { child, proc };
  });
  await proc.start();
  return child;
}

/**
 * Waits for a child to load: until its health check says ready, it exits
 * (`SERVER_START`, the log's last lines in the hint), or the budget runs out
 * (`SERVER_TIMEOUT`) — a budget that is extended while the process is alive
 * and still progressing (CPU time, bytes read, memory).
 *
 * @param deps The adapter.
 * @param child The child.
 * @param budget The load budget.
 * @param signal Aborts the wait (shutdown, unload).
 * @returns Milliseconds from spawn to ready.
 * @throws {LlamaPackError} `SERVER_START` or `SERVER_TIMEOUT`.
 */
export async function waitChildReady(
  deps: Pick<ChildDeps, "adapter">,
  child: Child,
  budget: LoadBudget,
  signal: AbortSignal,
): Promise<number> {
  const started = performance.now();
  let window = budget.seconds;
  for (;;) {
    const before = readLoadSignals(child.proc.identity.pid);
    try {
      await waitReady(deps.adapter.healthUrl(child.host, child.port), {
        timeoutMs: window * 1000,
        exited: child.proc.exited,
        isAlive: () => child.proc.exitStatus() === undefined,
        interpret: (s, b) => deps.adapter.interpretHealth(s, b),
        logPath: child.logPath,
        signal,
      });
      return Math.round(performance.now() - started);
    } catch (err) {
      const timedOut = err instanceof LlamaPackError && err.code === "SERVER_TIMEOUT";
      if (!timedOut || budget.extendSeconds <= 0 || before === undefined) throw err;
      const after = readLoadSignals(child.proc.identity.pid);
      if (child.proc.exitStatus() !== undefined || !loadProgressed(before, after)) {
        const total = (performance.now() - started) / 1000;
        throw new LlamaPackError(
          "SERVER_TIMEOUT",
          `${child.model.name} did not load within ${
            Math.round(total)
          } s and stopped making progress (budget: ${budget.reason})`,
          { hint: `set serve.load_timeout, or read the log: ${child.logPath}` },
        );
      }
      window = budget.extendSeconds;
    }
  }
}

/**
 * Records the use of a child that became ready and links it to its row.
 *
 * @param store The state store.
 * @param child The child.
 * @param readyMs How long it took to load.
 * @returns The use's id.
 */
export function recordChildReady(store: StateStore, child: Child, readyMs: number): number {
  const useId = store.recordUse({
    modelId: child.model.id,
    at: child.startedAt,
    tier: child.tier,
    port: child.port,
    readySeconds: readyMs / 1000,
  });
  store.tx(() => {
    const current = store.servers().find((r) => r.port === child.port && r.host === child.host);
    if (current?.pid === child.row.pid) store.addServer({ ...child.row, use_id: useId });
  });
  child.row = { ...child.row, use_id: useId };
  return useId;
}

/**
 * Stops a child (SIGTERM to its group, the grace period, then SIGKILL),
 * forgets its row and closes its use with its duration.
 *
 * @param deps Store, clock, grace.
 * @param child The child.
 * @param graceMs The grace period (`deps.graceMs` by default).
 * @returns What the stop did.
 */
export async function stopChild(
  deps: Pick<ChildDeps, "store" | "now" | "graceMs">,
  child: Child,
  graceMs: number = deps.graceMs,
): Promise<StopResult> {
  return await stopRecordedServer(deps.store, child.row, { graceMs, now: deps.now() });
}

/**
 * Forgets a child that has stopped: closes its use with its duration and
 * removes its row (only if it still records that process). It never
 * throws: the process is gone whatever the state says, so when the state
 * cannot be written (a full disk) it says so through `warn`, and the row is
 * left for the next llama-pack that checks it and finds its process gone
 * (`pruneServers`, `stopOrphans`), which forgets it. Idempotent.
 *
 * @param deps Store and clock.
 * @param child The child, stopped.
 * @param warn Prints one line for the user.
 *
 * @example A child whose state cannot be written: one warning, no throw
 * ```ts
 * import assert from "node:assert/strict";
 * import { forgetChild } from "./children.ts";
 * const store = { uses: () => [], servers: () => [], tx: () => { throw new Error("database or disk is full"); } };
 * const child = { model: { id: "m", name: "m.gguf" }, row: { use_id: null, host: "127.0.0.1", port: 1 }, startedAt: 0 };
 * const lines: string[] = [];
 * forgetChild({ store, now: () => 1 } as never, child as never, (l) => lines.push(l));
 * assert(lines.length === 1 && lines[0]!.startsWith("warning: cannot record that m.gguf stopped: database or disk is full"));
 * ```
 */
export function forgetChild(
  deps: Pick<ChildDeps, "store" | "now">,
  child: Child,
  warn: (line: string) => void,
): void {
  const { store } = deps;
  try {
    const useId = child.row.use_id;
    if (useId !== null) {
      const use = store.uses(child.model.id).find((u) => u.id === useId);
      if (use && use.duration === null) {
        store.finishUse(useId, { duration: Math.max(0, deps.now() - child.startedAt) });
      }
    }
    forgetServer(store, child.row);
  } catch (err) {
    warn(
      `warning: cannot record that ${child.model.name} stopped: ${
        err instanceof Error ? err.message : String(err)
      }; its record is forgotten once llama-pack can write there again and finds it gone`,
    );
  }
}

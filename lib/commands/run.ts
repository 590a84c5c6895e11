/**
 * The command behind -m/--model: find the model, pick its fastest copy, merge
 * the server args, free the port (only from llama-pack's own servers), start
 * the server in the foreground (default) or detached (`-d`), record the use.
 *
 * @module
 */

import { join } from "node:path";
import { LlamaPackError } from "../errors.ts";
import { formatDuration } from "../core/units.ts";
import { findModel, type IndexedModel, type TierCopy } from "../core/model_index.ts";
import { loadIndex } from "../state/load_index.ts";
import type { ServerRow, StateStore } from "../state/store.ts";
import { type ServerAdapter, serverAdapter } from "../server/adapter.ts";
import { type HealthTick, waitReady } from "../server/health.ts";
import { portInUse } from "../server/port_check.ts";
import { type ServerProcess, spawnServer } from "../server/spawn_server.ts";
import {
  forgetServer,
  identityFields,
  pruneServers,
  stopRecordedServer,
} from "../server/records.ts";
import { nextServerState, type ServerEvent, type ServerState } from "../server/lifecycle.ts";
import { maybePromote } from "./promote.ts";
import type { CommandContext } from "./context.ts";

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
 * import { stopGraceMs } from "./run.ts";
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
 * Quotes one argument for display in a shell command line.
 *
 * @param arg The argument.
 * @returns It, single-quoted when it holds anything but safe characters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shellQuote } from "./run.ts";
 * assert(shellQuote("-c") === "-c");
 * assert(shellQuote("/my models/a.gguf") === "'/my models/a.gguf'");
 * ```
 */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** Whether every file of a tier copy still exists. */
function filesPresent(copy: TierCopy): boolean {
  return copy.files.every((f) => {
    try {
      return Deno.statSync(f.path).isFile;
    } catch {
      return false;
    }
  });
}

/** The copy to serve from: a verified SSD copy, else the HDD one, else an unverified SSD one. */
function pickCopy(model: IndexedModel): { tier: "ssd" | "hdd"; copy: TierCopy } {
  if (model.ssd?.verified && filesPresent(model.ssd)) return { tier: "ssd", copy: model.ssd };
  if (model.hdd && filesPresent(model.hdd)) return { tier: "hdd", copy: model.hdd };
  const where = model.hdd?.path ?? model.ssd?.path ?? model.name;
  throw new LlamaPackError("IO", `model file missing: ${where}`, {
    hint: "run llama-pack --update to rescan the model directories",
  });
}

/** Runs the cache's auto-promotion after a load; a failure there only warns. */
async function promoteAfterLoad(
  ctx: CommandContext,
  modelId: string,
  server: { host: string; port: number },
): Promise<string | undefined> {
  try {
    return await maybePromote(ctx, modelId, server);
  } catch (err) {
    // The server is up: a failed cache decision must not turn the run into a failure.
    ctx.err(`warning: no SSD copy decision: ${err instanceof Error ? err.message : String(err)}\n`);
    return undefined;
  }
}

/**
 * Runs -m/--model.
 *
 * @param ctx The command context.
 * @returns The exit status.
 * @throws {LlamaPackError} `NO_MATCH`/`AMBIGUOUS` for the query, `USAGE` for
 *   server args llama-pack sets itself, `PORT_BUSY` when another program holds
 *   the port, `SERVER_START` when the server dies while loading,
 *   `SERVER_TIMEOUT` when it is not ready in time.
 */
export async function runCommand(ctx: CommandContext): Promise<number> {
  const action = ctx.cmd.action;
  if (action.kind !== "run") {
    throw new LlamaPackError("USAGE", `run: unexpected action ${action.kind}`);
  }
  const config = await ctx.config();
  const store = ctx.state();
  const adapter = serverAdapter(config.server_type);
  const now = ctx.now();

  const { model, also } = findModel(loadIndex(store), action.model, { strict: action.strict, now });
  const alsoText = also.length === 0
    ? ""
    : ` (also matched: ${also.slice(0, 3).map((m) => m.name).join(", ")}${
      also.length > 3 ? `, +${also.length - 3} more` : ""
    })`;
  ctx.err(`model: ${model.name}${alsoText}\n`);
  for (const m of also) ctx.debug(1, `  also matched ${m.name}: ${m.reason}`);

  const runArgs = ctx.cmd.passthrough ?? [];
  let stored = model.storedArgs;
  if (action.store) {
    stored = runArgs;
    if (!ctx.cmd.dryRun) store.setStoredArgs(model.id, runArgs);
    const verb = ctx.cmd.dryRun ? "would store" : "stored";
    ctx.out(
      runArgs.length === 0
        ? `${ctx.cmd.dryRun ? "would clear" : "cleared"} stored args for ${model.name}\n`
        : `${verb} args for ${model.name}: ${runArgs.map(shellQuote).join(" ")}\n`,
    );
  }

  const { tier, copy } = pickCopy(model);
  ctx.debug(
    1,
    `serving from ${tier}: ${copy.path}` +
      (tier === "hdd" && model.ssd !== undefined
        ? " (the SSD copy is not verified or is missing)"
        : ""),
  );
  const host = ctx.cmd.host ?? config.default_host;
  const port = ctx.cmd.port ?? config.default_port;
  // An SSD copy without the projector the HDD copy has still gets it (from the HDD).
  const mmproj = copy.mmproj ?? model.hdd?.mmproj;
  const argv = adapter.buildArgv({
    modelPath: copy.path,
    ...(mmproj === undefined ? {} : { mmprojPath: mmproj }),
    host,
    port,
    layers: [
      { label: "global_llama_args", args: config.global_llama_args },
      { label: `the stored args of ${model.name}`, args: action.store ? [] : stored },
      { label: "the args after --", args: runArgs },
    ],
  });
  const binary = config.server_binary;
  const commandLine = [binary, ...argv].map(shellQuote).join(" ");
  if (ctx.cmd.dryRun) {
    ctx.out(`would run (from ${tier}): ${commandLine}\n`);
    return 0;
  }

  await freePort(ctx, store, host, port);

  const logDir = join(ctx.stateDir, "logs");
  await Deno.mkdir(logDir, { recursive: true });
  const logPath = join(logDir, `server-${port}.log`);
  ctx.err(`starting ${adapter.name} from ${tier}: ${commandLine}\n`);

  const startedAt = ctx.now();
  const proc = await spawnServer(binary, argv, {
    logPath,
    foreground: !action.detach,
    terminal: terminalWriter(ctx),
  });
  const row: ServerRow = {
    host,
    port,
    ...identityFields(proc.identity),
    model_id: model.id,
    model_path: copy.path,
    tier,
    log_path: logPath,
    started_at: startedAt,
    use_id: null,
  };
  store.addServer(row);
  const launch = { ctx, store, adapter, proc, row, model, tier, logPath };
  return action.detach
    ? await runDetached(launch, (action.timeoutSeconds ?? config.ready_timeout_s) * 1000)
    : await runForeground(launch);
}

/** Everything about one launch the two modes share. */
interface Launch {
  ctx: CommandContext;
  store: StateStore;
  adapter: ServerAdapter;
  proc: ServerProcess;
  row: ServerRow;
  model: IndexedModel;
  tier: "ssd" | "hdd";
  logPath: string;
}

/** Stops a llama-pack server holding the port; refuses when another program holds it. */
async function freePort(ctx: CommandContext, store: StateStore, host: string, port: number) {
  const { live } = pruneServers(store);
  for (const old of live.filter((r) => r.port === port)) {
    const result = await stopRecordedServer(store, old, {
      graceMs: stopGraceMs(ctx.env),
      now: ctx.now(),
    });
    const name = store.model(old.model_id)?.name ?? old.model_id;
    ctx.err(
      `stopped the llama-pack server on port ${port} (${name}, pid ${old.pid}): ${
        describeStop(result.outcome)
      }\n`,
    );
  }
  if (await portInUse(host, port)) {
    throw new LlamaPackError(
      "PORT_BUSY",
      `port ${port} is in use by another program (not started by llama-pack)`,
      {
        hint:
          "choose another port with -p/--port; llama-pack never stops programs it did not start",
      },
    );
  }
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
 * import { describeStop } from "./run.ts";
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

function terminalWriter(ctx: CommandContext): { write(p: Uint8Array): Promise<number> } {
  const decoder = new TextDecoder();
  return {
    write(p: Uint8Array) {
      ctx.err(decoder.decode(p, { stream: true }));
      return Promise.resolve(p.length);
    },
  };
}

/** Records the use of a server that became ready and links it to its row. */
function recordReady(l: Launch, readyMs: number): number {
  const useId = l.store.recordUse({
    modelId: l.model.id,
    at: l.row.started_at,
    tier: l.tier,
    port: l.row.port,
    readySeconds: readyMs / 1000,
  });
  l.store.tx(() => {
    const current = l.store.servers().find((r) => r.port === l.row.port && r.host === l.row.host);
    if (current?.pid === l.row.pid) l.store.addServer({ ...l.row, use_id: useId });
  });
  return useId;
}

function url(l: Launch): string {
  const h = l.adapter.healthUrl(l.row.host, l.row.port);
  return h.replace(/\/health$/, "");
}

/** A one-line progress display on a terminal, nothing otherwise. */
function spinner(l: Launch): { tick(t: HealthTick): void; clear(): void } {
  const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
  let n = 0;
  let shown = false;
  if (!l.ctx.isTty) {
    l.ctx.err(`waiting for ${l.model.name} to load from ${l.tier}…\n`);
    return { tick() {}, clear() {} };
  }
  return {
    tick(t) {
      const what = t.state === "down" ? "starting" : t.state;
      l.ctx.err(
        `\r\x1b[K${
          frames[n++ % frames.length]
        } ${what} ${l.model.name} from ${l.tier.toUpperCase()}… ${
          formatDuration(t.elapsedMs / 1000)
        }`,
      );
      shown = true;
    },
    clear() {
      if (shown) l.ctx.err("\r\x1b[K");
    },
  };
}

/** Installs handlers for Ctrl-C (and SIGTERM/SIGHUP) while `fn` runs. */
async function withStopSignals<T>(
  onSignal: (sig: Deno.Signal) => void,
  fn: () => Promise<T>,
): Promise<T> {
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  const handlers = signals.map((sig) => [sig, () => onSignal(sig)] as const);
  for (const [sig, h] of handlers) Deno.addSignalListener(sig, h);
  try {
    return await fn();
  } finally {
    for (const [sig, h] of handlers) Deno.removeSignalListener(sig, h);
  }
}

class Interrupted extends Error {}

async function runDetached(l: Launch, timeoutMs: number): Promise<number> {
  const { ctx, store, proc, row } = l;
  const graceMs = stopGraceMs(ctx.env);
  const controller = new AbortController();
  const spin = spinner(l);
  let ready;
  try {
    ready = await withStopSignals(
      () => controller.abort(new Interrupted()),
      () =>
        waitReady(l.adapter.healthUrl(row.host, row.port), {
          timeoutMs,
          exited: proc.exited,
          isAlive: () => proc.exitStatus() === undefined,
          interpret: (s, b) => l.adapter.interpretHealth(s, b),
          onTick: (t) => spin.tick(t),
          logPath: l.logPath,
          signal: controller.signal,
        }),
    );
  } catch (err) {
    spin.clear();
    // A failed start records nothing, and leaves nothing running.
    await stopRecordedServer(store, row, { graceMs, now: ctx.now() });
    await proc.exited;
    if (err instanceof Interrupted) {
      ctx.err(`interrupted: stopped ${l.model.name} while it was loading\n`);
      return 130;
    }
    if (err instanceof LlamaPackError && err.code === "SERVER_TIMEOUT") {
      throw new LlamaPackError("SERVER_TIMEOUT", `${err.message} (stopped it)`, {
        cause: err,
        ...(err.hint === undefined ? {} : { hint: err.hint }),
      });
    }
    if (err instanceof LlamaPackError && err.code === "SERVER_START") {
      const code = proc.exitStatus()?.code;
      throw new LlamaPackError(
        "SERVER_START",
        `${l.adapter.name} exited while loading ${l.model.name}` +
          (code === undefined ? "" : ` (exit code ${code})`) + `; log: ${l.logPath}`,
        err.hint === undefined ? { cause: err } : { cause: err, hint: err.hint },
      );
    }
    throw err;
  }
  spin.clear();
  recordReady(l, ready.elapsedMs);
  ctx.out(
    `ready: ${url(l)} (${l.model.name} from ${l.tier}, pid ${row.pid}, ${
      (ready.elapsedMs / 1000).toFixed(1)
    }s to load)\nlog: ${l.logPath}\n`,
  );
  const note = await promoteAfterLoad(ctx, l.model.id, { host: row.host, port: row.port });
  if (note) ctx.out(`${note}\n`);
  proc.unref();
  return 0;
}

/**
 * Foreground: the server's output streams to the terminal (and its log);
 * Ctrl-C stops it (a second Ctrl-C kills it); the use's duration is
 * recorded when it exits. This function is the one owner of the server's
 * state (see `lifecycle.ts`).
 */
async function runForeground(l: Launch): Promise<number> {
  const { ctx, store, proc, row } = l;
  const graceMs = stopGraceMs(ctx.env);
  const controller = new AbortController();
  let state: ServerState = "starting";
  const on = (event: ServerEvent) => (state = nextServerState(state, event) ?? state);
  let stopping: Promise<unknown> = Promise.resolve();
  return await withStopSignals((sig) => {
    const name = sig === "SIGINT" ? "Ctrl-C" : sig;
    if (state === "stopping") {
      ctx.err(`${name} again: killing ${l.adapter.name}\n`);
      stopping = Promise.all([
        stopping,
        stopRecordedServer(store, row, { graceMs: 0, now: ctx.now() }),
      ]);
      return;
    }
    if (on("stop") !== "stopping") return; // already stopped
    controller.abort(new Interrupted());
    ctx.err(`\n${name}: stopping ${l.adapter.name}…\n`);
    stopping = stopRecordedServer(store, row, { graceMs, now: ctx.now() });
  }, () =>
    superviseForeground().catch(async (err) => {
      // Whatever went wrong here (a closed terminal, a bug), never leave the
      // server running unsupervised.
      await stopRecordedServer(store, row, { graceMs, now: ctx.now() }).catch(() => {});
      throw err;
    }));

  async function superviseForeground(): Promise<number> {
    let useId: number | undefined;
    try {
      const ready = await waitReady(l.adapter.healthUrl(row.host, row.port), {
        timeoutMs: Infinity,
        exited: proc.exited,
        isAlive: () => proc.exitStatus() === undefined,
        interpret: (s, b) => l.adapter.interpretHealth(s, b),
        signal: controller.signal,
      });
      on("healthy");
      useId = recordReady(l, ready.elapsedMs);
      ctx.err(
        `ready: ${url(l)} (${l.model.name} from ${l.tier}, ${
          (ready.elapsedMs / 1000).toFixed(1)
        }s to load); Ctrl-C stops it\n`,
      );
      const note = await promoteAfterLoad(ctx, l.model.id, { host: row.host, port: row.port });
      if (note) ctx.err(`${note}\n`);
    } catch (err) {
      // Interrupted by Ctrl-C, or the server died while loading: both end below.
      if (!(err instanceof Interrupted) && !(err instanceof LlamaPackError)) throw err;
    }
    const status = await proc.exited;
    await stopping;
    const stoppedByUs = state === "stopping";
    on("exit");
    const ranFor = ctx.now() - row.started_at;
    if (useId !== undefined) store.finishUse(useId, { duration: Math.max(0, ranFor) });
    forgetServer(store, row);
    if (stoppedByUs) {
      ctx.err(`stopped ${l.model.name} after ${formatDuration(ranFor)}\n`);
      return 0;
    }
    if (useId === undefined) {
      throw new LlamaPackError(
        "SERVER_START",
        `${l.adapter.name} exited while loading ${l.model.name} (exit code ${status.code}); log: ${l.logPath}`,
      );
    }
    if (status.success) {
      ctx.err(`${l.adapter.name} exited after ${formatDuration(ranFor)}\n`);
      return 0;
    }
    ctx.err(
      `error: ${l.adapter.name} exited with ${
        status.signal ? `signal ${status.signal}` : `code ${status.code}`
      } after ${formatDuration(ranFor)}; log: ${l.logPath}\n`,
    );
    return 1;
  }
}

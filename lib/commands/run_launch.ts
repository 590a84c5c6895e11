/**
 * What the two ways of running a server (foreground and detached) share: the
 * launch they supervise, recording the use once the server is ready, the
 * cache's auto-promotion after a load, and the stop signals (Ctrl-C,
 * SIGTERM, SIGHUP) while they wait.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import type { IndexedModel } from "../core/model_index.ts";
import type { ServerRow, StateStore } from "../state/store.ts";
import type { ServerAdapter } from "../server/adapter.ts";
import { displayUrl } from "../server/endpoint.ts";
import type { ServerProcess } from "../server/spawn_server.ts";
import { maybePromote } from "./promote.ts";
import type { CommandContext } from "./context.ts";

/** Everything about one launch the two modes share. */
export interface Launch {
  /** The command context. */
  ctx: CommandContext;
  /** The state store. */
  store: StateStore;
  /** The server type's adapter (health URL and its meaning). */
  adapter: ServerAdapter;
  /** The started server process. */
  proc: ServerProcess;
  /** Its row in the store. */
  row: ServerRow;
  /** The model it serves. */
  model: IndexedModel;
  /** The tier it serves from (a store of another tool counts as `hdd`). */
  tier: "ssd" | "hdd";
  /** Where it serves from, for messages: `ssd`, `hdd`, or a store's name (`Ollama`). */
  from: string;
  /** The server's log file. */
  logPath: string;
}

/**
 * Runs the cache's auto-promotion after a load; a failure there only warns.
 *
 * @param ctx The command context.
 * @param modelId The model just loaded.
 * @param server Where its server listens.
 * @returns The promotion's note for the user, if any.
 */
export async function promoteAfterLoad(
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
 * Records the use of a server that became ready and links it to its row.
 *
 * @param l The launch.
 * @param readyMs How long it took to become ready.
 * @returns The use's id.
 */
export function recordReady(l: Launch, readyMs: number): number {
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

/**
 * The server's base URL (its health URL without `/health`).
 *
 * @param l The launch.
 * @returns E.g. `http://127.0.0.1:8080`.
 */
export function launchUrl(l: Launch): string {
  const h = l.adapter.healthUrl(l.row.host, l.row.port);
  return displayUrl(h.replace(/\/health$/, ""));
}

/**
 * Installs handlers for Ctrl-C (and SIGTERM/SIGHUP) while `fn` runs.
 *
 * @param onSignal Called with each signal received.
 * @param fn The work to run.
 * @returns What `fn` returns.
 *
 * @example No signal while a quick task runs
 * ```ts
 * import assert from "node:assert/strict";
 * import { withStopSignals } from "./run_launch.ts";
 * const seen: string[] = [];
 * assert(await withStopSignals((s) => seen.push(s), () => Promise.resolve(42)) === 42);
 * assert(seen.length === 0);
 * ```
 */
export async function withStopSignals<T>(
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

/** Signals that stop a server on purpose (llama-pack's own stops, Ctrl-C, a hang-up). */
const STOP_SIGNALS: ReadonlySet<string> = new Set(["SIGTERM", "SIGINT", "SIGHUP"]);

/**
 * The error for a server that a stop signal ended before it was ready.
 * llama-server installs its signal handlers only after loading, so a stop
 * while loading kills it (exit status 143): that is not a crash.
 *
 * @param l The launch.
 * @param status How the server exited.
 * @returns The error, or `undefined` when no stop signal ended it.
 */
export function stoppedWhileLoading(
  l: Launch,
  status: Deno.CommandStatus | undefined,
): LlamaPackError | undefined {
  const sig = status?.signal;
  if (sig === null || sig === undefined || !STOP_SIGNALS.has(sig)) return undefined;
  return new LlamaPackError(
    "SERVER_STOPPED",
    `${l.adapter.name} was stopped by ${sig} while loading ${l.model.name} ` +
      `(llama-pack -k or --killall, or another program; not a crash); log: ${l.logPath}`,
  );
}

/** The reason a wait for readiness was aborted: the user asked to stop. */
export class Interrupted extends Error {}

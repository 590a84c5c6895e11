/**
 * Running a server in the foreground (`-m`, the default): its output streams
 * to the terminal and its log, Ctrl-C stops it (a second Ctrl-C kills it),
 * and the use's duration is recorded when it exits.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import { formatDuration } from "../core/units.ts";
import { waitReady } from "../server/health.ts";
import { forgetServer, stopRecordedServer } from "../server/records.ts";
import { nextServerState, type ServerEvent, type ServerState } from "../server/lifecycle.ts";
import {
  Interrupted,
  type Launch,
  launchUrl,
  promoteAfterLoad,
  recordReady,
  stoppedWhileLoading,
  withStopSignals,
} from "./run_launch.ts";
import { describeStop, stopExplained, stopGraceMs } from "./server_stop.ts";
import type { CommandContext } from "./context.ts";

/**
 * Where a foreground server's output goes: the command's stderr, decoded as a stream.
 *
 * @param ctx The command context.
 * @returns A writer for `spawnServer`'s `terminal` option.
 */
export function terminalWriter(ctx: CommandContext): { write(p: Uint8Array): Promise<number> } {
  const decoder = new TextDecoder();
  return {
    write(p: Uint8Array) {
      ctx.err(decoder.decode(p, { stream: true }));
      return Promise.resolve(p.length);
    },
  };
}

/**
 * Foreground: the server's output streams to the terminal (and its log);
 * Ctrl-C stops it (a second Ctrl-C kills it); the use's duration is
 * recorded when it exits. This function is the one owner of the server's
 * state (see `lifecycle.ts`).
 *
 * @param l The launch.
 * @returns The exit status: 0 when stopped by the user or exited cleanly, 1 otherwise.
 * @throws {LlamaPackError} `SERVER_START` when it exits while loading.
 */
export async function runForeground(l: Launch): Promise<number> {
  const { ctx, store, proc, row } = l;
  const graceMs = stopGraceMs(ctx.env);
  const controller = new AbortController();
  let state: ServerState = "starting";
  const on = (event: ServerEvent) => (state = nextServerState(state, event) ?? state);
  let stopping: Promise<unknown> = Promise.resolve();
  let stop: Awaited<ReturnType<typeof stopExplained>> | undefined;
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
    stopping = stopExplained(store, row, {
      graceMs,
      now: ctx.now(),
      server: l.adapter.name,
      notify: (line) => ctx.err(`${line} (Ctrl-C again kills it now)\n`),
    }).then((r) => (stop = r));
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
        `ready: ${launchUrl(l)} (${l.model.name} from ${l.from}, ${
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
    if (stoppedByUs && stop?.result.outcome === "killed") {
      const how = describeStop("killed", stop.details).replace(/^killed /, "");
      ctx.err(`killed ${l.model.name} ${how}; it ran ${formatDuration(ranFor)}\n`);
      return 0;
    }
    if (stoppedByUs) {
      ctx.err(`stopped ${l.model.name} after ${formatDuration(ranFor)}\n`);
      return 0;
    }
    if (useId === undefined) {
      const stopped = stoppedWhileLoading(l, status);
      if (stopped !== undefined) throw stopped;
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

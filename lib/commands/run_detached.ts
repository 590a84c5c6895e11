/**
 * Running a server detached (`-m -d`): wait for it to be ready with a
 * progress line, stop it (and record nothing) when it dies, times out or is
 * interrupted, otherwise record the use, report the URL and leave it running.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import { formatDuration } from "../core/units.ts";
import { type HealthTick, waitReady } from "../server/health.ts";
import { stopRecordedServer } from "../server/records.ts";
import {
  Interrupted,
  type Launch,
  launchUrl,
  promoteAfterLoad,
  recordReady,
  stoppedWhileLoading,
  withStopSignals,
} from "./run_launch.ts";
import { stopGraceMs } from "./server_stop.ts";

/** A one-line progress display on a terminal, nothing otherwise. */
function spinner(l: Launch): { tick(t: HealthTick): void; clear(): void } {
  const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
  let n = 0;
  let shown = false;
  if (!l.ctx.isTty) {
    l.ctx.err(`waiting for ${l.model.name} to load from ${l.from}…\n`);
    return { tick() {}, clear() {} };
  }
  return {
    tick(t) {
      const what = t.state === "down" ? "starting" : t.state;
      l.ctx.err(
        `\r\x1b[K${frames[n++ % frames.length]} ${what} ${l.model.name} from ${
          l.from === l.tier ? l.tier.toUpperCase() : l.from
        }… ${formatDuration(t.elapsedMs / 1000)}`,
      );
      shown = true;
    },
    clear() {
      if (shown) l.ctx.err("\r\x1b[K");
    },
  };
}

/**
 * Waits for a detached server to be ready, then lets llama-pack exit while it
 * keeps running.
 *
 * @param l The launch.
 * @param timeoutMs How long it may take to load.
 * @returns The exit status: 0 when ready, 130 when interrupted.
 * @throws {LlamaPackError} `SERVER_TIMEOUT` when it is not ready in time,
 *   `SERVER_START` when it exits while loading (it is stopped either way).
 */
export async function runDetached(l: Launch, timeoutMs: number): Promise<number> {
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
      const stopped = stoppedWhileLoading(l, proc.exitStatus());
      if (stopped !== undefined) throw stopped;
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
    `ready: ${launchUrl(l)} (${l.model.name} from ${l.from}, pid ${row.pid}, ${
      (ready.elapsedMs / 1000).toFixed(1)
    }s to load)\nlog: ${l.logPath}\n`,
  );
  const note = await promoteAfterLoad(ctx, l.model.id, { host: row.host, port: row.port });
  if (note) ctx.out(`${note}\n`);
  proc.unref();
  return 0;
}

/**
 * The command behind -k/--kill (the server on `-p`, or the default port)
 * and --killall/--kall (every llama-pack server). Only processes llama-pack
 * started and that are verifiably still the same process are signalled:
 * SIGTERM to the process group, a grace period (10 s), then SIGKILL.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import { portInUse } from "../server/port_check.ts";
import { pruneServers, stopRecordedServer } from "../server/records.ts";
import { describeStop, stopGraceMs } from "./server_stop.ts";
import type { CommandContext } from "./context.ts";

/**
 * Runs -k/--kill and --killall.
 *
 * @param ctx The command context.
 * @returns The exit status.
 * @throws {LlamaPackError} `NOT_RUNNING` when `-k` finds no llama-pack server on the port.
 */
export async function killCommand(ctx: CommandContext): Promise<number> {
  const kind = ctx.cmd.action.kind;
  const config = await ctx.config();
  const store = ctx.state();
  const { live } = pruneServers(store);
  const names = new Map(store.models().map((m) => [m.id, m.name]));
  let targets = live;
  if (kind === "kill") {
    const port = ctx.cmd.port ?? config.default_port;
    targets = live.filter((r) =>
      r.port === port && (ctx.cmd.host === undefined || r.host === ctx.cmd.host)
    );
    if (targets.length === 0) {
      const host = ctx.cmd.host ?? config.default_host;
      const other = await portInUse(host, port).catch(() => false);
      throw new LlamaPackError(
        "NOT_RUNNING",
        `no llama-pack server on port ${port}` +
          (other
            ? ` (the port is used by another program, which llama-pack did not start and leaves alone)`
            : ""),
        { hint: "llama-pack --status lists the running servers" },
      );
    }
  }
  if (targets.length === 0) {
    ctx.out("no llama-pack servers running\n");
    return 0;
  }
  const graceMs = stopGraceMs(ctx.env);
  const results = await Promise.all(
    targets.map(async (row) => ({
      row,
      result: await stopRecordedServer(store, row, { graceMs, now: ctx.now() }),
    })),
  );
  for (const { row, result } of results) {
    ctx.out(
      `port ${row.port}: ${names.get(row.model_id) ?? row.model_id} (pid ${row.pid}) ${
        describeStop(result.outcome)
      } in ${(result.elapsedMs / 1000).toFixed(1)}s\n`,
    );
  }
  return 0;
}

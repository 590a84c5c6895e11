/**
 * The command behind -k/--kill (the server on `-p`, or the default port)
 * and --killall/--kall (every llama-pack server). Only processes llama-pack
 * started and that are verifiably still the same process are signalled:
 * SIGTERM to the process group, a grace period (10 s), then SIGKILL.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import { serverAdapter } from "../server/adapter.ts";
import { addressLabel, isSocketHost, socketInUse } from "../server/endpoint.ts";
import { portInUse } from "../server/port_check.ts";
import { pruneServers } from "../server/records.ts";
import { describeStop, stopExplained, stopGraceMs } from "./server_stop.ts";
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
  const adapter = serverAdapter(config.server_type);
  const { live } = pruneServers(store);
  const names = new Map(store.models().map((m) => [m.id, m.name]));
  let targets = live;
  if (kind === "kill") {
    const host = ctx.cmd.host;
    const port = ctx.cmd.port ?? config.default_port;
    const socket = host !== undefined && isSocketHost(host);
    targets = live.filter((r) =>
      socket
        ? r.host === host
        : !isSocketHost(r.host) && r.port === port && (host === undefined || r.host === host)
    );
    if (targets.length === 0) {
      const where = socket ? host! : `port ${port}`;
      const other = socket
        ? await socketInUse(host!)
        : await portInUse(host ?? config.default_host, port).catch(() => false);
      throw new LlamaPackError(
        "NOT_RUNNING",
        `no llama-pack server on ${where}` +
          (other
            ? ` (the ${
              socket ? "socket" : "port"
            } is used by another program, which llama-pack did not start and leaves alone)`
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
    targets.map(async (row) => {
      const where = addressLabel(row.host, row.port);
      return {
        row,
        ...(await stopExplained(store, row, {
          graceMs,
          now: ctx.now(),
          server: `${adapter.name} (pid ${row.pid})`,
          notify: (line) => ctx.err(`${where}: ${line}\n`),
        })),
      };
    }),
  );
  for (const { row, result, details } of results) {
    ctx.out(
      `${addressLabel(row.host, row.port)}: ${
        names.get(row.model_id) ?? row.model_id
      } (pid ${row.pid}) ${describeStop(result.outcome, details)} in ${
        (result.elapsedMs / 1000).toFixed(1)
      }s\n`,
    );
  }
  return 0;
}

/**
 * The command behind `--logs [-f] [-p PORT]`: a server's log — the last 100
 * lines, or with `-f` the last 20 and then everything it writes until it
 * stops or Ctrl-C. Without `-p`, the only running server (or, with none, the
 * last log of the default port). Needs only the state: it works with a
 * broken config.
 *
 * @module
 */

import { join } from "node:path";
import { LlamaPackError } from "../errors.ts";
import { followLog, readTail } from "../server/log_follow.ts";
import { isSameProcess } from "../server/process_identity.ts";
import { identityOf, pruneServers } from "../server/records.ts";
import type { ServerRow } from "../state/store.ts";
import { withStopSignals } from "./run_launch.ts";
import type { CommandContext } from "./context.ts";

/**
 * Runs `--logs`.
 *
 * @param ctx The command context.
 * @returns 0 (also when following ends because the server stopped, or on Ctrl-C).
 * @throws {LlamaPackError} `USAGE` when several servers run and no `-p` says
 *   which; `NOT_RUNNING` when there is no such server and no log.
 */
export async function logsCommand(ctx: CommandContext): Promise<number> {
  const action = ctx.cmd.action;
  if (action.kind !== "logs") throw new LlamaPackError("USAGE", `logs: unexpected ${action.kind}`);
  const config = await ctx.config();
  const store = ctx.state();
  const live = pruneServers(store).live.filter((r) =>
    (ctx.cmd.port === undefined || r.port === ctx.cmd.port) &&
    (ctx.cmd.host === undefined || r.host === ctx.cmd.host)
  );
  if (ctx.cmd.port === undefined && live.length > 1) {
    throw new LlamaPackError(
      "USAGE",
      `${live.length} servers are running (ports ${live.map((r) => r.port).join(", ")}): ` +
        "which log?",
      { hint: `llama-pack --logs -p ${live[0]!.port}` },
    );
  }
  const server: ServerRow | undefined = live[0];
  const port = server?.port ?? ctx.cmd.port ?? config.default_port;
  const path = server?.log_path ?? join(ctx.stateDir, "logs", `server-${port}.log`);
  const tail = await readTail(path, action.follow ? 20 : 100);
  if (tail === undefined) {
    throw new LlamaPackError("NOT_RUNNING", `no llama-pack server on port ${port}, and no log`, {
      hint: "llama-pack --status lists the running servers",
    });
  }
  if (server === undefined) {
    ctx.err(`no llama-pack server on port ${port} now; its last log (${path}):\n`);
  } else if (tail.earlierLines > 0) {
    ctx.err(`… ${tail.earlierLines} earlier lines in ${path}\n`);
  }
  ctx.out(tail.text);
  if (!action.follow || server === undefined) return 0;

  const identity = identityOf(server);
  const controller = new AbortController();
  const why = await withStopSignals(
    () => controller.abort(),
    () =>
      followLog(path, {
        from: tail.size,
        onText: (t) => ctx.out(t),
        onRestart: () => ctx.err(`(the log was started over)\n`),
        keepGoing: () => isSameProcess(identity),
        signal: controller.signal,
      }),
  );
  if (why === "ended") ctx.err(`(the server on port ${port} stopped)\n`);
  return 0;
}

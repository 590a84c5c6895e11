/**
 * The command behind the hidden `--run-copier JOB`: the detached background
 * copier started after a load that met the admission rule.
 *
 * @module
 */

import { runCopyJob } from "./copy_job.ts";
import { LlamaPackError } from "../errors.ts";
import type { CommandContext } from "./context.ts";

/**
 * Runs the background copier for one job; everything it does is recorded in
 * the job row (see `--status`), and with `-v` also printed.
 *
 * @param ctx The command context.
 * @returns 0 when the job ended done, 1 when it failed.
 * @throws {LlamaPackError} `USAGE` when the job does not exist.
 */
export async function copierCommand(ctx: CommandContext): Promise<number> {
  const action = ctx.cmd.action;
  if (action.kind !== "copier") {
    throw new LlamaPackError("USAGE", `copier: unexpected action ${action.kind}`);
  }
  const outcome = await runCopyJob({
    store: ctx.state(),
    config: await ctx.config(),
    stateDir: ctx.stateDir,
    now: () => ctx.now(),
    log: (line) => ctx.debug(1, line),
  }, action.jobId);
  ctx.out(`copy job ${action.jobId} ${outcome.state}: ${outcome.message}\n`);
  return outcome.state === "done" ? 0 : 1;
}

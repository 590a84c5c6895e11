/**
 * The command behind `--args NAME [-- ARGS]` and `--clear-args NAME`: show a
 * model's stored server args and the command line they make, store new ones
 * (checked first: nothing is saved when they cannot work) or forget them —
 * all without starting a server.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import { shellQuote } from "../core/shell_quote.ts";
import { loadIndex } from "../state/load_index.ts";
import { serverAdapter } from "../server/adapter.ts";
import { findRequested } from "./model_arg.ts";
import { serverCommand } from "./server_argv.ts";
import { servedCopy } from "../cache/unit_check.ts";
import type { CommandContext } from "./context.ts";

const quoted = (args: readonly string[]) => args.map(shellQuote).join(" ");

/**
 * Runs `--args` and `--clear-args`.
 *
 * @param ctx The command context.
 * @returns 0.
 * @throws {LlamaPackError} `NO_MATCH`/`AMBIGUOUS` for the query; `USAGE` for
 *   args that cannot be stored (a flag without its value, a bare word, a flag
 *   llama-pack sets itself) — then nothing is saved.
 */
export async function storedArgsCommand(ctx: CommandContext): Promise<number> {
  const action = ctx.cmd.action;
  if (action.kind !== "args") throw new LlamaPackError("USAGE", `args: unexpected ${action.kind}`);
  const config = await ctx.config();
  const store = ctx.state();
  const adapter = serverAdapter(config.server_type);
  const { model, label } = findRequested(ctx, loadIndex(store), action.model, {
    aliases: config.aliases,
  });
  const dry = ctx.cmd.dryRun;
  // The copy -m would serve, checked on disk as -m checks it (a stale SSD copy is passed over).
  const build = async (stored: readonly string[]) => {
    const { model: checked, tier, copy } = await servedCopy(model);
    return serverCommand(checked, {
      config,
      adapter,
      env: ctx.env,
      host: ctx.cmd.host ?? config.default_host,
      port: ctx.cmd.port ?? config.default_port,
      label,
      stored,
      served: { tier, copy },
    });
  };

  const next = action.clear ? [] : ctx.cmd.passthrough;
  if (next === undefined) {
    ctx.out(
      model.storedArgs.length === 0
        ? `no stored args for ${label}\n`
        : `stored args for ${label}: ${quoted(model.storedArgs)}\n`,
    );
    if (config.global_llama_args.length > 0) {
      ctx.out(`global_llama_args: ${quoted(config.global_llama_args)}\n`);
    }
    try {
      const cmd = await build(model.storedArgs);
      ctx.out(`llama-pack -m runs (from ${cmd.tier}): ${cmd.commandLine}\n`);
    } catch (err) {
      if (!(err instanceof LlamaPackError)) throw err;
      ctx.err(`warning: ${err.message}\n`);
      if (err.hint) ctx.err(`hint: ${err.hint}\n`);
    }
    return 0;
  }

  if (next.length === 0) {
    if (model.storedArgs.length === 0) {
      ctx.out(`no stored args for ${label}: nothing to clear\n`);
      return 0;
    }
    if (!dry) store.setStoredArgs(model.id, []);
    ctx.out(
      `${dry ? "would clear" : "cleared"} the stored args of ${label} (were: ${
        quoted(model.storedArgs)
      })\n`,
    );
    return 0;
  }

  // Checked before anything is saved: alone, and merged into a command line.
  for (const w of adapter.checkArgs(next, "the args to store")) ctx.err(`warning: ${w}\n`);
  const cmd = await build(next);
  if (!dry) store.setStoredArgs(model.id, next);
  ctx.out(`${dry ? "would store" : "stored"} args for ${label}: ${quoted(next)}\n`);
  ctx.out(`llama-pack -m runs (from ${cmd.tier}): ${cmd.commandLine}\n`);
  return 0;
}

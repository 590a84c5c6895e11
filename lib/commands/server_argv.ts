/**
 * The command line a model's server starts with: the copy to serve from (a
 * verified SSD copy, else the HDD), the server's argv with the model's
 * friendly name as `--alias`, and the args merged flag-aware
 * (`global_llama_args`, the stored args, this run's). Shared by `-m`,
 * `--args` and the check for an identical server already running.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import type { Config } from "../config/config.ts";
import type { IndexedModel, TierCopy } from "../core/model_index.ts";
import { pickCopy } from "../server/pick_copy.ts";
import { friendlyName } from "../core/model_names.ts";
import { shellQuote } from "../core/shell_quote.ts";
import type { ServerAdapter } from "../server/adapter.ts";
import type { ServerFlags } from "../server/learned_flags.ts";
import type { Env } from "../config/paths.ts";
import { checkAcceptedArgs } from "./run_args.ts";

/** What a server for a model runs. */
export interface ServerCommand {
  /** The tier it serves from. */
  tier: "ssd" | "hdd";
  /** The copy it serves. */
  copy: TierCopy;
  /** The executable. */
  binary: string;
  /** Its arguments. */
  argv: string[];
  /** Both, quoted for a shell, for people. */
  commandLine: string;
}

/** Options of {@linkcode serverCommand}. */
export interface ServerCommandOptions {
  /** The config. */
  config: Config;
  /** The server adapter. */
  adapter: ServerAdapter;
  /** The environment (an inherited `LLAMA_ARG_ALIAS` is left to work). */
  env: Env;
  /** Host and port to listen on. */
  host: string;
  /** The port. */
  port: number;
  /** The model's stored args (or the args about to be stored). */
  stored: readonly string[];
  /** This run's args after `--`. @default [] */
  runArgs?: readonly string[];
  /** How the model is named in messages. */
  label: string;
  /** The binary's flags (`adapter.learnFlags`); the adapter's own table when absent. */
  flags?: ServerFlags;
  /** The copy already chosen (`servedCopy`, checked on disk); else the verified SSD copy or the HDD one. */
  served?: { tier: "ssd" | "hdd"; copy: TierCopy };
}

/**
 * Builds the command line that serves a model.
 *
 * @param model The model.
 * @param o Config, adapter, address and args.
 * @returns The tier, copy, binary and argv.
 * @throws {LlamaPackError} `IO` when the model's files are missing; `USAGE`
 *   when an arg layer cannot be used (the stored args' error says how to fix them).
 */
export function serverCommand(model: IndexedModel, o: ServerCommandOptions): ServerCommand {
  const { tier, copy } = o.served ?? pickCopy(model);
  // An SSD copy without the projector the HDD copy has still gets it (from the HDD).
  const mmproj = copy.mmproj ?? model.hdd?.mmproj;
  const storedLabel = `the stored args of ${o.label}`;
  const flags = o.flags?.flags;
  try {
    o.adapter.checkArgs(o.stored, storedLabel, flags);
  } catch (err) {
    if (!(err instanceof LlamaPackError)) throw err;
    throw new LlamaPackError("USAGE", err.message, {
      hint: `replace them: llama-pack --args '${o.label}' -- ARGS, ` +
        `or clear them: llama-pack --clear-args '${o.label}'`,
    });
  }
  const binary = o.config.server_binary;
  const layers = {
    global: { label: "global_llama_args", args: o.config.global_llama_args },
    stored: { label: storedLabel, args: o.stored },
    run: { label: "the args after --", args: o.runArgs ?? [] },
  };
  // A flag the binary itself no longer accepts (learned from its --help) is named here.
  if (o.flags) checkAcceptedArgs(binary, o.flags, layers, o.adapter.removedFlags, o.label);
  const argv = o.adapter.buildArgv({
    modelPath: copy.path,
    ...(mmproj === undefined ? {} : { mmprojPath: mmproj }),
    host: o.host,
    port: o.port,
    ...(o.env.LLAMA_ARG_ALIAS ? {} : { alias: friendlyName(model.name) }),
    layers: [layers.global, layers.stored, layers.run],
    ...(flags ? { flags } : {}),
  });
  const commandLine = [binary, ...argv].map(shellQuote).join(" ");
  return { tier, copy, binary, argv, commandLine };
}

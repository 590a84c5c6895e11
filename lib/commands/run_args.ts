/**
 * The server args of one `-m` run checked against the configured binary
 * before anything starts: a flag it no longer accepts is named with the layer
 * it came from (global, stored, this run's) and its replacement where known.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import { shellQuote } from "../core/shell_quote.ts";
import type { ArgLayer } from "../server/adapter.ts";
import { type FlagProblem, unacceptedFlags } from "../server/flag_checks.ts";
import type { ServerFlags } from "../server/learned_flags.ts";
import { splitArgs } from "../server/merge_args.ts";

/** The three layers of server args, labelled for messages. */
export interface RunLayers {
  /** `global_llama_args`. */
  global: ArgLayer;
  /** The model's stored args. */
  stored: ArgLayer;
  /** This run's args after `--`. */
  run: ArgLayer;
}

function fixHint(problem: FlagProblem, layers: RunLayers, flags: ServerFlags, model: string) {
  if (problem.label === layers.stored.label) {
    const bad = new Set([problem.flag]);
    const kept = splitArgs(layers.stored.args, flags.flags)
      .filter((i) => i.flag === undefined || !bad.has(i.flag))
      .flatMap((i) => i.tokens);
    return `fix the stored args: llama-pack -m ${shellQuote(model)} --store -- ${
      kept.map(shellQuote).join(" ")
    }`.trimEnd();
  }
  if (problem.label === layers.global.label) {
    return "edit global_llama_args: llama-pack --edit-config";
  }
  return undefined;
}

/**
 * Throws when a layer holds a flag the binary does not accept. Only flags
 * learned from the binary itself are trusted for this: with the built-in
 * table (an older or newer binary may differ) nothing is refused.
 *
 * @param binary The configured server binary, as configured.
 * @param flags Its flags.
 * @param layers The run's arg layers.
 * @param replacements Known replacements of removed flags.
 * @param model The model's name, for the fix of stored args.
 * @throws {LlamaPackError} `USAGE` naming each flag, where it came from and its replacement.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkAcceptedArgs } from "./run_args.ts";
 * const flags = { source: "help" as const, flags: [{ names: ["-c"], value: "required" as const }] };
 * const layers = {
 *   global: { label: "global_llama_args", args: [] },
 *   stored: { label: "the stored args of m", args: ["--mlock", "-c", "512"] },
 *   run: { label: "the args after --", args: [] },
 * };
 * assert.throws(
 *   () => checkAcceptedArgs("llama-server", flags, layers, { "--mlock": "--load-mode mlock" }, "m"),
 *   /does not accept --mlock \(in the stored args of m\): use --load-mode mlock instead/,
 * );
 * ```
 */
export function checkAcceptedArgs(
  binary: string,
  flags: ServerFlags,
  layers: RunLayers,
  replacements: Readonly<Record<string, string>>,
  model: string,
): void {
  if (flags.source !== "help") return;
  const all = [layers.global, layers.stored, layers.run];
  const problems = unacceptedFlags(all, flags.flags, replacements);
  if (problems.length === 0) return;
  const what = problems.map((p) =>
    `${p.flag} (in ${p.label})${p.instead ? `: use ${p.instead} instead` : ""}`
  ).join("; ");
  const hints = [...new Set(problems.map((p) => fixHint(p, layers, flags, model)))]
    .filter((h) => h !== undefined);
  throw new LlamaPackError(
    "USAGE",
    `${binary} does not accept ${what}`,
    { hint: [...hints, `${binary} --help lists the flags it accepts`].join("\n") },
  );
}

/**
 * Checks one list of server args before it is used or stored: every flag
 * that needs a value has one, no bare word stands where a flag belongs, no
 * flag llama-pack sets itself is given, and unknown flags are named (with the
 * closest known spelling) as warnings. Pure.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import { didYouMean } from "../core/words.ts";
import type { FlagSpec } from "./adapter.ts";

/** A flag llama-pack sets itself, and what to use instead. */
export interface ReservedFlag {
  /** The flag group's first name, e.g. `-m`. */
  readonly key: string;
  /** What it sets, e.g. `the model`. */
  readonly what: string;
  /** What to do instead, e.g. `name it with llama-pack -m/--model`. */
  readonly instead: string;
}

/** Options of {@linkcode checkServerArgs}. */
export interface CheckServerArgsOptions {
  /** Where the args come from, for messages, e.g. `the args after --`. */
  label: string;
  /** Flags llama-pack sets itself. @default [] */
  reserved?: readonly ReservedFlag[];
  /** The server's name, for messages. @default "the server" */
  server?: string;
  /** llama-pack's own flags, to explain one given after `--` by mistake. @default [] */
  ownFlags?: readonly string[];
}

const isFlagLike = (t: string) => t.length > 1 && t.startsWith("-") && !/^-\.?\d/.test(t);

/**
 * Checks a list of server args.
 *
 * @param args The args as written.
 * @param flags The server's flags.
 * @param options Where they come from, the reserved flags.
 * @returns Warnings: unknown flags (passed on as written), with a suggestion.
 * @throws {LlamaPackError} `USAGE` for a flag without its value, a flag's
 *   value that is another known flag, a bare argument, or a reserved flag.
 *
 * @example A dangling `-n` is refused; an unknown flag only warns
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkServerArgs } from "./check_args.ts";
 * const flags = [{ names: ["-c", "--ctx-size"], value: "required" as const },
 *   { names: ["-n", "--predict"], value: "required" as const }];
 * assert.throws(() => checkServerArgs(["-c", "8192", "-n"], flags, { label: "the args to store" }),
 *   /'-n' in the args to store needs a value/);
 * assert.deepEqual(checkServerArgs(["--ctx-szie", "8"], flags, { label: "x" }),
 *   ["'--ctx-szie' in x is not a flag llama-pack knows for the server (did you mean '--ctx-size'?); passed on as written"]);
 * ```
 */
export function checkServerArgs(
  args: readonly string[],
  flags: readonly FlagSpec[],
  options: CheckServerArgsOptions,
): string[] {
  const { label } = options;
  const server = options.server ?? "the server";
  const index = new Map<string, FlagSpec>();
  for (const f of flags) for (const n of f.names) index.set(n, f);
  const usage = (message: string, hint?: string) =>
    new LlamaPackError("USAGE", message, hint ? { hint } : {});
  const warnings: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const token = args[i]!;
    if (!isFlagLike(token)) {
      const prev = args[i - 1];
      throw usage(
        `unexpected argument '${token}' in ${label}` +
          (prev !== undefined && isFlagLike(prev) ? ` after '${prev}', which takes no value` : "") +
          ` (${server} args are flags, each followed by its value)`,
      );
    }
    const eq = token.startsWith("--") ? token.indexOf("=") : -1;
    const name = eq > 0 ? token.slice(0, eq) : token;
    const spec = index.get(name);
    if (spec === undefined) {
      const near = didYouMean(name, [...index.keys()]);
      warnings.push(
        `'${name}' in ${label} is not a flag llama-pack knows for ${server}` +
          `${near ? ` (did you mean '${near}'?)` : ""}; passed on as written`,
      );
      // Its value, if any, is the next word that is not a flag.
      if (eq < 0 && args[i + 1] !== undefined && !isFlagLike(args[i + 1]!)) i++;
      continue;
    }
    const reserved = options.reserved?.find((r) => r.key === spec.names[0]);
    if (reserved) {
      throw usage(
        `cannot pass ${name} in ${label}: llama-pack sets ${reserved.what}`,
        reserved.instead,
      );
    }
    if (eq > 0) {
      if (spec.value === "none") throw usage(`'${name}' in ${label} takes no value`);
      continue;
    }
    if (spec.value === "required") {
      for (let k = 0; k < (spec.arity ?? 1); k++) {
        const value = args[i + 1];
        if (value === undefined) {
          throw usage(
            `'${name}' in ${label} needs a value`,
            options.ownFlags?.includes(name)
              ? `everything after -- goes to ${server}; llama-pack's own ${name} goes before --`
              : `give its value after it, or leave ${name} out`,
          );
        }
        if (isFlagLike(value) && index.has(value.split("=")[0]!)) {
          throw usage(
            `'${name}' in ${label} needs a value, but is followed by the flag '${value}'`,
          );
        }
        i++;
      }
    } else if (spec.value === "optional") {
      if (args[i + 1] !== undefined && (spec.choices ?? []).includes(args[i + 1]!)) i++;
    }
  }
  return warnings;
}

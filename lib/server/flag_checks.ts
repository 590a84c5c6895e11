/**
 * Checks of the server args and environment against a server's flags: which
 * args the binary no longer accepts (with their replacement where known), and
 * which inherited `LLAMA_ARG_*` variables change what starts. Pure.
 *
 * @module
 */

import type { ArgLayer } from "./adapter.ts";
import type { HelpFlag } from "./help_flags.ts";
import { splitArgs } from "./merge_args.ts";

/** A flag in one layer of args that the binary does not accept. */
export interface FlagProblem {
  /** The spelling used. */
  readonly flag: string;
  /** The layer's label, e.g. `global_llama_args`. */
  readonly label: string;
  /** What to use instead, when known, e.g. `--load-mode none`. */
  readonly instead?: string;
}

/**
 * The flags in `layers` that `flags` does not list, or lists as removed.
 *
 * @param layers The user's arg layers.
 * @param flags The binary's flags.
 * @param replacements Known replacements of flags no longer accepted.
 * @returns One problem per offending flag, in order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { unacceptedFlags } from "./flag_checks.ts";
 * const flags = [{ names: ["-c", "--ctx-size"], value: "required" as const },
 *   { names: ["--draft"], value: "required" as const, removed: "use --spec-draft-n-max" }];
 * const p = unacceptedFlags(
 *   [{ label: "the args after --", args: ["-c", "8", "--no-mmap", "--draft", "4"] }],
 *   flags,
 *   { "--no-mmap": "--load-mode none" },
 * );
 * assert.deepEqual(p.map((x) => [x.flag, x.instead]), [["--no-mmap", "--load-mode none"], ["--draft", "--spec-draft-n-max"]]);
 * ```
 */
export function unacceptedFlags(
  layers: readonly ArgLayer[],
  flags: readonly HelpFlag[],
  replacements: Readonly<Record<string, string>>,
): FlagProblem[] {
  const index = new Map<string, HelpFlag>();
  for (const f of flags) for (const n of f.names) index.set(n, f);
  const problems: FlagProblem[] = [];
  for (const layer of layers) {
    for (const item of splitArgs(layer.args, flags, { label: layer.label })) {
      if (item.flag === undefined) continue;
      const spec = index.get(item.flag);
      if (spec !== undefined && spec.removed === undefined) continue;
      const instead = Object.hasOwn(replacements, item.flag)
        ? replacements[item.flag]
        : spec?.removed?.replace(/^use\s+/i, "");
      problems.push({
        flag: item.flag,
        label: layer.label,
        ...(instead ? { instead } : {}),
      });
    }
  }
  return problems;
}

/** One inherited `LLAMA_ARG_*` variable that the server reads. */
export interface EnvSetting {
  /** The variable, e.g. `LLAMA_ARG_CTX_SIZE`. */
  readonly name: string;
  /** Its value. */
  readonly value: string;
  /** The flag it stands for, all spellings joined by `/`, e.g. `-c/--ctx-size`. */
  readonly flag: string;
  /** The arg that overrides it on the command line, e.g. `-c 512`. */
  readonly overriddenBy?: string;
}

/**
 * The `LLAMA_ARG_*` variables in `env` that `flags` knows, and whether the
 * command line overrides each (llama-server lets an arg win over its variable).
 *
 * @param env The environment the server will inherit.
 * @param flags The binary's flags (with their `env` names).
 * @param argv The server's command line (without the binary).
 * @returns The settings, sorted by variable name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { applyingEnv } from "./flag_checks.ts";
 * const flags = [{ names: ["-c", "--ctx-size"], value: "required" as const, env: ["LLAMA_ARG_CTX_SIZE"] }];
 * const s = applyingEnv({ LLAMA_ARG_CTX_SIZE: "256", LLAMA_ARG_NOPE: "1", HOME: "/h" }, flags, ["-c", "512"]);
 * assert.deepEqual(s, [{ name: "LLAMA_ARG_CTX_SIZE", value: "256", flag: "-c/--ctx-size", overriddenBy: "-c 512" }]);
 * ```
 */
export function applyingEnv(
  env: Readonly<Record<string, string | undefined>>,
  flags: readonly HelpFlag[],
  argv: readonly string[],
): EnvSetting[] {
  const byEnv = new Map<string, HelpFlag>();
  for (const f of flags) for (const e of f.env ?? []) byEnv.set(e, f);
  const items = splitArgs(argv, flags);
  const out: EnvSetting[] = [];
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    const spec = byEnv.get(name);
    if (value === undefined || spec === undefined) continue;
    const over = items.find((i) => i.key === spec.names[0]);
    out.push({
      name,
      value,
      flag: spec.names.filter((n) => !/^--?no-/.test(n) || name.includes("_NO_")).join("/"),
      ...(over === undefined ? {} : { overriddenBy: over.tokens.join(" ") }),
    });
  }
  return out;
}

/**
 * Renders settings as one line: `LLAMA_ARG_X=v (-x/--xx), …`.
 *
 * @param settings From {@linkcode applyingEnv}.
 * @returns The text, empty when there are none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatEnv } from "./flag_checks.ts";
 * assert(formatEnv([{ name: "LLAMA_ARG_CTX_SIZE", value: "256", flag: "-c/--ctx-size", overriddenBy: "-c 512" }]) ===
 *   "LLAMA_ARG_CTX_SIZE=256 (-c/--ctx-size; overridden by -c 512)");
 * ```
 */
export function formatEnv(settings: readonly EnvSetting[]): string {
  return settings.map((s) =>
    `${s.name}=${s.value} (${s.flag}${s.overriddenBy ? `; overridden by ${s.overriddenBy}` : ""})`
  ).join(", ");
}

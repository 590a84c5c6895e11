/**
 * Learning a llama-server's flags from its own `--help`: every spelling of
 * every flag, whether it takes a value, its `LLAMA_ARG_*` variable, and which
 * flags the binary lists as removed (with what to use instead). Pure.
 *
 * llama.cpp prints one entry per flag: the spellings and value hints from
 * column 0 (`-c,    --ctx-size N`), the help text from column 40 (or on the
 * next lines when the spellings are long), `(env: LLAMA_ARG_…)` as the help's
 * last line.
 *
 * @module
 */

import type { FlagSpec } from "./adapter.ts";

/** One flag as learned from `--help`. */
export interface HelpFlag extends FlagSpec {
  /** Its environment variables (`LLAMA_ARG_CTX_SIZE`; `LLAMA_ARG_NO_…` for a negation). */
  readonly env?: readonly string[];
  /** For a flag the binary lists as removed: what it says to use instead. */
  readonly removed?: string;
}

const NAME = /^--?[A-Za-z][\w.+-]*$/;
const HELP_COLUMN = 40;

function parseHead(head: string): { names: string[]; arity: number } | undefined {
  const tokens = head.trim().split(/\s+/);
  const names: string[] = [];
  let i = 0;
  // Spellings are separated by ", "; the value hints follow the last one.
  while (i < tokens.length && NAME.test(tokens[i]!.replace(/,$/, ""))) {
    names.push(tokens[i]!.replace(/,$/, ""));
    if (!tokens[i++]!.endsWith(",")) break;
  }
  if (names.length === 0) return undefined;
  const hints = tokens.slice(i);
  // Two plain words (`START END`) are two values; anything else is one hint
  // (it may contain spaces: `<tensor name pattern>=<buffer type>,...`).
  const arity = hints.length === 0
    ? 0
    : hints.length === 2 && hints.every((h) => /^[A-Z_]+$/.test(h))
    ? 2
    : 1;
  return { names, arity };
}

/**
 * Parses llama-server's `--help` output.
 *
 * @param text What `llama-server --help` printed.
 * @returns The flags, in the order printed; empty when the text has none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseServerHelp } from "./help_flags.ts";
 * const help = [
 *   "----- common params -----",
 *   "",
 *   "-c,    --ctx-size N                     size of the prompt context",
 *   "                                        (env: LLAMA_ARG_CTX_SIZE)",
 *   "--jinja, --no-jinja                     use jinja template",
 *   "                                        (env: LLAMA_ARG_JINJA)",
 *   "--draft, --draft-n, --draft-max N       the argument has been removed. use --spec-draft-n-max",
 * ].join("\n");
 * const flags = parseServerHelp(help);
 * assert.deepEqual(flags[0], { names: ["-c", "--ctx-size"], value: "required", env: ["LLAMA_ARG_CTX_SIZE"] });
 * assert.deepEqual(flags[1]?.env, ["LLAMA_ARG_JINJA", "LLAMA_ARG_NO_JINJA"]);
 * assert(flags[1]?.value === "none");
 * assert(flags[2]?.removed === "use --spec-draft-n-max");
 * ```
 */
export function parseServerHelp(text: string): HelpFlag[] {
  const out: HelpFlag[] = [];
  let current: { names: string[]; arity: number; help: string[] } | undefined;
  const finish = () => {
    if (current === undefined) return;
    const help = current.help.join(" ").replace(/\s+/g, " ").trim();
    const env = /\(env: (LLAMA_ARG_\w+)\)/.exec(help)?.[1];
    const removed = /^the argument has been removed\.\s*(.*)$/.exec(help.replace(/\(env:.*$/, ""));
    const arity = current.arity;
    const hasNegation = current.names.some((n) => /^--?no-/.test(n));
    out.push({
      names: current.names,
      value: arity === 0 ? "none" : "required",
      ...(arity > 1 ? { arity } : {}),
      ...(env === undefined
        ? {}
        : { env: hasNegation ? [env, env.replace("LLAMA_ARG_", "LLAMA_ARG_NO_")] : [env] }),
      ...(removed ? { removed: removed[1]!.trim() } : {}),
    });
    current = undefined;
  };
  for (const line of text.split("\n")) {
    if (line.startsWith("-") && !line.startsWith("---")) {
      finish();
      // A short head is padded to the help column; a long one fills the line.
      const padded = line.length > HELP_COLUMN &&
        line.slice(HELP_COLUMN - 3, HELP_COLUMN) === "   ";
      const head = padded ? line.slice(0, HELP_COLUMN) : line;
      const parsed = parseHead(head);
      if (parsed === undefined) continue;
      current = { ...parsed, help: padded ? [line.slice(HELP_COLUMN)] : [] };
    } else if (current !== undefined && line.startsWith(" ")) {
      current.help.push(line.trim());
    } else {
      finish();
    }
  }
  finish();
  return out;
}

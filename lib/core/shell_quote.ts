/**
 * Quoting arguments for display as a shell command line (what `-m` says it
 * runs).
 *
 * @module
 */

/**
 * Quotes one argument for display in a shell command line.
 *
 * @param arg The argument.
 * @returns It, single-quoted when it holds anything but safe characters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shellQuote } from "./shell_quote.ts";
 * assert(shellQuote("-c") === "-c");
 * assert(shellQuote("/my models/a.gguf") === "'/my models/a.gguf'");
 * ```
 */
export function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

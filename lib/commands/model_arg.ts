/**
 * The model a command line names (`-m`, `--cache`, `--args`, …): a config
 * alias replaced by its query, `./`, `../` and `~/` paths made absolute, then
 * matched against the index.
 *
 * @module
 */

import { findModel, type FoundModel, type IndexedModel } from "../core/model_index.ts";
import { resolveModelQuery } from "../core/model_query.ts";
import type { CommandContext } from "./context.ts";

/**
 * Finds the model the user named.
 *
 * @param ctx The command context (environment and clock).
 * @param index The model index.
 * @param query What the user typed.
 * @param options `strict`: fail on an ambiguous query instead of choosing the
 *   best match; `aliases`: the config's short names (`{"coder": "qwen3-coder"}`).
 * @returns The model, its label and the other candidates.
 * @throws {LlamaPackError} `USAGE`, `NO_MATCH` or `AMBIGUOUS` from the matcher.
 */
export function findRequested(
  ctx: CommandContext,
  index: readonly IndexedModel[],
  query: string,
  options: { strict?: boolean; aliases?: Readonly<Record<string, string>> } = {},
): FoundModel {
  const aliases = options.aliases ?? {};
  if (Object.hasOwn(aliases, query)) query = aliases[query]!;
  let cwd = "/";
  try {
    cwd = Deno.cwd();
  } catch {
    // The working directory is gone: relative paths resolve from the root.
  }
  const resolved = resolveModelQuery(query, { cwd, home: ctx.env.HOME });
  return findModel(index, resolved, { strict: options.strict ?? false, now: ctx.now() });
}

/**
 * Flag-aware merging of server args: global args, then a model's stored args,
 * then this run's args, where a later flag replaces an earlier spelling of the
 * same flag and no flag appears twice.
 *
 * Pure: no I/O.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import type { FlagSpec } from "./adapter.ts";

/** One flag with its value(s), or one stray argument, as found in an arg list. */
export interface ArgItem {
  /**
   * What identifies the flag across spellings: the first name of its
   * {@linkcode FlagSpec} for a known flag, the spelling itself for an
   * unknown one, and a unique `"\u0000arg:<n>"` for a stray argument.
   */
  readonly key: string;
  /** The spelling used (before any `=`), or `undefined` for a stray argument. */
  readonly flag: string | undefined;
  /** The tokens exactly as written: the flag and its value(s). */
  readonly tokens: readonly string[];
  /** Whether the flag may repeat within one layer. */
  readonly repeatable: boolean;
}

/** Options of {@linkcode splitArgs}. */
export interface SplitArgsOptions {
  /**
   * Where the args come from, used in error messages.
   *
   * @default {"args"}
   */
  label?: string;
}

const indexCache = new WeakMap<readonly FlagSpec[], Map<string, FlagSpec>>();

function aliasIndex(aliases: readonly FlagSpec[]): Map<string, FlagSpec> {
  let index = indexCache.get(aliases);
  if (index === undefined) {
    index = new Map();
    for (const spec of aliases) for (const name of spec.names) index.set(name, spec);
    indexCache.set(aliases, index);
  }
  return index;
}

/** Whether a token looks like a flag (`-x`, `--xyz`) rather than a value (`-1`, `foo`). */
function isFlagLike(token: string): boolean {
  return token.length > 1 && token.startsWith("-") && !/^-\.?\d/.test(token);
}

let strayCounter = 0;

/**
 * Splits an arg list into flags with their values, knowing which spellings
 * mean the same flag and which flags take values.
 *
 * Unknown flags take the next argument as their value when it does not look
 * like a flag (negative numbers are values). `--flag=value` is one token.
 *
 * @param args The args as written.
 * @param aliases The server's flags.
 * @param options Label for error messages.
 * @returns One item per flag or stray argument, in order.
 * @throws {LlamaPackError} `USAGE` when a flag that needs a value is last.
 *
 * @example Splitting llama-server args
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitArgs } from "./merge_args.ts";
 * import { LLAMA_SERVER_FLAGS } from "./llama_server.ts";
 * const items = splitArgs(["--ctx-size", "4096", "--jinja"], LLAMA_SERVER_FLAGS);
 * assert(items.length === 2);
 * assert(items[0]?.key === "-c");
 * ```
 */
export function splitArgs(
  args: readonly string[],
  aliases: readonly FlagSpec[],
  options: SplitArgsOptions = {},
): ArgItem[] {
  const { label = "args" } = options;
  const index = aliasIndex(aliases);
  const items: ArgItem[] = [];
  for (let i = 0; i < args.length; i++) {
    const token = args[i] as string;
    if (!isFlagLike(token)) {
      items.push({
        key: `\u0000arg:${strayCounter++}`,
        flag: undefined,
        tokens: [token],
        repeatable: true,
      });
      continue;
    }
    const eq = token.startsWith("--") ? token.indexOf("=") : -1;
    const name = eq > 0 ? token.slice(0, eq) : token;
    const spec = index.get(name);
    const tokens = [token];
    if (eq > 0) {
      // value given inline
    } else if (spec === undefined) {
      const next = args[i + 1];
      if (next !== undefined && !isFlagLike(next)) {
        tokens.push(next);
        i++;
      }
    } else if (spec.value === "required") {
      const arity = spec.arity ?? 1;
      for (let k = 0; k < arity; k++) {
        const next = args[i + 1];
        if (next === undefined) {
          throw new LlamaPackError(
            "USAGE",
            `missing value for server flag ${name} in ${label}`,
          );
        }
        tokens.push(next);
        i++;
      }
    } else if (spec.value === "optional") {
      const next = args[i + 1];
      if (next !== undefined && (spec.choices ?? []).includes(next)) {
        tokens.push(next);
        i++;
      }
    }
    items.push({
      key: spec?.names[0] ?? name,
      flag: name,
      tokens,
      repeatable: spec?.repeatable ?? false,
    });
  }
  return items;
}

/**
 * Merges layers of server args, earliest first: a flag in a later layer
 * replaces every spelling of the same flag in earlier layers (a later
 * `-c 8192` replaces `--ctx-size 4096`), keeping the position where the flag
 * first appeared. Unknown flags merge by exact spelling. Within one layer the
 * last occurrence of a flag wins unless the flag is repeatable. No
 * non-repeatable flag appears twice in the result.
 *
 * @param layers Arg lists, earliest (lowest priority) first.
 * @param aliases The server's flags.
 * @returns The merged arg list.
 * @throws {LlamaPackError} `USAGE` when a flag that needs a value is last in a layer.
 *
 * @example Overriding the context size with another spelling
 * ```ts
 * import assert from "node:assert/strict";
 * import { mergeArgs } from "./merge_args.ts";
 * import { LLAMA_SERVER_FLAGS } from "./llama_server.ts";
 * const merged = mergeArgs([["--ctx-size", "4096", "-ngl", "99"], ["-c", "8192"]], LLAMA_SERVER_FLAGS);
 * assert(merged.join(" ") === "-c 8192 -ngl 99");
 * ```
 */
export function mergeArgs(
  layers: readonly (readonly string[])[],
  aliases: readonly FlagSpec[],
): string[] {
  let acc: ArgItem[] = [];
  layers.forEach((layer, n) => {
    const items = dedupeLayer(splitArgs(layer, aliases, { label: `layer ${n + 1}` }));
    const groups = new Map<string, ArgItem[]>();
    for (const item of items) {
      const group = groups.get(item.key);
      if (group === undefined) groups.set(item.key, [item]);
      else group.push(item);
    }
    for (const [key, group] of groups) {
      const at = acc.findIndex((item) => item.key === key);
      if (at < 0) {
        acc.push(...group);
      } else {
        const before = acc.slice(0, at);
        const after = acc.slice(at).filter((item) => item.key !== key);
        acc = [...before, ...group, ...after];
      }
    }
  });
  return acc.flatMap((item) => item.tokens);
}

/** Keeps the last occurrence of each non-repeatable flag, at its first position. */
function dedupeLayer(items: ArgItem[]): ArgItem[] {
  const out: ArgItem[] = [];
  const seen = new Map<string, number>();
  for (const item of items) {
    const at = item.repeatable ? undefined : seen.get(item.key);
    if (at === undefined) {
      if (!item.repeatable) seen.set(item.key, out.length);
      out.push(item);
    } else {
      out[at] = item;
    }
  }
  return out;
}

/**
 * The simulation pattern grammar of the original tool:
 *
 * ```text
 * pattern := model (";" model)*
 * model   := name [":" size] "=" load ("," load)*
 * load    := time ["/" duration]
 * ```
 *
 * Times are offsets from the simulation start; times and durations take the
 * units `s`, `m`, `h`, `d`, `w` (a bare number is seconds; parts may run
 * together: `1d9h`, `2h30m`); sizes take `k`,
 * `m`, `g`, `t` (binary). A time without a duration reuses the previous one;
 * the first time of a model needs one. Example: `test:10g=0s/1h,1d/2h`.
 *
 * @module
 */

import { LlamaPackError } from "../lib/errors.ts";
import { parseDuration, parseSize } from "../lib/core/units.ts";
import { type Load, sortLoads } from "./workload.ts";

/** Options of {@linkcode parsePattern}. */
export interface ParsePatternOptions {
  /**
   * Gives the size in bytes of a model written without `:size`, or
   * `undefined` when it knows none (the CLI resolves the name against the
   * indexed models).
   * @default a lookup that knows no model
   */
  resolveSize?: (model: string) => number | undefined;
  /**
   * What the text is, for error messages.
   * @default "pattern"
   */
  source?: string;
}

/**
 * Tells a pattern from a preset name: patterns contain `=` or `;`, preset
 * names may not.
 *
 * @param text What the user passed to `--simulate`.
 * @returns `true` when the text is a pattern.
 *
 * @example Telling patterns from preset names
 * ```ts
 * import assert from "node:assert/strict";
 * import { isPattern } from "./pattern.ts";
 * assert(isPattern("test:10g=0s/1h"));
 * assert(!isPattern("daily_work"));
 * ```
 */
export function isPattern(text: string): boolean {
  return text.includes("=") || text.includes(";");
}

/**
 * A time or duration: one `parseDuration` value (`90m`, `1.5d`, `30`) or
 * several unit parts run together (`1d9h`, `2h30m`), summed.
 */
function parseSpan(text: string): number {
  if (/^(?:\d+(?:\.\d+)?|\.\d+)[smhdw](?:(?:\d+(?:\.\d+)?|\.\d+)[smhdw])+$/.test(text)) {
    return (text.match(/(?:\d+(?:\.\d+)?|\.\d+)[smhdw]/g) ?? [])
      .reduce((sum, part) => sum + parseDuration(part), 0);
  }
  return parseDuration(text);
}

interface Token {
  text: string;
  /** 0-based offset of the token's first non-blank character in the whole pattern. */
  offset: number;
}

function trimToken(text: string, offset: number): Token {
  const lead = text.length - text.trimStart().length;
  return { text: text.trim(), offset: offset + lead };
}

function splitTokens(text: string, offset: number, separator: string): Token[] {
  const tokens: Token[] = [];
  let start = 0;
  for (let i = 0; i <= text.length; i++) {
    if (i === text.length || text[i] === separator) {
      tokens.push(trimToken(text.slice(start, i), offset + start));
      start = i + 1;
    }
  }
  return tokens;
}

/**
 * Parses a simulation pattern into loads.
 *
 * @param text The pattern, e.g. `test:10g=0s/1h,1d/2h;chat:8g=2h/30m`.
 * @param options Size lookup for models written without a size; error label.
 * @returns The loads sorted by time (ties in pattern order).
 * @throws {LlamaPackError} `BAD_PATTERN` naming the 1-based column of the bad
 *   token, e.g. `pattern: column 9: bad duration '1x' (use s, m, h, d, w)`.
 *
 * @example Parsing a pattern
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePattern } from "./pattern.ts";
 * const loads = parsePattern("test:10g=0s/1h,1d");
 * assert(loads.length === 2);
 * assert(loads[1]!.at === 86400 && loads[1]!.duration === 3600);
 * assert(loads[0]!.size === 10 * 1024 ** 3);
 * ```
 *
 * @example Sizes from a lookup
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePattern } from "./pattern.ts";
 * const loads = parsePattern("gemma=0s/1h", { resolveSize: (m) => m === "gemma" ? 6e9 : undefined });
 * assert(loads[0]!.size === 6e9);
 * ```
 */
export function parsePattern(text: string, options: ParsePatternOptions = {}): Load[] {
  const source = options.source ?? "pattern";
  const resolveSize = options.resolveSize ?? (() => undefined);
  const fail = (token: Token, message: string): never => {
    throw new LlamaPackError("BAD_PATTERN", `${source}: column ${token.offset + 1}: ${message}`, {
      hint: "pattern syntax: model[:size]=time/duration[,time[/duration]]...;model...",
    });
  };
  // Syntax first (every segment), then sizes, so a typo is reported before a lookup miss.
  const parsed: { nameToken: Token; size: number | undefined; times: [number, number][] }[] = [];
  for (const segment of splitTokens(text, 0, ";")) {
    if (segment.text === "") continue;
    const eq = segment.text.indexOf("=");
    if (eq < 0) {
      fail(segment, `expected '=' after model '${segment.text}' (e.g. test:10g=0s/1h)`);
    }
    const head = segment.text.slice(0, eq);
    const colon = head.indexOf(":");
    const nameToken = trimToken(colon < 0 ? head : head.slice(0, colon), segment.offset);
    if (nameToken.text === "") fail(nameToken, "missing model name before '='");
    const model = nameToken.text;
    let size: number | undefined;
    if (colon >= 0) {
      const sizeToken = trimToken(head.slice(colon + 1), segment.offset + colon + 1);
      if (sizeToken.text === "") fail(sizeToken, `missing size after '${model}:'`);
      try {
        size = parseSize(sizeToken.text);
      } catch {
        fail(sizeToken, `bad size '${sizeToken.text}' (use e.g. 10g, 500m, 1.5g)`);
      }
      if (size === 0) fail(sizeToken, `size of '${model}' must be more than 0`);
    }
    const items = splitTokens(segment.text.slice(eq + 1), segment.offset + eq + 1, ",");
    const times: [number, number][] = [];
    let duration: number | undefined;
    for (const item of items) {
      if (item.text === "") fail(item, `missing load time for '${model}'`);
      const parts = splitTokens(item.text, item.offset, "/");
      const timeToken = parts[0]!;
      if (timeToken.text === "") fail(timeToken, `missing time before '/'`);
      let at = 0;
      try {
        at = parseSpan(timeToken.text);
      } catch {
        fail(timeToken, `bad time '${timeToken.text}' (use s, m, h, d, w)`);
      }
      if (parts.length > 2) {
        const slash = item.text.indexOf("/", item.text.indexOf("/") + 1);
        fail({ text: "/", offset: item.offset + slash }, "unexpected second '/' in a load");
      }
      const durationToken = parts[1];
      if (durationToken !== undefined) {
        if (durationToken.text === "") fail(durationToken, `missing duration after '/'`);
        try {
          duration = parseSpan(durationToken.text);
        } catch {
          fail(durationToken, `bad duration '${durationToken.text}' (use s, m, h, d, w)`);
        }
      } else if (duration === undefined) {
        fail(
          timeToken,
          `first time '${timeToken.text}' of '${model}' needs a duration (e.g. ${timeToken.text}/1h)`,
        );
      }
      times.push([at, duration!]);
    }
    parsed.push({ nameToken, size, times });
  }
  if (parsed.length === 0) {
    fail({ text, offset: 0 }, "empty pattern (expected e.g. test:10g=0s/1h,1d/2h)");
  }
  const loads: Load[] = [];
  const sizes = new Map<string, number>();
  for (const { nameToken, size: given, times } of parsed) {
    const model = nameToken.text;
    const size = given ?? resolveSize(model);
    if (size === undefined || !(size > 0)) {
      fail(
        nameToken,
        `no size for model '${model}' (write ${model}:10g=..., or index a model that matches it)`,
      );
    }
    const known = sizes.get(model);
    if (known !== undefined && known !== size) {
      fail(nameToken, `model '${model}' appears again with a different size`);
    }
    sizes.set(model, size!);
    for (const [at, duration] of times) loads.push({ at, model, size: size!, duration });
  }
  return sortLoads(loads);
}

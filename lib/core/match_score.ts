/**
 * How well a query fits one piece of text, the building blocks of
 * {@link ./match.ts}: word starts, substring scores, fuzzy in-order
 * alignment, the quant bonus and an edit distance for "did you mean". Pure.
 *
 * A word starts after a separator (`-_. ()[]+,/:`), at a lower→upper case
 * change and at a letter↔digit change.
 *
 * @module
 */

const SEPARATORS = new Set(["-", "_", ".", " ", "(", ")", "[", "]", "+", ",", "/", ":"]);

/**
 * Whether a character separates words in a model name or path.
 *
 * @param ch One character, or `undefined` past either end.
 * @returns `true` for `-_. ()[]+,/:`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isSeparator } from "./match_score.ts";
 * assert(isSeparator("/") && isSeparator("_") && !isSeparator("a"));
 * ```
 */
export function isSeparator(ch: string | undefined): boolean {
  return ch !== undefined && SEPARATORS.has(ch);
}

const isDigit = (ch: string) => ch >= "0" && ch <= "9";
const isLetter = (ch: string) => ch.toLowerCase() !== ch.toUpperCase();

/**
 * Whether a word starts at `i` of `text` (original case).
 *
 * @param text The text.
 * @param i A position in it.
 * @returns `true` at the start, after a separator, at a case or letter↔digit change.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wordStart } from "./match_score.ts";
 * assert(wordStart("Gemma2-9B", 5) && wordStart("Gemma2-9B", 7) && !wordStart("Gemma2-9B", 2));
 * ```
 */
export function wordStart(text: string, i: number): boolean {
  if (i === 0) return true;
  const prev = text[i - 1]!;
  const cur = text[i]!;
  if (isSeparator(prev)) return !isSeparator(cur);
  if (isLetter(prev) && isDigit(cur)) return true;
  if (isDigit(prev) && isLetter(cur)) return true;
  return prev === prev.toLowerCase() && isLetter(prev) && cur !== cur.toLowerCase();
}

/** Whether a word ends just before `i` of `text`. */
function wordEnd(text: string, i: number): boolean {
  return i >= text.length || isSeparator(text[i]) || wordStart(text, i);
}

/**
 * `text` without a final `.gguf` (any case).
 *
 * @param text A name or path.
 * @returns It without the extension.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stripGguf } from "./match_score.ts";
 * assert(stripGguf("x.GGUF") === "x" && stripGguf("x") === "x");
 * ```
 */
export function stripGguf(text: string): string {
  return text.toLowerCase().endsWith(".gguf") ? text.slice(0, -5) : text;
}

const QUANT_IN_NAME =
  /(?:^|[-_. /])((?:i?q\d+(?:_[a-z0-9]+)*)|bf16|fp16|f16|f32|fp8|mxfp4(?:_moe)?)(?=[-_. ]|$)/gi;
const QUANT_IN_QUERY = /(?:i?q\d[a-z0-9]*|bf16|fp16|f16|f32|fp8|mxfp4)/gi;

/**
 * Where the last quantization token of a name starts (`Q4_K_M`, `IQ3_XXS`,
 * `F16`, `MXFP4`), for shortening names without losing it.
 *
 * @param name A model name or path.
 * @returns The token's index and text, or `undefined` when the name has none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quantInName } from "./match_score.ts";
 * assert(quantInName("Llama-3.1-8B-Instruct-Q4_K_M.gguf")?.quant === "Q4_K_M");
 * assert(quantInName("README.gguf") === undefined);
 * ```
 */
export function quantInName(name: string): { index: number; quant: string } | undefined {
  let last: { index: number; quant: string } | undefined;
  for (const m of stripGguf(name).matchAll(QUANT_IN_NAME)) {
    const quant = m[1]!;
    last = { index: m.index! + m[0].length - quant.length, quant };
  }
  return last;
}

/**
 * The quant bonus and the name's quant, when a query token names it.
 *
 * @param query What the user typed.
 * @param name A model name.
 * @returns 40 when a query token is the name's quant (`q4km` → `Q4_K_M`), 20
 *   for a prefix (`q4` → `Q4_K_M`), `undefined` when no token names it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quantBonus } from "./match_score.ts";
 * assert(quantBonus("llama q4km", "Llama-8B-Q4_K_M.gguf")?.bonus === 40);
 * ```
 */
export function quantBonus(
  query: string,
  name: string,
): { bonus: number; quant: string } | undefined {
  const tokens = query.replace(/_/g, "").match(QUANT_IN_QUERY)?.map((t) => t.toLowerCase()) ?? [];
  if (tokens.length === 0) return undefined;
  let best: { bonus: number; quant: string } | undefined;
  for (const m of stripGguf(name).matchAll(QUANT_IN_NAME)) {
    const quant = m[1]!;
    const norm = quant.toLowerCase().replace(/_/g, "");
    for (const t of tokens) {
      const bonus = norm === t ? 40 : norm.startsWith(t) ? 20 : 0;
      if (bonus > (best?.bonus ?? 0)) best = { bonus, quant };
    }
  }
  return best;
}

/**
 * Scores the best occurrence of `q` (lowercase) in `text` as a substring:
 * 600, +60 at the very start, +30 at a word start, +20 ending at a word end.
 *
 * @param q The query, lowercase.
 * @param text The text (original case, for word starts).
 * @returns 600–710, or `undefined` when `q` does not occur.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { substringScore } from "./match_score.ts";
 * assert(substringScore("coder", "Qwen2.5-Coder-32B") === 650);
 * ```
 */
export function substringScore(q: string, text: string): number | undefined {
  const lower = text.toLowerCase();
  let best: number | undefined;
  for (let at = lower.indexOf(q); at >= 0; at = lower.indexOf(q, at + 1)) {
    let s = 600;
    if (at === 0) s += 60;
    if (wordStart(text, at)) s += 30;
    if (wordEnd(text, at + q.length)) s += 20;
    if (best === undefined || s > best) best = s;
  }
  return best;
}

interface Cell {
  s: number;
  runs: number;
}
const better = (a: Cell | undefined, b: Cell | undefined): Cell | undefined =>
  !a ? b : !b ? a : b.s > a.s || (b.s === a.s && b.runs < a.runs) ? b : a;

/**
 * Best in-order alignment of `q` (lowercase, no spaces) in `text`: per
 * character 10, +8 at a word start, +12 when it continues a run (only
 * separators skipped), +10 when the first character starts the text.
 * Linear in `q.length × text.length`, so long paths stay fast.
 *
 * @param q The query, lowercase, without spaces.
 * @param text The text.
 * @returns The raw score and the number of runs, or `undefined` when the
 *   letters do not all appear in order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fuzzyAlign } from "./match_score.ts";
 * assert(fuzzyAlign("q4km", "x-Q4_K_M")?.runs === 1);
 * assert(fuzzyAlign("zz", "x-Q4_K_M") === undefined);
 * ```
 */
export function fuzzyAlign(q: string, text: string): { raw: number; runs: number } | undefined {
  const lower = text.toLowerCase();
  const m = q.length;
  const n = text.length;
  if (m === 0 || m > n) return undefined;
  const starts = Array.from({ length: n }, (_, j) => wordStart(text, j));
  let prev: (Cell | undefined)[] = [];
  for (let j = 0; j < n; j++) {
    prev[j] = lower[j] === q[0]
      ? { s: 10 + (starts[j] ? 8 : 0) + (j === 0 ? 10 : 0), runs: 1 }
      : undefined;
  }
  for (let i = 1; i < m; i++) {
    const cur: (Cell | undefined)[] = new Array(n).fill(undefined);
    // best[k]: the best cell among prev[0..k], for a jump (a new run).
    let bestBefore: Cell | undefined;
    for (let j = 0; j < n; j++) {
      if (j > 0) bestBefore = better(bestBefore, prev[j - 1]);
      if (lower[j] !== q[i] || j < i) continue;
      const own = 10 + (starts[j] ? 8 : 0);
      let cell: Cell | undefined = bestBefore
        ? { s: bestBefore.s + own, runs: bestBefore.runs + 1 }
        : undefined;
      // Continuing a run: the previous character, or one before only separators.
      for (let k = j - 1; k >= 0; k--) {
        const p = prev[k];
        if (p) cell = better(cell, { s: p.s + own + 12, runs: p.runs });
        if (!isSeparator(text[k])) break;
      }
      cur[j] = cell;
    }
    prev = cur;
  }
  let result: { raw: number; runs: number } | undefined;
  for (const p of prev) {
    if (p && (!result || p.s > result.raw)) result = { raw: p.s, runs: p.runs };
  }
  return result;
}

/**
 * Levenshtein distance from `q` to the closest substring of `text`.
 *
 * @param q The query.
 * @param text The text.
 * @returns The number of edits.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { substringDistance } from "./match_score.ts";
 * assert(substringDistance("gemmma", "gemma2-9b") === 1);
 * ```
 */
export function substringDistance(q: string, text: string): number {
  let row = Array.from({ length: text.length + 1 }, () => 0);
  for (let i = 1; i <= q.length; i++) {
    const next = [i];
    for (let j = 1; j <= text.length; j++) {
      const cost = q[i - 1] === text[j - 1] ? 0 : 1;
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + cost);
    }
    row = next;
  }
  return Math.min(...row);
}

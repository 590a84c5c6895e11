/**
 * Word helpers for command lines and config keys (pure): suggesting the
 * known word a typo meant, and splitting a string of arguments into words.
 *
 * @module
 */

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

/**
 * The closest known word to `word`, if one is close enough to be a typo.
 *
 * @param word What the user typed.
 * @param known The words it could have meant.
 * @returns The suggestion, or `undefined`.
 *
 * @example Suggesting a key
 * ```ts
 * import assert from "node:assert/strict";
 * import { didYouMean } from "./words.ts";
 * assert(didYouMean("ssd_pth", ["ssd_path", "hdd_path"]) === "ssd_path");
 * ```
 */
export function didYouMean(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(word.toLowerCase(), k.toLowerCase());
    if (d < bestD || (d === bestD && best !== undefined && k < best)) {
      best = k;
      bestD = d;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/**
 * Splits a command-line string into words, honouring single and double quotes.
 *
 * @param text E.g. `-ngl 99 --alias "my model"`.
 * @returns The words.
 *
 * @example Splitting args
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitWords } from "./words.ts";
 * assert(splitWords(`-c 4096 -a "my model"`).join("|") === "-c|4096|-a|my model");
 * ```
 */
export function splitWords(text: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const m of text.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3]!);
  return out;
}

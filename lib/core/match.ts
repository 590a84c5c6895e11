/**
 * Finds the model a user means from part of its name (`llama-pack -m gemma5`
 * finds `Gemma2-9B-Q5_K.gguf`). Pure: takes the query and the known models,
 * returns every match with a score and a reason, best first.
 *
 * ## Tiers and scores
 *
 * | kind        | score     | when                                                              |
 * |-------------|-----------|-------------------------------------------------------------------|
 * | `exact`     | 990–1000  | the name, with or without `.gguf`, case-sensitive                 |
 * | `exact-ci`  | 890–900   | the same, ignoring case                                           |
 * | `substring` | 600–750   | the name contains the query, ignoring case                        |
 * | `fuzzy`     | 100–490   | the query's characters appear in the name in order, ignoring case |
 *
 * Within `substring`, a match at the start of the name, at a word start and
 * ending at a word end scores more; within `fuzzy`, characters at word starts
 * and contiguous runs score more (separators such as `_` and `-` between two
 * matched characters do not break a run, so `q4km` runs through `Q4_K_M`).
 * A word starts after a separator (`-_. ()[]`), at a lower→upper case change
 * and at a letter↔digit change. A quant token in the query (`q5`, `q4km`,
 * `iq3xxs`, `f16`) adds up to 40 points when it names the file's quant.
 * The length of the name does not count, so equally good matches tie and the
 * tie goes to the higher rank (the model used more), then the name.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";

/** A model that a query can match. */
export interface MatchCandidate {
  /** The model's id. */
  id: string;
  /** Its file name, e.g. `Gemma2-9B-Q5_K.gguf`. */
  name: string;
  /** Its rank (uses per week); breaks ties between equally good matches. */
  rank: number;
}

/** How a name matched. */
export type MatchKind = "exact" | "exact-ci" | "substring" | "fuzzy";

/** One model that matched, with how well. */
export interface ScoredMatch {
  /** The model's id. */
  id: string;
  /** Its file name. */
  name: string;
  /** Higher is better; see the module doc for the ranges. */
  score: number;
  /** How it matched. */
  kind: MatchKind;
  /** Why it matched, for `-v` and "also matched" lines. */
  reason: string;
}

/** Every match of a query, best first. */
export interface MatchResult {
  /** The best match (always set: nothing matching throws `NO_MATCH`). */
  best: ScoredMatch | undefined;
  /** All matches, best first (`best` included). */
  candidates: ScoredMatch[];
}

/** Options of {@linkcode matchModels}. */
export interface MatchOptions {
  /**
   * Fail instead of guessing: throw `AMBIGUOUS` when two or more models match
   * at the best tier (same kind of match, whatever their scores; an exact
   * name only clashes with an exact namesake).
   * @default {false}
   */
  strict?: boolean;
}

const SEPARATORS = new Set(["-", "_", ".", " ", "(", ")", "[", "]", "+", ","]);
const KIND_ORDER: Record<MatchKind, number> = { exact: 3, "exact-ci": 2, substring: 1, fuzzy: 0 };
const KIND_LABEL: Record<MatchKind, string> = {
  exact: "exact name",
  "exact-ci": "name ignoring case",
  substring: "part of the name",
  fuzzy: "letters in order",
};

const isSep = (ch: string | undefined) => ch !== undefined && SEPARATORS.has(ch);
const isDigit = (ch: string) => ch >= "0" && ch <= "9";
const isLetter = (ch: string) => ch.toLowerCase() !== ch.toUpperCase();

/** Whether a word starts at `i` of `name` (original case). */
function wordStart(name: string, i: number): boolean {
  if (i === 0) return true;
  const prev = name[i - 1]!;
  const cur = name[i]!;
  if (isSep(prev)) return !isSep(cur);
  if (isLetter(prev) && isDigit(cur)) return true;
  if (isDigit(prev) && isLetter(cur)) return true;
  return prev === prev.toLowerCase() && isLetter(prev) && cur !== cur.toLowerCase();
}

/** Whether a word ends just before `i` of `name`. */
function wordEnd(name: string, i: number): boolean {
  return i >= name.length || isSep(name[i]) || wordStart(name, i);
}

function stripGguf(name: string): string {
  return name.toLowerCase().endsWith(".gguf") ? name.slice(0, -5) : name;
}

const QUANT_IN_NAME = /(?:^|[-_. ])((?:i?q\d+(?:_[a-z0-9]+)*)|bf16|fp16|f16|f32|fp8)(?=[-_. ]|$)/gi;
const QUANT_IN_QUERY = /(?:i?q\d[a-z0-9]*|bf16|fp16|f16|f32|fp8)/gi;

/** The quant bonus and the name's quant, when a query token names it. */
function quantBonus(query: string, name: string): { bonus: number; quant: string } | undefined {
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

/** Scores the best occurrence of `q` (lowercase) in `name` as a substring. */
function substringScore(q: string, name: string): number | undefined {
  const lower = name.toLowerCase();
  let best: number | undefined;
  for (let at = lower.indexOf(q); at >= 0; at = lower.indexOf(q, at + 1)) {
    let s = 600;
    if (at === 0) s += 60;
    if (wordStart(name, at)) s += 30;
    if (wordEnd(name, at + q.length)) s += 20;
    if (best === undefined || s > best) best = s;
  }
  return best;
}

/**
 * Best in-order alignment of `q` (lowercase, no spaces) in `name`: per
 * character 10, +8 at a word start, +12 when it continues a run (only
 * separators skipped), +10 when the first character starts the name.
 */
function fuzzyAlign(q: string, name: string): { raw: number; runs: number } | undefined {
  const lower = name.toLowerCase();
  const m = q.length;
  const n = name.length;
  if (m === 0 || m > n) return undefined;
  // dp[j] for the current query char: best score with that char at j, and its run count.
  let prev: ({ s: number; runs: number } | undefined)[] = [];
  for (let j = 0; j < n; j++) {
    prev[j] = lower[j] === q[0]
      ? { s: 10 + (wordStart(name, j) ? 8 : 0) + (j === 0 ? 10 : 0), runs: 1 }
      : undefined;
  }
  for (let i = 1; i < m; i++) {
    const cur: ({ s: number; runs: number } | undefined)[] = new Array(n).fill(undefined);
    for (let j = i; j < n; j++) {
      if (lower[j] !== q[i]) continue;
      const own = 10 + (wordStart(name, j) ? 8 : 0);
      let best: { s: number; runs: number } | undefined;
      let onlySeps = true; // chars strictly between k and j are all separators
      for (let k = j - 1; k >= 0; k--) {
        const p = prev[k];
        if (p) {
          const run = onlySeps;
          const cand = { s: p.s + own + (run ? 12 : 0), runs: p.runs + (run ? 0 : 1) };
          if (!best || cand.s > best.s || (cand.s === best.s && cand.runs < best.runs)) best = cand;
        }
        if (!isSep(name[k])) onlySeps = false;
      }
      cur[j] = best;
    }
    prev = cur;
  }
  let result: { raw: number; runs: number } | undefined;
  for (const p of prev) {
    if (p && (!result || p.s > result.raw)) result = { raw: p.s, runs: p.runs };
  }
  return result;
}

/** Levenshtein distance from `q` to the closest substring of `text`. */
function substringDistance(q: string, text: string): number {
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

function scoreOne(query: string, model: MatchCandidate): ScoredMatch | undefined {
  const { id, name } = model;
  const hit = (score: number, kind: MatchKind, reason: string) => ({
    id,
    name,
    score,
    kind,
    reason,
  });
  if (name === query) return hit(1000, "exact", "exact name");
  if (stripGguf(name) === stripGguf(query)) return hit(990, "exact", "exact name without .gguf");
  const lq = query.toLowerCase();
  const ln = name.toLowerCase();
  if (ln === lq) return hit(900, "exact-ci", "exact name, ignoring case");
  if (stripGguf(ln) === stripGguf(lq)) {
    return hit(890, "exact-ci", "exact name without .gguf, ignoring case");
  }
  const quant = quantBonus(query, name);
  const quantText = quant ? `, quant ${quant.quant}` : "";
  // `.gguf` is on every name: only a query that mentions it may match there.
  const target = lq.includes("gguf") ? name : stripGguf(name);
  const sub = substringScore(lq, target);
  if (sub !== undefined) {
    const where = sub >= 690 ? "at the start" : sub >= 630 ? "at a word start" : "inside the name";
    return hit(sub + (quant?.bonus ?? 0), "substring", `contains '${query}' ${where}${quantText}`);
  }
  const fq = lq.replace(/\s+/g, "");
  const fuzzy = fuzzyAlign(fq, target);
  if (fuzzy === undefined) return undefined;
  const maxRaw = 30 * fq.length + 10 - 12; // every char a word start, one run, at the start
  const score = 100 + Math.round((350 * Math.min(fuzzy.raw, maxRaw)) / maxRaw) +
    (quant?.bonus ?? 0);
  return hit(
    score,
    "fuzzy",
    `letters of '${query}' in order (${fuzzy.runs} run${fuzzy.runs === 1 ? "" : "s"}${quantText})`,
  );
}

function compareMatches(rank: Map<string, number>) {
  return (a: ScoredMatch, b: ScoredMatch): number =>
    b.score - a.score || (rank.get(b.id) ?? 0) - (rank.get(a.id) ?? 0) ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/**
 * Matches a query against model names: exact name (case-sensitive, then
 * ignoring case, with or without `.gguf`), then substring ignoring case, then
 * fuzzy in-order letters; ties go to the higher rank, then the name.
 *
 * @param query What the user typed after `-m`.
 * @param models The known models.
 * @param options `strict` for scripts: fail on ambiguity instead of guessing.
 * @returns The best match and every match, best first.
 * @throws {LlamaPackError} `USAGE` when the query is empty; `NO_MATCH` (with
 * "did you mean …" when a name is close) when nothing matches; `AMBIGUOUS`,
 * listing the models, when `strict` is set and two or more models match at
 * the best tier (kind of match).
 *
 * @example Finding a model by a fuzzy name
 * ```ts
 * import assert from "node:assert/strict";
 * import { matchModels } from "./match.ts";
 * const models = [
 *   { id: "1", name: "Gemma2-9B-Q5_K.gguf", rank: 6.5 },
 *   { id: "2", name: "Gemma2-27B-Q4_K_M.gguf", rank: 1.2 },
 *   { id: "3", name: "Llama-3.1-8B-Q5_K_M.gguf", rank: 3 },
 * ];
 * assert(matchModels("gemma5", models).best?.name === "Gemma2-9B-Q5_K.gguf");
 * assert(matchModels("q4km", models).best?.name === "Gemma2-27B-Q4_K_M.gguf");
 * const r = matchModels("gemma", models); // both Gemmas match equally: rank decides
 * assert(r.best?.id === "1" && r.candidates.length === 2);
 * ```
 */
export function matchModels(
  query: string,
  models: readonly MatchCandidate[],
  options?: MatchOptions,
): MatchResult {
  const q = query.trim();
  if (q === "") {
    throw new LlamaPackError(
      "USAGE",
      "model query is empty: give part of a model name, e.g. -m gemma5",
    );
  }
  const rank = new Map(models.map((m) => [m.id, m.rank]));
  // A model may come with several names (an Ollama model's other tags): its best one counts.
  const seen = new Set<string>();
  const candidates = models
    .map((m) => scoreOne(q, m))
    .filter((m): m is ScoredMatch => m !== undefined)
    .sort(compareMatches(rank))
    .filter((m) => !seen.has(m.id) && seen.add(m.id));
  const best = candidates[0];
  if (best === undefined) throw noMatch(q, models);
  if (options?.strict) {
    const rivals = candidates.filter((c) => KIND_ORDER[c.kind] === KIND_ORDER[best.kind]);
    if (rivals.length > 1) {
      const names = rivals.map((c) => c.name);
      const shown = names.length <= 6
        ? names.join(", ")
        : `${names.slice(0, 5).join(", ")} and ${names.length - 5} more`;
      throw new LlamaPackError(
        "AMBIGUOUS",
        `model query '${q}' matches ${rivals.length} models by ${KIND_LABEL[best.kind]}: ${shown}`,
        { hint: "give more of the name, or the exact file name" },
      );
    }
  }
  return { best, candidates };
}

/**
 * The error for a query that matched nothing, with "did you mean" suggestions
 * (names within a small edit distance of the query).
 *
 * @param query The query as typed.
 * @param models The known models.
 * @returns A `NO_MATCH` error to throw.
 *
 * @example Suggesting a close name
 * ```ts
 * import assert from "node:assert/strict";
 * import { noMatch } from "./match.ts";
 * const err = noMatch("gemmma", [{ id: "1", name: "Gemma2-9B-Q5_K.gguf", rank: 1 }]);
 * assert(err.message === "no model matches 'gemmma' (did you mean 'Gemma2-9B-Q5_K.gguf'?)");
 * ```
 */
export function noMatch(query: string, models: readonly MatchCandidate[]): LlamaPackError {
  const q = query.trim();
  if (models.length === 0) {
    return new LlamaPackError("NO_MATCH", `no model matches '${q}': the model index is empty`, {
      hint: "scan the model directories with llama-pack --update",
    });
  }
  const lq = stripGguf(q.toLowerCase());
  const limit = Math.max(1, Math.floor(lq.length / 3));
  const close = models
    .map((m) => ({ m, d: substringDistance(lq, stripGguf(m.name.toLowerCase())) }))
    .filter((x) => x.d <= limit)
    .sort((a, b) =>
      a.d - b.d || b.m.rank - a.m.rank || (a.m.name < b.m.name ? -1 : a.m.name > b.m.name ? 1 : 0)
    )
    .slice(0, 3)
    .map((x) => x.m.name);
  const quoted = close.map((n) => `'${n}'`);
  const names = quoted.length <= 1
    ? quoted.join("")
    : `${quoted.slice(0, -1).join(", ")} or ${quoted.at(-1)}`;
  const suggestion = quoted.length === 0
    ? ` among ${models.length} model${models.length === 1 ? "" : "s"}`
    : ` (did you mean ${names}?)`;
  return new LlamaPackError("NO_MATCH", `no model matches '${q}'${suggestion}`, {
    hint: "list the models with llama-pack -l",
  });
}

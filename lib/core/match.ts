/**
 * Finds the model a user means from part of its name or path
 * (`llama-pack -m gemma5` finds `Gemma2-9B-Q5_K.gguf`,
 * `-m unsloth/gemma-3` finds `unsloth/gemma-3-4b-it-Q4_K_M.gguf` beside a
 * namesake in `bartowski/`). Pure: takes the query and the known models,
 * returns every match with a score and a reason, best first.
 *
 * ## What a query is matched against
 *
 * - **A name** (no `/`): the model's name — its file name, or
 *   `org/repo/file.gguf` in the Hugging Face layout. When the name does not
 *   contain it, a folder of the model's path may (`-m unsloth` finds the
 *   models under `unsloth/`), as kind `path`.
 * - **A path** (contains `/`): the model's id — its path relative to its tier
 *   root — and its name. A query that is the end of the path at a folder
 *   boundary is exact (`unsloth/gemma-3-4b-it-Q4_K_M.gguf`, with or without
 *   `.gguf`); otherwise it is a substring of the path, or its letters in order.
 * - **A full path** (starts with `/`): the absolute paths of the model's files
 *   (`/models/hdd/unsloth/gemma-3-4b-it-Q4_K_M.gguf`), or a folder above them.
 *   Relative paths (`./x.gguf`, `~/m/x.gguf`) are made absolute by the caller
 *   ({@link ./model_query.ts}).
 * - **The id** itself always matches exactly.
 *
 * ## Tiers and scores
 *
 * | kind        | score     | when                                                              |
 * |-------------|-----------|-------------------------------------------------------------------|
 * | `exact`     | 990–1000  | the id or file path (1000), the name, the end of the path; case-sensitive |
 * | `exact-ci`  | 890–900   | the same, ignoring case                                           |
 * | `substring` | 600–750   | the name (or, for a path query, the path) contains the query      |
 * | `path`      | 500–590   | only a folder of the model's path contains the query              |
 * | `fuzzy`     | 100–490   | the query's characters appear in the name in order, ignoring case |
 *
 * Within `substring`, a match at the start of the name, at a word start and
 * ending at a word end scores more; within `fuzzy`, characters at word starts
 * and contiguous runs score more (separators such as `_` and `-` between two
 * matched characters do not break a run, so `q4km` runs through `Q4_K_M`).
 * A word starts after a separator (`-_. ()[]/:`), at a lower→upper case
 * change and at a letter↔digit change. A quant token in the query (`q5`,
 * `q4km`, `iq3xxs`, `f16`) adds up to 40 points when it names the file's
 * quant. The length of the name does not count, so equally good matches tie
 * and the tie goes to the higher rank (the model used more), then the name.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import {
  fuzzyAlign,
  quantBonus,
  stripGguf,
  substringDistance,
  substringScore,
} from "./match_score.ts";
import { displayPath } from "./model_names.ts";

/** A model that a query can match. */
export interface MatchCandidate {
  /** The model's id: its path relative to its tier root (`unsloth/x.gguf`). */
  id: string;
  /** Its name, e.g. `Gemma2-9B-Q5_K.gguf` or `org/repo/file.gguf`. */
  name: string;
  /** Its rank (uses per week); breaks ties between equally good matches. */
  rank: number;
  /** How to show it, unique among the models (see `modelLabels`). @default the name */
  label?: string;
  /** Absolute paths of its files, for a full-path query. @default [] */
  paths?: readonly string[];
}

/** How a query matched. */
export type MatchKind = "exact" | "exact-ci" | "substring" | "path" | "fuzzy";

/** One model that matched, with how well. */
export interface ScoredMatch {
  /** The model's id. */
  id: string;
  /** Its name. */
  name: string;
  /** How to show it (unique among the models matched against). */
  label: string;
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
   * match only clashes with one of the same level: id or file path, name,
   * end of the path).
   * @default {false}
   */
  strict?: boolean;
}

const KIND_ORDER: Record<MatchKind, number> = {
  exact: 4,
  "exact-ci": 3,
  substring: 2,
  path: 1,
  fuzzy: 0,
};
const KIND_LABEL: Record<MatchKind, string> = {
  exact: "exact name",
  "exact-ci": "name ignoring case",
  substring: "part of the name",
  path: "a folder of the path",
  fuzzy: "letters in order",
};

type Hit = (score: number, kind: MatchKind, reason: string) => ScoredMatch;

/** A fuzzy score from a raw alignment: 100–450, plus the quant bonus. */
function fuzzyScore(fq: string, raw: number, bonus: number): number {
  const maxRaw = 30 * fq.length + 10 - 12; // every char a word start, one run, at the start
  return 100 + Math.round((350 * Math.min(raw, maxRaw)) / maxRaw) + bonus;
}

/** Scores a query without `/` against the name (exact, substring, fuzzy). */
function scoreName(query: string, name: string, hit: Hit): ScoredMatch | undefined {
  if (name === query) return hit(998, "exact", "exact name");
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
  return hit(
    fuzzyScore(fq, fuzzy.raw, quant?.bonus ?? 0),
    "fuzzy",
    `letters of '${query}' in order (${fuzzy.runs} run${fuzzy.runs === 1 ? "" : "s"}${quantText})`,
  );
}

/** Scores a query with `/` against the model's relative path and its name. */
function scorePath(query: string, model: MatchCandidate, hit: Hit): ScoredMatch | undefined {
  const texts = [...new Set([model.id, displayPath(model.id), model.name])];
  const lq = query.toLowerCase();
  const fq = lq.replace(/\s+/g, "");
  const quant = quantBonus(query, model.name);
  const quantText = quant ? `, quant ${quant.quant}` : "";
  const endsWith = (t: string, q: string) => t === q || t.endsWith(`/${q}`);
  let best: ScoredMatch | undefined;
  const keep = (m: ScoredMatch | undefined) => {
    if (m && (!best || m.score > best.score)) best = m;
  };
  for (const t of texts) {
    if (endsWith(t, query) || endsWith(stripGguf(t), stripGguf(query))) {
      keep(hit(t === query ? 1000 : 995, "exact", "exact path"));
      continue;
    }
    const lt = t.toLowerCase();
    if (endsWith(lt, lq) || endsWith(stripGguf(lt), stripGguf(lq))) {
      keep(hit(895, "exact-ci", "exact path, ignoring case"));
      continue;
    }
    const target = lq.includes("gguf") ? t : stripGguf(t);
    const sub = substringScore(lq, target);
    if (sub !== undefined) {
      keep(hit(sub + (quant?.bonus ?? 0), "substring", `path contains '${query}'${quantText}`));
      continue;
    }
    const fuzzy = fuzzyAlign(fq, target);
    if (fuzzy !== undefined) {
      keep(hit(
        fuzzyScore(fq, fuzzy.raw, quant?.bonus ?? 0),
        "fuzzy",
        `letters of '${query}' in order in the path (${fuzzy.runs} run${
          fuzzy.runs === 1 ? "" : "s"
        }${quantText})`,
      ));
    }
  }
  return best;
}

/** Scores a full path against the model's files (or a folder above them). */
function scoreFullPath(query: string, model: MatchCandidate, hit: Hit): ScoredMatch | undefined {
  const paths = model.paths ?? [];
  if (paths.includes(query)) return hit(1000, "exact", "file path");
  if (paths.some((p) => stripGguf(p) === stripGguf(query))) {
    return hit(990, "exact", "file path without .gguf");
  }
  const dir = query.replace(/\/+$/, "");
  if (dir !== "" && paths.some((p) => p.startsWith(`${dir}/`))) {
    return hit(650, "substring", `in the folder ${dir}`);
  }
  return undefined;
}

/** Scores a query without `/` against the folders of the model's path. */
function scoreFolders(query: string, id: string, hit: Hit): ScoredMatch | undefined {
  const lq = query.toLowerCase();
  let best: { score: number; folder: string } | undefined;
  for (const folder of id.split("/").slice(0, -1)) {
    const s = substringScore(lq, folder);
    if (s !== undefined && (!best || s > best.score)) best = { score: s, folder };
  }
  if (!best) return undefined;
  return hit(500 + Math.min(90, best.score - 600), "path", `in the folder ${best.folder}`);
}

function scoreOne(query: string, model: MatchCandidate): ScoredMatch | undefined {
  const { id, name } = model;
  const label = model.label ?? name;
  const hit: Hit = (score, kind, reason) => ({ id, name, label, score, kind, reason });
  if (id === query) return hit(1000, "exact", "exact id");
  if (query.startsWith("/")) return scoreFullPath(query, model, hit);
  if (query.includes("/")) return scorePath(query, model, hit);
  const byName = scoreName(query, name, hit);
  if (byName && byName.kind !== "fuzzy") return byName;
  return scoreFolders(query, id, hit) ?? byName;
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
    // Exact matches clash only at one level: an id or file path beats a name.
    const rivals = candidates.filter((c) =>
      KIND_ORDER[c.kind] === KIND_ORDER[best.kind] &&
      (best.kind !== "exact" || c.score === best.score)
    );
    if (rivals.length > 1) {
      const names = rivals.map((c) => c.label);
      const shown = names.length <= 6
        ? names.join(", ")
        : `${names.slice(0, 5).join(", ")} and ${names.length - 5} more`;
      throw new LlamaPackError(
        "AMBIGUOUS",
        `model query '${q}' matches ${rivals.length} models by ${KIND_LABEL[best.kind]}: ${shown}`,
        { hint: `give more of the name or its folder, e.g. -m '${best.label}'` },
      );
    }
  }
  return { best, candidates };
}

/**
 * The error for a query that matched nothing, with "did you mean" suggestions
 * (names within a small edit distance of the query; for a query with `/`,
 * ids within that distance).
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
  if (q.startsWith("/")) {
    return new LlamaPackError("NO_MATCH", `no model in the index has the file '${q}'`, {
      hint: "llama-pack -u scans ssd_path and hdd_path; files elsewhere are not in the index",
    });
  }
  const lq = stripGguf(q.toLowerCase());
  const limit = Math.max(1, Math.floor(lq.length / 3));
  const shown = (m: MatchCandidate) => m.label ?? m.name;
  const close = models
    .map((m) => ({
      m,
      d: substringDistance(lq, stripGguf((q.includes("/") ? m.id : m.name).toLowerCase())),
    }))
    .filter((x) => x.d <= limit)
    .sort((a, b) =>
      a.d - b.d || b.m.rank - a.m.rank ||
      (shown(a.m) < shown(b.m) ? -1 : shown(a.m) > shown(b.m) ? 1 : 0)
    )
    .slice(0, 3)
    .map((x) => shown(x.m));
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

/**
 * Which model a request names (pure), for `--serve`: the `model` field of a
 * request resolves like `-m` — the id, an alias (the config's `aliases`, the
 * friendly name), then a match that must be unique — and an unknown or
 * ambiguous name comes back with the close candidates to name in a 404.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import { type IndexedModel, rankOf } from "./model_index.ts";
import { friendlyName } from "./model_names.ts";
import { matchModels, noMatch } from "./match.ts";

/** The outcome of {@linkcode resolveModelName}. */
export type ResolvedName =
  | { ok: true; model: IndexedModel; via: "id" | "alias" | "name" | "match" }
  | { ok: false; reason: "unknown" | "ambiguous"; message: string; candidates: string[] };

/** Options of {@linkcode resolveModelName}. */
export interface ResolveNameOptions {
  /** The config's `aliases` (alias → a model name, resolved like `-m`). @default {} */
  aliases?: Readonly<Record<string, string>>;
  /** Unix seconds (ranks break match ties in messages). */
  now: number;
}

/** The models a request can name: known, with files. */
export function servableModels(index: readonly IndexedModel[]): IndexedModel[] {
  return index.filter((m) => !m.gone && (m.hdd !== undefined || m.ssd !== undefined));
}

/**
 * Every alias of each model: its friendly name when no other model shares
 * it, and the config aliases that resolve to it.
 *
 * @param models The servable models.
 * @param aliases The config's `aliases`.
 * @param now Unix seconds.
 * @returns Model id → its aliases.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { modelAliases } from "./serve_names.ts";
 * const m = { id: "g/Gemma-Q5.gguf", name: "Gemma-Q5.gguf", gone: false, hdd: {}, uses: [] } as never;
 * assert.deepEqual(modelAliases([m], { gem: "g/Gemma-Q5.gguf" }, 0).get("g/Gemma-Q5.gguf"), ["Gemma-Q5", "gem"]);
 * ```
 */
export function modelAliases(
  models: readonly IndexedModel[],
  aliases: Readonly<Record<string, string>>,
  now: number,
): Map<string, string[]> {
  const out = new Map<string, string[]>(models.map((m) => [m.id, []]));
  const counts = new Map<string, number>();
  for (const m of models) {
    const f = friendlyName(m.name).toLowerCase();
    counts.set(f, (counts.get(f) ?? 0) + 1);
  }
  for (const m of models) {
    const f = friendlyName(m.name);
    if (counts.get(f.toLowerCase()) === 1 && f !== m.id) out.get(m.id)!.push(f);
  }
  for (const [alias, target] of Object.entries(aliases)) {
    const r = resolveDirect(models, target, now);
    if (r.ok) out.get(r.model.id)!.push(alias);
  }
  return out;
}

function resolveDirect(models: readonly IndexedModel[], name: string, now: number): ResolvedName {
  const byId = models.find((m) => m.id === name);
  if (byId) return { ok: true, model: byId, via: "id" };
  const lower = name.toLowerCase();
  const byName = models.filter((m) =>
    m.name === name || friendlyName(m.name).toLowerCase() === lower ||
    m.name.toLowerCase() === lower
  );
  if (byName.length === 1) return { ok: true, model: byName[0]!, via: "name" };
  const candidates = models.map((m) => ({ id: m.id, name: m.name, rank: rankOf(m, now) }));
  let result;
  try {
    result = matchModels(name, candidates);
  } catch (err) {
    if (err instanceof LlamaPackError && err.code === "NO_MATCH") {
      const close = [...err.message.matchAll(/'([^']+)'/g)].slice(1).map((m) => m[1]!);
      return { ok: false, reason: "unknown", message: err.message, candidates: close };
    }
    throw err;
  }
  const best = result.best!;
  const rivals = result.candidates.filter((c) => c.kind === best.kind);
  if (rivals.length === 1 && byName.length === 0) {
    return { ok: true, model: models.find((m) => m.id === best.id)!, via: "match" };
  }
  const names = (byName.length > 1 ? byName.map((m) => m.id) : rivals.map((c) => c.id))
    .slice(0, 8);
  return {
    ok: false,
    reason: "ambiguous",
    message: `model '${name}' matches ${
      byName.length > 1 ? byName.length : rivals.length
    } models: ${names.join(", ")}; name one exactly`,
    candidates: names,
  };
}

/**
 * Resolves the model a request names.
 *
 * @param index The model index.
 * @param name The request's `model`.
 * @param options The config's aliases and the clock.
 * @returns The model, or why not with the close candidates.
 *
 * @example An alias, a friendly name and an ambiguous part
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildIndex } from "./model_index.ts";
 * import { resolveModelName } from "./serve_names.ts";
 * const row = (id: string) => ({ id, name: id, size: 1, fingerprint: null, first_seen: 0, last_seen: 0, gone: 0, ssd_only: 0, metadata: null, pinned: 0, no_cache: 0, stored_args: null });
 * const file = (id: string) => ({ path: `/h/${id}`, model_id: id, tier: "hdd" as const, root: "/h", rel: id, role: "model", size: 1, mtime: 0 });
 * const ids = ["Gemma2-9B-Q5_K.gguf", "Gemma2-27B-Q4_K_M.gguf"];
 * const index = buildIndex({ models: ids.map(row), files: ids.map(file), units: [], uses: [] });
 * const aliases = { small: "9B" };
 * assert(resolveModelName(index, "small", { aliases, now: 0 }).ok);
 * const r = resolveModelName(index, "Gemma2-27B-Q4_K_M", { now: 0 });
 * assert(r.ok && r.model.id === "Gemma2-27B-Q4_K_M.gguf");
 * const amb = resolveModelName(index, "gemma", { now: 0 });
 * assert(!amb.ok && amb.reason === "ambiguous" && amb.candidates.length === 2);
 * ```
 */
export function resolveModelName(
  index: readonly IndexedModel[],
  name: string,
  options: ResolveNameOptions,
): ResolvedName {
  const models = servableModels(index);
  const query = name.trim();
  if (query === "") {
    return { ok: false, reason: "unknown", message: "the request names no model", candidates: [] };
  }
  if (models.length === 0) {
    const err = noMatch(query, []);
    return { ok: false, reason: "unknown", message: err.message, candidates: [] };
  }
  const aliases = options.aliases ?? {};
  if (models.some((m) => m.id === query)) return resolveDirect(models, query, options.now);
  if (Object.hasOwn(aliases, query)) {
    const r = resolveDirect(models, aliases[query]!, options.now);
    if (r.ok) return { ...r, via: "alias" };
    return {
      ...r,
      message: `alias '${query}' names '${aliases[query]}': ${r.message}`,
    };
  }
  return resolveDirect(models, query, options.now);
}

/**
 * The model index: what llama-pack knows about each model, assembled from the
 * state store's rows. {@linkcode buildIndex} is pure; `loadIndex` in
 * `lib/state/load_index.ts` feeds it the store's rows. Every command that
 * needs "which models exist, where are their copies, how hot are they" goes
 * through here.
 *
 * Conventions the scanner writes by: each model has one `files` row per file
 * per tier; weight files (single file or every shard) have role `model`,
 * projectors role `mmproj`; a model's primary path on a tier is its
 * lexicographically first weight file there (shard `-00001-of-…`).
 *
 * @module
 */

import type { FileRow, ModelRow, SsdUnitRow, UseRow } from "./records.ts";
import { unitFileRow, unitPaths, unitShortfall } from "./ssd_unit.ts";
import { rankFromUses, type RankOptions } from "./rank.ts";
import { matchModels, type ScoredMatch } from "./match.ts";
import { isStoreKind, type StoreKind } from "./stores.ts";
import { modelLabels } from "./model_names.ts";

/** A model's files on one tier. */
export interface TierCopy {
  /** The file to hand the server (`-m`): the first weight file. */
  path: string;
  /** The projector to hand the server (`--mmproj`), if any. */
  mmproj: string | undefined;
  /** Every file of the model on this tier. */
  files: FileRow[];
  /** Bytes of all files on this tier. */
  size: number;
}

/**
 * A model's files on the SSD, and whether they are a copy that may be served.
 *
 * - `verified`: a verified unit holding every file of the HDD copy (its
 *   sources' identities are checked before serving: `lib/cache/unit_check.ts`),
 *   or an SSD-only model. Served; evictable when not SSD-only.
 * - `stale` set: a unit llama-pack copied whose originals changed since (or
 *   that no longer holds every file of the HDD copy). Never served;
 *   evictable; re-copied by the normal rules.
 * - `damaged` set: a unit whose files changed on the SSD since they were
 *   verified. Never served, never evicted: they may hold the only copy of
 *   their bytes now.
 * - none of these: files llama-pack did not copy (found by a scan). Never
 *   served as a copy, never evicted, for the same reason.
 */
export interface SsdTierCopy extends TierCopy {
  /** The copy may be served (see above). */
  verified: boolean;
  /** Why a recorded copy may not be served any more, though it may be evicted. */
  stale: string | undefined;
  /** Why a recorded copy may be neither served nor evicted. */
  damaged: string | undefined;
  /** The unit record, when llama-pack copied these files. */
  unit: SsdUnitRow | undefined;
}

/** One model as llama-pack sees it. */
export interface IndexedModel {
  /** Stable id. */
  id: string;
  /** Display name. */
  name: string;
  /** Bytes of all its files. */
  size: number;
  /** GGUF metadata, when read. */
  metadata: Record<string, unknown> | undefined;
  /** First time a scan saw it (unix seconds). */
  firstSeen: number;
  /** Its files are gone: kept for its stats only. */
  gone: boolean;
  /** It exists only on the SSD: never a cache copy, never evicted. */
  ssdOnly: boolean;
  /** Never evict it from the SSD. */
  pinned: boolean;
  /** Never copy it to the SSD. */
  noCache: boolean;
  /** Args stored with `--store`. */
  storedArgs: string[];
  /** The permanent copy, if any (on the HDD, or in a store of another tool). */
  hdd: TierCopy | undefined;
  /** The store of another tool the permanent copy lives in (read-only), if any. */
  store: StoreKind | undefined;
  /** Other names of the model (Ollama tags that share its blobs). */
  aliases: string[];
  /** Header fingerprint of its first weight file, when scanned. */
  fingerprint: string | null;
  /** The SSD copy, if any. */
  ssd: SsdTierCopy | undefined;
  /** Every recorded use, oldest first. */
  uses: UseRow[];
}

function tierCopy(files: FileRow[]): TierCopy | undefined {
  const weights = files.filter((f) => f.role !== "mmproj").sort((a, b) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : 0
  );
  if (weights.length === 0) return undefined;
  const mm = files.filter((f) => f.role === "mmproj").sort((a, b) => a.path < b.path ? -1 : 1)[0];
  return {
    path: weights[0]!.path,
    mmproj: mm?.path,
    files,
    size: files.reduce((s, f) => s + f.size, 0),
  };
}

/**
 * Assembles the index from the store's rows. A model's SSD copy is its
 * verified unit when it has one; otherwise the SSD files a scan found for it,
 * except files that belong to another model's unit or to an unfinished unit
 * (a half-copied or half-evicted model is never indexed).
 *
 * @param rows The models, files, SSD copy units and uses, as the store returns them.
 * @returns One entry per model row, sorted by id.
 *
 * @example A model with an HDD file and a verified SSD copy
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildIndex } from "./model_index.ts";
 * const file = (tier: "ssd" | "hdd", path: string) => ({ path, model_id: "m", tier, root: "/", rel: "m.gguf", role: "model", size: 10, mtime: 1 });
 * const unitFile = { ssd_path: "/s/m.gguf", src_path: "/h/m.gguf", src_root: "/h", rel: "m.gguf", role: "model", size: 10, hash: "ab", src: null, ssd: null };
 * const [m] = buildIndex({
 *   models: [{ id: "m", name: "m.gguf", size: 10, fingerprint: null, first_seen: 1, last_seen: 1, gone: 0, ssd_only: 0, metadata: null, pinned: 0, no_cache: 0, stored_args: null }],
 *   files: [file("hdd", "/h/m.gguf"), file("ssd", "/s/m.gguf")],
 *   units: [{ model_id: "m", state: "verified", ssd_root: "/s", files: [unitFile], owner_pid: null, owner_start: null, verified_at: 2, updated_at: 2 }],
 *   uses: [],
 * });
 * assert(m?.ssd?.verified === true && m.hdd?.path === "/h/m.gguf");
 * ```
 */
export function buildIndex(rows: {
  models: readonly ModelRow[];
  files: readonly FileRow[];
  units: readonly SsdUnitRow[];
  uses: readonly UseRow[];
}): IndexedModel[] {
  const filesBy = new Map<string, FileRow[]>();
  for (const f of rows.files) {
    const list = filesBy.get(f.model_id) ?? [];
    list.push(f);
    filesBy.set(f.model_id, list);
  }
  const usesBy = new Map<string, UseRow[]>();
  for (const u of rows.uses) {
    const list = usesBy.get(u.model_id) ?? [];
    list.push(u);
    usesBy.set(u.model_id, list);
  }
  const unitBy = new Map(rows.units.map((u) => [u.model_id, u]));
  const claimed = unitPaths(rows.units);

  return [...rows.models].sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0).map((m) => {
    const files = filesBy.get(m.id) ?? [];
    const hdd = tierCopy(files.filter((f) => f.tier === "hdd"));
    const unit = unitBy.get(m.id);
    const verifiedUnit = unit?.state === "verified" ? unit : undefined;
    const scanned = files.filter((f) => f.tier === "ssd" && !claimed.has(f.path));
    const ssdBase = verifiedUnit
      ? tierCopy(verifiedUnit.files.map((f) => unitFileRow(verifiedUnit, f)))
      : tierCopy(scanned);
    const ssdOnly = m.ssd_only === 1 || (ssdBase !== undefined && hdd === undefined);
    let ssd: SsdTierCopy | undefined;
    if (ssdBase) {
      const shortfall = verifiedUnit && hdd ? unitShortfall(verifiedUnit, hdd.files) : undefined;
      const verified = ssdOnly || (verifiedUnit !== undefined && shortfall === undefined);
      ssd = {
        ...ssdBase,
        verified,
        stale: verified ? undefined : shortfall,
        damaged: undefined,
        unit: verifiedUnit,
      };
    }
    let metadata: Record<string, unknown> | undefined;
    try {
      metadata = m.metadata ? JSON.parse(m.metadata) as Record<string, unknown> : undefined;
    } catch {
      metadata = undefined;
    }
    return {
      id: m.id,
      name: m.name,
      size: m.size,
      metadata,
      firstSeen: m.first_seen,
      gone: m.gone === 1,
      ssdOnly,
      pinned: m.pinned === 1,
      noCache: m.no_cache === 1,
      storedArgs: m.stored_args ? JSON.parse(m.stored_args) as string[] : [],
      hdd,
      store: isStoreKind(metadata?.store) ? metadata.store : undefined,
      aliases: Array.isArray(metadata?.aliases)
        ? metadata.aliases.filter((a): a is string => typeof a === "string")
        : [],
      fingerprint: m.fingerprint,
      ssd,
      uses: usesBy.get(m.id) ?? [],
    };
  });
}

/** What the file-system check of a verified copy found wrong (`lib/cache/unit_check.ts`). */
export interface CopyProblem {
  /** Why it may not be served, in words. */
  reason: string;
  /** Its originals changed (stale: evictable), or the SSD files did (damaged: kept). */
  kind: "stale" | "damaged";
}

/**
 * Marks copies that failed the file-system check: never served; a stale one
 * is evictable and re-copied by the normal rules, a damaged one is kept
 * (pure; the problems come from `lib/cache/unit_check.ts`).
 *
 * @param index The index.
 * @param problems Model id → what is wrong with its SSD copy.
 * @returns The index with those copies marked.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { markProblems } from "./model_index.ts";
 * const m = { id: "m", ssdOnly: false, ssd: { verified: true, stale: undefined, damaged: undefined } } as never;
 * const [after] = markProblems([m], new Map([["m", { reason: "its HDD original changed", kind: "stale" as const }]]));
 * assert(after?.ssd?.verified === false && after.ssd.stale === "its HDD original changed");
 * ```
 */
export function markProblems(
  index: readonly IndexedModel[],
  problems: ReadonlyMap<string, CopyProblem>,
): IndexedModel[] {
  return index.map((m) => {
    const p = problems.get(m.id);
    if (p === undefined || m.ssd === undefined || m.ssdOnly) return m;
    return {
      ...m,
      ssd: {
        ...m.ssd,
        verified: false,
        stale: p.kind === "stale" ? p.reason : undefined,
        damaged: p.kind === "damaged" ? p.reason : undefined,
      },
    };
  });
}

/**
 * A model's rank at `now`: its estimated uses per week (see `rank.ts`).
 *
 * @param model The model.
 * @param now Unix seconds.
 * @param options Rank tuning (the active profile's, see `profiles.ts`); the defaults when absent.
 * @returns Uses per week.
 *
 * @example A never-used model ranks 0
 * ```ts
 * import assert from "node:assert/strict";
 * import { rankOf } from "./model_index.ts";
 * assert(rankOf({ uses: [] }, 1000) === 0);
 * ```
 */
export function rankOf(
  model: Pick<IndexedModel, "uses">,
  now: number,
  options?: RankOptions,
): number {
  return rankFromUses(
    model.uses.map((u) => u.duration === null ? { at: u.at } : { at: u.at, duration: u.duration }),
    now,
    options,
  );
}

/** The result of {@linkcode findModel}. */
export interface FoundModel {
  /** The chosen model. */
  model: IndexedModel;
  /** How to show it: its name, or enough of its path to tell it from namesakes. */
  label: string;
  /** The other candidates, best first (each with its `label`). */
  also: ScoredMatch[];
}

/**
 * Resolves a user's query to one model that still has files, through the
 * core matcher (ties broken by rank).
 *
 * The query may be any part of the model's name, any unique part of its id
 * (its path relative to the tier root, folders included:
 * `unsloth/gemma-3-4b`), the id itself, or the absolute path of one of its
 * files (make `./` and `~/` paths absolute first with `resolveModelQuery`).
 * Models whose files are gone are never chosen.
 *
 * @param index The index.
 * @param query What the user typed.
 * @param options `strict` fails on ambiguity; `now` for ranks.
 * @returns The model, its label and the other candidates.
 * @throws {LlamaPackError} `USAGE` for an empty query; `NO_MATCH` / `AMBIGUOUS` from the matcher.
 *
 * @example Finding a model by a partial name, and one of two namesakes by its folder
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildIndex, findModel } from "./model_index.ts";
 * const row = (id: string) => ({ id, name: id.split("/").pop()!, size: 1, fingerprint: null, first_seen: 0, last_seen: 0, gone: 0, ssd_only: 0, metadata: null, pinned: 0, no_cache: 0, stored_args: null });
 * const file = (id: string) => ({ path: `/h/${id}`, model_id: id, tier: "hdd" as const, root: "/h", rel: id, role: "model", size: 1, mtime: 0 });
 * const ids = ["Gemma2-9B-Q5_K.gguf", "a/Qwen3-8B-Q4_K_M.gguf", "b/Qwen3-8B-Q4_K_M.gguf"];
 * const index = buildIndex({ models: ids.map(row), files: ids.map(file), units: [], uses: [] });
 * assert(findModel(index, "gemma5", { now: 0 }).model.id === "Gemma2-9B-Q5_K.gguf");
 * const found = findModel(index, "b/qwen3", { now: 0, strict: true });
 * assert(found.model.id === "b/Qwen3-8B-Q4_K_M.gguf" && found.label === "b/Qwen3-8B-Q4_K_M.gguf");
 * assert(findModel(index, "/h/a/Qwen3-8B-Q4_K_M.gguf", { now: 0 }).model.id === "a/Qwen3-8B-Q4_K_M.gguf");
 * ```
 */
export function findModel(
  index: readonly IndexedModel[],
  query: string,
  options: { strict?: boolean; now: number },
): FoundModel {
  const live = index.filter((m) => !m.gone && (m.hdd !== undefined || m.ssd !== undefined));
  const labels = modelLabels(live);
  const result = matchModels(
    query,
    live.flatMap((m) => {
      const rank = rankOf(m, options.now);
      const label = labels.get(m.id) ?? m.name;
      const paths = [...(m.hdd?.files ?? []), ...(m.ssd?.files ?? [])].map((f) => f.path);
      // Every name of the model (an Ollama model's other tags) can match; its best counts.
      return [m.name, ...m.aliases].map((name) => ({ id: m.id, name, rank, label, paths }));
    }),
    { strict: options.strict ?? false },
  );
  const best = result.best!;
  return {
    model: live.find((m) => m.id === best.id)!,
    label: best.label,
    also: result.candidates.filter((c) => c.id !== best.id),
  };
}

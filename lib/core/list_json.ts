/**
 * The `-l --json` document: the same data as the text view, every field present.
 *
 * @module
 */

import { type ListEntry, type ListMeta, sortEntries, type SsdState } from "./list_entry.ts";

/** One model in `--json` output (dates as ISO 8601 UTC strings). */
export interface ListJsonModel {
  /** Stable id. */
  id: string;
  /** Display name. */
  name: string;
  /** The name, or enough of the path to tell namesakes apart (what `-m` matches exactly). */
  label: string;
  /** Rank. */
  rank: number;
  /** Number of uses. */
  uses: number;
  /** Last use, or `null` for never. */
  lastUsed: string | null;
  /** First seen, or `null`. */
  firstSeen: string | null;
  /** Parameter count. */
  params: number | null;
  /** Quantization. */
  quant: string | null;
  /** Bytes of one copy. */
  size: number | null;
  /** SSD state, path and progress. */
  ssd: { state: SsdState; hot: boolean; path: string | null; progress: number | null };
  /** The permanent copy: presence, path, the store of another tool it lives in, offline now. */
  hdd: { present: boolean; path: string | null; store: string | null; offline: boolean };
  /** Files gone, stats only. */
  statsOnly: boolean;
  /** Only on the SSD. */
  ssdOnly: boolean;
  /** Metadata. */
  meta: ListMeta | null;
  /** Server args stored with `--store` (`[]` when none). */
  storedArgs: string[];
  /** Reasons behind rank and cache decisions. */
  reasons: string[];
}

/** The `--json` document. */
export interface ListJson {
  /** Models, lowest rank first (as the text view). */
  models: ListJsonModel[];
}

/**
 * Builds the `--json` document: the same data as the text view, sorted the
 * same way, every field present (`null` when unknown).
 *
 * @param entries The models.
 * @returns A JSON-ready object; print it with `JSON.stringify(x, null, 2)`.
 *
 * @example JSON for one model
 * ```ts
 * import assert from "node:assert/strict";
 * import { listJson } from "./list_json.ts";
 * const doc = listJson([{ id: "a", name: "A.gguf", rank: 1, uses: 2, lastUsed: 0, firstSeen: null,
 *   params: 8e9, quant: "Q8_0", size: 8e9, ssd: { state: "should" }, hdd: { present: true },
 *   statsOnly: false, ssdOnly: false }]);
 * assert(doc.models[0]!.lastUsed === "1970-01-01T00:00:00Z");
 * assert(doc.models[0]!.ssd.path === null);
 * ```
 */
export function listJson(entries: readonly ListEntry[]): ListJson {
  const iso = (t: number | null) =>
    t === null || !Number.isFinite(t)
      ? null
      : new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  return {
    models: sortEntries(entries).map((e) => ({
      id: e.id,
      name: e.name,
      label: e.label ?? e.name,
      rank: e.rank,
      uses: e.uses,
      lastUsed: iso(e.lastUsed),
      firstSeen: iso(e.firstSeen),
      params: e.params,
      quant: e.quant,
      size: e.size,
      ssd: {
        state: e.ssd.state,
        hot: e.ssd.hot ?? false,
        path: e.ssd.path ?? null,
        progress: e.ssd.progress ?? null,
      },
      hdd: {
        present: e.hdd.present,
        path: e.hdd.path ?? null,
        store: e.hdd.store ?? null,
        offline: e.hdd.offline ?? false,
      },
      statsOnly: e.statsOnly,
      ssdOnly: e.ssdOnly,
      meta: e.meta ?? null,
      storedArgs: e.meta?.storedArgs ?? [],
      reasons: e.reasons ?? [],
    })),
  };
}

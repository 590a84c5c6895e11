/**
 * What `llama-pack -l` shows of a model, as plain data: the entry, its
 * metadata and SSD state, the list order, and how dates and parameter counts
 * are written. Shared by the text view ({@link ./list_view.ts}) and the JSON
 * view ({@link ./list_json.ts}).
 *
 * @module
 */

import type { StoreKind } from "./stores.ts";

/** Where a model stands on the SSD. */
export type SsdState =
  /** A verified copy is on the SSD. */
  | "verified"
  /** A copy is running (or queued when `progress` is absent). */
  | "copying"
  /** Files are on the SSD but no verified copy record backs them (`ssd?`). */
  | "unverified"
  /** The policy wants it cached; no copy yet. */
  | "should"
  /** Not on the SSD. */
  | "none";

/** The metadata shown with `-v`. */
export interface ListMeta {
  /** `general.architecture`. */
  architecture?: string | null;
  /** Trained context length. */
  contextLength?: number | null;
  /** Layer count. */
  layerCount?: number | null;
  /** Expert count (mixture of experts). */
  expertCount?: number | null;
  /** Number of shards. */
  shardCount?: number;
  /** Attached projector file names. */
  projectors?: string[];
  /** User flags such as `pinned`, `no-cache`. */
  flags?: string[];
  /** Server args stored with `--store`. */
  storedArgs?: string[];
}

/** One model as `-l` shows it. */
export interface ListEntry {
  /** Stable model id. */
  id: string;
  /** Display name. */
  name: string;
  /** What `-l` shows: the name, or enough of the path to tell namesakes apart. @default name */
  label?: string;
  /** Rank: higher is more useful. */
  rank: number;
  /** Number of uses. */
  uses: number;
  /** Last use, unix seconds; `null` = never. */
  lastUsed: number | null;
  /** First seen by a scan, unix seconds. */
  firstSeen: number | null;
  /** Parameter count. */
  params: number | null;
  /** Quantization, e.g. `"Q4_K_M"`. */
  quant: string | null;
  /** Bytes of one copy. */
  size: number | null;
  /** SSD state. */
  ssd: {
    state: SsdState;
    /** For `verified`: hot (`SSD`) or cold (`ssd`). */
    hot?: boolean;
    /** The SSD path (verified or copy destination). */
    path?: string;
    /** For `copying`: fraction done, 0..1. */
    progress?: number;
  };
  /**
   * The permanent copy: on the HDD, or in a store of another tool (`store`);
   * `offline` when its directory is not there now (an unplugged disk).
   */
  hdd: { present: boolean; path?: string; store?: StoreKind; offline?: boolean };
  /** True when the files are gone and only usage stats remain. */
  statsOnly: boolean;
  /** True when the model lives only on the SSD. */
  ssdOnly: boolean;
  /** Metadata for `-v`. */
  meta?: ListMeta;
  /** Reasons behind rank and cache decisions, for `-v -v`. */
  reasons?: string[];
}

/**
 * Formats a UTC date as `YYYY-MM-DD`.
 *
 * @param unixSeconds Seconds since the epoch, or `null`.
 * @param never Text for `null`. @default "never"
 * @returns The date.
 *
 * @example Formatting dates
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatDate } from "./list_entry.ts";
 * assert(formatDate(1764288000) === "2025-11-28");
 * assert(formatDate(null) === "never");
 * ```
 */
export function formatDate(unixSeconds: number | null, never = "never"): string {
  if (unixSeconds === null || !Number.isFinite(unixSeconds)) return never;
  return new Date(unixSeconds * 1000).toISOString().slice(0, 10);
}

/**
 * Formats a parameter count: `9.2B`, `14.8B`, `236B`, `135M`, `1.1T`.
 *
 * @param n Parameters, or `null`.
 * @returns The short form, or `"?"` for `null`.
 *
 * @example Formatting parameter counts
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatParams } from "./list_entry.ts";
 * assert(formatParams(9.24e9) === "9.2B");
 * assert(formatParams(236e9) === "236B");
 * assert(formatParams(135e6) === "135M");
 * ```
 */
export function formatParams(n: number | null): string {
  if (n === null || !Number.isFinite(n) || n <= 0) return "?";
  const units: [number, string][] = [[1e12, "T"], [1e9, "B"], [1e6, "M"], [1e3, "K"]];
  for (const [u, s] of units) {
    if (n >= u * 0.95) {
      const v = n / u;
      return `${v >= 100 ? Math.round(v) : v.toFixed(1)}${s}`;
    }
  }
  return String(Math.round(n));
}

/**
 * Sorts entries as `-l` shows them: lowest rank first; ties by last use
 * (never first), then label (ignoring case), then id.
 *
 * @param entries The entries (not modified).
 * @returns A sorted copy.
 *
 * @example Sorting
 * ```ts
 * import assert from "node:assert/strict";
 * import { sortEntries, type ListEntry } from "./list_entry.ts";
 * const e = (name: string, rank: number): ListEntry => ({
 *   id: name, name, rank, uses: 0, lastUsed: null, firstSeen: null, params: null, quant: null,
 *   size: null, ssd: { state: "none" }, hdd: { present: true }, statsOnly: false, ssdOnly: false,
 * });
 * assert(sortEntries([e("b", 2), e("a", 1)])[1]!.name === "b");
 * ```
 */
export function sortEntries(entries: readonly ListEntry[]): ListEntry[] {
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const rank = (e: ListEntry) => (Number.isFinite(e.rank) ? e.rank : -Infinity);
  const keys = new Map(entries.map((e) => [e, (e.label ?? e.name).toLowerCase()]));
  return [...entries].sort((a, b) =>
    rank(a) - rank(b) || (a.lastUsed ?? -Infinity) - (b.lastUsed ?? -Infinity) ||
    cmp(keys.get(a)!, keys.get(b)!) || cmp(a.id, b.id)
  );
}

/**
 * The documents of the cache API about tiers (pure), in the homelab guide's
 * field names: `GET /api/cache/stats` (also `--cache-stats --json`), the
 * space check of `/api/cache/check` and the answer of
 * `/api/cache/recommend`. Tiers: `primary` is the SSD, `secondary` the HDD
 * path(s), `custom` each directory of `custom_paths`. Sizes are binary: a
 * `_gb` is a GiB and an `_mb` a MiB, as everywhere in llama-pack.
 *
 * @module
 */

import type { CacheLocation } from "./api_events.ts";
import { recommendTier, type TierInput, type TierStats, tierStats } from "./tiers.ts";
import { formatSize, GIB } from "./units.ts";

const MIB = 1024 ** 2;

/** One tier in the guide's shape, with llama-pack's extra figures. */
export interface TierDoc {
  /** llama-pack's name for it: `ssd`, `hdd` (`hdd1`, `hdd2` … with several), `custom`, `custom2` … */
  name: string;
  /** Its directory. */
  path: string;
  /** `ssd_limit_gb`, or `null` when there is no limit (usage is then the disk's). */
  limit_gb: number | null;
  /** GiB of the files under the directory; `null` when it cannot be measured. */
  used_gb: number | null;
  /** GiB a new model may take now (the limit and `ssd_min_free_gb` respected). */
  free_gb: number | null;
  /** Used against the limit, or the disk's use (as `df`) when there is none. */
  usage_percent: number | null;
  /** Usage is above `cache_warning_threshold`. */
  warning: boolean;
  /** `green` below 75%, `yellow` to 90%, `red` above; `null` when not measured. */
  color: "green" | "yellow" | "red" | null;
  /** The disk's size, GiB. */
  disk_total_gb: number | null;
  /** The disk's free space, GiB. */
  disk_free_gb: number | null;
  /** `ssd_min_free_gb` on the SSD, 0 elsewhere. */
  min_free_gb: number;
  /** The warning line, when `warning`. */
  message: string | null;
  /** Why it could not be measured (an unmounted disk), else `null`. */
  error: string | null;
}

/** The secondary tier: one object over every HDD path, each also listed. */
export interface SecondaryDoc extends TierDoc {
  /** Every HDD path. */
  paths: string[];
  /** Each HDD path on its own (one entry with a single path). */
  parts: TierDoc[];
}

/** The `GET /api/cache/stats` document. */
export interface CacheStatsDoc {
  /** The SSD. */
  primary: TierDoc;
  /** The HDD path(s). */
  secondary: SecondaryDoc;
  /** Each custom directory. */
  custom: TierDoc[];
  /** `cache_warning_threshold`. */
  threshold: number;
  /** When the tiers were measured (ISO 8601, UTC). */
  measured_at: string;
}

/** A tier to describe: its measurements, or why there are none. */
export type MeasuredTier =
  | { ok: true; tier: TierInput; disk?: string }
  | { ok: false; name: string; path: string; error: string; minFreeBytes?: number };

const gb = (bytes: number) => Math.round((bytes / GIB) * 100) / 100;
const pct = (x: number) => Math.round(x * 1000) / 10;

/**
 * The ISO 8601 UTC form of a unix time, without milliseconds.
 *
 * @param seconds Unix seconds.
 * @returns E.g. `2026-11-30T07:30:00Z`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isoTime } from "./cache_stats_doc.ts";
 * assert(isoTime(0) === "1970-01-01T00:00:00Z");
 * ```
 */
export function isoTime(seconds: number): string {
  return new Date(Math.floor(seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function statsDoc(s: TierStats): TierDoc {
  return {
    name: s.name,
    path: s.path,
    limit_gb: s.limitBytes === undefined ? null : gb(s.limitBytes),
    used_gb: gb(s.usedByModels),
    free_gb: gb(Math.max(0, s.room)),
    usage_percent: pct(s.usage),
    warning: s.warning !== undefined,
    color: s.level,
    disk_total_gb: gb(s.diskTotal),
    disk_free_gb: gb(s.diskFree),
    min_free_gb: gb(s.minFreeBytes),
    message: s.warning ?? null,
    error: null,
  };
}

function tierDoc(m: MeasuredTier, threshold: number): TierDoc {
  if (m.ok) return statsDoc(tierStats(m.tier, { threshold }));
  return {
    name: m.name,
    path: m.path,
    limit_gb: null,
    used_gb: null,
    free_gb: null,
    usage_percent: null,
    warning: false,
    color: null,
    disk_total_gb: null,
    disk_free_gb: null,
    min_free_gb: gb(m.minFreeBytes ?? 0),
    message: null,
    error: m.error,
  };
}

/**
 * Several HDD paths as one tier: models summed, each disk counted once
 * (by `disk`), usage of the disks together, and `free_gb` the most one path
 * has (a model lives on one disk).
 */
function secondaryDoc(parts: readonly MeasuredTier[], threshold: number): SecondaryDoc {
  const docs = parts.map((p) => tierDoc(p, threshold));
  const paths = docs.map((d) => d.path);
  const measured = parts.flatMap((p) => (p.ok ? [p] : []));
  if (parts.length === 1 || measured.length === 0) {
    const first = docs[0] ?? tierDoc({ ok: false, name: "hdd", path: "", error: "none" }, 0.9);
    return { ...first, paths, parts: docs };
  }
  const disks = new Map<string, TierInput>();
  for (const p of measured) disks.set(p.disk ?? p.tier.path, p.tier);
  const sum = (f: (t: TierInput) => number, list: Iterable<TierInput>) =>
    [...list].reduce((s, t) => s + f(t), 0);
  const whole = tierStats({
    name: "secondary",
    kind: "hdd",
    path: paths[0]!,
    usedByModels: sum((t) => t.usedByModels, measured.map((p) => p.tier)),
    diskTotal: sum((t) => t.diskTotal, disks.values()),
    diskFree: sum((t) => t.diskFree, disks.values()),
    diskUsed: sum((t) => t.diskUsed ?? t.diskTotal - t.diskFree, disks.values()),
    minFreeBytes: 0,
  }, { threshold });
  const room = Math.max(...measured.map((p) => tierStats(p.tier, { threshold }).room));
  const doc = statsDoc(whole);
  doc.free_gb = gb(Math.max(0, room));
  const broken = docs.filter((d) => d.error !== null);
  if (broken.length > 0) doc.error = broken.map((d) => d.error).join("; ");
  return { ...doc, paths, parts: docs };
}

/**
 * Builds the `GET /api/cache/stats` document (and `--cache-stats --json`).
 *
 * @param tiers The SSD, the HDD paths and the custom directories, measured.
 * @param options The warning threshold and when they were measured (unix seconds).
 * @returns The document.
 * @throws {LlamaPackError} `CONFIG` when the threshold is not in (0, 1].
 *
 * @example An SSD at 62% of its limit
 * ```ts
 * import assert from "node:assert/strict";
 * import { cacheStatsDocument } from "./cache_stats_doc.ts";
 * const g = 1024 ** 3;
 * const doc = cacheStatsDocument({
 *   primary: { ok: true, tier: { name: "ssd", kind: "ssd", path: "/ssd", usedByModels: 62 * g,
 *     limitBytes: 100 * g, diskTotal: 500 * g, diskFree: 300 * g, minFreeBytes: 20 * g } },
 *   secondary: [{ ok: false, name: "hdd", path: "/hdd", error: "not mounted" }],
 *   custom: [],
 * }, { threshold: 0.9, now: 0 });
 * assert(doc.primary.usage_percent === 62 && doc.primary.color === "green");
 * assert(doc.primary.free_gb === 38 && doc.secondary.error === "not mounted");
 * ```
 */
export function cacheStatsDocument(
  tiers: {
    primary: MeasuredTier;
    secondary: readonly MeasuredTier[];
    custom: readonly MeasuredTier[];
  },
  options: { threshold: number; now: number },
): CacheStatsDoc {
  const { threshold } = options;
  return {
    primary: tierDoc(tiers.primary, threshold),
    secondary: secondaryDoc(tiers.secondary, threshold),
    custom: tiers.custom.map((c) => tierDoc(c, threshold)),
    threshold,
    measured_at: isoTime(options.now),
  };
}

/** The answer of `/api/cache/check`. */
export interface SpaceCheck {
  /** The location asked about. */
  cache_location: CacheLocation;
  /** The size asked about, MiB. */
  required_space_mb: number;
  /** MiB a new model may take there now (limit and minimum free respected). */
  available_mb: number;
  /** It fits. */
  fits: boolean;
  /** Adding it would take usage above `cache_warning_threshold`. */
  would_exceed_warning: boolean;
  /** The directory checked (with several, the one with the most room). */
  path: string;
  /** Usage after adding it, percent. */
  usage_percent_after: number;
  /** One line saying why. */
  reason: string;
}

/**
 * Checks whether `size` bytes fit in a tier: `fits` when the room (free
 * space less `ssd_min_free_gb`, within `ssd_limit_gb`) holds it, and
 * `would_exceed_warning` when it would take usage past the threshold.
 *
 * @param location The location asked about.
 * @param size Bytes.
 * @param tier The tier, measured.
 * @param threshold `cache_warning_threshold`.
 * @returns The answer.
 *
 * @example 5000 MiB on a 100 GiB SSD limit with 95 GiB used
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkSpace } from "./cache_stats_doc.ts";
 * const g = 1024 ** 3;
 * const ssd = { name: "ssd", kind: "ssd" as const, path: "/ssd", usedByModels: 95 * g,
 *   limitBytes: 100 * g, diskTotal: 500 * g, diskFree: 300 * g, minFreeBytes: 20 * g };
 * const r = checkSpace("primary", 5000 * 1024 ** 2, ssd, 0.9);
 * assert(r.fits && r.would_exceed_warning && r.available_mb === 5120);
 * assert(!checkSpace("primary", 6000 * 1024 ** 2, ssd, 0.9).fits);
 * ```
 */
export function checkSpace(
  location: CacheLocation,
  size: number,
  tier: TierInput,
  threshold: number,
): SpaceCheck {
  const s = tierStats(tier, { threshold });
  const room = Math.max(0, s.room);
  const after = s.capacity > 0 ? (s.used + size) / s.capacity : 1;
  const fits = size <= room;
  const over = after > threshold;
  const need = formatSize(size);
  const on = `${location} (${s.path})`;
  const reason = !fits
    ? `${need} does not fit on ${on}: ${formatSize(room)} available${
      s.limitBytes !== undefined ? ` within the ${formatSize(s.limitBytes)} limit` : ""
    }${s.minFreeBytes > 0 ? ` while keeping ${formatSize(s.minFreeBytes)} free` : ""}`
    : `${need} fits on ${on}: usage ${Math.round(s.usage * 100)}% -> ${Math.round(after * 100)}%${
      over ? `, above the ${Math.round(threshold * 100)}% warning threshold` : ""
    }, ${formatSize(room - size)} left`;
  return {
    cache_location: location,
    required_space_mb: Math.round((size / MIB) * 100) / 100,
    available_mb: Math.floor(room / MIB),
    fits,
    would_exceed_warning: over,
    path: s.path,
    usage_percent_after: pct(after),
    reason,
  };
}

/**
 * The tier among several with the most room for a model (as `--check
 * --tier hdd` picks), or the one whose directory is `path`.
 *
 * @param tiers The measured tiers.
 * @param path A directory to pick by, if any.
 * @returns The tier, or `undefined` when none matches.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pickTier } from "./cache_stats_doc.ts";
 * const t = (path: string, free: number) => ({ name: path, kind: "hdd" as const, path,
 *   usedByModels: 0, diskTotal: 100, diskFree: free, minFreeBytes: 0 });
 * assert(pickTier([t("/a", 10), t("/b", 50)])?.path === "/b");
 * assert(pickTier([t("/a", 10), t("/b", 50)], "/a")?.path === "/a");
 * ```
 */
export function pickTier(tiers: readonly TierInput[], path?: string): TierInput | undefined {
  if (path !== undefined) return tiers.find((t) => t.path === path);
  return [...tiers].sort((a, b) => tierStats(b).room - tierStats(a).room)[0];
}

/** The answer of `/api/cache/recommend`. */
export interface RecommendDoc {
  /** `primary`, `secondary`, or `null` when it fits nowhere. */
  recommended_cache: "primary" | "secondary" | null;
  /** One line saying why (the same as `--recommend`). */
  reason: string;
  /** llama-pack's name of the tier (`ssd`, `hdd2`), or `null`. */
  tier: string | null;
  /** Its directory, or `null`. */
  path: string | null;
}

/**
 * Where a model of `size` bytes should live: `--recommend`'s logic
 * ({@linkcode recommendTier}) in the guide's words.
 *
 * @param size Bytes.
 * @param tiers The SSD and the HDD paths, measured.
 * @param threshold `cache_warning_threshold`.
 * @returns The answer.
 *
 * @example Too big for the SSD
 * ```ts
 * import assert from "node:assert/strict";
 * import { recommendDoc } from "./cache_stats_doc.ts";
 * const g = 1024 ** 3;
 * const r = recommendDoc(150 * g, [
 *   { name: "ssd", kind: "ssd", path: "/ssd", usedByModels: 0, limitBytes: 100 * g, diskTotal: 500 * g, diskFree: 400 * g, minFreeBytes: 20 * g },
 *   { name: "hdd", kind: "hdd", path: "/hdd", usedByModels: 0, diskTotal: 4000 * g, diskFree: 3000 * g, minFreeBytes: 0 },
 * ], 0.9);
 * assert(r.recommended_cache === "secondary" && r.path === "/hdd");
 * ```
 */
export function recommendDoc(
  size: number,
  tiers: readonly TierInput[],
  threshold: number,
): RecommendDoc {
  const rec = recommendTier(size, tiers, { threshold });
  const tier = tiers.find((t) => t.name === rec.tier);
  return {
    recommended_cache: tier === undefined ? null : tier.kind === "ssd" ? "primary" : "secondary",
    reason: rec.reason,
    tier: tier?.name ?? null,
    path: tier?.path ?? null,
  };
}

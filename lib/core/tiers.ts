/**
 * Storage tiers (the SSD cache and each HDD path), the pure calculations:
 * usage, colour level, warnings, whether a model of a given size fits, which
 * tier it should live on, and the `--cache-stats` rendering. The measuring of
 * a real directory is `statTier` in `lib/cache/tier_space.ts`.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import { formatSize } from "./units.ts";

/** What a tier is. */
export type TierKind = "ssd" | "hdd";

/** One tier's measurements, in bytes. */
export interface TierInput {
  /** A short name, e.g. `ssd`, `hdd`, `hdd2`. */
  name: string;
  /** The SSD cache or the HDD library. */
  kind: TierKind;
  /** The tier's directory. */
  path: string;
  /** Bytes the files under the directory take. */
  usedByModels: number;
  /** Most bytes the models may take (`ssd_limit_gb`); no limit when absent. */
  limitBytes?: number;
  /** The file system's size. */
  diskTotal: number;
  /** Bytes free on the file system for unprivileged users. */
  diskFree: number;
  /**
   * Bytes in use on the file system (`df`'s Used). When given, disk usage is
   * `diskUsed / (diskUsed + diskFree)` as `df` computes it (reserved blocks
   * left out); otherwise `(diskTotal − diskFree) / diskTotal`.
   */
  diskUsed?: number;
  /** Bytes that must stay free (`ssd_min_free_gb`; 0 for HDDs). */
  minFreeBytes: number;
}

/** Usage colour: green below 75%, yellow from 75% to 90%, red above 90%. */
export type UsageLevel = "green" | "yellow" | "red";

/** A tier with its computed usage. */
export interface TierStats extends TierInput {
  /** Bytes counted as used: models when there is a limit, else the whole disk's use. */
  used: number;
  /** What `used` is measured against: the limit, else the disk size. */
  capacity: number;
  /** `used / capacity`, 0 when the capacity is 0. */
  usage: number;
  /** The usage colour. */
  level: UsageLevel;
  /** Bytes a new model may take now (limit, free space and minimum free respected). */
  room: number;
  /** A warning line when usage is above the threshold. */
  warning?: string;
}

/** Options of {@linkcode tierStats}, {@linkcode checkFit} and {@linkcode recommendTier}. */
export interface ThresholdOptions {
  /**
   * Usage fraction above which a tier warns, and which a new model must not exceed.
   * @default {0.9}
   */
  threshold?: number;
}

/**
 * The usage colour of a fraction.
 *
 * @param usage Used / capacity.
 * @returns `green` below 0.75, `yellow` from 0.75 up to 0.90, `red` above 0.90.
 *
 * @example Colour levels
 * ```ts
 * import assert from "node:assert/strict";
 * import { usageLevel } from "./tiers.ts";
 * assert(usageLevel(0.62) === "green");
 * assert(usageLevel(0.75) === "yellow");
 * assert(usageLevel(0.9) === "yellow");
 * assert(usageLevel(0.91) === "red");
 * ```
 */
export function usageLevel(usage: number): UsageLevel {
  if (usage < 0.75) return "green";
  if (usage <= 0.9) return "yellow";
  return "red";
}

function checkThreshold(threshold: number): void {
  if (!(Number.isFinite(threshold) && threshold > 0 && threshold <= 1)) {
    throw new LlamaPackError(
      "CONFIG",
      `cache_warning_threshold: must be a fraction between 0 and 1 (got ${threshold})`,
    );
  }
}

/**
 * Computes a tier's usage, colour, room and warning.
 *
 * @param tier The tier's measurements.
 * @param options The warning threshold.
 * @returns The tier with its usage figures.
 * @throws {LlamaPackError} `CONFIG` when the threshold is not in (0, 1].
 *
 * @example An SSD with a limit
 * ```ts
 * import assert from "node:assert/strict";
 * import { tierStats } from "./tiers.ts";
 * const g = 1024 ** 3;
 * const s = tierStats({ name: "ssd", kind: "ssd", path: "/ssd", usedByModels: 95 * g,
 *   limitBytes: 100 * g, diskTotal: 500 * g, diskFree: 300 * g, minFreeBytes: 20 * g });
 * assert(s.usage === 0.95 && s.level === "red" && s.room === 5 * g);
 * assert(s.warning === "warning: ssd is 95% full (95.0 GiB of 100.0 GiB), above the 90% threshold");
 * ```
 */
export function tierStats(tier: TierInput, options: ThresholdOptions = {}): TierStats {
  const threshold = options.threshold ?? 0.9;
  checkThreshold(threshold);
  const limited = tier.limitBytes !== undefined;
  const diskUsed = tier.diskUsed ?? Math.max(0, tier.diskTotal - tier.diskFree);
  const used = limited ? tier.usedByModels : diskUsed;
  const capacity = limited
    ? tier.limitBytes!
    : (tier.diskUsed === undefined ? tier.diskTotal : diskUsed + tier.diskFree);
  const usage = capacity > 0 ? used / capacity : 0;
  const byFree = tier.diskFree - tier.minFreeBytes;
  const room = limited ? Math.min(byFree, tier.limitBytes! - tier.usedByModels) : byFree;
  const stats: TierStats = { ...tier, used, capacity, usage, level: usageLevel(usage), room };
  if (usage > threshold) {
    stats.warning = `warning: ${tier.name} is ${pct(usage)} full (${formatSize(used)} of ${
      formatSize(capacity)
    }), above the ${pct(threshold)} threshold`;
  }
  return stats;
}

/** Whether a model fits on a tier, and why. */
export interface FitResult {
  /** Whether it fits. */
  fits: boolean;
  /** One line saying why. */
  reason: string;
  /** Usage after adding the model. */
  usageAfter: number;
}

/**
 * Tells whether a model of `size` bytes fits on a tier: within the limit,
 * leaving the minimum free space, and without taking usage above the threshold.
 *
 * @param size The model's size in bytes.
 * @param tier The tier (measurements or computed stats).
 * @param options The usage threshold.
 * @returns Whether it fits and the reason, in one line.
 * @throws {LlamaPackError} `CONFIG` when the threshold is not in (0, 1].
 *
 * @example A model that would pass the threshold
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkFit } from "./tiers.ts";
 * const g = 1024 ** 3;
 * const ssd = { name: "ssd", kind: "ssd" as const, path: "/ssd", usedByModels: 80 * g,
 *   limitBytes: 100 * g, diskTotal: 500 * g, diskFree: 300 * g, minFreeBytes: 20 * g };
 * assert(checkFit(5 * g, ssd).fits === true);
 * const r = checkFit(15 * g, ssd);
 * assert(!r.fits && r.reason.includes("above the 90% threshold"));
 * ```
 */
export function checkFit(size: number, tier: TierInput, options: ThresholdOptions = {}): FitResult {
  const threshold = options.threshold ?? 0.9;
  const s = tierStats(tier, { threshold });
  const usageAfter = s.capacity > 0 ? (s.used + size) / s.capacity : Infinity;
  const need = formatSize(size);
  const on = `${s.name} (${s.path})`;
  if (s.limitBytes !== undefined && s.usedByModels + size > s.limitBytes) {
    return {
      fits: false,
      usageAfter,
      reason: `${need} does not fit on ${on}: the limit is ${formatSize(s.limitBytes)} and ${
        formatSize(s.usedByModels)
      } is used, ${formatSize(Math.max(0, s.limitBytes - s.usedByModels))} left`,
    };
  }
  if (size > s.diskFree - s.minFreeBytes) {
    const keep = s.minFreeBytes > 0 ? ` while keeping ${formatSize(s.minFreeBytes)} free` : "";
    return {
      fits: false,
      usageAfter,
      reason: `${need} does not fit on ${on}: ${formatSize(s.diskFree)} free on the disk${keep}`,
    };
  }
  if (usageAfter > threshold) {
    return {
      fits: false,
      usageAfter,
      reason: `${need} would fill ${on} to ${pct(usageAfter)}, above the ${
        pct(threshold)
      } threshold`,
    };
  }
  return {
    fits: true,
    usageAfter,
    reason: `${need} fits on ${on}: usage ${pct(s.usage)} -> ${pct(usageAfter)}, ${
      formatSize(s.room - size)
    } left`,
  };
}

/** Which tier a model should live on, and why. */
export interface Recommendation {
  /** The tier's name, or `undefined` when the model fits nowhere. */
  tier: string | undefined;
  /** One line saying why. */
  reason: string;
}

/**
 * Names the tier a model of `size` bytes should live on: the SSD when it fits
 * there comfortably (limit, minimum free and threshold respected), otherwise
 * the HDD with the most room that fits it.
 *
 * @param size The model's size in bytes.
 * @param tiers The tiers, SSD and HDDs in any order.
 * @param options The usage threshold.
 * @returns The tier's name (or `undefined`) and the reason.
 * @throws {LlamaPackError} `CONFIG` when the threshold is not in (0, 1].
 *
 * @example A model too big for the SSD
 * ```ts
 * import assert from "node:assert/strict";
 * import { recommendTier } from "./tiers.ts";
 * const g = 1024 ** 3;
 * const r = recommendTier(150 * g, [
 *   { name: "ssd", kind: "ssd", path: "/ssd", usedByModels: 0, limitBytes: 100 * g, diskTotal: 500 * g, diskFree: 400 * g, minFreeBytes: 20 * g },
 *   { name: "hdd", kind: "hdd", path: "/hdd", usedByModels: 900 * g, diskTotal: 4000 * g, diskFree: 3000 * g, minFreeBytes: 0 },
 * ]);
 * assert(r.tier === "hdd");
 * ```
 */
export function recommendTier(
  size: number,
  tiers: readonly TierInput[],
  options: ThresholdOptions = {},
): Recommendation {
  const threshold = options.threshold ?? 0.9;
  const ssd = tiers.find((t) => t.kind === "ssd");
  let ssdWhy = "there is no SSD tier";
  if (ssd) {
    const fit = checkFit(size, ssd, { threshold });
    if (fit.fits) {
      return { tier: ssd.name, reason: `the SSD loads fastest and ${fit.reason}` };
    }
    ssdWhy = fit.reason;
  }
  const hdds = tiers
    .filter((t) => t.kind === "hdd")
    .map((t) => ({ t, s: tierStats(t, { threshold }), fit: checkFit(size, t, { threshold }) }))
    .sort((a, b) => b.s.room - a.s.room || a.t.name.localeCompare(b.t.name));
  const best = hdds.find((h) => h.fit.fits) ??
    hdds.find((h) => h.s.room >= size); // over the threshold but physically fits
  if (best) {
    const most = best === hdds[0] ? "the HDD with the most room" : "an HDD with room";
    return {
      tier: best.t.name,
      reason: `${ssdWhy}; ${most}: ${best.fit.reason}`,
    };
  }
  return { tier: undefined, reason: `${ssdWhy}; no HDD has ${formatSize(size)} free either` };
}

/** Options of {@linkcode renderTierStats}. */
export interface RenderTierOptions extends ThresholdOptions {
  /**
   * Colour the bars with ANSI escapes (green, yellow, red).
   * @default {false}
   */
  color?: boolean;
  /**
   * Characters inside the bar's brackets.
   * @default {20}
   */
  barWidth?: number;
}

/**
 * A usage bar such as `[############........] 62%`.
 *
 * @param usage Used / capacity (clamped to 0..1 for drawing).
 * @param options Width and colour.
 * @returns The bar and the percentage.
 *
 * @example A 62% bar
 * ```ts
 * import assert from "node:assert/strict";
 * import { usageBar } from "./tiers.ts";
 * assert(usageBar(0.62, { barWidth: 12 }) === "[#######.....]  62%");
 * ```
 */
export function usageBar(usage: number, options: RenderTierOptions = {}): string {
  const width = options.barWidth ?? 20;
  const filled = Math.round(Math.min(1, Math.max(0, usage)) * width);
  let bar = "#".repeat(filled) + ".".repeat(width - filled);
  if (options.color) bar = `${COLORS[usageLevel(usage)]}${bar}\x1b[0m`;
  return `[${bar}] ${pct(usage).padStart(4)}`;
}

const COLORS: Record<UsageLevel, string> = {
  green: "\x1b[32m",
  yellow: "\x1b[33m",
  red: "\x1b[31m",
};

/**
 * Renders `--cache-stats`: per tier its name and path, a usage bar, the
 * bytes used by models (and the limit), the disk's size and free space, the
 * room left for a new model, and a warning line above the threshold.
 *
 * @param tiers The tiers' measurements.
 * @param options Threshold, colour and bar width.
 * @returns The text, ending with a newline.
 * @throws {LlamaPackError} `CONFIG` when the threshold is not in (0, 1].
 *
 * @example Rendering one tier
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderTierStats } from "./tiers.ts";
 * const g = 1024 ** 3;
 * const text = renderTierStats([{ name: "ssd", kind: "ssd", path: "/ssd", usedByModels: 62 * g,
 *   limitBytes: 100 * g, diskTotal: 500 * g, diskFree: 300 * g, minFreeBytes: 20 * g }]);
 * assert(text.includes("[############........]  62%"));
 * ```
 */
export function renderTierStats(
  tiers: readonly TierInput[],
  options: RenderTierOptions = {},
): string {
  const threshold = options.threshold ?? 0.9;
  const lines: string[] = [];
  const nameWidth = Math.max(4, ...tiers.map((t) => t.name.length));
  for (const tier of tiers) {
    const s = tierStats(tier, { threshold });
    const pad = " ".repeat(nameWidth + 2);
    lines.push(`${s.name.padEnd(nameWidth)}  ${s.path}`);
    const models = s.limitBytes !== undefined
      ? `models ${formatSize(s.usedByModels)} of ${formatSize(s.limitBytes)} limit`
      : `models ${formatSize(s.usedByModels)}`;
    lines.push(`${pad}${usageBar(s.usage, options)}  ${models}`);
    const minFree = s.minFreeBytes > 0 ? `, keep ${formatSize(s.minFreeBytes)} free` : "";
    lines.push(
      `${pad}disk ${formatSize(s.diskTotal)}, ${
        formatSize(s.diskFree)
      } free${minFree}; room for a model: ${formatSize(Math.max(0, s.room))}`,
    );
    if (s.warning) lines.push(`${pad}${options.color ? `\x1b[31m${s.warning}\x1b[0m` : s.warning}`);
  }
  return lines.join("\n") + "\n";
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

/**
 * The pure decisions around a pull: whether the bytes still to download fit
 * in the target tier, how a refusal reads (figures and a `--recommend`-style
 * suggestion), and the speed and time left of a running download.
 *
 * @module
 */

import { checkFit, type FitResult, recommendTier, type TierInput } from "./tiers.ts";
import { formatSize } from "./units.ts";

/** Whether a pull fits, and what to tell the user. */
export interface PullRoom extends FitResult {
  /** A warning to print when it fits but fills the tier past the threshold. */
  warning: string | undefined;
}

/**
 * Decides whether `need` more bytes fit in the target tier. On the SSD the
 * rules of `--check` apply (limit, `ssd_min_free_gb`, threshold); on an HDD
 * or another directory only the free space counts, and passing the threshold
 * is a warning.
 *
 * @param need Bytes still to download.
 * @param tier The target tier, measured.
 * @param threshold `cache_warning_threshold`.
 * @returns Whether it fits, why, and a warning.
 *
 * @example An HDD past the threshold still takes the model, with a warning
 * ```ts
 * import assert from "node:assert/strict";
 * import { pullRoom } from "./pull_room.ts";
 * const g = 1024 ** 3;
 * const hdd = { name: "hdd", kind: "hdd" as const, path: "/hdd", usedByModels: 0,
 *   diskTotal: 100 * g, diskFree: 12 * g, minFreeBytes: 0 };
 * const r = pullRoom(5 * g, hdd, 0.9);
 * assert(r.fits && r.warning?.includes("93%"));
 * assert(!pullRoom(13 * g, hdd, 0.9).fits);
 * ```
 */
export function pullRoom(need: number, tier: TierInput, threshold: number): PullRoom {
  const fit = checkFit(need, tier, { threshold });
  if (tier.kind === "ssd" || fit.fits) return { ...fit, warning: undefined };
  const room = tier.diskFree - tier.minFreeBytes;
  if (need > room) return { ...fit, warning: undefined };
  return {
    fits: true,
    usageAfter: fit.usageAfter,
    reason: `${formatSize(need)} fits on ${tier.name} (${tier.path}): ${
      formatSize(room - need)
    } left`,
    warning: `${tier.name} (${tier.path}) will be ${
      Math.round(fit.usageAfter * 100)
    }% full, above the ${Math.round(threshold * 100)}% threshold`,
  };
}

/**
 * The `--to` value that names a tier: `primary` for the SSD, `secondary` for
 * the only HDD, else the tier's name (`hdd2`).
 *
 * @param tier A tier's name.
 * @returns What to pass to `--to`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { toFlagFor } from "./pull_room.ts";
 * assert.deepEqual(["ssd", "hdd", "hdd2"].map(toFlagFor), ["primary", "secondary", "hdd2"]);
 * ```
 */
export function toFlagFor(tier: string): string {
  return tier === "ssd" ? "primary" : tier === "hdd" ? "secondary" : tier;
}

/** Options of {@linkcode roomRefusal}. */
export interface RoomRefusalOptions {
  /** Every configured tier, measured, for the suggestion. @default [] */
  tiers?: readonly TierInput[];
  /** `cache_warning_threshold`. @default 0.9 */
  threshold?: number;
}

/**
 * The message and hint for a pull that does not fit: the figures, and where
 * `--recommend` would put a model of that size.
 *
 * @param what What is being pulled, e.g. `org/repo:Q4_K_M`.
 * @param need Bytes still to download.
 * @param room The failed room check.
 * @param options The other tiers and the threshold.
 * @returns The one-line message and the hint.
 *
 * @example Suggesting the HDD
 * ```ts
 * import assert from "node:assert/strict";
 * import { pullRoom, roomRefusal } from "./pull_room.ts";
 * const g = 1024 ** 3;
 * const ssd = { name: "ssd", kind: "ssd" as const, path: "/ssd", usedByModels: 0, diskTotal: 100 * g, diskFree: 30 * g, minFreeBytes: 20 * g };
 * const hdd = { name: "hdd", kind: "hdd" as const, path: "/hdd", usedByModels: 0, diskTotal: 4000 * g, diskFree: 3000 * g, minFreeBytes: 0 };
 * const r = roomRefusal("o/m:Q8_0", 15 * g, pullRoom(15 * g, ssd, 0.9), { tiers: [ssd, hdd] });
 * assert(r.message.startsWith("not enough room for o/m:Q8_0 (15.0 GiB to download)"), r.message);
 * assert(r.hint.includes("--to secondary"), r.hint);
 * ```
 */
export function roomRefusal(
  what: string,
  need: number,
  room: FitResult,
  options: RoomRefusalOptions = {},
): { message: string; hint: string } {
  const message = `not enough room for ${what} (${formatSize(need)} to download): ${room.reason}`;
  const rec = recommendTier(need, options.tiers ?? [], { threshold: options.threshold ?? 0.9 });
  const size = `${Math.ceil((need / 1024 ** 3) * 10) / 10}g`;
  const hint = rec.tier
    ? `--recommend ${size}: ${rec.tier}: ${rec.reason}; pull there with --to ${toFlagFor(rec.tier)}`
    : `--recommend ${size}: nowhere: ${rec.reason}; free some space first (--cache-stats)`;
  return { message, hint };
}

/** Speed and time left from samples of bytes done over time. */
export interface SpeedSample {
  /** Milliseconds (any clock). */
  t: number;
  /** Bytes done at `t`. */
  bytes: number;
}

/**
 * The speed over the samples that fall in the last `windowMs`, in bytes per
 * second (0 until two samples span some time).
 *
 * @param samples Samples, oldest first.
 * @param windowMs The window.
 * @returns Bytes per second.
 *
 * @example 10 MB in 2 s
 * ```ts
 * import assert from "node:assert/strict";
 * import { speedOf } from "./pull_room.ts";
 * assert(speedOf([{ t: 0, bytes: 0 }, { t: 1000, bytes: 4e6 }, { t: 2000, bytes: 10e6 }], 5000) === 5e6);
 * ```
 */
export function speedOf(samples: readonly SpeedSample[], windowMs: number): number {
  const last = samples[samples.length - 1];
  if (!last) return 0;
  const first = samples.find((s) => s.t >= last.t - windowMs) ?? last;
  const dt = last.t - first.t;
  return dt > 0 ? ((last.bytes - first.bytes) * 1000) / dt : 0;
}

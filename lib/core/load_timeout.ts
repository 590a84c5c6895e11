/**
 * How long a model may take to load (pure), for slow disks: its size ÷ the
 * read speed of the tier it loads from, learned from past loads (the
 * configured speed until there is one), times a safety factor plus slack.
 * Past that deadline a load is given more time while its server is alive
 * and still making progress (CPU time, bytes read or memory growing).
 *
 * @module
 */

/** Read speeds by tier, MB/s (10^6 bytes per second). */
export interface TierSpeeds {
  /** The SSD. */
  ssd: TierSpeed;
  /** The HDD. */
  hdd: TierSpeed;
}

/** One tier's read speed and where it comes from. */
export interface TierSpeed {
  /** MB/s. */
  mbps: number;
  /** How many past loads it was learned from; 0 = configured. */
  samples: number;
}

/** One past load, as the `uses` table records it. */
export interface PastLoad {
  /** The tier it loaded from. */
  tier: string | null;
  /** Seconds from spawn to ready. */
  readySeconds: number | null;
  /** The model's size in bytes. */
  size: number;
}

/** Loads of smaller models say more about start-up than about the disk. */
export const MIN_LEARN_BYTES = 512 * 1024 * 1024;
/** How many recent loads per tier the speed is learned from. */
const LEARN_WINDOW = 10;
/** The deadline is this many times the expected read time… */
export const LOAD_FACTOR = 2;
/** …plus this much slack (seconds) for start-up, warm-up and GPU offload. */
export const LOAD_SLACK_S = 30;

/**
 * Each tier's read speed: the median over its last ten loads of models of
 * at least 512 MiB (size ÷ time to ready), else the configured speed.
 *
 * @param loads Past loads, oldest first.
 * @param configured Configured speeds, MB/s.
 * @returns The speed per tier.
 *
 * @example Learning the HDD's speed
 * ```ts
 * import assert from "node:assert/strict";
 * import { learnTierSpeeds } from "./load_timeout.ts";
 * const GB = 1e9;
 * const s = learnTierSpeeds(
 *   [{ tier: "hdd", readySeconds: 50, size: 10 * GB }, { tier: "hdd", readySeconds: 100, size: 10 * GB }],
 *   { ssd: 500, hdd: 150 },
 * );
 * assert(s.hdd.mbps === 150 && s.hdd.samples === 2);
 * assert(s.ssd.mbps === 500 && s.ssd.samples === 0);
 * ```
 */
export function learnTierSpeeds(
  loads: readonly PastLoad[],
  configured: { ssd: number; hdd: number },
): TierSpeeds {
  const speed = (tier: "ssd" | "hdd"): TierSpeed => {
    const samples = loads
      .filter((l) =>
        l.tier === tier && l.readySeconds !== null && l.readySeconds > 0 &&
        l.size >= MIN_LEARN_BYTES
      )
      .slice(-LEARN_WINDOW)
      .map((l) => l.size / 1e6 / l.readySeconds!)
      .sort((a, b) => a - b);
    if (samples.length === 0) return { mbps: configured[tier], samples: 0 };
    const mid = samples.length >> 1;
    const median = samples.length % 2 === 1
      ? samples[mid]!
      : (samples[mid - 1]! + samples[mid]!) / 2;
    return { mbps: median, samples: samples.length };
  };
  return { ssd: speed("ssd"), hdd: speed("hdd") };
}

/** How long a load may take, and how much longer while it progresses. */
export interface LoadBudget {
  /** The first deadline, seconds after spawn. */
  seconds: number;
  /** Each extension while the server is alive and progressing, seconds; 0 = never extended. */
  extendSeconds: number;
  /** Why, in words (for `-v` and errors). */
  reason: string;
}

/**
 * The load budget of one model.
 *
 * @param sizeBytes The model's size.
 * @param tier Where it loads from.
 * @param speeds The tiers' read speeds.
 * @param fixedSeconds A configured fixed timeout (no extension), if any.
 * @returns The budget.
 *
 * @example A 20 GB model from an HDD at 150 MB/s
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadBudget } from "./load_timeout.ts";
 * const speeds = { ssd: { mbps: 500, samples: 0 }, hdd: { mbps: 150, samples: 3 } };
 * const b = loadBudget(20e9, "hdd", speeds, undefined);
 * assert(Math.round(b.seconds) === 297); // 2 × 133 s + 30 s
 * assert(loadBudget(20e9, "hdd", speeds, 60).seconds === 60);
 * ```
 */
export function loadBudget(
  sizeBytes: number,
  tier: "ssd" | "hdd",
  speeds: TierSpeeds,
  fixedSeconds: number | undefined,
): LoadBudget {
  if (fixedSeconds !== undefined) {
    return { seconds: fixedSeconds, extendSeconds: 0, reason: "serve.load_timeout" };
  }
  const s = speeds[tier];
  const read = sizeBytes / 1e6 / Math.max(1, s.mbps);
  const seconds = LOAD_FACTOR * read + LOAD_SLACK_S;
  const source = s.samples > 0
    ? `learned from ${s.samples} load${s.samples === 1 ? "" : "s"}`
    : "configured";
  return {
    seconds,
    extendSeconds: Math.max(15, seconds / 4),
    reason: `${(sizeBytes / 1e9).toFixed(1)} GB at ${Math.round(s.mbps)} MB/s (${tier}, ${source})`,
  };
}

/** What a loading process shows of its work, read from `/proc`. */
export interface LoadSignals {
  /** CPU time, in clock ticks (user + system). */
  cpuTicks: number;
  /** Bytes it caused to be read from storage. */
  readBytes: number;
  /** Resident memory, in pages. */
  rssPages: number;
}

/**
 * Whether a loading process made progress between two readings.
 *
 * @param before The earlier reading.
 * @param after The later one (`undefined` when the process is gone).
 * @returns `true` when it used CPU, read from disk or grew in memory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadProgressed } from "./load_timeout.ts";
 * const a = { cpuTicks: 10, readBytes: 0, rssPages: 100 };
 * assert(loadProgressed(a, { ...a, readBytes: 4096 }));
 * assert(!loadProgressed(a, a));
 * ```
 */
export function loadProgressed(before: LoadSignals, after: LoadSignals | undefined): boolean {
  if (after === undefined) return false;
  return after.cpuTicks > before.cpuTicks || after.readBytes > before.readBytes ||
    after.rssPages > before.rssPages;
}

/**
 * The SSD cache policy and the data the planner works on: whether a model should be copied to the SSD now,
 * which cached copies to evict for it, and which HDD models deserve the SSD
 * once space frees up. Pure: it takes the space picture, the cached copies and
 * the candidate (with rates from {@link ./rank.ts}) and returns a plan with a
 * reason for every choice and every refusal.
 *
 * ## The policy
 *
 * A copy's *value* is the SSD loads it is expected to serve: its rate (uses
 * per week) × its size, shown in GiB/wk. Keeping a copy costs its size in SSD
 * space and serving it saves its size in HDD reads, so size cancels in the
 * ranking: copies are ranked by rate, and size enters only the admission test.
 *
 * 1. **Gates.** Nothing is planned for a copy that is already on the SSD, for
 *    a model pinned to the HDD (`noCache`), for one with fewer than
 *    {@linkcode CachePolicy.minUses} uses in the last
 *    {@linkcode CachePolicy.windowSeconds}, or for one with rate 0.
 * 2. **Room.** `room = min(freeBytes − minFreeBytes, limitBytes − cacheUsedBytes)`.
 *    If the candidate fits in `room` it is copied. Otherwise it needs
 *    {@linkcode CachePolicy.minUsesToEvict} uses in the window to go on.
 * 3. **Victims.** Otherwise only copies that are not pinned, not in use by a
 *    running server, not SSD-only and ranked strictly below the candidate may
 *    go. Among those, the planner picks the set that frees enough room while
 *    losing the least value (a branch-and-bound search over copies ordered by
 *    rate, i.e. value per byte, starting from the greedy lowest-rate-first
 *    set; any copy that turns out unnecessary is dropped). So one 70 GiB copy
 *    versus five 8 GiB copies is decided by the GiB/wk each choice loses, and
 *    the reason names the alternative.
 * 4. **Value-based admission.** The candidate is copied only if its value
 *    exceeds {@linkcode CachePolicy.valueMargin} × the value of the copies it
 *    displaces. This keeps the SSD (and its write budget) for copies that pay.
 * 5. **Idle hazard.** When the caller passes {@linkcode PlacementInput.now},
 *    a copy that has not been used for a while is valued (for choosing
 *    victims and for the admission test, not for the "ranked below" rule) at
 *    its rate × the chance it is still in use: with `n = rate × idle time`
 *    the uses it should have seen, `e^−n / (e^−n + (1 − e^−n)/κ)`,
 *    κ = {@linkcode CachePolicy.idleHazard}. A copy that missed about
 *    `ln κ` of its expected uses counts about half.
 *
 * Ties break by rate, then last use, then id, so plans are deterministic and
 * independent of input order. Because victims always rank below the
 * candidate, applying a plan and re-planning never undoes it.
 *
 * ## Why these defaults
 *
 * Measured when these rules were chosen (issue 7) with the policy lab over
 * 10 seeds of each workload of what is now the `zipf` family
 * (`bench/families.ts`), as llama-pack's byte hit ratio minus the best
 * reference policy's (LRU, LFU-DA, GDSF, the original rule) on each seed, mean
 * over the seeds (the profiles have changed since; today's figures for both
 * families are in `bench/RESULTS.md`):
 *
 * | rule | steady | project switch | rapid switch | day/night | tight SSD | roomy SSD |
 * |---|---:|---:|---:|---:|---:|---:|
 * | before: 3 uses in 7 days, one fixed rank | +0.1 | −1.8 | −2.9 | −0.4 | +1.7 | +1.7 |
 * | 1 use into free room, 2 to displace, `steady` profile only | +1.7 | +0.5 | −2.0 | +0.9 | +1.8 | +2.5 |
 * | the same with adaptive profiles ({@link ./profiles.ts}): the default | +1.3 | +1.3 | +1.7 | +0.4 | +1.8 | +3.0 |
 *
 * With value-based admission a count gate mostly delays copies that free
 * room would hold anyway, so {@linkcode CachePolicy.minUses} defaults to 1;
 * {@linkcode CachePolicy.minUsesToEvict} (2 in the `steady` profile, 1 in
 * `rapid` and `session`) keeps one-off tries from displacing copies. The
 * original "3+ uses within 7 days" is `cache.min_uses: 3`, at a cost of 2–13
 * points of the offline bound (`bench/RESULTS.md`).
 *
 * @module
 */

import type { UseEvent } from "./rank.ts";

/** The admission and eviction policy. */
export interface CachePolicy {
  /**
   * Uses within {@linkcode CachePolicy.windowSeconds} a model needs before it
   * is copied at all (into free room; see {@linkcode CachePolicy.minUsesToEvict}).
   * @default {1}
   */
  minUses: number;
  /**
   * The window, in seconds, in which {@linkcode CachePolicy.minUses} are counted.
   * @default {604800} (7 days)
   */
  windowSeconds: number;
  /**
   * The candidate's value (rate × size) must exceed this many times the value
   * of the copies it displaces. Above 1 adds hysteresis.
   * @default {1}
   */
  valueMargin?: number;
  /**
   * Idle hazard κ: when {@linkcode PlacementInput.now} is given, a copy idle
   * for `t` seconds counts at its rate × `e^−n / (e^−n + (1 − e^−n)/κ)` with
   * `n = rate × t`, the chance it is still in use (its popularity may have
   * moved on). `Infinity` turns it off.
   * @default {5}
   */
  idleHazard?: number;
  /**
   * Work limit of the exact victim search (search nodes); past it the best
   * set found so far is used (at worst the greedy lowest-rate-first set).
   * @default {20000}
   */
  maxSearchNodes?: number;
  /**
   * Uses within {@linkcode CachePolicy.windowSeconds} a model needs before it
   * may displace other copies; below it, it is copied only into free room.
   * Never below {@linkcode CachePolicy.minUses} in effect.
   * @default {2}
   */
  minUsesToEvict?: number;
}

/**
 * The default policy (the `steady` profile of {@link ./profiles.ts}): copy into
 * free room from the first use, displace other copies from the second use in
 * 7 days, strict value comparison, idle hazard 5 (see the module doc).
 */
export const DEFAULT_CACHE_POLICY: CachePolicy = Object.freeze({
  minUses: 1,
  windowSeconds: 7 * 86400,
  valueMargin: 1,
  idleHazard: 5,
  maxSearchNodes: 20000,
  minUsesToEvict: 2,
});

/** The SSD's capacity picture, in bytes. */
export interface SsdSpace {
  /** Free bytes on the SSD file system now. */
  freeBytes: number;
  /** Free bytes that must remain (`ssd_min_free_gb`). */
  minFreeBytes: number;
  /** Most bytes the cache may hold (`ssd_limit_gb`); no limit when absent. */
  limitBytes?: number;
  /** Bytes the cached copies hold now. */
  cacheUsedBytes: number;
}

/** A model copy on the SSD. */
export interface CachedCopy {
  /** The model's id. */
  id: string;
  /** Size in bytes. */
  size: number;
  /** Rank: estimated uses per week. */
  rate: number;
  /** Pinned to the SSD by the user: never evicted. */
  pinned: boolean;
  /** Loaded by a running server: never evicted. */
  inUse: boolean;
  /** No HDD original: evicting would lose the model. */
  ssdOnly: boolean;
  /** Last use, unix seconds; older goes first on equal rate. */
  lastUse?: number;
}

/** A model that could be copied to the SSD. */
export interface Candidate {
  /** The model's id. */
  id: string;
  /** Size in bytes. */
  size: number;
  /** Rank: estimated uses per week. */
  rate: number;
  /** Uses within the policy's window (see {@linkcode countUsesInWindow}). */
  usesInWindow: number;
  /** Pinned to the HDD by the user: never copied. */
  noCache: boolean;
}

/** One eviction of a plan. */
export interface PlannedEviction {
  /** The evicted copy's id. */
  id: string;
  /** Its size in bytes. */
  size: number;
  /** Why it goes. */
  reason: string;
}

/** What to do for one candidate: evict these (in order), then copy or not. */
export interface PlacementPlan {
  /** The candidate's id. */
  id: string;
  /** Whether to copy the candidate to the SSD (after the evictions). */
  copy: boolean;
  /** Copies to evict first, lowest value first; empty when `copy` is false. */
  evict: PlannedEviction[];
  /** Why the candidate is or is not copied. */
  reason: string;
  /** Copies that could not be evicted, and why (only when eviction was needed). */
  refused: { id: string; reason: string }[];
}

/** Input of {@linkcode planPlacement}. */
export interface PlacementInput {
  /** The SSD's capacity picture. */
  space: SsdSpace;
  /** The copies on the SSD now. */
  cached: readonly CachedCopy[];
  /** The model that could be copied. */
  candidate: Candidate;
  /** The policy; {@linkcode DEFAULT_CACHE_POLICY} when absent. */
  policy?: CachePolicy;
  /** The current time, unix seconds; lets the planner weigh how long copies were idle. */
  now?: number;
  /**
   * Write the reasons (`reason`, `refused`, each eviction's `reason`); `false`
   * leaves them empty and makes the same decision faster.
   * @default {true}
   */
  explain?: boolean;
}

/** Input of {@linkcode planRefill}. */
export interface RefillInput {
  /** The SSD's capacity picture. */
  space: SsdSpace;
  /** The copies on the SSD now. */
  cached: readonly CachedCopy[];
  /** Models that could be copied (cached ones are skipped). */
  candidates: readonly Candidate[];
  /** The policy; {@linkcode DEFAULT_CACHE_POLICY} when absent. */
  policy?: CachePolicy;
  /** The current time, unix seconds (see {@linkcode PlacementInput.now}). */
  now?: number;
  /**
   * Write the reasons (see {@linkcode PlacementInput.explain}); `false` plans
   * the same copies faster.
   * @default {true}
   */
  explain?: boolean;
}

/** The SSD state a plan leaves behind (see {@linkcode applyPlacement}). */
export interface CacheState {
  /** The SSD's capacity picture. */
  space: SsdSpace;
  /** The copies on the SSD. */
  cached: CachedCopy[];
}

/**
 * Bytes a new copy may take now: `min(freeBytes − minFreeBytes, limitBytes − cacheUsedBytes)`.
 * Negative when the SSD is already below its minimum or over its limit.
 *
 * @param space The SSD's capacity picture.
 * @returns Available room in bytes.
 *
 * @example Room under a limit
 * ```ts
 * import assert from "node:assert/strict";
 * import { availableRoom } from "./cache_policy.ts";
 * const g = 1024 ** 3;
 * assert(availableRoom({ freeBytes: 100 * g, minFreeBytes: 20 * g, limitBytes: 60 * g, cacheUsedBytes: 50 * g }) === 10 * g);
 * ```
 */
export function availableRoom(space: SsdSpace): number {
  const byFree = space.freeBytes - space.minFreeBytes;
  return space.limitBytes === undefined
    ? byFree
    : Math.min(byFree, space.limitBytes - space.cacheUsedBytes);
}

/**
 * Counts the uses in the window `(now − windowSeconds, now]`, for
 * {@linkcode Candidate.usesInWindow}.
 *
 * @param uses The model's uses.
 * @param now The current time, unix seconds.
 * @param windowSeconds The window length in seconds.
 * @returns How many uses fall in the window.
 *
 * @example Counting uses in the last week
 * ```ts
 * import assert from "node:assert/strict";
 * import { countUsesInWindow } from "./cache_policy.ts";
 * const now = 1_700_000_000;
 * const uses = [{ at: now - 60 }, { at: now - 3 * 86400 }, { at: now - 30 * 86400 }];
 * assert(countUsesInWindow(uses, now, 7 * 86400) === 2);
 * ```
 */
export function countUsesInWindow(
  uses: readonly UseEvent[],
  now: number,
  windowSeconds: number,
): number {
  let n = 0;
  for (const u of uses) if (u.at > now - windowSeconds && u.at <= now) n++;
  return n;
}

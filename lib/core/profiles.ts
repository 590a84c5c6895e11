/**
 * The cache policy profiles: how fast ranks forget, how quickly idle copies
 * lose their value and how much evidence a newcomer needs before it may
 * displace other copies. {@link ./tuner.ts} picks one from the loads.
 *
 * ## The profiles
 *
 * | profile | memory | idle copies | a newcomer displaces others after |
 * |---|---|---|---|
 * | `steady` | 3-day short memory, rise threshold 3 | hazard 5 | 2 uses in the window |
 * | `rapid` | 1-day short memory, rank ≥ 0.8 × short rate | hazard 2 | 1 use |
 * | `session` | 2-hour short memory, rank ≥ 0.8 × short rate | hazard 2 | 1 use, worth 1.5× what it displaces |
 *
 * Why (policy lab, `bench/RESULTS.md`, tuning seeds only): a slow memory wins
 * when favourites are stable or alternate by time of day, a 1-day memory when
 * they change every few days, and a memory of hours when models come back
 * within the same sitting (sessions of work on a project, A/B comparisons of
 * two quants), as in the `sessions` workload family. Adding `session` moved
 * that family from 78.6% to 82.1% of the offline bound; the `shifting`
 * profile of the previous round (2-day memory) added nothing once `session`
 * was there (79.1 vs 79.3% over both families) and was dropped.
 *
 * @module
 */

import { type CachePolicy, DEFAULT_CACHE_POLICY } from "./cache_policy.ts";
import type { RankOptions } from "./rank.ts";

/** One way to run the cache: rank memory and planner settings. */
export interface PolicyProfile {
  /** Short name, shown by `-l -v` and `--cache-stats`. */
  name: string;
  /** One line on when it wins. */
  summary: string;
  /** Rank tuning (see {@linkcode RankOptions}). */
  rank: RankOptions;
  /** Planner settings layered over the configured policy. */
  policy: Partial<Pick<CachePolicy, "idleHazard" | "minUsesToEvict" | "valueMargin">>;
}

/** The built-in profiles, the default (`steady`) first; see the module doc. */
export const POLICY_PROFILES: readonly PolicyProfile[] = Object.freeze([
  {
    name: "steady",
    summary: "favourites change slowly or alternate by time of day",
    rank: { shortHalfLifeSeconds: 3 * 86400, changeThreshold: 3 },
    policy: { idleHazard: 5, minUsesToEvict: 2 },
  },
  {
    name: "rapid",
    summary: "favourites change every few days",
    rank: { shortHalfLifeSeconds: 86400, shortRateWeight: 0.8 },
    policy: { idleHazard: 2, minUsesToEvict: 1 },
  },
  {
    name: "session",
    summary: "models come back within hours: sittings on a project, A/B comparisons",
    rank: { shortHalfLifeSeconds: 2 * 3600, shortRateWeight: 0.8 },
    policy: { idleHazard: 2, minUsesToEvict: 1, valueMargin: 1.5 },
  },
]);

/**
 * The configured policy with a profile's settings layered over it. The
 * configured `minUses` and window always hold; a profile's
 * `minUsesToEvict` never goes below `minUses`.
 *
 * @param base The configured policy.
 * @param profile The profile.
 * @returns The merged policy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { POLICY_PROFILES, profilePolicy } from "./profiles.ts";
 * const p = profilePolicy({ minUses: 3, windowSeconds: 604800 }, POLICY_PROFILES[2]!);
 * assert(p.minUses === 3 && p.minUsesToEvict === 3 && p.idleHazard === 2);
 * ```
 */
export function profilePolicy(base: CachePolicy, profile: PolicyProfile): CachePolicy {
  const merged: CachePolicy = { ...DEFAULT_CACHE_POLICY, ...base, ...profile.policy };
  merged.minUses = base.minUses;
  merged.windowSeconds = base.windowSeconds;
  merged.minUsesToEvict = Math.max(merged.minUsesToEvict ?? 0, base.minUses);
  return merged;
}

/** A profile chosen for the live tool, with the policy and rank options it implies. */
export interface PolicyChoice {
  /** The active profile. */
  profile: PolicyProfile;
  /** The configured policy with the profile's settings (see {@linkcode profilePolicy}). */
  policy: CachePolicy;
  /** The profile's rank options. */
  rankOptions: RankOptions;
  /**
   * Each profile's recent shadow byte hit ratio and write ratio (shares of the
   * bytes loaded), when known; empty otherwise.
   */
  standings: { name: string; byteHitRatio: number; writeRatio?: number }[];
}

/**
 * The choice of a named profile over the configured policy, e.g. one stored
 * after the last replay; an unknown name (or none) gives the first profile.
 *
 * @param base The configured policy.
 * @param name The profile's name.
 * @param standings The shadows' standings, if known.
 * @returns The choice.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { choiceOf } from "./profiles.ts";
 * const c = choiceOf({ minUses: 1, windowSeconds: 604800 }, "session");
 * assert(c.profile.name === "session" && c.policy.minUsesToEvict === 1);
 * assert(choiceOf({ minUses: 1, windowSeconds: 604800 }, "nope").profile.name === "steady");
 * ```
 */
export function choiceOf(
  base: CachePolicy,
  name: string | undefined,
  standings: PolicyChoice["standings"] = [],
): PolicyChoice {
  const profile = POLICY_PROFILES.find((p) => p.name === name) ?? POLICY_PROFILES[0]!;
  return {
    profile,
    policy: profilePolicy(base, profile),
    rankOptions: profile.rank,
    standings,
  };
}

/**
 * Adaptive memory: which of a few policy profiles (how fast ranks forget,
 * how quickly idle copies lose their value, how much evidence a newcomer
 * needs before it may displace other copies) suits the way a user loads
 * models now. Pure: it replays loads, it never reads a clock or a disk.
 *
 * ## How it chooses
 *
 * Every profile runs its own *shadow cache*: a virtual SSD of the same
 * capacity, fed the same loads, deciding with the same core functions the
 * live tool uses ({@link ./rank.ts} and {@link ./placement.ts}). Copies in a
 * shadow are instant and never in use, so a shadow only measures the policy's
 * choices. Each shadow scores the bytes it served from its SSD minus a
 * quarter of the bytes it copied there (SSD wear: a profile must not win by
 * copying four times as much for the same hits), decayed with a half-life
 * (default 30 days) so that the recent past counts most. The active profile
 * is the one with the best score; another profile takes over only when it
 * leads by more than a share (default 1%) of the decayed bytes loaded, so two
 * close profiles do not take turns and churn the real SSD. The profile that
 * decides a load is chosen on the loads before it: a shadow's own decision on
 * that load (a copy is a write at once, its hits come later) does not count.
 * Until then the first profile (`steady`) is active.
 *
 * Why the write penalty (policy lab, tuning seeds, `bench/RESULTS.md`): with
 * hits alone the fast profiles win whenever they serve a little more, at up
 * to twice the writes; a penalty of 0.25 cut the SSD writes of the `zipf`
 * family from 14% to 9% of the bytes loaded for 0.6 points of hit ratio
 * (0.15: 10%, 0.5: 8% and 1.4 points less on the `sessions` family).
 *
 * @module
 */

import { type CachePolicy, countUsesInWindow } from "./cache_policy.ts";
import type { RankOptions } from "./rank.ts";
import { feedShadow, newShadow, type Shadow, shadowRate } from "./shadow_cache.ts";
import {
  POLICY_PROFILES,
  type PolicyChoice,
  type PolicyProfile,
  profilePolicy,
} from "./profiles.ts";

/** One load as the tuner sees it. */
export interface ObservedLoad {
  /** When, unix seconds (non-decreasing from one call to the next). */
  at: number;
  /** The model's id. */
  model: string;
  /** Its size in bytes. */
  size: number;
}

/** Options of {@linkcode PolicyTuner}. */
export interface TunerOptions {
  /**
   * The profiles to choose from, the default first. One profile turns
   * adaptation off.
   * @default {POLICY_PROFILES}
   */
  profiles?: readonly PolicyProfile[];
  /**
   * Half-life of the shadows' scores, in seconds.
   * @default {2592000} (30 days)
   */
  scoreHalfLifeSeconds?: number;
  /**
   * Lead, as a share of the decayed bytes loaded, another profile needs
   * over the active one to take over.
   * @default {0.01}
   */
  switchShare?: number;
  /**
   * A shadow's score is the bytes it served minus this many times the bytes
   * it copied (see the module doc). 0 scores hits alone.
   * @default {0.25}
   */
  writePenalty?: number;
}

/** A profile's standing, as {@linkcode PolicyTuner.standings} reports it. */
export interface ProfileStanding {
  /** The profile. */
  profile: PolicyProfile;
  /** Decayed bytes its shadow served from the SSD, as a share of the decayed bytes loaded (0–1). */
  byteHitRatio: number;
  /** Decayed bytes its shadow copied to the SSD, as a share of the decayed bytes loaded. */
  writeRatio: number;
  /** Whether it is the active profile. */
  active: boolean;
}

/**
 * Runs one shadow cache per profile over a stream of loads and names the
 * profile whose shadow served the most bytes lately (see the module doc).
 * Deterministic: the same loads give the same choice.
 *
 * @example A workload of rapid switches picks a fast memory
 * ```ts
 * import assert from "node:assert/strict";
 * import { PolicyTuner } from "./tuner.ts";
 * const tuner = new PolicyTuner({ minUses: 1, windowSeconds: 7 * 86400 }, 40e9);
 * assert(tuner.active.name === "steady");
 * tuner.observe({ at: 0, model: "a", size: 8e9 });
 * assert(tuner.rate("a", 0) > 0 && tuner.usesInWindow("a", 0) === 1);
 * ```
 */
export class PolicyTuner {
  readonly #shadows: Shadow[];
  readonly #capacity: number;
  readonly #lambda: number;
  readonly #share: number;
  readonly #penalty: number;
  #active = 0;
  #loaded = 0;
  #at = -Infinity;

  /**
   * Starts one empty shadow cache per profile; the first profile is active.
   *
   * @param base The configured policy; each profile layers its settings over it.
   * @param capacityBytes Bytes the cache may hold (the shadows' SSD size).
   * @param options Profiles, score half-life, switch margin.
   * @throws {RangeError} When the capacity, the half-life or the share is out of range, or there is no profile.
   */
  constructor(base: CachePolicy, capacityBytes: number, options: TunerOptions = {}) {
    const profiles = options.profiles ?? POLICY_PROFILES;
    const halfLife = options.scoreHalfLifeSeconds ?? 30 * 86400;
    const share = options.switchShare ?? 0.01;
    const penalty = options.writePenalty ?? 0.25;
    if (profiles.length === 0) throw new RangeError("PolicyTuner: at least one profile is needed");
    if (!(Number.isFinite(capacityBytes) && capacityBytes >= 0)) {
      throw new RangeError(
        `PolicyTuner: capacity must be a finite number ≥ 0 (got ${capacityBytes})`,
      );
    }
    if (!(halfLife > 0)) {
      throw new RangeError(`PolicyTuner: scoreHalfLifeSeconds must be > 0 (got ${halfLife})`);
    }
    if (!(Number.isFinite(share) && share >= 0)) {
      throw new RangeError(`PolicyTuner: switchShare must be a number ≥ 0 (got ${share})`);
    }
    if (!(Number.isFinite(penalty) && penalty >= 0)) {
      throw new RangeError(`PolicyTuner: writePenalty must be a number ≥ 0 (got ${penalty})`);
    }
    this.#capacity = capacityBytes;
    this.#lambda = Math.LN2 / halfLife;
    this.#share = share;
    this.#penalty = penalty;
    this.#shadows = profiles.map((profile) => newShadow(profile, profilePolicy(base, profile)));
  }

  /** The active profile. */
  get active(): PolicyProfile {
    return this.#shadows[this.#active]!.profile;
  }

  /** The active profile's rank options. */
  get rankOptions(): RankOptions {
    return this.#shadows[this.#active]!.rank;
  }

  /** The configured policy with the active profile's settings layered over it. */
  get policy(): CachePolicy {
    return this.#shadows[this.#active]!.policy;
  }

  /**
   * Re-chooses the active profile from the scores so far, then feeds the load
   * to every shadow (so the profile that decides a load was chosen on the
   * loads before it).
   *
   * @param load The load; times must not go backwards.
   * @throws {RangeError} When the load's time is before the previous one's, or its size is not a finite number ≥ 0.
   */
  observe(load: ObservedLoad): void {
    if (!(load.at >= this.#at)) {
      throw new RangeError(
        `PolicyTuner: load at ${load.at} is before the previous one (${this.#at})`,
      );
    }
    if (!(Number.isFinite(load.size) && load.size >= 0)) {
      throw new RangeError(`PolicyTuner: size of '${load.model}' must be a finite number ≥ 0`);
    }
    const decay = this.#at === -Infinity ? 0 : Math.exp(-this.#lambda * (load.at - this.#at));
    this.#at = load.at;
    this.#loaded *= decay;
    for (const shadow of this.#shadows) {
      shadow.hits *= decay;
      shadow.written *= decay;
    }
    // Choose on the loads before this one: a shadow's decision on this very
    // load (a copy counted as a write, its hits still to come) must not pick
    // the profile that decides it.
    this.#choose();
    this.#loaded += load.size;
    for (const shadow of this.#shadows) feedShadow(shadow, load, this.#capacity);
  }

  /** Makes the best-scoring shadow's profile active if it leads by enough. */
  #choose(): void {
    const scores = this.#shadows.map((s) => s.hits - this.#penalty * s.written);
    let best = 0;
    scores.forEach((score, i) => {
      if (score > scores[best]!) best = i;
    });
    const lead = scores[best]! - scores[this.#active]!;
    if (lead > this.#share * this.#loaded) this.#active = best;
  }

  /**
   * A model's rank (uses per week) at `now` under the active profile, from
   * the loads observed; 0 for a model never seen.
   *
   * @param model The model's id.
   * @param now The time, unix seconds.
   * @returns Uses per week.
   */
  rate(model: string, now: number): number {
    const shadow = this.#shadows[this.#active]!;
    return shadowRate(shadow, model, now);
  }

  /**
   * The loads of a model in the policy's window ending at `now`.
   *
   * @param model The model's id.
   * @param now The time, unix seconds (not before the last load observed).
   * @returns How many.
   */
  usesInWindow(model: string, now: number): number {
    const shadow = this.#shadows[this.#active]!;
    const recent = shadow.models.get(model)?.recent ?? [];
    return countUsesInWindow(recent.map((at) => ({ at })), now, shadow.policy.windowSeconds);
  }

  /**
   * The active profile as a {@linkcode PolicyChoice}, with the standings.
   *
   * @returns The choice.
   */
  choice(): PolicyChoice {
    const shadow = this.#shadows[this.#active]!;
    return {
      profile: shadow.profile,
      policy: shadow.policy,
      rankOptions: shadow.rank,
      standings: this.standings().map((s) => ({
        name: s.profile.name,
        byteHitRatio: s.byteHitRatio,
        writeRatio: s.writeRatio,
      })),
    };
  }

  /**
   * Every profile with its shadow's recent byte hit and write ratios, in profile order.
   *
   * @returns The standings.
   */
  standings(): ProfileStanding[] {
    return this.#shadows.map((s, i) => ({
      profile: s.profile,
      byteHitRatio: this.#loaded > 0 ? s.hits / this.#loaded : 0,
      writeRatio: this.#loaded > 0 ? s.written / this.#loaded : 0,
      active: i === this.#active,
    }));
  }
}

/**
 * Replays a use history through a new {@linkcode PolicyTuner}: what the live
 * tool does before it ranks or plans, so that it decides with the same
 * profile the simulator would have chosen on the same loads.
 *
 * @param loads The loads, in any order (sorted by time here; ties keep their order).
 * @param base The configured policy.
 * @param capacityBytes Bytes the cache may hold.
 * @param options Profiles, score half-life, switch margin.
 * @returns The tuner after the last load.
 * @throws {RangeError} As {@linkcode PolicyTuner}, or for a load time that is not finite.
 *
 * @example Ranks under the chosen profile
 * ```ts
 * import assert from "node:assert/strict";
 * import { tunerFromHistory } from "./tuner.ts";
 * const day = 86400;
 * const loads = [0, 1, 2].map((d) => ({ at: d * day, model: "a", size: 8e9 }));
 * const tuner = tunerFromHistory(loads, { minUses: 1, windowSeconds: 7 * day }, 20e9);
 * assert(tuner.rate("a", 2 * day) > 1 && tuner.rate("b", 2 * day) === 0);
 * ```
 */
export function tunerFromHistory(
  loads: readonly ObservedLoad[],
  base: CachePolicy,
  capacityBytes: number,
  options: TunerOptions = {},
): PolicyTuner {
  for (const load of loads) {
    if (!Number.isFinite(load.at)) {
      throw new RangeError(`tunerFromHistory: load time of '${load.model}' must be finite`);
    }
  }
  const sorted = loads.map((load, i) => ({ load, i }))
    .sort((a, b) => a.load.at - b.load.at || a.i - b.i);
  const tuner = new PolicyTuner(base, capacityBytes, options);
  for (const { load } of sorted) tuner.observe(load);
  return tuner;
}

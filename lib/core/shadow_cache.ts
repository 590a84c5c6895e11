/**
 * One shadow cache of the tuner ({@link ./tuner.ts}): a virtual SSD of the
 * real one's capacity, fed the same loads and deciding with the same core
 * functions as the live tool ({@link ./rank.ts}, {@link ./placement.ts}) under
 * one policy profile. Copies are instant and never in use, so a shadow only
 * measures the profile's choices: the bytes it served and the bytes it
 * copied. Internal to `lib/core/`.
 *
 * @module
 */

import { admissionStep, planPlacement } from "./placement.ts";
import type { CachedCopy, CachePolicy } from "./cache_policy.ts";
import { newEstimate, type RankOptions, type RateEstimate, recordUse } from "./rank.ts";
import { type Params, params } from "./rank_params.ts";
import { hintsOf, rankAt, type RankHints } from "./rate_memory.ts";
import type { PolicyProfile } from "./profiles.ts";

/** One load as a shadow sees it. */
export interface ShadowLoad {
  /** When, unix seconds. */
  at: number;
  /** The model's id. */
  model: string;
  /** Its size in bytes. */
  size: number;
}

/** What a shadow knows of one model. */
export interface Tracked {
  /** Its rate estimate under the shadow's rank options. */
  est: RateEstimate;
  /** What ranking `est` reuses between queries. */
  hints: RankHints;
  /** The last rank computed and when: a shadow and the real cache ask at the same `now`. */
  rankedAt: number;
  rank: number;
  /** Use times inside the admission window, oldest first. */
  recent: number[];
  /** Its copy on the shadow SSD (an object reused between plans: only its rate changes). */
  copy: CachedCopy | undefined;
}

/** One profile's shadow cache and what it has seen. */
export interface Shadow {
  /** The profile it runs. */
  profile: PolicyProfile;
  /** The profile's rank options (frozen). */
  rank: RankOptions;
  /** The same, checked. */
  params: Params;
  /** The configured policy with the profile's settings (frozen). */
  policy: CachePolicy;
  /** Every model loaded so far. */
  models: Map<string, Tracked>;
  /** The models with a copy, in the order the copies were made. */
  cached: Tracked[];
  /** Bytes its copies hold. */
  used: number;
  /** Decayed bytes served from the shadow SSD. */
  hits: number;
  /** Decayed bytes copied to it. */
  written: number;
}

/**
 * An empty shadow for a profile.
 *
 * @param profile The profile.
 * @param policy The configured policy with the profile's settings (frozen, so the planner resolves it once).
 * @returns The shadow.
 */
export function newShadow(profile: PolicyProfile, policy: CachePolicy): Shadow {
  return {
    profile,
    // Frozen, so the rank functions validate it once (see rank_params.ts).
    rank: Object.freeze({ ...profile.rank }),
    params: params(profile.rank),
    policy: Object.freeze(policy),
    models: new Map(),
    cached: [],
    used: 0,
    hits: 0,
    written: 0,
  };
}

/** A tracked model's rank at `now`, computed once per `now`. */
function rankOf(m: Tracked, shadow: Shadow, now: number): number {
  if (m.rankedAt !== now) {
    m.rank = rankAt(m.est, now, shadow.params, m.hints);
    m.rankedAt = now;
  }
  return m.rank;
}

/**
 * A model's rank (uses per week) at `now` under the shadow's profile; 0 for a model never seen.
 *
 * @param shadow The shadow.
 * @param model The model's id.
 * @param now The time, unix seconds.
 * @returns Uses per week.
 */
export function shadowRate(shadow: Shadow, model: string, now: number): number {
  const tracked = shadow.models.get(model);
  return tracked === undefined ? 0 : rankOf(tracked, shadow, now);
}

/** One load through one shadow: record the use, then hit or plan with the core planner. */
export function feedShadow(shadow: Shadow, load: ShadowLoad, capacity: number): void {
  const now = load.at;
  let model = shadow.models.get(load.model);
  if (model === undefined) {
    model = {
      est: newEstimate(),
      hints: { quiet: 0, rate: 0 },
      rankedAt: NaN,
      rank: 0,
      recent: [],
      copy: undefined,
    };
    shadow.models.set(load.model, model);
  }
  model.est = recordUse(model.est, now, shadow.rank);
  hintsOf(model.est, shadow.params, model.hints);
  model.rankedAt = NaN;
  const recent = model.recent;
  recent.push(now);
  const cutoff = now - shadow.policy.windowSeconds;
  let drop = 0;
  while (drop < recent.length && recent[drop]! <= cutoff) drop++;
  if (drop > 0) recent.splice(0, drop);
  if (model.copy !== undefined) {
    shadow.hits += load.size;
    model.copy.lastUse = now;
    return;
  }
  const candidate = {
    id: load.model,
    size: load.size,
    // A model just used ranks above 0, which is all the first step asks of
    // the rank; it is computed below only when the plan depends on it.
    rate: 1,
    usesInWindow: recent.length,
    noCache: false,
  };
  const space = { freeBytes: capacity - shadow.used, minFreeBytes: 0, cacheUsedBytes: shadow.used };
  // Rank the cached copies only when the plan depends on them.
  const first = admissionStep(space, candidate, shadow.policy);
  if (first === "gated" || first === "too few uses to evict") return;
  if (first === "evict") {
    candidate.rate = rankOf(model, shadow, now);
    const copies: CachedCopy[] = [];
    for (const m of shadow.cached) {
      m.copy!.rate = rankOf(m, shadow, now);
      copies.push(m.copy!);
    }
    const plan = planPlacement({
      space,
      cached: copies,
      candidate,
      policy: shadow.policy,
      now,
      explain: false,
    });
    if (!plan.copy) return;
    for (const e of plan.evict) {
      const gone = shadow.models.get(e.id)!;
      shadow.used -= gone.copy!.size;
      gone.copy = undefined;
    }
    shadow.cached = shadow.cached.filter((m) => m.copy !== undefined);
  }
  model.copy = {
    id: load.model,
    size: load.size,
    rate: 0,
    pinned: false,
    inUse: false,
    ssdOnly: false,
    lastUse: now,
  };
  shadow.cached.push(model);
  shadow.used += load.size;
  shadow.written += load.size;
}

/**
 * Bench-only prototype: the adaptive shadow caches of `lib/adapt.ts` with
 * other profiles and a write-aware score (bytes hit − `writePenalty` × bytes
 * copied), to find the profile set and scoring worth moving into the core.
 *
 * @module
 */

import type { CacheView, PolicyDecision, SimPolicy } from "../sim/policy_api.ts";
import { admissionStep, planPlacement } from "../lib/core/placement.ts";
import { type CachedCopy, type CachePolicy, DEFAULT_CACHE_POLICY } from "../lib/core/cache_policy.ts";
import {
  newEstimate,
  type RankOptions,
  type RateEstimate,
  recordUse,
  usesPerWeek,
} from "../lib/core/rank.ts";
import type { Load } from "../sim/workload.ts";

/** A profile for the prototype. */
export interface ProtoProfile {
  /** Name. */
  name: string;
  /** Rank options. */
  rank: RankOptions;
  /** Planner settings. */
  policy: Partial<CachePolicy>;
}

/** Options of {@linkcode shadowPolicy}. */
export interface ShadowOptions {
  /** Report name. */
  name?: string;
  /** Profiles (the first is active at the start). */
  profiles?: ProtoProfile[];
  /** Profiles appended to the default list. */
  extra?: ProtoProfile[];
  /** Protect a copy without hits until `protect` × its expected gap at copy time passed. */
  protect?: number;
  /** Score = bytes hit − writePenalty × bytes copied. */
  writePenalty?: number;
  /** Score half-life, seconds. */
  scoreHalfLife?: number;
  /** Lead (share of decayed bytes loaded) needed to switch. */
  switchShare?: number;
}

const DAY = 86400;

/** The profiles of `lib/adapt.ts`. */
export const CURRENT_PROFILES: ProtoProfile[] = [
  {
    name: "steady",
    rank: { shortHalfLifeSeconds: 3 * DAY, changeThreshold: 3 },
    policy: { idleHazard: 5, minUsesToEvict: 2 },
  },
  {
    name: "shifting",
    rank: { shortRateWeight: 0.6 },
    policy: { idleHazard: 2, minUsesToEvict: 2 },
  },
  {
    name: "rapid",
    rank: { shortHalfLifeSeconds: DAY, shortRateWeight: 0.8 },
    policy: { idleHazard: 2, minUsesToEvict: 1 },
  },
];

interface Shadow {
  profile: ProtoProfile;
  rank: RankOptions;
  policy: CachePolicy;
  estimates: Map<string, RateEstimate>;
  recent: Map<string, number[]>;
  cache: Map<string, { size: number; lastUse: number }>;
  used: number;
  score: number;
}

function policyOf(p: ProtoProfile): CachePolicy {
  return { ...DEFAULT_CACHE_POLICY, ...p.policy };
}

/**
 * The prototype policy.
 *
 * @param o Options.
 * @returns A fresh policy.
 */
export function shadowPolicy(o: ShadowOptions = {}): SimPolicy {
  const profiles = [...(o.profiles ?? CURRENT_PROFILES), ...(o.extra ?? [])];
  const penalty = o.writePenalty ?? 0;
  const lambda = Math.LN2 / (o.scoreHalfLife ?? 30 * DAY);
  const share = o.switchShare ?? 0.01;
  const shadows: Shadow[] = profiles.map((profile) => ({
    profile,
    rank: Object.freeze({ ...profile.rank }),
    policy: policyOf(profile),
    estimates: new Map(),
    recent: new Map(),
    cache: new Map(),
    used: 0,
    score: 0,
  }));
  let active = 0;
  let loaded = 0;
  let last = -Infinity;
  let capacity = 0;
  const copiedRate = new Map<string, number>();

  const record = (s: Shadow, load: Load, now: number) => {
    const est = recordUse(s.estimates.get(load.model) ?? newEstimate(), now, s.rank);
    s.estimates.set(load.model, est);
    let r = s.recent.get(load.model);
    if (r === undefined) s.recent.set(load.model, r = []);
    r.push(now);
    let drop = 0;
    while (drop < r.length && r[drop]! <= now - s.policy.windowSeconds) drop++;
    if (drop > 0) r.splice(0, drop);
    return { est, uses: r.length };
  };

  const step = (s: Shadow, load: Load, now: number) => {
    const { est, uses } = record(s, load, now);
    const entry = s.cache.get(load.model);
    if (entry !== undefined) {
      s.score += load.size;
      entry.lastUse = now;
      return;
    }
    const candidate = {
      id: load.model,
      size: load.size,
      rate: usesPerWeek(est, now, s.rank),
      usesInWindow: uses,
      noCache: false,
    };
    const space = { freeBytes: capacity - s.used, minFreeBytes: 0, cacheUsedBytes: s.used };
    const first = admissionStep(space, candidate, s.policy);
    if (first === "gated" || first === "too few uses to evict") return;
    if (first === "evict") {
      const cached: CachedCopy[] = [];
      for (const [id, e] of s.cache) {
        cached.push({
          id,
          size: e.size,
          rate: usesPerWeek(s.estimates.get(id)!, now, s.rank),
          pinned: false,
          inUse: false,
          ssdOnly: false,
          lastUse: e.lastUse,
        });
      }
      const plan = planPlacement({
        space,
        cached,
        candidate,
        policy: s.policy,
        now,
        explain: false,
      });
      if (!plan.copy) return;
      for (const e of plan.evict) {
        s.used -= s.cache.get(e.id)!.size;
        s.cache.delete(e.id);
      }
    }
    s.cache.set(load.model, { size: load.size, lastUse: now });
    s.used += load.size;
    s.score -= penalty * load.size;
  };

  return {
    name: o.name ?? "shadows",
    onLoad(load: Load, hit: boolean, view: CacheView): PolicyDecision {
      const now = view.now;
      capacity = view.capacityBytes;
      const decay = last === -Infinity ? 0 : Math.exp(-lambda * (now - last));
      last = now;
      loaded = loaded * decay + load.size;
      for (const s of shadows) {
        s.score *= decay;
        step(s, load, now);
      }
      let best = 0;
      shadows.forEach((s, i) => {
        if (s.score > shadows[best]!.score) best = i;
      });
      if (shadows[best]!.score - shadows[active]!.score > share * loaded) active = best;
      const a = shadows[active]!;
      const none = { copy: false, evict: [], reason: "" };
      if (hit || view.entries.some((e) => e.model === load.model)) return none;
      const rate = usesPerWeek(a.estimates.get(load.model)!, now, a.rank);
      const plan = planPlacement({
        space: {
          freeBytes: view.freeBytes,
          minFreeBytes: view.minFreeBytes,
          cacheUsedBytes: view.usedBytes,
        },
        cached: view.entries.map((e) => ({
          id: e.model,
          size: e.size,
          rate: usesPerWeek(a.estimates.get(e.model)!, now, a.rank),
          pinned: false,
          inUse: e.state !== "ready" || e.inUseUntil > now ||
            (o.protect !== undefined && e.hits === 0 &&
              now - e.admittedAt <
                (o.protect * 7 * DAY) / Math.max(copiedRate.get(e.model) ?? 1, 1e-3)),
          ssdOnly: false,
          lastUse: e.lastUse,
        })),
        candidate: {
          id: load.model,
          size: load.size,
          rate,
          usesInWindow: a.recent.get(load.model)!.length,
          noCache: false,
        },
        policy: a.policy,
        now,
        explain: false,
      });
      if (plan.copy) copiedRate.set(load.model, rate);
      return {
        copy: plan.copy,
        evict: plan.evict.map((e) => ({ model: e.id, reason: "" })),
        reason: "",
      };
    },
  };
}

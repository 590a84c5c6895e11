/**
 * Bench-only prototypes of candidate cache policies (issue 20), built on the
 * core's rank and planner, to be measured with `bench/policy_targets.ts`
 * before the winner moves into the core. Nothing here is used by the tool.
 *
 * @module
 */

import type { CacheView, PolicyDecision, SimPolicy } from "../sim/policy_api.ts";
import { planPlacement } from "../lib/core/placement.ts";
import type { CachedCopy, CachePolicy } from "../lib/core/cache_policy.ts";
import {
  newEstimate,
  type RankOptions,
  type RateEstimate,
  recordUse,
  usesPerWeek,
} from "../lib/core/rank.ts";
import type { Load } from "../sim/workload.ts";

/** Options of {@linkcode experimentalPolicy}. */
export interface ExperimentalOptions {
  /** Report name. */
  name?: string;
  /**
   * Clock for ranks: `wall` (seconds) or `activity` (each load advances the
   * clock by `activityUnit` seconds, so breaks do not age anything).
   */
  clock?: "wall" | "activity" | "mixed";
  /** Seconds one load advances the activity clock. */
  activityUnit?: number;
  /** Rank options. */
  rank?: RankOptions;
  /** Planner policy. */
  policy?: Partial<CachePolicy>;
  /** Minimum rank (uses/week of the clock) to be copied at all. */
  minRate?: number;
  /** Minimum rank to displace copies. */
  minRateToEvict?: number;
  /** Multi-scale rate: [half-life seconds, weight][]; replaces the rank when set. */
  scales?: [number, number][];
  /** Rank the candidate before its current use when it would displace copies. */
  preUseRank?: boolean;
  /** Into free room only at least this share of the lowest-ranked evictable copy's rank. */
  freeRoomFloor?: number;
  /** Write budget: share of the bytes loaded that copies may write (plus a credit of the capacity). */
  writeBudget?: number;
  /** Credit of the budget, as a multiple of the capacity. */
  budgetCredit?: number;
}

/**
 * A candidate policy for the lab.
 *
 * @param o Options.
 * @returns A fresh policy.
 */
export function experimentalPolicy(o: ExperimentalOptions = {}): SimPolicy {
  const clock = o.clock ?? "wall";
  const unit = o.activityUnit ?? 3600;
  const rank: RankOptions = Object.freeze({ ...o.rank });
  const policy: CachePolicy = {
    minUses: 1,
    windowSeconds: 7 * 86400,
    minUsesToEvict: 2,
    idleHazard: 5,
    ...o.policy,
  };
  const estimates = new Map<string, RateEstimate>();
  const recent = new Map<string, number[]>();
  const lastUse = new Map<string, number>();
  let loads = 0;
  let lastWall = -Infinity;
  let t = 0;
  let loaded = 0;
  const scales = o.scales?.map(([h, w]) => ({ l: Math.LN2 / h, w }));
  const counts = new Map<string, { at: number; c: number[] }>();
  const scaleRecord = (id: string, at: number) => {
    const s = counts.get(id) ?? { at, c: scales!.map(() => 0) };
    s.c = s.c.map((c, i) => c * Math.exp(-scales![i]!.l * (at - s.at)) + 1);
    s.at = at;
    counts.set(id, s);
  };
  const scaleRate = (id: string, at: number) => {
    const s = counts.get(id);
    if (s === undefined) return 0;
    let best = 0;
    scales!.forEach((k, i) => {
      best = Math.max(best, k.w * k.l * s.c[i]! * Math.exp(-k.l * (at - s.at)));
    });
    return best * 7 * 86400;
  };
  let written = 0;
  return {
    name: o.name ?? "exp",
    onLoad(load: Load, hit: boolean, view: CacheView): PolicyDecision {
      if (clock === "wall") t = view.now;
      else if (clock === "activity") t = ++loads * unit;
      else {
        // Wall time, but a gap counts at most `unit` seconds.
        t += lastWall === -Infinity ? 0 : Math.min(unit, view.now - lastWall);
        lastWall = view.now;
      }
      const before = estimates.get(load.model);
      const est = recordUse(before ?? newEstimate(), t, rank);
      estimates.set(load.model, est);
      if (scales) scaleRecord(load.model, t);
      const rateOf = (id: string) =>
        scales ? scaleRate(id, t) : usesPerWeek(estimates.get(id)!, t, rank);
      lastUse.set(load.model, t);
      let r = recent.get(load.model);
      if (r === undefined) recent.set(load.model, r = []);
      r.push(t);
      while (r.length > 0 && r[0]! <= t - policy.windowSeconds) r.shift();
      const none = { copy: false, evict: [], reason: "" };
      loaded += load.size;
      if (hit || view.entries.some((e) => e.model === load.model)) return none;
      const allowance = (o.writeBudget ?? Infinity) * loaded +
        (o.budgetCredit ?? 1) * view.capacityBytes;
      if (written + load.size > allowance) return none;
      const rate = rateOf(load.model);
      if (rate < (o.minRate ?? 0)) return none;
      const cached: CachedCopy[] = view.entries.map((e) => ({
        id: e.model,
        size: e.size,
        rate: rateOf(e.model),
        pinned: false,
        inUse: e.state !== "ready" || e.inUseUntil > view.now,
        ssdOnly: false,
        lastUse: lastUse.get(e.model)!,
      }));
      const space = {
        freeBytes: view.freeBytes,
        minFreeBytes: view.minFreeBytes,
        cacheUsedBytes: view.usedBytes,
      };
      const evictGate = rate < (o.minRateToEvict ?? 0);
      if (o.freeRoomFloor !== undefined && load.size <= view.freeBytes - view.minFreeBytes) {
        const floor = Math.min(...cached.filter((c) => !c.inUse).map((c) => c.rate), Infinity);
        if (Number.isFinite(floor) && rate < o.freeRoomFloor * floor) return none;
      }
      const plan0 = planPlacement({
        space,
        cached,
        candidate: {
          id: load.model,
          size: load.size,
          rate,
          usesInWindow: r.length,
          noCache: false,
        },
        policy: evictGate ? { ...policy, minUsesToEvict: 1e9 } : policy,
        now: t,
        explain: false,
      });
      if (plan0.copy && plan0.evict.length > 0 && o.preUseRank) {
        // Displacing copies: compare on equal footing, the candidate's rank before this use.
        const pre = before === undefined ? 0 : usesPerWeek(before, t, rank);
        const again = planPlacement({
          space,
          cached,
          candidate: {
            id: load.model,
            size: load.size,
            rate: pre,
            usesInWindow: r.length,
            noCache: false,
          },
          policy,
          now: t,
          explain: false,
        });
        if (!again.copy) return none;
      }
      const plan = plan0;
      if (plan.copy) written += load.size;
      return {
        copy: plan.copy,
        evict: plan.evict.map((e) => ({ model: e.id, reason: "" })),
        reason: "",
      };
    },
  };
}

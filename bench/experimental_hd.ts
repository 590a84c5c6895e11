/**
 * Bench-only prototype: a learned hit-density policy. From the loads seen so
 * far it learns, per class of model (recent use count × last gap), the
 * distribution of the time to the next use (Kaplan–Meier over log-spaced age
 * buckets, censored at the present). A copy's worth is its hit density: the
 * chance of a reuse within the horizon given its age, over the expected time
 * it occupies the SSD until then (uses per week while cached). Admission: the
 * candidate's chance of a reuse after its copy is done must reach `pMin`, and
 * its density × size must beat the victims'.
 *
 * @module
 */

import type { CacheView, PolicyDecision, SimPolicy } from "../sim/policy_api.ts";
import { planPlacement } from "../lib/core/placement.ts";
import type { CachedCopy } from "../lib/core/cache_policy.ts";
import type { Load } from "../sim/workload.ts";
import {
  newEstimate,
  type RankOptions,
  type RateEstimate,
  recordUse,
  usesPerWeek,
} from "../lib/core/rank.ts";

/** Options of {@linkcode hitDensityPolicy}. */
export interface HdOptions {
  /** Report name. */
  name?: string;
  /** Horizon of a copy without a reuse, seconds. */
  horizon?: number;
  /** Minimum chance of a reuse (after the copy is done, within the horizon) to copy. */
  pMin?: number;
  /** Minimum chance to displace copies. */
  pMinEvict?: number;
  /** Value margin. */
  margin?: number;
  /** Rebuild the tables every this many loads. */
  rebuildEvery?: number;
  /** Half-life of the statistics, in loads. */
  halfLifeLoads?: number;
  /** Shrinkage towards the parent class (pseudo-events). */
  prior?: number;
  /** Copy bandwidth assumed, bytes/s. */
  copyRate?: number;
  /** Rank options of the per-model rate. */
  rank?: RankOptions;
}

const MIN = 60;
const HOUR = 3600;
const DAY = 86400;
/** Upper edges of the age buckets (seconds). */
const EDGES = [
  2 * MIN,
  5 * MIN,
  15 * MIN,
  HOUR,
  3 * HOUR,
  8 * HOUR,
  DAY,
  2 * DAY,
  4 * DAY,
  7 * DAY,
  14 * DAY,
  30 * DAY,
  60 * DAY,
  120 * DAY,
  Infinity,
];
const B = EDGES.length;
const lower = (b: number) => (b === 0 ? 0 : EDGES[b - 1]!);
function bucket(age: number): number {
  let b = 0;
  while (age >= EDGES[b]!) b++;
  return b;
}

const F_BUCKETS = 10; // rate buckets (uses/week): <0.25, <0.5, <1, <2, <4, <8, <16, <32, <64, 64+
const G_BUCKETS = 5; // previous gap: none/≥30d, <1h, <1d, <7d, <30d
const fBucket = (rate: number) =>
  Math.max(0, Math.min(F_BUCKETS - 1, Math.floor(Math.log2(Math.max(rate, 1e-9) / 0.25)) + 1));
const gBucket = (gap: number) =>
  gap < HOUR ? 1 : gap < DAY ? 2 : gap < 7 * DAY ? 3 : gap < 30 * DAY ? 4 : 0;
const classOf = (rate: number, gap: number) => fBucket(rate) * G_BUCKETS + gBucket(gap);
const C = F_BUCKETS * G_BUCKETS;

interface ModelState {
  est: RateEstimate;
  lastAt: number;
  lastClass: number;
  lastWeight: number;
}

/**
 * A learned hit-density policy for the lab.
 *
 * @param o Options.
 * @returns A fresh policy.
 */
export function hitDensityPolicy(o: HdOptions = {}): SimPolicy {
  const horizon = o.horizon ?? 14 * DAY;
  const pMin = o.pMin ?? 0.5;
  const pMinEvict = o.pMinEvict ?? pMin;
  const margin = o.margin ?? 1;
  const every = o.rebuildEvery ?? 32;
  const growth = Math.exp(Math.LN2 / (o.halfLifeLoads ?? 3000));
  const prior = o.prior ?? 5;
  const copyRate = o.copyRate ?? 150e6;
  const rankOptions: RankOptions = Object.freeze({ ...o.rank });
  // reuse[c*B + b]: weighted reuses of class c at age bucket b.
  const reuse = new Float64Array(C * B);
  let weight = 1;
  const models = new Map<string, ModelState>();
  // Tables: survival S[c][b] at the lower edge of b, and hazard within b.
  let hazard = new Float64Array(C * B);
  let loads = 0;

  const rebuild = (now: number) => {
    // At risk in bucket b: reuses at ≥ b plus censored events with age ≥ lower(b).
    const censored = new Float64Array(C * B); // censored at age bucket
    for (const m of models.values()) {
      censored[m.lastClass * B + bucket(now - m.lastAt)]! += m.lastWeight;
    }
    const pooled = (cs: number[]) => {
      const r = new Float64Array(B);
      const risk = new Float64Array(B);
      for (const c of cs) {
        let tail = 0;
        for (let b = B - 1; b >= 0; b--) {
          tail += reuse[c * B + b]! + censored[c * B + b]!;
          r[b]! += reuse[c * B + b]!;
          risk[b]! += tail;
        }
      }
      return { r, risk };
    };
    const all = pooled(Array.from({ length: C }, (_, c) => c));
    const h0 = all.r.map((x, b) => (all.risk[b]! > 0 ? x / all.risk[b]! : 0));
    const next = new Float64Array(C * B);
    for (let f = 0; f < F_BUCKETS; f++) {
      const parent = pooled(Array.from({ length: G_BUCKETS }, (_, g) => f * G_BUCKETS + g));
      const hp = parent.r.map((x, b) => (x + prior * h0[b]!) / (parent.risk[b]! + prior));
      for (let g = 0; g < G_BUCKETS; g++) {
        const c = f * G_BUCKETS + g;
        const own = pooled([c]);
        for (let b = 0; b < B; b++) {
          next[c * B + b] = (own.r[b]! + prior * hp[b]!) / (own.risk[b]! + prior);
        }
      }
    }
    hazard = next;
  };

  /**
   * Chance of a reuse in (age + wait, age + wait + horizon] given survival to `age`,
   * and the expected seconds the copy occupies the SSD from `age` until the reuse
   * or age + wait + horizon.
   */
  const outlook = (c: number, age: number, wait: number) => {
    const end = age + wait + horizon;
    let s = 1; // survival relative to `age`
    let time = 0;
    let pHit = 0;
    let t = age;
    while (t < end) {
      const b = bucket(t);
      const upto = Math.min(EDGES[b]!, end);
      const width = EDGES[b]! - lower(b);
      const h = Math.min(hazard[c * B + b]!, 1 - 1e-9);
      const rate = Number.isFinite(width) ? -Math.log(1 - h) / width : 0;
      // Split at the wait: reuses before the copy is done are misses.
      const cut = Math.min(Math.max(t, age + wait), upto);
      for (const [a, z, counts] of [[t, cut, false], [cut, upto, true]] as const) {
        if (z <= a) continue;
        const d = z - a;
        const sEnd = s * Math.exp(-rate * d);
        time += rate > 0 ? (s - sEnd) / rate : s * d;
        if (counts) pHit += s - sEnd;
        s = sEnd;
      }
      t = upto;
    }
    return { pHit, time };
  };

  return {
    name: o.name ?? "hd",
    onLoad(load: Load, hit: boolean, view: CacheView): PolicyDecision {
      const now = view.now;
      let m = models.get(load.model);
      if (m !== undefined) {
        reuse[m.lastClass * B + bucket(now - m.lastAt)]! += m.lastWeight;
      }
      weight *= growth;
      if (weight > 1e100) {
        for (let i = 0; i < reuse.length; i++) reuse[i]! /= weight;
        for (const s of models.values()) s.lastWeight /= weight;
        weight = 1;
      }
      const gap = m === undefined ? Infinity : now - m.lastAt;
      if (m === undefined) {
        m = { est: newEstimate(), lastAt: now, lastClass: 0, lastWeight: weight };
        models.set(load.model, m);
      }
      m.est = recordUse(m.est, now, rankOptions);
      m.lastAt = now;
      m.lastClass = classOf(usesPerWeek(m.est, now, rankOptions), gap);
      m.lastWeight = weight;
      if (loads++ % every === 0) rebuild(now);

      const none = { copy: false, evict: [], reason: "" };
      if (hit || view.entries.some((e) => e.model === load.model)) return none;
      const wait = load.size / copyRate;
      const own = outlook(m.lastClass, 0, wait);
      if (own.pHit < pMin) return none;
      const week = 7 * DAY;
      const rate = (own.pHit / own.time) * week;
      const cached: CachedCopy[] = view.entries.map((e) => {
        const s = models.get(e.model)!;
        const out = outlook(s.lastClass, now - s.lastAt, 0);
        return {
          id: e.model,
          size: e.size,
          rate: (out.pHit / out.time) * week,
          pinned: false,
          inUse: e.state !== "ready" || e.inUseUntil > now,
          ssdOnly: false,
          lastUse: s.lastAt,
        };
      });
      // deno-lint-ignore no-explicit-any
      (globalThis as any).HD_DEBUG?.({
        at: Math.round(now / 3600),
        m: load.model,
        c: m.lastClass,
        p: own.pHit.toFixed(2),
        t: (own.time / 86400).toFixed(2),
        rate: rate.toFixed(2),
        cached: cached.map((c) => `${c.id}:${c.rate.toFixed(1)}`).join(" "),
      });
      const plan = planPlacement({
        space: {
          freeBytes: view.freeBytes,
          minFreeBytes: view.minFreeBytes,
          cacheUsedBytes: view.usedBytes,
        },
        cached,
        candidate: {
          id: load.model,
          size: load.size,
          rate,
          usesInWindow: own.pHit >= pMinEvict ? 2 : 1,
          noCache: false,
        },
        policy: {
          minUses: 1,
          windowSeconds: week,
          minUsesToEvict: 2,
          idleHazard: Infinity,
          valueMargin: margin,
        },
        explain: false,
      });
      return {
        copy: plan.copy,
        evict: plan.evict.map((e) => ({ model: e.id, reason: "" })),
        reason: "",
      };
    },
  };
}

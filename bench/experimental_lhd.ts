/**
 * Bench-only prototype: least-hit-density in load-count time.
 *
 * Age = loads (of any model) since the model's last load. Every load ends
 * the previous "lifetime" of that model at its age then; the lifetimes are
 * counted per class (the model's recent share of loads × its last gap), and
 * a Kaplan–Meier estimate (censored at the present) gives the reuse-age
 * distribution per class. A copy's hit density at age x is
 * `max over T of P(reuse in (x, T]) / E[loads it occupies until min(reuse, T)]`
 * (per byte; size cancels). Evict the lowest density; admit a candidate when
 * its density at age 0 beats the victims' and its expected gain at that
 * price exceeds the write cost.
 *
 * @module
 */

import type { CacheView, PolicyDecision, SimPolicy } from "../sim/policy_api.ts";
import { planPlacement } from "../lib/core/placement.ts";
import type { CachedCopy } from "../lib/core/cache_policy.ts";
import type { Load } from "../sim/workload.ts";

/** Options of {@linkcode lhdPolicy}. */
export interface LhdOptions {
  /** Report name. */
  name?: string;
  /** Write cost, in hits of the copied model. */
  writeCost?: number;
  /** Value margin of the admission test. */
  margin?: number;
  /** Rebuild the tables every this many loads. */
  rebuildEvery?: number;
  /** Half-life of the lifetime statistics, in loads. */
  memoryLoads?: number;
  /** Half-life of the per-model load share, in loads. */
  shareHalfLife?: number;
  /** Shrinkage towards the parent class (pseudo-lifetimes). */
  prior?: number;
  /** Use the last-gap feature. */
  gapFeature?: boolean;
  /** Price when the candidate fits (as a share of the marginal density). */
  freePrice?: number;
}

/** Age bucket upper edges, in loads (≈ √2 apart). */
const EDGES = [
  1,
  2,
  3,
  4,
  6,
  8,
  12,
  16,
  24,
  32,
  48,
  64,
  96,
  128,
  192,
  256,
  384,
  512,
  768,
  1024,
  1536,
  2048,
  3072,
  4096,
  Infinity,
];
const B = EDGES.length;
const lowerEdge = (b: number) => (b === 0 ? 0 : EDGES[b - 1]!);
function bucketOf(age: number): number {
  let lo = 0;
  let hi = B - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (age < EDGES[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

const SHARES = 9; // share of loads (per 100): <0.25, <0.5, <1, <2, <4, <8, <16, <32, 32+
const GAPS = 7; // last gap in loads: none, <4, <16, <64, <256, <1024, ≥1024
const C = SHARES * GAPS;
const shareBucket = (perHundred: number) =>
  Math.max(0, Math.min(SHARES - 1, Math.floor(Math.log2(Math.max(perHundred, 1e-9) / 0.25)) + 1));
const gapBucket = (gap: number) =>
  gap === Infinity
    ? 0
    : gap < 4
    ? 1
    : gap < 16
    ? 2
    : gap < 64
    ? 3
    : gap < 256
    ? 4
    : gap < 1024
    ? 5
    : 6;

interface ModelState {
  /** Position of the last load. */
  last: number;
  /** Class of the current lifetime. */
  cls: number;
  /** Weight of the current lifetime. */
  weight: number;
  /** Decayed load count and its exposure (loads). */
  count: number;
  exposure: number;
}

/** Density tables of one class: at each age bucket's lower edge. */
interface Tables {
  /** Hit density (reuses per load per byte) at the lower edge of each bucket. */
  hd: Float64Array;
  /** Survival at each edge, relative to age 0 (length B + 1: edge 0 = age 0). */
  surv: Float64Array;
  /** ∫₀^edge S (length B + 1). */
  area: Float64Array;
}

/**
 * LHD in load-count time for the lab.
 *
 * @param o Options.
 * @returns A fresh policy.
 */
export function lhdPolicy(o: LhdOptions = {}): SimPolicy {
  const writeCost = o.writeCost ?? 0.5;
  const margin = o.margin ?? 1;
  const every = o.rebuildEvery ?? 64;
  const growth = Math.exp(Math.LN2 / (o.memoryLoads ?? 4000));
  const shareLambda = Math.LN2 / (o.shareHalfLife ?? 500);
  const prior = o.prior ?? 4;
  const useGap = o.gapFeature ?? true;
  const freePrice = o.freePrice ?? 0;
  const ends = new Float64Array(C * B); // lifetimes ended by a reuse at age bucket b
  let weight = 1;
  const models = new Map<string, ModelState>();
  let tables: Tables[] = [];
  let pos = 0;

  const classOf = (m: ModelState, gap: number) => {
    const share = (100 * m.count) / Math.max(m.exposure, 20);
    return shareBucket(share) * GAPS + (useGap ? gapBucket(gap) : 0);
  };

  const rebuild = () => {
    const censored = new Float64Array(C * B);
    for (const m of models.values()) {
      censored[m.cls * B + bucketOf(pos - m.last)]! += m.weight;
    }
    const hazards = (cs: readonly number[]) => {
      const r = new Float64Array(B);
      const risk = new Float64Array(B);
      for (const c of cs) {
        let tail = 0;
        for (let b = B - 1; b >= 0; b--) {
          tail += ends[c * B + b]! + censored[c * B + b]!;
          r[b]! += ends[c * B + b]!;
          risk[b]! += tail;
        }
      }
      return { r, risk };
    };
    const all = hazards(Array.from({ length: C }, (_, c) => c));
    const h0 = all.r.map((x, b) => (x + 1e-3 * 0) / Math.max(all.risk[b]!, 1e-12));
    const next: Tables[] = [];
    for (let f = 0; f < SHARES; f++) {
      const parent = hazards(Array.from({ length: GAPS }, (_, g) => f * GAPS + g));
      const hp = parent.r.map((x, b) => (x + prior * h0[b]!) / (parent.risk[b]! + prior));
      for (let g = 0; g < GAPS; g++) {
        const own = hazards([f * GAPS + g]);
        const h = own.r.map((x, b) => (x + prior * hp[b]!) / (own.risk[b]! + prior));
        next.push(tablesFrom(h));
      }
    }
    tables = next;
  };

  /** Expected gain of keeping from age 0 at a price: max over T of P(reuse ≤ T) − price · E[min(X, T)]. */
  const gainAt = (t: Tables, price: number) => {
    let best = 0;
    for (let k = 1; k <= B; k++) {
      if (!Number.isFinite(EDGES[k - 1]!)) break;
      best = Math.max(best, 1 - t.surv[k]! - price * t.area[k]!);
    }
    return best;
  };

  return {
    name: o.name ?? "lhd",
    onLoad(load: Load, hit: boolean, view: CacheView): PolicyDecision {
      pos++;
      let m = models.get(load.model);
      let gap = Infinity;
      if (m !== undefined) {
        gap = pos - m.last;
        ends[m.cls * B + bucketOf(gap)]! += m.weight;
        const decay = Math.exp(-shareLambda * gap);
        m.count = m.count * decay + 1;
        m.exposure = m.exposure * decay + (1 - decay) / shareLambda;
      } else {
        m = { last: pos, cls: 0, weight, count: 1, exposure: 0 };
        models.set(load.model, m);
      }
      weight *= growth;
      if (weight > 1e100) {
        for (let i = 0; i < ends.length; i++) ends[i]! /= weight;
        for (const s of models.values()) s.weight /= weight;
        weight = 1;
      }
      m.last = pos;
      m.cls = classOf(m, gap);
      m.weight = weight;
      if ((pos - 1) % every === 0) rebuild();
      const none = { copy: false, evict: [], reason: "" };
      if (hit || view.entries.some((e) => e.model === load.model) || tables.length === 0) {
        return none;
      }
      const own = tables[m.cls]!;
      const density = (s: ModelState) => {
        const age = pos - s.last;
        const b = bucketOf(age);
        return tables[s.cls]!.hd[b]!;
      };
      const cached: CachedCopy[] = view.entries.map((e) => {
        const s = models.get(e.model)!;
        return {
          id: e.model,
          size: e.size,
          rate: density(s),
          pinned: false,
          inUse: e.state !== "ready" || e.inUseUntil > view.now,
          ssdOnly: false,
          lastUse: s.last,
        };
      });
      const rate = own.hd[0]!;
      const space = {
        freeBytes: view.freeBytes,
        minFreeBytes: view.minFreeBytes,
        cacheUsedBytes: view.usedBytes,
      };
      const plan = planPlacement({
        space,
        cached,
        candidate: { id: load.model, size: load.size, rate, usesInWindow: 1, noCache: false },
        policy: {
          minUses: 1,
          windowSeconds: 1,
          minUsesToEvict: 1,
          idleHazard: Infinity,
          valueMargin: margin,
        },
        explain: false,
      });
      if (!plan.copy) return none;
      // The price of the space: the densest copy it displaces, or a share of the marginal one.
      const gone = new Set(plan.evict.map((e) => e.id));
      const victims = cached.filter((c) => gone.has(c.id));
      const marginal = Math.min(...cached.filter((c) => !c.inUse).map((c) => c.rate), Infinity);
      const price = victims.length > 0
        ? Math.max(...victims.map((v) => v.rate))
        : freePrice * (Number.isFinite(marginal) ? marginal : 0);
      if (gainAt(own, price) <= writeCost) return none;
      return {
        copy: true,
        evict: plan.evict.map((e) => ({ model: e.id, reason: "" })),
        reason: "",
      };
    },
  };
}

/** Survival, area and horizon-free hit density from per-bucket hazards. */
function tablesFrom(h: Float64Array): Tables {
  const surv = new Float64Array(B + 1);
  const area = new Float64Array(B + 1);
  surv[0] = 1;
  for (let b = 0; b < B; b++) {
    const width = EDGES[b]! - lowerEdge(b);
    const hz = Math.min(Math.max(h[b]!, 0), 1 - 1e-12);
    if (!Number.isFinite(width)) {
      surv[b + 1] = surv[b]!;
      area[b + 1] = Infinity;
      continue;
    }
    const rate = -Math.log(1 - hz) / width;
    surv[b + 1] = surv[b]! * (1 - hz);
    area[b + 1] = area[b]! + (rate > 0 ? (surv[b]! - surv[b + 1]!) / rate : surv[b]! * width);
  }
  const hd = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let best = 0;
    for (let k = b + 1; k <= B; k++) {
      if (!Number.isFinite(area[k]!)) break;
      const time = area[k]! - area[b]!;
      if (time > 0) best = Math.max(best, (surv[b]! - surv[k]!) / time);
    }
    hd[b] = best;
  }
  return { hd, surv, area };
}

/**
 * Bench-only prototype: a learned forecast of each model's loads in the next
 * `horizon` seconds, as a non-negative combination of its use counts decayed
 * with several half-lives. The weights are fitted on the user's own history
 * (least squares, labels mature `horizon` after each snapshot), so the memory
 * length adapts to how this user works. The forecast (per week) is the rank
 * the core planner compares.
 *
 * @module
 */

import type { CacheView, PolicyDecision, SimPolicy } from "../sim/policy_api.ts";
import { planPlacement } from "../lib/core/placement.ts";
import type { CachedCopy, CachePolicy } from "../lib/core/cache_policy.ts";
import type { Load } from "../sim/workload.ts";

/** Options of {@linkcode forecastPolicy}. */
export interface ForecastOptions {
  /** Report name. */
  name?: string;
  /** Forecast horizon, seconds. */
  horizon?: number;
  /** Half-lives of the features, seconds. */
  halfLives?: number[];
  /** Snapshot every this many loads. */
  sampleEvery?: number;
  /** Refit every this many loads. */
  refitEvery?: number;
  /** Half-life of the training data, in snapshots. */
  memorySnapshots?: number;
  /** Ridge strength towards the prior weights (in snapshot-model units). */
  ridge?: number;
  /** Planner policy. */
  policy?: Partial<CachePolicy>;
  /** Weigh training rows by model size. */
  sizeWeighted?: boolean;
  /** Add an "ever used" feature. */
  everUsed?: boolean;
  /** Minimum forecast (uses/week) to copy. */
  minRate?: number;
}

interface ModelState {
  counts: Float64Array;
  at: number;
  times: number[];
  size: number;
}

/**
 * A learned-forecast policy for the lab.
 *
 * @param o Options.
 * @returns A fresh policy.
 */
export function forecastPolicy(o: ForecastOptions = {}): SimPolicy {
  const horizon = o.horizon ?? 3 * 86400;
  const halfLives = o.halfLives ??
    [1800, 3 * 3600, 12 * 3600, 2 * 86400, 7 * 86400, 21 * 86400, 60 * 86400];
  const lambdas = halfLives.map((h) => Math.LN2 / h);
  const everUsed = o.everUsed ?? false;
  const K = lambdas.length + (everUsed ? 1 : 0);
  const sampleEvery = o.sampleEvery ?? 4;
  const refitEvery = o.refitEvery ?? 64;
  const forget = Math.exp(-Math.LN2 / (o.memorySnapshots ?? 2000));
  const ridge = o.ridge ?? 1;
  const policy: CachePolicy = {
    minUses: 1,
    windowSeconds: 7 * 86400,
    minUsesToEvict: 1,
    idleHazard: Infinity,
    ...o.policy,
  };
  // Prior: the 7-day count as a rate over the horizon.
  const prior = new Float64Array(K);
  const seven = halfLives.indexOf(7 * 86400);
  prior[seven >= 0 ? seven : Math.min(4, K - 1)] = (horizon * Math.LN2) / (7 * 86400);
  const beta = Float64Array.from(prior);
  const A = new Float64Array(K * K);
  const b = new Float64Array(K);
  const models = new Map<string, ModelState>();
  const pending: { at: number; rows: { m: ModelState; x: Float64Array; from: number }[] }[] = [];
  let loads = 0;

  const features = (m: ModelState, t: number): Float64Array => {
    const x = new Float64Array(K);
    for (let i = 0; i < lambdas.length; i++) {
      x[i] = m.counts[i]! * Math.exp(-lambdas[i]! * (t - m.at));
    }
    if (everUsed) x[K - 1] = 1;
    return x;
  };
  const forecast = (m: ModelState, t: number) => {
    const x = features(m, t);
    let y = 0;
    for (let i = 0; i < K; i++) y += beta[i]! * x[i]!;
    return Math.max(0, y);
  };
  const countIn = (times: number[], from: number, to: number) => {
    // loads with from < at ≤ to
    const upper = (v: number) => {
      let lo = 0;
      let hi = times.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (times[mid]! <= v) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    };
    return upper(to) - upper(from);
  };
  const refit = () => {
    // Minimise Σ (y − βx)² + ridge (β − prior)², β ≥ 0, by projected coordinate descent.
    for (let iter = 0; iter < 100; iter++) {
      let moved = 0;
      for (let i = 0; i < K; i++) {
        let g = b[i]! + ridge * prior[i]!;
        for (let j = 0; j < K; j++) if (j !== i) g -= A[i * K + j]! * beta[j]!;
        const next = Math.max(0, g / (A[i * K + i]! + ridge));
        moved = Math.max(moved, Math.abs(next - beta[i]!));
        beta[i] = next;
      }
      if (moved < 1e-9) break;
    }
  };

  return {
    name: o.name ?? "forecast",
    onLoad(load: Load, hit: boolean, view: CacheView): PolicyDecision {
      const t = view.now;
      // Mature snapshots: label = loads in (snapshot, snapshot + horizon].
      while (pending.length > 0 && pending[0]!.at + horizon <= t) {
        const snap = pending.shift()!;
        for (let i = 0; i < A.length; i++) A[i]! *= forget;
        for (let i = 0; i < K; i++) b[i]! *= forget;
        for (const row of snap.rows) {
          const y = countIn(row.m.times, snap.at, snap.at + horizon);
          const w = o.sizeWeighted ? row.m.size / 1e10 : 1;
          for (let i = 0; i < K; i++) {
            b[i]! += w * row.x[i]! * y;
            for (let j = 0; j < K; j++) A[i * K + j]! += w * row.x[i]! * row.x[j]!;
          }
        }
      }
      let m = models.get(load.model);
      if (m === undefined) {
        m = { counts: new Float64Array(lambdas.length), at: t, times: [], size: load.size };
        models.set(load.model, m);
      }
      for (let i = 0; i < lambdas.length; i++) {
        m.counts[i] = m.counts[i]! * Math.exp(-lambdas[i]! * (t - m.at)) + 1;
      }
      m.at = t;
      m.times.push(t);
      if (loads % sampleEvery === 0) {
        const rows = [...models.values()].map((s) => ({ m: s, x: features(s, t), from: t }));
        pending.push({ at: t, rows });
      }
      if (loads % refitEvery === 0) refit();
      loads++;

      const none = { copy: false, evict: [], reason: "" };
      if (hit || view.entries.some((e) => e.model === load.model)) return none;
      const week = 7 * 86400;
      const rate = (forecast(m, t) * week) / horizon;
      if (rate < (o.minRate ?? 0)) return none;
      const cached: CachedCopy[] = view.entries.map((e) => {
        const s = models.get(e.model)!;
        return {
          id: e.model,
          size: e.size,
          rate: (forecast(s, t) * week) / horizon,
          pinned: false,
          inUse: e.state !== "ready" || e.inUseUntil > t,
          ssdOnly: false,
          lastUse: s.at,
        };
      });
      const recent = countIn(m.times, t - policy.windowSeconds, t);
      const plan = planPlacement({
        space: {
          freeBytes: view.freeBytes,
          minFreeBytes: view.minFreeBytes,
          cacheUsedBytes: view.usedBytes,
        },
        cached,
        candidate: { id: load.model, size: load.size, rate, usesInWindow: recent, noCache: false },
        policy,
        now: t,
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

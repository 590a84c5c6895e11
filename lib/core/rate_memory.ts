/**
 * The rank's two decayed memories and their change detector, in closed form:
 * the per-model state ({@linkcode RateEstimate}) and how it advances between
 * uses, records a use and detects a shift (see {@link ./rank.ts} for the
 * formula). Internal to `lib/core/`.
 *
 * @module
 */

import type { Params } from "./rank_params.ts";

/**
 * A model's incremental rate state: plain JSON-serialisable data, updated by
 * {@linkcode recordUse} and read by {@linkcode usesPerWeek}.
 */
export interface RateEstimate {
  /** How many uses were recorded. */
  uses: number;
  /** Time the counts below refer to (the latest use), unix seconds; `null` if never used. */
  at: number | null;
  /** Use count decayed with the short half-life, at `at`. */
  short: number;
  /** Use count of the long memory, decayed with the long half-life, at `at`. */
  long: number;
  /** Seconds of decayed observation behind `long`, at `at`. */
  exposure: number;
  /** Change-detector statistic (nats), at `at`. */
  drift: number;
  /** How many popularity shifts were detected. */
  shifts: number;
  /** When the current level of use began: the first use or the latest detected shift (unix seconds). */
  since?: number;
}

/** Long-memory rate (uses/second) `d` seconds after the state's time. */
export function longRateAfter(e: RateEstimate, p: Params, d: number): number {
  const exposure = 1 / p.ll - (1 / p.ll - e.exposure) * Math.exp(-p.ll * d);
  return exposure > 0 ? (e.long * Math.exp(-p.ll * d)) / exposure : 0;
}

/** ∫₀^d rate_l: uses the long memory expects in the next `d` seconds. */
export function longIntegral(e: RateEstimate, p: Params, d: number): number {
  const c = 1 - p.ll * e.exposure; // in [0, 1)
  const x = Math.exp(-p.ll * d);
  if (c < 1e-9) return e.long * (1 - x);
  return (e.long / c) * (Math.log1p(-c * x) - Math.log1p(-c));
}

/** ∫₀^d rate_s: uses the short memory expects in the next `d` seconds. */
function shortIntegral(e: RateEstimate, p: Params, d: number): number {
  return e.short * -Math.expm1(-p.ls * d);
}

/**
 * First time in [0, `within`] at which the short rate no longer exceeds the
 * long rate, or `Infinity` when that is later than `within`.
 */
function turningPoint(e: RateEstimate, p: Params, within: number): number {
  const diff = (d: number) => p.ls * e.short * Math.exp(-p.ls * d) - longRateAfter(e, p, d);
  if (diff(0) <= 0) return 0;
  if (diff(within) > 0) return Infinity;
  // Newton on h = ln(rate_s / rate_l), which only falls and is nearly linear
  // (the short memory decays much faster than the long one), kept inside the
  // bracket by bisection. g′ = 0 at the turning point, so what advance()
  // takes from it is insensitive to its last digits.
  const full = 1 / p.ll;
  const exposure = (d: number) => full - (full - e.exposure) * Math.exp(-p.ll * d);
  const base = Math.log(p.ls * e.short) - Math.log(e.long);
  const h = (d: number) => base - (p.ls - p.ll) * d + Math.log(exposure(d));
  const slope = (d: number) =>
    p.ll - p.ls + ((1 - p.ll * e.exposure) * Math.exp(-p.ll * d)) / exposure(d);
  let lo = 0;
  let hi = within;
  let x = Math.min(within / 2, Math.max(0, base / (p.ls - p.ll)));
  for (let i = 0; i < 100 && hi - lo > 1e-6; i++) {
    const fx = h(x);
    if (fx > 0) lo = x;
    else hi = x;
    let next = x - fx / slope(x);
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    if (Math.abs(next - x) < 1e-7) return next;
    x = next;
  }
  return hi;
}

/** The state `d` seconds later, with no use in between and no shift detected. */
function decayed(e: RateEstimate, p: Params, d: number, drift: number): RateEstimate {
  return {
    ...e,
    at: (e.at ?? 0) + d,
    short: e.short * Math.exp(-p.ls * d),
    long: e.long * Math.exp(-p.ll * d),
    exposure: 1 / p.ll - (1 / p.ll - e.exposure) * Math.exp(-p.ll * d),
    drift,
  };
}

/** Restarts the long memory from the short one (a detected popularity shift). */
function shift(e: RateEstimate, p: Params): RateEstimate {
  return {
    ...e,
    long: e.short,
    exposure: 1 / p.ls,
    drift: 0,
    shifts: e.shifts + 1,
    ...(e.at === null ? {} : { since: e.at }),
  };
}

/**
 * Advances a used estimate to time `to` (≥ its `at`) with no use in between,
 * running the change detector in closed form.
 */
export function advance(e: RateEstimate, p: Params, to: number): RateEstimate {
  let cur = e;
  for (let guard = 0; guard < 64; guard++) {
    const d = to - (cur.at ?? to);
    if (d <= 0) return cur;
    // g(u) = ∫₀^u (rate_l − rate_s) falls, then rises (the rate ratio only falls),
    // so the clamped CUSUM is max(D₀ + g, 0) before the turning point, rising after.
    const turning = turningPoint(cur, p, d);
    const turn = Math.min(turning, d);
    const g = (u: number) => longIntegral(cur, p, u) - shortIntegral(cur, p, u);
    const floor = Math.min(-cur.drift, g(turn));
    const driftAt = (u: number) =>
      Math.max(0, g(u) - (u <= turn ? Math.min(-cur.drift, g(u)) : floor));
    const end = driftAt(d);
    // A fall is only detected once the long rate is at or above the short one
    // (after the turning point); before it the statistic only shrinks.
    if (!(end >= p.decline) || turning > d) return { ...decayed(cur, p, d, end), at: to };
    let lo = turn;
    let hi = d;
    for (let i = 0; i < 80; i++) {
      const mid = (lo + hi) / 2;
      if (driftAt(mid) >= p.decline) hi = mid;
      else lo = mid;
    }
    cur = shift(decayed(cur, p, hi, 0), p);
  }
  return cur;
}

/** {@linkcode recordUse} with checked parameters. */
export function record(est: RateEstimate, at: number, p: Params): RateEstimate {
  if (est.uses === 0 || est.at === null) {
    return {
      uses: 1,
      at,
      short: 1,
      long: 1,
      exposure: p.first,
      drift: 0,
      shifts: est.shifts,
      since: at,
    };
  }
  if (at < est.at) {
    const back = est.at - at;
    return {
      ...est,
      uses: est.uses + 1,
      short: est.short + Math.exp(-p.ls * back),
      long: est.long + Math.exp(-p.ll * back),
    };
  }
  const before = advance(est, p, at);
  const rs = p.ls * before.short;
  const rl = longRateAfter(before, p, 0);
  const drift = rs > 0 && rl > 0 ? Math.max(0, before.drift + Math.log(rs / rl)) : before.drift;
  const after: RateEstimate = {
    ...before,
    uses: before.uses + 1,
    short: before.short + 1,
    long: before.long + 1,
    drift,
  };
  // Restart only towards a higher rate, so a use never lowers the rank.
  const rise = p.ls * after.short > longRateAfter(after, p, 0);
  return drift >= p.threshold && rise ? shift(after, p) : after;
}

/**
 * Probability that a model is still in the regime its estimate describes after
 * `gap` seconds without a use (1 when the regime hazard is off).
 */
export function stillActive(est: RateEstimate, p: Params, gap: number): number {
  if (!Number.isFinite(p.regime) || !Number.isFinite(p.decline)) return 1;
  const rate = longRateAfter(est, p, 0);
  if (est.since === undefined || est.at === null) return 1;
  const tau = p.regime * Math.max(est.at - est.since, 1 / p.ls);
  if (!(tau > 0)) return 1;
  const a = rate + 1 / tau;
  const x = Math.exp(-a * gap);
  return x / (x + (1 - x) / (tau * a));
}

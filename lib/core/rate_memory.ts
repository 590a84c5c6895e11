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
  if (rateGap(e, p, 0) <= 0) return 0;
  if (rateGap(e, p, within) > 0) return Infinity;
  // Newton on h = ln(rate_s / rate_l), which only falls and is nearly linear
  // (the short memory decays much faster than the long one), kept inside the
  // bracket by bisection. g′ = 0 at the turning point, so what advance()
  // takes from it is insensitive to its last digits.
  const base = Math.log(p.ls * e.short) - Math.log(e.long);
  let lo = 0;
  let hi = within;
  let x = Math.min(within / 2, Math.max(0, base / (p.ls - p.ll)));
  for (let i = 0; i < 100 && hi - lo > 1e-6; i++) {
    const fade = Math.exp(-p.ll * x);
    const exposure = 1 / p.ll - (1 / p.ll - e.exposure) * fade;
    const h = base - (p.ls - p.ll) * x + Math.log(exposure);
    if (h > 0) lo = x;
    else hi = x;
    const slope = p.ll - p.ls + ((1 - p.ll * e.exposure) * fade) / exposure;
    let next = x - h / slope;
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    if (Math.abs(next - x) < 1e-9 * Math.max(1, x)) return next;
    x = next;
  }
  return hi;
}

/** rate_s − rate_l `d` seconds after the estimate's time. */
function rateGap(e: RateEstimate, p: Params, d: number): number {
  return p.ls * e.short * Math.exp(-p.ls * d) - longRateAfter(e, p, d);
}

/** g(u) = ∫₀^u (rate_l − rate_s): what the change detector gains between uses. */
function gain(e: RateEstimate, p: Params, u: number): number {
  return longIntegral(e, p, u) - shortIntegral(e, p, u);
}

/**
 * How long after the estimate's time no fall can be detected: the detector
 * gains at most ∫ rate_l between uses (it only adds rate_l − rate_s ≤ rate_l),
 * so until `drift + ∫₀^d rate_l` reaches the fall threshold (less a 1e-9
 * margin) nothing but decay happens. Closed form of that `d`; `Infinity` when
 * it is never reached.
 */
function quietFor(e: RateEstimate, p: Params): number {
  const room = p.decline * (1 - 1e-9) - e.drift;
  if (!(room > 0)) return 0;
  if (!(e.long > 0)) return Infinity;
  const c = 1 - p.ll * e.exposure;
  let x: number; // exp(−λl · d)
  if (c < 1e-9) {
    if (room >= e.long) return Infinity;
    x = 1 - room / e.long;
  } else {
    if (room >= -(e.long / c) * Math.log1p(-c)) return Infinity;
    x = -Math.expm1((room * c) / e.long + Math.log1p(-c)) / c;
  }
  return x >= 1 ? 0 : x <= 0 ? Infinity : -Math.log(x) / p.ll;
}

/** What the rank of one estimate reuses between queries (see {@linkcode rankAt}). */
export interface RankHints {
  /** Seconds after the estimate's time during which no shift can happen. */
  quiet: number;
  /** The long-memory rate at the estimate's time (uses/second). */
  rate: number;
}

/**
 * The {@linkcode RankHints} of an estimate, written into `into` when given
 * (callers that keep hints per model reuse one object).
 */
export function hintsOf(e: RateEstimate, p: Params, into?: RankHints): RankHints {
  const hints = into ?? { quiet: 0, rate: 0 };
  hints.quiet = quietFor(e, p);
  hints.rate = longRateAfter(e, p, 0);
  return hints;
}

/**
 * The rank in uses per week at `now` of a used estimate (see `usesPerWeek`
 * in {@link ./rank.ts}, which is this with fresh hints). Callers that rank
 * the same estimate many times (the tuner's shadows) keep its hints.
 */
export function rankAt(est: RateEstimate, now: number, p: Params, hints: RankHints): number {
  const at = Number.isFinite(now) ? Math.max(now, est.at!) : est.at!;
  // Fast path: while no shift can happen the long memory just decays. The
  // arithmetic mirrors `decayed` then `longRateAfter(…, 0)` exactly, so the
  // result is bit-identical to the full path.
  const d = at - est.at!;
  let base: number;
  if (d > 0 && d < hints.quiet) {
    const x = Math.exp(-p.ll * d);
    const long = est.long * x;
    const exposure = 1 / p.ll - (1 / p.ll - est.exposure) * x;
    const again = 1 / p.ll - (1 / p.ll - exposure) * Math.exp(-p.ll * 0);
    base = (again > 0 ? long * Math.exp(-p.ll * 0) / again : 0) * WEEK;
  } else {
    base = longRateAfter(advance(est, p, at), p, 0) * WEEK;
  }
  if (p.shortWeight > 0) {
    // Floor: a share of the short-memory rate (which only decays between uses).
    const short = p.shortWeight * p.ls * est.short * Math.exp(-p.ls * Math.max(0, d));
    base = Math.max(base, short * WEEK);
  }
  return d > 0 ? base * stillActive(est, p, d, hints.rate) : base;
}

const WEEK = 7 * 86400;

/** The state `d` seconds later (at `at`), with no use in between and no shift detected. */
function decayed(
  e: RateEstimate,
  p: Params,
  d: number,
  drift: number,
  at: number = (e.at ?? 0) + d,
): RateEstimate {
  return {
    ...e,
    at,
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
    const gd = gain(cur, p, d);
    // A fall is only detected once the long rate is at or above the short one
    // (after the turning point); before it the statistic only shrinks.
    if (turning > d) return decayed(cur, p, d, Math.max(0, gd - Math.min(-cur.drift, gd)), to);
    const turn = turning;
    const floor = Math.min(-cur.drift, turn === d ? gd : gain(cur, p, turn));
    const end = Math.max(0, gd - (d <= turn ? Math.min(-cur.drift, gd) : floor));
    if (!(end >= p.decline)) return decayed(cur, p, d, end, to);
    const g = (u: number) => gain(cur, p, u);
    const driftAt = (u: number) =>
      Math.max(0, g(u) - (u <= turn ? Math.min(-cur.drift, g(u)) : floor));
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
  // `before` is a fresh object unless the use came at the estimate's own time.
  const after: RateEstimate = before === est ? { ...before } : before;
  after.uses = before.uses + 1;
  after.short = before.short + 1;
  after.long = before.long + 1;
  after.drift = drift;
  // Restart only towards a higher rate, so a use never lowers the rank.
  const rise = p.ls * after.short > longRateAfter(after, p, 0);
  return drift >= p.threshold && rise ? shift(after, p) : after;
}

/**
 * Probability that a model is still in the regime its estimate describes after
 * `gap` seconds without a use (1 when the regime hazard is off).
 */
export function stillActive(
  est: RateEstimate,
  p: Params,
  gap: number,
  rate: number = longRateAfter(est, p, 0),
): number {
  if (!Number.isFinite(p.regime) || !Number.isFinite(p.decline)) return 1;
  if (est.since === undefined || est.at === null) return 1;
  const tau = p.regime * Math.max(est.at - est.since, 1 / p.ls);
  if (!(tau > 0)) return 1;
  const a = rate + 1 / tau;
  const x = Math.exp(-a * gap);
  return x / (x + (1 - x) / (tau * a));
}

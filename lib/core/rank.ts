/**
 * A model's rank: its estimated request rate in uses per week at a given
 * moment, from its use history. This is the number `llama-pack -l` shows and
 * the one the cache planner ({@link ./placement.ts}) compares.
 *
 * ## The formula
 *
 * Two exponentially decayed use counts are kept per model, one with a short
 * half-life `hs` (default 2 days) and one with a long memory `hl` (default 21
 * days). With `λ = ln 2 / h` and uses at times `tᵢ ≤ now`:
 *
 * ```text
 * S(now)   = Σᵢ exp(−λ · (now − tᵢ))            decayed use count
 * rate_s   = λs · Ss                              short-memory rate (uses/second)
 * rate_l   = Sl / El                              long-memory rate  (uses/second)
 * El(now)  = 1/λl − (1/λl − El(t₀)) · exp(−λl · (now − t₀))
 * rank     = max(rate_l, w · rate_s) · P(still active) · 604800    uses per week
 * ```
 *
 * `El` is the long memory's *exposure*: how many seconds of (decayed)
 * observation stand behind `Sl`. At a model's first use it is
 * `firstUseExposureSeconds` (default 7 days, so one use ranks 1.0/wk), and it
 * grows towards `1/λl` (a full memory, 30 days) from there and after every
 * detected popularity shift. A model seen for the first time has not been
 * watched for a month, so it is not ranked as if it had been used once in a
 * month.
 *
 * **Short-rate floor.** The rank is at least `w = shortRateWeight` (default
 * 0.4) times the short-memory rate. A model with an old, quiet history that
 * gets used twice in a day climbs right away (about 1.8/wk instead of 0.7)
 * instead of waiting for the change detector to gather evidence; in steady
 * use the long-memory rate is the larger one and the floor does nothing.
 *
 * **Adaptive memory (change detector).** A one-sided CUSUM `D` accumulates the
 * log-likelihood ratio of the short-memory Poisson model against the long one:
 * at each use it adds `ln(rate_s / rate_l)` (rates just before the use), and
 * between uses it adds `∫ (rate_l − rate_s) dt`; it never goes below 0. When
 * `D` reaches `changeThreshold` (default 2 nats) at a use that leaves the
 * short rate above the long one (a rise), or `declineThreshold` (default 4)
 * between uses (a fall), the long memory restarts from the short one:
 * `Sl := Ss`, `El := 1/λs`, `D := 0`. From there `El` grows back towards
 * `1/λl`, so the memory lengthens again in steady use. The detector runs
 * between uses too (in closed form), so a model that stops being used drops
 * in rank after a few times its usual gap instead of months later, and a
 * model that suddenly gets used a lot climbs after two or three uses.
 *
 * **Regime hazard.** A burst of use (a project, a week of trying a model)
 * ends at some point, and a gap with no use is evidence that it has. The
 * current level of use began at `since` (the first use or the latest
 * detected shift) and is expected to last `τ = regimeFactor × (last use −
 * since)` more (at least `regimeFactor / λs`): the longer a pattern has held,
 * the longer it is expected to hold. With `r` the long-memory rate at the
 * last use and `g` the time since, the chance the model is still in that
 * regime is
 *
 * ```text
 * x = exp(−(r + 1/τ) · g)
 * P(still active) = x / (x + (1 − x) / (τ · (r + 1/τ)))
 * ```
 *
 * (either no change happened and no use came, or the regime ended at some
 * point in the gap). A model used daily for two months keeps its rank through
 * a long weekend; ten uses in one day followed by two silent days keep under a
 * tenth of their rank.
 *
 * Shapes with the defaults: one use ranks 1.0, 0.25 a week later and near 0
 * after a month; two uses on two days rank 1.8, three on three days 2.4;
 * daily use converges to 7.0, ranks 6.3 after 2 idle days, 4.1 after 4 and
 * 0.6 after a week; three a day (rank 21) keeps 14 after 2 idle days and falls
 * near 0 after 4; weekly use ranks 1.1, 0.5 after three idle weeks and 0.1
 * after six.
 *
 * Why this and not the original `total_uses − 2 × days_since_last_use`: on
 * synthetic traces (Zipf popularity, project switches that reshuffle it, a
 * day/night split; `bench/RESULTS.md`) ranking by estimated request rate (not
 * rate per byte) with a memory that adapts to popularity shifts beats fixed
 * windows and recency rules. The rate also reads naturally ("used about 6.5
 * times a week").
 *
 * Why these defaults (second tuning round, 10 seeds of each generated workload,
 * `bench/RESULTS.md`): once the admission gate is 2 uses ({@link ./placement.ts}),
 * the largest cause of byte hits lost to the best reference was candidates
 * refused because every evictable copy ranked at or above them (11 TB of the
 * references' hits over 10 rapid-switch runs, 8.5 TB over project-switch runs):
 * a refused 2-use candidate ranked about 1/wk while the copies blocking it
 * ranked about 9/wk after a day and a third of silence, and in three quarters
 * of those refusals copies loaded next only after the candidate would have
 * freed enough room. Each change below attacks that: a first use stands for a
 * week of observation, not a month; a regime factor of 6 (was 40) lets a stale
 * copy lose its rank after a few missed uses instead of a few weeks; the
 * short-rate floor lets a model that becomes busy again climb a day or two
 * earlier; the 2-day short memory with rise threshold 2 (was 1 day and 3) keeps
 * day/night and steady workloads from mistaking a chance pair of uses for a new
 * favourite. With the 2-use gate they moved llama-pack from 2.4 / 2.9 / 1.5
 * points of byte hit ratio behind the best reference (project switch, rapid
 * switch, day/night) to +0.5 / −0.9 / +0.1.
 *
 * The live tool and the simulator rank with the options of the active policy
 * profile ({@link ./profiles.ts}: `steady`, `rapid` or `session`), which
 * override some of these defaults (the short memory's half-life, the rise
 * threshold, the short-rate floor); these defaults are the base they start from.
 *
 * Run durations are accepted but not used: a cache hit saves one load from the
 * HDD whatever the server's run time, so a load is worth the same whether the
 * server then runs for a minute or a day. Newer files get no bonus.
 *
 * Guarantees: a model that was never used ranks 0; with no further uses the
 * rank never rises as `now` advances and tends to 0; a use never lowers the
 * rank at the moment it is recorded; with both thresholds `Infinity` (which
 * also turns the regime hazard, the first-use exposure and the short-rate floor
 * off) the rank is a plain decayed count (`λl · Sl`) and an extra use never
 * lowers it at any `now`. With the detector on, an extra use can change when a
 * shift is detected and so, rarely, lower the rank later on.
 *
 * @module
 */

import { params, type RankOptions } from "./rank_params.ts";
import { hintsOf, rankAt, type RateEstimate, record } from "./rate_memory.ts";

export { DEFAULT_RANK_OPTIONS, type RankOptions } from "./rank_params.ts";
export type { RateEstimate } from "./rate_memory.ts";

/** Seconds in a week: the unit of the rank. */
export const WEEK_SECONDS = 7 * 86400;

/** One use (load) of a model. */
export interface UseEvent {
  /** When the model was loaded, in unix seconds. */
  at: number;
  /** How long the server ran, in seconds; accepted but not used by the rank. */
  duration?: number;
}

/**
 * Returns the state of a model that was never used (rank 0).
 *
 * @returns A fresh estimate.
 *
 * @example A new estimate ranks 0
 * ```ts
 * import assert from "node:assert/strict";
 * import { newEstimate, usesPerWeek } from "./rank.ts";
 * assert(usesPerWeek(newEstimate(), 1_700_000_000) === 0);
 * ```
 */
export function newEstimate(): RateEstimate {
  return { uses: 0, at: null, short: 0, long: 0, exposure: 0, drift: 0, shifts: 0 };
}

/**
 * Records one use of a model and returns the updated estimate (the input is
 * not changed). Uses may arrive out of order: an older use is added to the
 * counts exactly but does not feed the change detector.
 *
 * @param est The model's current estimate.
 * @param at When the use happened, unix seconds.
 * @param options Half-lives and change-detector threshold.
 * @returns A new estimate that includes the use.
 * @throws {RangeError} When `at` is not a finite number.
 * @throws {LlamaPackError} `CONFIG` when the options are out of range.
 *
 * @example Recording uses
 * ```ts
 * import assert from "node:assert/strict";
 * import { newEstimate, recordUse, usesPerWeek } from "./rank.ts";
 * let est = newEstimate();
 * const t0 = 1_700_000_000;
 * for (let day = 0; day < 5; day++) est = recordUse(est, t0 + day * 86400);
 * assert(usesPerWeek(est, t0 + 4 * 86400) > 3);
 * ```
 */
export function recordUse(est: RateEstimate, at: number, options?: RankOptions): RateEstimate {
  if (!Number.isFinite(at)) {
    throw new RangeError(`recordUse: use time must be a finite number (got ${at})`);
  }
  return record(est, at, params(options));
}

/**
 * The rank: estimated uses per week at `now`. Show it with one decimal
 * ({@linkcode formatRank}). A `now` before the latest use counts as that use's time.
 *
 * @param est The model's estimate.
 * @param now The moment to rank at, unix seconds.
 * @param options Half-lives and change-detector threshold (use the same as when recording).
 * @returns Uses per week, ≥ 0; 0 for a model never used.
 * @throws {LlamaPackError} `CONFIG` when the options are out of range.
 *
 * @example Rank decays when a model is left alone
 * ```ts
 * import assert from "node:assert/strict";
 * import { newEstimate, recordUse, usesPerWeek } from "./rank.ts";
 * const t0 = 1_700_000_000;
 * const est = recordUse(newEstimate(), t0);
 * assert(usesPerWeek(est, t0 + 90 * 86400) < usesPerWeek(est, t0));
 * ```
 */
export function usesPerWeek(est: RateEstimate, now: number, options?: RankOptions): number {
  const p = params(options);
  if (est.uses === 0 || est.at === null) return 0;
  return rankAt(est, now, p, hintsOf(est, p));
}

/**
 * Ranks a model from its whole use history: sorts the uses, folds them with
 * {@linkcode recordUse} and reads {@linkcode usesPerWeek} at `now`. Uses after
 * `now` and uses with a non-finite time are ignored.
 *
 * @param uses The model's uses, in any order.
 * @param now The moment to rank at, unix seconds.
 * @param options Half-lives and change-detector threshold.
 * @returns Uses per week, ≥ 0.
 * @throws {LlamaPackError} `CONFIG` when the options are out of range.
 *
 * @example A daily model outranks a weekly one
 * ```ts
 * import assert from "node:assert/strict";
 * import { rankFromUses } from "./rank.ts";
 * const now = 1_700_000_000;
 * const daily = Array.from({ length: 30 }, (_, i) => ({ at: now - i * 86400 }));
 * const weekly = Array.from({ length: 5 }, (_, i) => ({ at: now - i * 7 * 86400 }));
 * assert(rankFromUses(daily, now) > rankFromUses(weekly, now));
 * assert(rankFromUses([], now) === 0);
 * ```
 */
export function rankFromUses(
  uses: readonly UseEvent[],
  now: number,
  options?: RankOptions,
): number {
  const times = uses.map((u) => u.at).filter((t) => Number.isFinite(t) && t <= now);
  times.sort((a, b) => a - b);
  const p = params(options);
  let est = newEstimate();
  for (const t of times) est = record(est, t, p);
  return usesPerWeek(est, now, options);
}

/**
 * Formats a rank as `-l` shows it: one decimal.
 *
 * @param rate Uses per week.
 * @returns E.g. `"6.5"`.
 *
 * @example Formatting a rank
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatRank } from "./rank.ts";
 * assert(formatRank(6.48) === "6.5");
 * assert(formatRank(0) === "0.0");
 * ```
 */
export function formatRank(rate: number): string {
  const tenths = Math.round(rate * 10);
  // Same digits as `(tenths / 10).toFixed(1)`, without the float formatting.
  if (Number.isSafeInteger(tenths) && tenths >= 0) {
    return `${(tenths - (tenths % 10)) / 10}.${tenths % 10}`;
  }
  return (tenths / 10).toFixed(1);
}

/**
 * The rank's tuning: {@linkcode RankOptions}, their defaults, and their
 * checked form the rate memory computes with (see {@link ./rank.ts}).
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";

/** Tuning of the rank; every field is optional. */
export interface RankOptions {
  /**
   * Half-life of the short memory, in seconds.
   * @default {172800} (2 days)
   */
  shortHalfLifeSeconds?: number;
  /**
   * Half-life of the long memory, in seconds; must exceed the short one.
   * @default {1814400} (21 days)
   */
  longHalfLifeSeconds?: number;
  /**
   * Evidence (nats of log-likelihood ratio) the change detector needs at a use
   * before the long memory restarts from the short one (a rise in use).
   * `Infinity` turns rise detection off.
   * @default {2}
   */
  changeThreshold?: number;
  /**
   * Evidence the change detector needs while a model is not used before the
   * long memory restarts from the short one (a fall in use). Raise it to keep
   * a steady model's history through longer idle spells. `Infinity` turns
   * fall detection (and the regime hazard) off.
   * @default {4}
   */
  declineThreshold?: number;
  /**
   * Regime hazard: how much longer a model's current level of use is
   * expected to last, as a multiple of how long it has lasted so far (see the
   * module doc). Lower values drop idle models faster. `Infinity` (or
   * `declineThreshold` `Infinity`) turns it off.
   * @default {6}
   */
  regimeFactor?: number;
  /**
   * How many seconds of observation a model's first use stands for: right
   * after its first use a model ranks one use per this long, and the long
   * memory's exposure grows from here towards its full length. At most the
   * long memory's full exposure (`longHalfLifeSeconds / ln 2`), which is what
   * a larger value means. Only used while the change detector is on (either
   * threshold finite); with both thresholds `Infinity` the rank is the plain
   * decayed count.
   * @default {604800} (7 days: one use ranks 1.0/wk)
   */
  firstUseExposureSeconds?: number;
  /**
   * The rank is at least this share of the short-memory rate (see the module
   * doc), so a model that just became busy climbs before the change detector
   * has the evidence to restart the long memory. 0 turns it off. Only used
   * while the change detector is on.
   * @default {0.4}
   */
  shortRateWeight?: number;
}

/** The defaults of {@linkcode RankOptions}, tuned with the policy lab (`bench/RESULTS.md`). */
export const DEFAULT_RANK_OPTIONS: Readonly<Required<RankOptions>> = Object.freeze({
  shortHalfLifeSeconds: 2 * 86400,
  longHalfLifeSeconds: 21 * 86400,
  changeThreshold: 2,
  declineThreshold: 4,
  regimeFactor: 6,
  firstUseExposureSeconds: 7 * 86400,
  shortRateWeight: 0.4,
});

/** {@linkcode RankOptions} checked, with the half-lives as decay rates. */
export interface Params {
  ls: number; // λ short, 1/s
  ll: number; // λ long, 1/s
  threshold: number; // at a use
  decline: number; // between uses
  regime: number; // expected regime length / exposure
  first: number; // exposure at the first use, seconds (≤ 1/ll)
  shortWeight: number; // floor of the rank as a share of the short rate
}

let defaultParams: Params | undefined;
/** Validated forms of frozen option objects (the policy profiles' and the defaults'). */
const frozenParams = new WeakMap<RankOptions, Params>();
const recentParams: [RankOptions, Params][] = [];

/**
 * The checked parameters of rank options (cached for frozen option objects).
 *
 * @param options The options; the defaults when absent.
 * @returns The parameters.
 * @throws {LlamaPackError} `CONFIG` when an option is out of range.
 */
export function params(options: RankOptions | undefined): Params {
  // The defaults are frozen, so their validated form can be reused.
  if (options === undefined) return defaultParams ??= resolveParams(undefined);
  if (!Object.isFrozen(options)) return resolveParams(options);
  // The last few by identity first: a replay asks for the same profiles' options millions of times.
  for (const [known, p] of recentParams) if (known === options) return p;
  let p = frozenParams.get(options);
  if (p === undefined) frozenParams.set(options, p = resolveParams(options));
  recentParams.unshift([options, p]);
  recentParams.length = Math.min(recentParams.length, 8);
  return p;
}

function resolveParams(options: RankOptions | undefined): Params {
  const hs = options?.shortHalfLifeSeconds ?? DEFAULT_RANK_OPTIONS.shortHalfLifeSeconds;
  const hl = options?.longHalfLifeSeconds ?? DEFAULT_RANK_OPTIONS.longHalfLifeSeconds;
  const threshold = options?.changeThreshold ?? DEFAULT_RANK_OPTIONS.changeThreshold;
  if (!(Number.isFinite(hs) && hs > 0)) {
    throw new LlamaPackError(
      "CONFIG",
      `rank options: shortHalfLifeSeconds must be a positive number of seconds (got ${hs})`,
    );
  }
  if (!(Number.isFinite(hl) && hl > hs)) {
    throw new LlamaPackError(
      "CONFIG",
      `rank options: longHalfLifeSeconds must be a number of seconds above shortHalfLifeSeconds ${hs} (got ${hl})`,
    );
  }
  const decline = options?.declineThreshold ?? DEFAULT_RANK_OPTIONS.declineThreshold;
  for (const [key, value] of [["changeThreshold", threshold], ["declineThreshold", decline]]) {
    if (!(typeof value === "number" && value > 0)) {
      throw new LlamaPackError(
        "CONFIG",
        `rank options: ${key} must be a positive number or Infinity (got ${value})`,
      );
    }
  }
  const regime = options?.regimeFactor ?? DEFAULT_RANK_OPTIONS.regimeFactor;
  if (!(typeof regime === "number" && regime > 0)) {
    throw new LlamaPackError(
      "CONFIG",
      `rank options: regimeFactor must be a positive number or Infinity (got ${regime})`,
    );
  }
  const first = options?.firstUseExposureSeconds ?? DEFAULT_RANK_OPTIONS.firstUseExposureSeconds;
  if (!(typeof first === "number" && first > 0)) {
    throw new LlamaPackError(
      "CONFIG",
      `rank options: firstUseExposureSeconds must be a positive number of seconds (got ${first})`,
    );
  }
  const shortWeight = options?.shortRateWeight ?? DEFAULT_RANK_OPTIONS.shortRateWeight;
  if (!(Number.isFinite(shortWeight) && shortWeight >= 0)) {
    throw new LlamaPackError(
      "CONFIG",
      `rank options: shortRateWeight must be a number ≥ 0 (got ${shortWeight})`,
    );
  }
  const full = hl / Math.LN2;
  const detector = Number.isFinite(threshold) || Number.isFinite(decline);
  return {
    ls: Math.LN2 / hs,
    ll: Math.LN2 / hl,
    threshold,
    decline,
    regime,
    first: detector ? Math.min(first, full) : full,
    shortWeight: detector ? shortWeight : 0,
  };
}

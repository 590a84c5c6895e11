/**
 * Background refill: which models deserve the SSD once space frees up, each
 * admitted by the same planner as a load ({@link ./placement.ts}).
 *
 * @module
 */

import {
  type CacheState,
  type Candidate,
  countUsesInWindow,
  DEFAULT_CACHE_POLICY,
  type PlacementPlan,
  type RefillInput,
} from "./cache_policy.ts";
import { type IndexedModel, rankOf } from "./model_index.ts";
import type { PolicyChoice } from "./profiles.ts";
import { checkInput, gateReason, resolvePolicy } from "./policy_rules.ts";
import { applyPlacement, planPlacement } from "./placement.ts";

/**
 * Plans background pre-caching after space frees up: which not-cached
 * candidates now deserve the SSD, highest rate first. Each must pass the same
 * admission as {@linkcode planPlacement} against the state the previous plans
 * leave. Each step takes the highest-ranked candidate admissible at that
 * point, so one that was blocked until a later step freed room still goes
 * first; planning again on the result plans nothing.
 *
 * @param input The space picture, the cached copies, the candidates and the policy.
 * @returns The plans that copy, in the order to execute them.
 * @throws {LlamaPackError} `CONFIG` when the policy is out of range.
 * @throws {RangeError} When a size or rate is negative or not finite.
 *
 * @example Refilling freed space
 * ```ts
 * import assert from "node:assert/strict";
 * import { planRefill } from "./refill.ts";
 * const g = 1024 ** 3;
 * const plans = planRefill({
 *   space: { freeBytes: 40 * g, minFreeBytes: 10 * g, cacheUsedBytes: 0 },
 *   cached: [],
 *   candidates: [
 *     { id: "a", size: 20 * g, rate: 2, usesInWindow: 3, noCache: false },
 *     { id: "b", size: 20 * g, rate: 6, usesInWindow: 5, noCache: false },
 *   ],
 * });
 * assert(plans.length === 1 && plans[0]?.reason.includes("fits"));
 * ```
 */
export function planRefill(input: RefillInput): PlacementPlan[] {
  const policy = input.policy ?? DEFAULT_CACHE_POLICY;
  const resolved = resolvePolicy(policy);
  checkInput(input.space, input.cached, input.candidates);
  // Candidates the gates refuse whatever the SSD holds never get a step.
  const order = input.candidates.filter((c) => gateReason(c, resolved) === undefined).sort((a, b) =>
    b.rate - a.rate || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
  let state: CacheState = { space: { ...input.space }, cached: [...input.cached] };
  const plans: PlacementPlan[] = [];
  // Each step copies the highest-ranked candidate admissible now, then looks
  // again from the top: a step may free room (evicting a big cold copy for a
  // smaller one) that a higher-ranked candidate refused earlier can now use.
  const done = new Set<string>();
  for (let step = 0; step < order.length; step++) {
    let admitted = false;
    for (const candidate of order) {
      if (done.has(candidate.id)) continue;
      const plan = planPlacement({
        ...state,
        candidate,
        policy,
        ...(input.now === undefined ? {} : { now: input.now }),
        ...(input.explain === undefined ? {} : { explain: input.explain }),
      });
      if (!plan.copy) continue;
      plans.push(plan);
      state = applyPlacement(state, plan, candidate);
      done.add(candidate.id);
      admitted = true;
      break;
    }
    if (!admitted) break;
  }
  return plans;
}

/**
 * The models that could be copied to the SSD now, as the planner's
 * candidates: indexed, with a permanent copy, no SSD files, and no copy job
 * queued or running (`busy`). What `-l` marks "should cache" and what the
 * `--serve` monitor refills with come from these through {@linkcode planRefill}.
 *
 * @param index The model index.
 * @param at The time (unix seconds), the ids with a copy job, the policy choice
 *   (its rank options and window; the default policy's when absent).
 * @returns The candidates.
 *
 * @example A used HDD model is a candidate; one already on the SSD is not
 * ```ts
 * import assert from "node:assert/strict";
 * import { refillCandidates } from "./refill.ts";
 * const m = (id: string, ssd: boolean) => ({ id, gone: false, noCache: false, uses: [{ at: 10 }],
 *   hdd: { size: 5 }, ssd: ssd ? { size: 5 } : undefined }) as never;
 * const c = refillCandidates([m("a", false), m("b", true)], { now: 100, busy: new Set() });
 * assert(c.length === 1 && c[0]?.id === "a" && c[0].usesInWindow === 1);
 * ```
 */
export function refillCandidates(
  index: readonly IndexedModel[],
  at: { now: number; busy: ReadonlySet<string>; choice?: PolicyChoice },
): Candidate[] {
  const windowSeconds = at.choice?.policy.windowSeconds ?? DEFAULT_CACHE_POLICY.windowSeconds;
  return index
    .filter((m) => !m.gone && m.hdd !== undefined && m.ssd === undefined && !at.busy.has(m.id))
    .map((m) => ({
      id: m.id,
      size: m.hdd!.size,
      rate: rankOf(m, at.now, at.choice?.rankOptions),
      usesInWindow: countUsesInWindow(m.uses.map((u) => ({ at: u.at })), at.now, windowSeconds),
      noCache: m.noCache,
    }));
}

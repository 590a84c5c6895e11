/**
 * llama-pack's own cache policy as a {@linkcode SimPolicy}: a thin adapter
 * that feeds the simulated loads to the same core functions the live tool
 * uses — {@linkcode recordUse} / {@linkcode usesPerWeek} for the rank and
 * {@linkcode planPlacement} for admission and eviction. No policy logic lives
 * here.
 *
 * @module
 */

import { newEstimate, type RankOptions, recordUse, usesPerWeek } from "../lib/rank.ts";
import { type CachePolicy, DEFAULT_CACHE_POLICY, planPlacement } from "../lib/plan.ts";
import { formatRank, type RateEstimate } from "../lib/rank.ts";
import type { PolicyDecision, SimPolicy } from "./engine.ts";

/** Options of {@linkcode llamaPackPolicy}. */
export interface LlamaPackPolicyOptions {
  /**
   * Admission and eviction policy passed to the planner.
   * @default DEFAULT_CACHE_POLICY (3 uses in 7 days)
   */
  cachePolicy?: CachePolicy;
  /**
   * Rank tuning passed to the rank functions.
   * @default the rank module's defaults
   */
  rank?: RankOptions;
  /**
   * Name shown in reports.
   * @default "llama-pack"
   */
  name?: string;
}

interface ModelState {
  estimate: RateEstimate;
  /** Use times inside the admission window, oldest first. */
  recent: number[];
}

/**
 * Creates llama-pack's policy for the simulator (a fresh instance per run).
 *
 * @param options Planner policy, rank tuning and the report name.
 * @returns The policy.
 *
 * @example Copy after the third use in a week, then hit
 * ```ts
 * import assert from "node:assert/strict";
 * import { llamaPackPolicy } from "./llama_pack_policy.ts";
 * import { runSimulation } from "./engine.ts";
 * const loads = [0, 1, 2, 3].map((d) => ({ at: d * 86400, model: "a", size: 8e9, duration: 3600 }));
 * const { summary } = runSimulation({ name: "w", loads, ssdFreeBytes: 50e9 }, llamaPackPolicy());
 * assert(summary.copies === 1 && summary.hits === 1);
 * ```
 */
export function llamaPackPolicy(options: LlamaPackPolicyOptions = {}): SimPolicy {
  const cachePolicy = options.cachePolicy ?? DEFAULT_CACHE_POLICY;
  const rankOptions = options.rank;
  const models = new Map<string, ModelState>();
  const rateOf = (model: string, now: number): number => {
    const state = models.get(model);
    return state === undefined ? 0 : usesPerWeek(state.estimate, now, rankOptions);
  };
  return {
    name: options.name ?? "llama-pack",
    onLoad(load, hit, view): PolicyDecision {
      const now = view.now;
      let state = models.get(load.model);
      if (state === undefined) {
        state = { estimate: newEstimate(), recent: [] };
        models.set(load.model, state);
      }
      state.estimate = recordUse(state.estimate, now, rankOptions);
      state.recent.push(now);
      const cutoff = now - cachePolicy.windowSeconds;
      let drop = 0;
      while (drop < state.recent.length && state.recent[drop]! <= cutoff) drop++;
      if (drop > 0) state.recent.splice(0, drop);
      const rate = usesPerWeek(state.estimate, now, rankOptions);
      if (hit) return { copy: false, evict: [], reason: `kept: rank ${formatRank(rate)}/wk` };
      if (view.entries.some((e) => e.model === load.model)) {
        return { copy: false, evict: [], reason: "copy in progress" };
      }
      const plan = planPlacement({
        space: {
          freeBytes: view.freeBytes,
          minFreeBytes: view.minFreeBytes,
          cacheUsedBytes: view.usedBytes,
          ...(view.limitBytes === undefined ? {} : { limitBytes: view.limitBytes }),
        },
        cached: view.entries.map((e) => ({
          id: e.model,
          size: e.size,
          rate: rateOf(e.model, now),
          pinned: false,
          inUse: e.state !== "ready" || e.inUseUntil > now,
          ssdOnly: false,
          lastUse: e.lastUse,
        })),
        candidate: {
          id: load.model,
          size: load.size,
          rate,
          usesInWindow: state.recent.length,
          noCache: false,
        },
        policy: cachePolicy,
        now,
      });
      return {
        copy: plan.copy,
        evict: plan.evict.map((e) => ({ model: e.id, reason: e.reason })),
        reason: plan.reason,
      };
    },
  };
}

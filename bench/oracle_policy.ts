/**
 * A policy that is told the future (not online): llama-pack's planner, but
 * every model's rank is the number of times it will actually be loaded in
 * the next `horizon` seconds. The lab uses it to separate what the planner
 * can do from what the forecast (the rank) gets wrong.
 *
 * @module
 */

import type { PolicyDecision, SimPolicy } from "../sim/policy_api.ts";
import type { Workload } from "../sim/workload.ts";
import { planPlacement } from "../lib/core/placement.ts";

const WEEK = 7 * 86400;

/**
 * The planner with perfect knowledge of each model's loads in the next
 * `horizon` seconds (as uses per week).
 *
 * @param workload The workload it will run on (its future).
 * @param horizon Seconds of future each rank counts.
 * @returns A fresh policy named `told the next N days`.
 *
 * @example Told the future, it copies the model used again
 * ```ts
 * import assert from "node:assert/strict";
 * import { oraclePolicy } from "./oracle_policy.ts";
 * import { runSimulation } from "../sim/engine.ts";
 * const loads = [0, 1, 2].map((d) => ({ at: d * 86400, model: "a", size: 8e9, duration: 60 }));
 * const w = { name: "w", loads, ssdFreeBytes: 10e9 };
 * assert(runSimulation(w, oraclePolicy(w, 3 * 86400)).summary.hits === 2);
 * ```
 */
export function oraclePolicy(workload: Workload, horizon: number): SimPolicy {
  const times = new Map<string, number[]>();
  for (const l of workload.loads) {
    const list = times.get(l.model) ?? [];
    list.push(l.at);
    times.set(l.model, list);
  }
  const after = (list: number[], t: number) => {
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const future = (model: string, t: number) => {
    const list = times.get(model) ?? [];
    return ((after(list, t + horizon) - after(list, t)) * WEEK) / horizon;
  };
  return {
    name: `told the next ${horizon / 86400} days`,
    onLoad(load, hit, view): PolicyDecision {
      const none = { copy: false, evict: [], reason: "" };
      if (hit || view.entries.some((e) => e.model === load.model)) return none;
      const t = view.now;
      const plan = planPlacement({
        space: {
          freeBytes: view.freeBytes,
          minFreeBytes: view.minFreeBytes,
          cacheUsedBytes: view.usedBytes,
        },
        cached: view.entries.map((e) => ({
          id: e.model,
          size: e.size,
          rate: future(e.model, t),
          pinned: false,
          inUse: e.state !== "ready" || e.inUseUntil > t,
          ssdOnly: false,
          lastUse: e.lastUse,
        })),
        candidate: {
          id: load.model,
          size: load.size,
          rate: future(load.model, t),
          usesInWindow: 1,
          noCache: false,
        },
        policy: { minUses: 1, windowSeconds: WEEK, minUsesToEvict: 1, idleHazard: Infinity },
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

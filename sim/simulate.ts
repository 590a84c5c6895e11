/**
 * The simulator's library API: run llama-pack's cache policy (or any
 * {@linkcode SimPolicy}) over a workload in virtual time, and compare it with
 * the reference policies and the offline optimum.
 *
 * @module
 */

import type { EngineOptions, SimPolicy } from "./policy_api.ts";
import { runSimulation } from "./engine.ts";
import type { SimulationResult, SimulationSummary } from "./policy_api.ts";
import { llamaPackPolicy } from "./llama_pack_policy.ts";
import { type HighsSolver, type OfflineOptimum, offlineOptimum } from "./optimum.ts";
import { referencePolicies } from "./reference.ts";
import { ENGINE_DEFAULTS } from "./policy_api.ts";
import type { Workload } from "./workload.ts";

/** Options of {@linkcode simulate}. */
export interface SimulateOptions extends EngineOptions {
  /**
   * The policy to run (a fresh instance).
   * @default llamaPackPolicy() — the live tool's rank and planner
   */
  policy?: SimPolicy;
}

/**
 * Simulates a workload under one cache policy.
 *
 * @param workload The loads and the SSD space.
 * @param options The policy, bandwidths and whether to record the timeline.
 * @returns The summary and (with `timeline: true`) the events.
 * @throws {Error} When the policy breaks a rule of the engine (a bug).
 *
 * @example Simulating a pattern
 * ```ts
 * import assert from "node:assert/strict";
 * import { simulate } from "./simulate.ts";
 * import { parsePattern } from "./pattern.ts";
 * const loads = parsePattern("coder:18g=0s/2h,1d,2d,3d,4d");
 * const { summary } = simulate({ name: "demo", loads, ssdFreeBytes: 50 * 1024 ** 3 });
 * assert(summary.loads === 5 && summary.hits === 4); // copied into free room after the 1st use
 * ```
 */
export function simulate(workload: Workload, options: SimulateOptions = {}): SimulationResult {
  return runSimulation(workload, options.policy ?? llamaPackPolicy(), options);
}

/** One row of the `--compare` table. */
export interface ComparisonRow {
  /** Policy name, or `LP upper bound` / `offline schedule`. */
  policy: string;
  /** `policy` for online policies, `bound` for the LP bound, `offline` for the feasible schedule. */
  kind: "policy" | "bound" | "offline";
  /** Byte hit ratio in [0, 1]. */
  byteHitRatio: number;
  /** Byte hits as a share of the LP bound; `null` without a bound. */
  ofBound: number | null;
  /** Estimated load seconds saved by the cache. */
  loadSecondsSaved: number;
  /** Bytes written to the SSD; `null` for the offline rows. */
  bytesWritten: number | null;
}

/** The outcome of {@linkcode comparePolicies}. */
export interface Comparison {
  /** The workload's name. */
  workload: string;
  /** Online policies in the given order, then the offline rows. */
  rows: ComparisonRow[];
  /** Each online policy's full summary, in row order. */
  summaries: SimulationSummary[];
  /** The offline optimum, when computed. */
  optimum: OfflineOptimum | undefined;
}

/** Options of {@linkcode comparePolicies}. */
export interface CompareOptions extends EngineOptions {
  /**
   * Online policies to compare (fresh instances).
   * @default [llamaPackPolicy(), ...referencePolicies()]
   */
  policies?: SimPolicy[];
  /**
   * Compute the LP upper bound and the feasible offline schedule.
   * @default true
   */
  optimum?: boolean;
  /**
   * A loaded HiGHS solver.
   * @default the process-wide solver
   */
  solver?: HighsSolver;
}

/**
 * Runs the same workload through several policies and the offline optimum.
 *
 * @param workload The loads and the SSD space.
 * @param options Policies, bandwidths and whether to solve the LP.
 * @returns One row per policy plus the LP bound and the offline schedule.
 * @throws {Error} When HiGHS cannot be loaded or a policy breaks a rule.
 *
 * @example Comparing on a pattern
 * ```ts
 * import assert from "node:assert/strict";
 * import { comparePolicies } from "./simulate.ts";
 * import { parsePattern } from "./pattern.ts";
 * const loads = parsePattern("a:10g=0s/1h,1d,2d,3d;b:10g=1h/1h,1d1h,2d1h");
 * const c = await comparePolicies({ name: "demo", loads, ssdFreeBytes: 15 * 1024 ** 3 });
 * assert(c.rows.length === 7 && c.rows[5]!.kind === "bound");
 * assert(c.rows.every((r) => r.ofBound === null || r.ofBound <= 1 + 1e-6));
 * ```
 */
export async function comparePolicies(
  workload: Workload,
  options: CompareOptions = {},
): Promise<Comparison> {
  const policies = options.policies ?? [llamaPackPolicy(), ...referencePolicies()];
  const hddRead = options.hddReadBytesPerSecond ?? ENGINE_DEFAULTS.hddReadBytesPerSecond;
  const ssdRead = options.ssdReadBytesPerSecond ?? ENGINE_DEFAULTS.ssdReadBytesPerSecond;
  const engine: EngineOptions = { ...options, timeline: false };
  const summaries = policies.map((p) => runSimulation(workload, p, engine).summary);
  const optimum = options.optimum === false
    ? undefined
    : await offlineOptimum(workload, options.solver ? { solver: options.solver } : {});
  const bound = optimum?.upperBoundBytes;
  const share = (bytes: number) => (bound === undefined || bound <= 0 ? null : bytes / bound);
  const saved = (bytesHit: number) => bytesHit / hddRead - bytesHit / ssdRead;
  const rows: ComparisonRow[] = summaries.map((s) => ({
    policy: s.policy,
    kind: "policy",
    byteHitRatio: s.byteHitRatio,
    ofBound: share(s.bytesHit),
    loadSecondsSaved: s.loadSecondsWithoutCache - s.loadSecondsWithCache,
    bytesWritten: s.bytesCopied,
  }));
  if (optimum !== undefined) {
    rows.push({
      policy: "LP upper bound",
      kind: "bound",
      byteHitRatio: optimum.upperBoundRatio,
      ofBound: share(optimum.upperBoundBytes),
      loadSecondsSaved: saved(optimum.upperBoundBytes),
      bytesWritten: null,
    }, {
      policy: "offline schedule",
      kind: "offline",
      byteHitRatio: optimum.feasibleRatio,
      ofBound: share(optimum.feasibleBytes),
      loadSecondsSaved: saved(optimum.feasibleBytes),
      bytesWritten: null,
    });
  }
  return { workload: workload.name, rows, summaries, optimum };
}

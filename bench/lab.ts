/**
 * The policy lab's measurements: runs policies over the workload families on
 * a set of seeds (with the reference policies and the LP bound) and sums up
 * what issue 20's targets ask for, per family and over all.
 *
 * Definitions (fixed before any tuning):
 *
 * - **% of bound**: a run's byte hits / the LP upper bound of its workload;
 *   a family's figure is the mean over its shapes × seeds, "all" the mean over
 *   every run.
 * - **margin**: the run's byte hit ratio minus the best reference policy's
 *   on the same run (points); mean, and the worst run.
 * - **writes**: bytes copied to the SSD / bytes loaded, summed over the runs.
 * - **early evictions**: copies evicted before their first hit / copies,
 *   summed over the runs.
 *
 * @module
 */

import type { EngineOptions, SimPolicy } from "../sim/policy_api.ts";
import { type HighsSolver, loadSolver } from "../sim/optimum.ts";
import { referencePolicies } from "../sim/reference.ts";
import { comparePolicies } from "../sim/simulate.ts";
import type { Family } from "./families.ts";
import type { Workload } from "../sim/workload.ts";

/** One policy × one workload run. */
export interface Run {
  /** Policy name. */
  policy: string;
  /** Family name. */
  family: string;
  /** Shape name. */
  shape: string;
  /** Seed index k. */
  seed: number;
  /** Byte hits / LP bound (0–1+). */
  ofBound: number;
  /** Byte hit ratio (0–1). */
  byteHitRatio: number;
  /** Best reference policy's byte hit ratio on this workload. */
  bestReference: number;
  /** Bytes loaded. */
  bytesLoaded: number;
  /** Bytes copied to the SSD. */
  bytesCopied: number;
  /** Copies started. */
  copies: number;
  /** Copies evicted before a hit. */
  evictedBeforeHit: number;
}

/** Options of {@linkcode measure}. */
export interface MeasureOptions {
  /** The policies to measure (factories: a fresh instance per run, given the workload). */
  policies: ((workload: Workload) => SimPolicy)[];
  /** Include the reference policies' own rows. @default {true} */
  references?: boolean;
  /** Only these shapes (by name). */
  only?: readonly string[];
  /** Engine options (bandwidths). */
  engine?: EngineOptions;
  /** Solver. */
  solver?: HighsSolver;
}

/**
 * Runs every policy (and the references) over every shape of the families
 * with the given seeds.
 *
 * @param families The families.
 * @param seeds Seed indices k.
 * @param options Policies and filters.
 * @returns One {@linkcode Run} per policy × shape × seed.
 */
export async function measure(
  families: readonly Family[],
  seeds: readonly number[],
  options: MeasureOptions,
): Promise<Run[]> {
  const solver = options.solver ?? await loadSolver();
  const runs: Run[] = [];
  const referenceNames = new Set(referencePolicies().map((p) => p.name));
  for (const family of families) {
    for (const shape of family.shapes) {
      if (options.only !== undefined && !options.only.includes(shape.name)) continue;
      for (const seed of seeds) {
        const workload = shape.generate(seed);
        const c = await comparePolicies(workload, {
          ...options.engine,
          policies: [...options.policies.map((f) => f(workload)), ...referencePolicies()],
          solver,
        });
        const bound = c.optimum!.upperBoundBytes;
        const best = Math.max(
          ...c.summaries.filter((s) => referenceNames.has(s.policy)).map((s) => s.byteHitRatio),
        );
        for (const s of c.summaries) {
          if (options.references === false && referenceNames.has(s.policy)) continue;
          runs.push({
            policy: s.policy,
            family: family.name,
            shape: shape.name,
            seed,
            ofBound: bound > 0 ? s.bytesHit / bound : 1,
            byteHitRatio: s.byteHitRatio,
            bestReference: best,
            bytesLoaded: s.bytesLoaded,
            bytesCopied: s.bytesCopied,
            copies: s.copies,
            evictedBeforeHit: s.evictedBeforeHit,
          });
        }
      }
    }
  }
  return runs;
}

/** Issue 20's figures for a set of runs. */
export interface Figures {
  /** Runs summed up. */
  runs: number;
  /** Mean % of the LP bound (0–100). */
  ofBound: number;
  /** Lowest % of the bound of a single run. */
  minOfBound: number;
  /** Mean margin over the best reference (points of byte hit ratio). */
  margin: number;
  /** Worst run's margin. */
  minMargin: number;
  /** Bytes copied / bytes loaded (%). */
  writes: number;
  /** Copies evicted before a hit / copies (%). */
  early: number;
}

/**
 * Sums up runs into {@linkcode Figures}.
 *
 * @param runs The runs (of one policy).
 * @returns The figures.
 */
export function figures(runs: readonly Run[]): Figures {
  const n = runs.length;
  const sum = (f: (r: Run) => number) => runs.reduce((s, r) => s + f(r), 0);
  const copies = sum((r) => r.copies);
  return {
    runs: n,
    ofBound: (100 * sum((r) => r.ofBound)) / n,
    minOfBound: 100 * Math.min(...runs.map((r) => r.ofBound)),
    margin: (100 * sum((r) => r.byteHitRatio - r.bestReference)) / n,
    minMargin: 100 * Math.min(...runs.map((r) => r.byteHitRatio - r.bestReference)),
    writes: (100 * sum((r) => r.bytesCopied)) / sum((r) => r.bytesLoaded),
    early: copies > 0 ? (100 * sum((r) => r.evictedBeforeHit)) / copies : 0,
  };
}

/** Issue 20's targets. */
export const TARGETS = {
  familyOfBound: 78,
  allOfBound: 80,
  margin: 3,
  writes: 10,
  early: 25,
  worstMargin: -2,
} as const;

/**
 * Which targets a policy's runs miss (empty when it meets them all).
 *
 * @param runs The policy's runs over every family.
 * @returns One line per missed target.
 */
export function missedTargets(runs: readonly Run[]): string[] {
  const out: string[] = [];
  const all = figures(runs);
  const families = [...new Set(runs.map((r) => r.family))];
  for (const family of families) {
    const f = figures(runs.filter((r) => r.family === family));
    if (f.ofBound < TARGETS.familyOfBound) {
      out.push(`${family}: ${f.ofBound.toFixed(1)}% of the bound < ${TARGETS.familyOfBound}%`);
    }
    if (f.margin < TARGETS.margin) {
      out.push(`${family}: margin ${f.margin.toFixed(1)} < ${TARGETS.margin} points`);
    }
    if (f.writes > TARGETS.writes) {
      out.push(`${family}: writes ${f.writes.toFixed(1)}% > ${TARGETS.writes}% of bytes loaded`);
    }
    if (f.early > TARGETS.early) {
      out.push(`${family}: early evictions ${f.early.toFixed(1)}% > ${TARGETS.early}% of copies`);
    }
    if (f.minMargin < TARGETS.worstMargin) {
      out.push(`${family}: worst run ${f.minMargin.toFixed(1)} points behind a reference`);
    }
  }
  if (all.ofBound < TARGETS.allOfBound) {
    out.push(`all: ${all.ofBound.toFixed(1)}% of the bound < ${TARGETS.allOfBound}%`);
  }
  return out;
}

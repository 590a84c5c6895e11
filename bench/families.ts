/**
 * The policy lab's workload families and its seed protocol.
 *
 * Two independent families, built from different models of how people use
 * local models:
 *
 * - `zipf` (`bench/workloads.ts`): loads drawn one at a time from a Zipf
 *   popularity curve with a daily and weekly rhythm, reshuffled at project
 *   switches, optionally a second curve at night.
 * - `sessions` (`bench/sessions.ts`): sessions of work on projects (a Markov
 *   chain) with their own favourites, heavy-tailed breaks, new releases and
 *   one-off trials, A/B bursts between two quants.
 *
 * Every workload shape runs with several seeds: seed `k` of a shape is its
 * spec's seed + k × 1000. **Tuning seeds** (k = 0–9) are the only ones a
 * policy may be tuned on; **held-out seeds** (k = 500–519) are for reporting
 * only.
 *
 * @module
 */

import type { Workload } from "../sim/workload.ts";
import { generateSessions, SESSION_SPECS } from "./sessions.ts";
import { generateWorkload, STANDARD_SPECS } from "./workloads.ts";

/** One workload shape of a family: a generator with its spec. */
export interface WorkloadShape {
  /** The family's name. */
  family: string;
  /** The shape's name, e.g. `project_switch`. */
  name: string;
  /** One line on what it models. */
  description: string;
  /** The workload of seed `k` (spec seed + k × 1000). */
  generate(k: number): Workload;
}

/** A family of workload shapes from one model of use. */
export interface Family {
  /** Its name. */
  name: string;
  /** One line on the model of use. */
  description: string;
  /** Its shapes. */
  shapes: WorkloadShape[];
}

/** The families, `zipf` first. */
export const FAMILIES: readonly Family[] = [
  {
    name: "zipf",
    description: "loads drawn from Zipf popularity, project switches reshuffle it, day/night",
    shapes: STANDARD_SPECS.map((spec) => ({
      family: "zipf",
      name: spec.name,
      description: spec.description,
      generate: (k: number) => generateWorkload({ ...spec, seed: spec.seed + k * 1000 }),
    })),
  },
  {
    name: "sessions",
    description: "project sessions (Markov chain), heavy-tailed breaks, releases, trials, A/B",
    shapes: SESSION_SPECS.map((spec) => ({
      family: "sessions",
      name: spec.name,
      description: spec.description,
      generate: (k: number) => generateSessions({ ...spec, seed: spec.seed + k * 1000 }),
    })),
  },
];

const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

/** Seeds (k) a policy may be tuned on. */
export const TUNING_SEEDS: readonly number[] = Object.freeze(range(0, 10));

/** Seeds (k) never used for tuning: reported only. */
export const HELD_OUT_SEEDS: readonly number[] = Object.freeze(range(500, 20));

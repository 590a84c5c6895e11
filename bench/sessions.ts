/**
 * The second workload family of the policy lab: sessions of work on
 * "projects", each with its own favourite models, instead of loads drawn
 * one by one from a popularity curve (`bench/workloads.ts`).
 *
 * The model of a user:
 *
 * - **A library of base models in several quants** (Q4_K_M, Q5_K_M, Q6_K,
 *   Q8_0; 1–150 GB from the parameter count). New releases join the library
 *   over time (a Poisson process).
 * - **Projects**, a few at a time, each with 2–5 favourite models and
 *   weights. Each session belongs to one project; the next session stays in
 *   it with probability `stayProbability`, otherwise moves to another (a
 *   Markov chain with a random transition row per project). A project ends
 *   after an exponential lifetime and a new one starts, taking some of the old
 *   favourites and some recent releases.
 * - **A daily driver**: one or two models used in any project.
 * - **Heavy-tailed gaps**: activity comes in spells of days; between spells
 *   the user is away for a Pareto-distributed number of days (α = 1.3, at
 *   most 30). On an active day, sessions start at Poisson times that follow
 *   a daily rhythm (an evening rhythm for `evening` users); loads within a
 *   session are minutes to an hour apart.
 * - **One-off trials**: some sessions try a model outside the favourites,
 *   mostly a recent release, once (sometimes twice); a tried release joins
 *   the project's favourites with probability `adoptProbability`.
 * - **A/B bursts**: some sessions compare two quants of one base, loading
 *   them alternately 4–10 times a few minutes apart; the winner may replace
 *   the project's favourite of that base.
 *
 * Deterministic: the same spec (and seed) gives the same workload.
 *
 * @module
 */

import type { Load, Workload } from "../sim/workload.ts";
import { seededRandom } from "./workloads.ts";

/** Parameters of one session workload. */
export interface SessionSpec {
  /** Name shown in the lab's tables. */
  name: string;
  /** One line saying what it models. */
  description: string;
  /** PRNG seed. */
  seed: number;
  /** Base models in the library at the start (each in 1–3 quants). */
  baseModels: number;
  /** Simulated days. */
  days: number;
  /** Projects open at a time. */
  projects: number;
  /** Mean lifetime of a project, days. */
  projectLifeDays: number;
  /** Probability that the next session stays in the same project. */
  stayProbability: number;
  /** Mean sessions on an active day. */
  sessionsPerDay: number;
  /** Mean loads in an ordinary session. */
  loadsPerSession: number;
  /** Mean length of an active spell, days. */
  spellDays: number;
  /** Scale of the away gaps between spells, days (Pareto minimum). */
  awayDays: number;
  /** New base models released per week. */
  releasesPerWeek: number;
  /** Share of sessions that try a model outside the favourites. */
  trialProbability: number;
  /** Probability that a tried release joins the project's favourites. */
  adoptProbability: number;
  /** Share of sessions that compare two quants. */
  abProbability: number;
  /** Share of loads that go to the daily driver. */
  driverShare: number;
  /** Bias of parameter counts towards big models (0 = typical home use, 1 = mostly 30B+). */
  bigModels: number;
  /** Sessions follow an evening rhythm. */
  evening: boolean;
  /** SSD free space as a share of the bytes of the models loaded. */
  ssdShare: number;
}

const GB = 1e9;
const DAY = 86400;
const MINUTE = 60;

/** Bits per weight of the quants a base model comes in. */
const QUANTS = [["Q4_K_M", 4.85], ["Q5_K_M", 5.7], ["Q6_K", 6.6], ["Q8_0", 8.5]] as const;
/** Parameter counts (billions) people run at home, with weights. */
const PARAMS: readonly (readonly [number, number])[] = pairs(
  "1.5:3 3:5 7:10 8:10 9:6 12:6 14:6 24:5 27:4 32:5 70:4 106:1.5 123:1 235:1",
);
/** Relative chance that a session starts in each hour of the day (0–23). */
const DAY_RHYTHM = numbers(
  "0 0 0 0 0 0 0.2 0.6 1.2 1.6 1.6 1.4 0.8 1.2 1.5 1.5 1.3 1 0.6 0.5 0.4 0.3 0.1 0",
);
/** The same for someone who uses models in the evening. */
const EVENING_RHYTHM = numbers(
  "0.3 0.1 0 0 0 0 0 0.1 0.2 0.2 0.3 0.3 0.4 0.3 0.3 0.3 0.4 0.6 1.2 1.8 2 1.8 1.2 0.7",
);

function numbers(text: string): number[] {
  return text.split(" ").map(Number);
}

function pairs(text: string): [number, number][] {
  return text.split(" ").map((p) => p.split(":").map(Number) as [number, number]);
}

interface Base {
  quants: { name: string; size: number }[];
  releasedAt: number;
}

interface Project {
  favourites: { model: string; weight: number }[];
  endsAt: number;
  /** Transition weights to the other projects' slots. */
  next: number[];
}

/**
 * Generates a session workload (deterministic for a given spec).
 *
 * @param spec The parameters.
 * @returns The loads over `spec.days` days (models named `b012-Q5_K_M`) and an
 *   SSD of `spec.ssdShare` of the bytes of the models loaded.
 *
 * @example Same spec, same workload
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateSessions, SESSION_SPECS } from "./sessions.ts";
 * const spec = { ...SESSION_SPECS[0]!, days: 14 };
 * const w = generateSessions(spec);
 * assert(w.loads.length > 20);
 * assert.deepEqual(w, generateSessions(spec));
 * ```
 */
export function generateSessions(spec: SessionSpec): Workload {
  const random = seededRandom(spec.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const weighted = (weights: readonly number[]): number => {
    let u = random() * weights.reduce((a, b) => a + b, 0);
    for (let i = 0; i < weights.length; i++) if ((u -= weights[i]!) < 0) return i;
    return weights.length - 1;
  };
  const exponential = (mean: number) => -Math.log(1 - random()) * mean;
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

  const bases: Base[] = [];
  const addBase = (at: number) => {
    const paramWeights = PARAMS.map(([p, w]) => w * (p >= 24 ? 1 + 4 * spec.bigModels : 1));
    const params = PARAMS[weighted(paramWeights)]![0] * (0.9 + 0.2 * random());
    const count = 1 + weighted([0.35, 0.4, 0.25]);
    const start = Math.floor(random() * (QUANTS.length - count + 1));
    const id = `b${String(bases.length).padStart(3, "0")}`;
    const quants = QUANTS.slice(start, start + count).map(([q, bpw]) => ({
      name: `${id}-${q}`,
      size: Math.round(Math.min(150, Math.max(1, (params * bpw) / 8)) * GB),
    }));
    bases.push({ quants, releasedAt: at });
  };
  for (let i = 0; i < spec.baseModels; i++) addBase(-Infinity);
  const sizeOf = new Map<string, number>();
  const baseOf = new Map<string, Base>();
  const register = () => {
    for (const b of bases) {
      for (const q of b.quants) {
        sizeOf.set(q.name, q.size);
        baseOf.set(q.name, b);
      }
    }
  };
  register();

  /** A model of a base in the quant a user would pick (the middle one). */
  const defaultQuant = (b: Base) => b.quants[Math.floor((b.quants.length - 1) / 2)]!.name;
  const recentBase = (now: number): Base => {
    const recent = bases.filter((b) => now - b.releasedAt < 21 * DAY);
    return recent.length > 0 && random() < 0.7 ? pick(recent) : pick(bases);
  };
  const newProject = (now: number, slot: number, previous?: Project): Project => {
    const favourites: Project["favourites"] = [];
    const count = 2 + Math.floor(random() * 4);
    while (favourites.length < count) {
      const keep = previous !== undefined && random() < 0.3
        ? pick(previous.favourites).model
        : defaultQuant(random() < 0.4 ? recentBase(now) : pick(bases));
      if (favourites.some((f) => f.model === keep)) continue;
      favourites.push({ model: keep, weight: 1 / (favourites.length + 1) ** 1.2 });
    }
    return {
      favourites,
      endsAt: now + exponential(spec.projectLifeDays * DAY),
      // Sessions that leave this project go to another one, some more often than others.
      next: Array.from({ length: spec.projects }, (_, i) => (i === slot ? 0 : random() ** 2)),
    };
  };
  const projects = Array.from({ length: spec.projects }, (_, i) => newProject(0, i));
  const drivers = [defaultQuant(pick(bases))];
  if (random() < 0.5) drivers.push(defaultQuant(pick(bases)));

  const loads: Load[] = [];
  const duration = () =>
    Math.round(Math.min(8 * 3600, Math.max(60, 1500 * Math.exp(1.1 * normal()))));
  const load = (at: number, model: string, length = duration()) =>
    loads.push({ at: Math.round(at), model, size: sizeOf.get(model)!, duration: length });

  let current = 0;
  let nextRelease = exponential((7 / Math.max(1e-9, spec.releasesPerWeek)) * DAY);
  const rhythm = spec.evening ? EVENING_RHYTHM : DAY_RHYTHM;
  let day = 0;
  while (day < spec.days) {
    const spell = Math.max(1, Math.round(exponential(spec.spellDays)));
    for (let d = day; d < Math.min(spec.days, day + spell); d++) {
      const weekend = d % 7 >= 5;
      const sessions = Math.round(
        exponential(spec.sessionsPerDay * (weekend && !spec.evening ? 0.5 : 1)) + 0.3,
      );
      const starts = Array.from(
        { length: sessions },
        () => d * DAY + (weighted(rhythm) + random()) * 3600,
      ).sort((a, b) => a - b);
      let busyUntil = -Infinity;
      for (const start0 of starts) {
        const start = Math.max(start0, busyUntil);
        while (start >= nextRelease) {
          addBase(nextRelease);
          register();
          nextRelease += exponential((7 / spec.releasesPerWeek) * DAY);
        }
        for (let p = 0; p < projects.length; p++) {
          if (projects[p]!.endsAt <= start) projects[p] = newProject(start, p, projects[p]);
        }
        if (random() >= spec.stayProbability && spec.projects > 1) {
          current = weighted(projects[current]!.next);
        }
        const project = projects[current]!;
        let t = start;
        const u = random();
        if (u < spec.abProbability) {
          // Compare two quants of one base, a few minutes apart.
          const candidates = bases.filter((b) => b.quants.length >= 2);
          const favouriteBases = project.favourites.map((f) => baseOf.get(f.model)!)
            .filter((b) => b.quants.length >= 2);
          const base = favouriteBases.length > 0 && random() < 0.6
            ? pick(favouriteBases)
            : candidates.length > 0
            ? pick(candidates)
            : undefined;
          if (base !== undefined) {
            const i = Math.floor(random() * (base.quants.length - 1));
            const pair = [base.quants[i]!.name, base.quants[i + 1]!.name];
            const rounds = 4 + Math.floor(random() * 7);
            for (let r = 0; r < rounds; r++) {
              const gap = (3 + random() * 12) * MINUTE;
              load(t, pair[r % 2]!, Math.round(gap * 0.8));
              t += gap;
            }
            const winner = pick(pair);
            const mine = project.favourites.find((f) => baseOf.get(f.model) === base);
            if (mine !== undefined && random() < 0.5) mine.model = winner;
          }
        } else if (u < spec.abProbability + spec.trialProbability) {
          // A one-off trial, mostly of a recent release.
          const base = recentBase(t);
          const model = defaultQuant(base);
          load(t, model);
          if (random() < 0.3) load(t += (10 + random() * 50) * MINUTE, model);
          t += 30 * MINUTE;
          if (
            t - base.releasedAt < 21 * DAY && random() < spec.adoptProbability &&
            !project.favourites.some((f) => f.model === model)
          ) {
            const last = project.favourites.reduce((a, b) => (b.weight < a.weight ? b : a));
            last.model = model;
          }
        }
        // An ordinary stretch of work (also after a trial or a comparison, sometimes).
        if (u >= spec.abProbability + spec.trialProbability || random() < 0.4) {
          const n = 1 + Math.round(exponential(spec.loadsPerSession - 1));
          for (let k = 0; k < n; k++) {
            const model = random() < spec.driverShare
              ? pick(drivers)
              : project.favourites[weighted(project.favourites.map((f) => f.weight))]!.model;
            load(t, model);
            t += (5 + exponential(25)) * MINUTE;
          }
        }
        busyUntil = t;
      }
    }
    day += spell;
    // Away: a Pareto-distributed number of days.
    day += Math.min(30, Math.floor(spec.awayDays * (1 - random()) ** (-1 / 1.3)));
  }
  loads.sort((a, b) => a.at - b.at);
  const used = new Set(loads.map((l) => l.model));
  let library = 0;
  for (const model of used) library += sizeOf.get(model)!;
  return {
    name: spec.name,
    description: spec.description,
    loads,
    ssdFreeBytes: Math.round(library * spec.ssdShare),
  };
}

const BASE: Omit<SessionSpec, "name" | "description" | "seed"> = {
  baseModels: 40,
  days: 90,
  projects: 4,
  projectLifeDays: 30,
  stayProbability: 0.7,
  sessionsPerDay: 3,
  loadsPerSession: 3,
  spellDays: 6,
  awayDays: 1,
  releasesPerWeek: 1,
  trialProbability: 0.1,
  adoptProbability: 0.3,
  abProbability: 0.04,
  driverShare: 0.15,
  bigModels: 0,
  evening: false,
  ssdShare: 0.15,
};

/** The session family's workloads: each a different kind of user. */
export const SESSION_SPECS: readonly SessionSpec[] = [
  {
    ...BASE,
    name: "focused",
    description: "3 long projects, sessions mostly stay in one, few trials, SSD 15%",
    seed: 1101,
    projects: 3,
    projectLifeDays: 45,
    stayProbability: 0.85,
    trialProbability: 0.05,
  },
  {
    ...BASE,
    name: "juggler",
    description: "6 projects of ~20 days, half the sessions switch project, SSD 12%",
    seed: 1202,
    baseModels: 50,
    projects: 6,
    projectLifeDays: 20,
    stayProbability: 0.5,
    ssdShare: 0.12,
  },
  {
    ...BASE,
    name: "explorer",
    description: "4 releases a week, a third of sessions try one, A/B of quants, SSD 15%",
    seed: 1303,
    releasesPerWeek: 4,
    trialProbability: 0.3,
    adoptProbability: 0.25,
    abProbability: 0.12,
  },
  {
    ...BASE,
    name: "hobbyist",
    description: "evenings, 1 session a day, long breaks (Pareto), 30 base models, SSD 20%",
    seed: 1404,
    baseModels: 30,
    days: 120,
    projects: 2,
    sessionsPerDay: 1.2,
    spellDays: 4,
    awayDays: 3,
    evening: true,
    ssdShare: 0.2,
  },
  {
    ...BASE,
    name: "big_quants",
    description: "mostly 30B+ models, A/B of quants, SSD 10%",
    seed: 1505,
    bigModels: 1,
    abProbability: 0.1,
    ssdShare: 0.1,
  },
];

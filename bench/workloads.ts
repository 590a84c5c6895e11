/**
 * Synthetic workload generators for the policy lab and the benchmarks:
 * Zipf popularity over a library of realistic GGUF sizes (1–150 GB), a daily
 * and weekly rhythm, project switches that reshuffle popularity, an optional
 * day/night split between two sets of favourites, and an SSD sized as a share
 * of the library. Everything is driven by a seeded PRNG: the same spec gives
 * the same workload.
 *
 * @module
 */

import type { Load, Workload } from "../sim/workload.ts";

/** Parameters of one generated workload. */
export interface GeneratorSpec {
  /** Name shown in the lab's table. */
  name: string;
  /** One line saying what it models. */
  description: string;
  /** PRNG seed. */
  seed: number;
  /** Models in the library. */
  models: number;
  /** Simulated days. */
  days: number;
  /** Mean loads on a weekday (weekends are quieter, see {@linkcode GeneratorSpec.weekendFactor}). */
  loadsPerDay: number;
  /** Zipf exponent of the popularity (0.8 flat … 1.3 very skewed). */
  zipfExponent: number;
  /** Mean days between project switches that reshuffle popularity; 0 = never. */
  switchEveryDays: number;
  /** Favourites that keep their place across switches. */
  keepTop: number;
  /** Evenings and nights draw from a second popularity order. */
  dayNight: boolean;
  /** Weekend activity relative to a weekday. */
  weekendFactor: number;
  /** SSD free space as a share of the library's bytes (0.05–0.30). */
  ssdShare: number;
}

/**
 * A small fast seeded PRNG (mulberry32).
 *
 * @param seed Any 32-bit integer.
 * @returns A function giving uniform numbers in [0, 1).
 *
 * @example Same seed, same numbers
 * ```ts
 * import { seededRandom } from "./workloads.ts";
 * const a = seededRandom(7), b = seededRandom(7);
 * console.assert(a() === b() && a() === b());
 * ```
 */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GB = 1e9;
const HOUR = 3600;
const DAY = 86400;

/** Relative load activity per hour of the day (0–23). */
const HOUR_WEIGHT = [
  0.1,
  0.05,
  0.05,
  0.05,
  0.05,
  0.1,
  0.3,
  0.8,
  1.5,
  2,
  2,
  1.8,
  1.2,
  1.6,
  1.8,
  1.8,
  1.6,
  1.3,
  1,
  1.1,
  1.2,
  1,
  0.6,
  0.3,
];
const HOUR_TOTAL = HOUR_WEIGHT.reduce((a, b) => a + b, 0);

/**
 * Draws a realistic GGUF file size: mostly 7–14B quants, some 30B, a few
 * 70B and larger MoE files.
 *
 * @param random The PRNG.
 * @returns Bytes between 1 and 150 GB.
 *
 * @example A size
 * ```ts
 * import { ggufSize, seededRandom } from "./workloads.ts";
 * const size = ggufSize(seededRandom(1));
 * console.assert(size >= 1e9 && size <= 150e9);
 * ```
 */
export function ggufSize(random: () => number): number {
  const u = random();
  const [lo, hi] = u < 0.45 ? [1, 8] : u < 0.75 ? [8, 25] : u < 0.92 ? [25, 60] : [60, 150];
  return Math.round(Math.exp(Math.log(lo) + random() * (Math.log(hi) - Math.log(lo))) * GB);
}

function poisson(random: () => number, mean: number): number {
  if (mean > 50) {
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * z));
  }
  const limit = Math.exp(-mean);
  let k = 0;
  let p = random();
  while (p > limit) {
    k++;
    p *= random();
  }
  return k;
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/**
 * Generates a workload from a spec (deterministic for a given spec).
 *
 * @param spec The parameters.
 * @returns Loads over `spec.days` days of models named `m000`…, and an SSD of
 *   `spec.ssdShare` of the library's bytes.
 *
 * @example A small workload
 * ```ts
 * import { generateWorkload, STANDARD_SPECS } from "./workloads.ts";
 * const w = generateWorkload({ ...STANDARD_SPECS[0]!, days: 7 });
 * console.assert(w.loads.length > 50);
 * console.assert(JSON.stringify(w) === JSON.stringify(generateWorkload({ ...STANDARD_SPECS[0]!, days: 7 })));
 * ```
 */
export function generateWorkload(spec: GeneratorSpec): Workload {
  const random = seededRandom(spec.seed);
  const names = Array.from({ length: spec.models }, (_, i) => `m${String(i).padStart(3, "0")}`);
  const sizes = names.map(() => ggufSize(random));
  const duration = () => {
    const z = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    return Math.round(Math.min(8 * HOUR, Math.max(60, 1800 * Math.exp(1.1 * z))));
  };
  // Zipf CDF over popularity ranks.
  const cdf: number[] = [];
  let total = 0;
  for (let r = 1; r <= spec.models; r++) {
    total += 1 / r ** spec.zipfExponent;
    cdf.push(total);
  }
  const pickRank = () => {
    const u = random() * total;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  let dayOrder = shuffle(names.map((_, i) => i), random);
  let nightOrder = shuffle(names.map((_, i) => i), random);
  const reshuffle = (order: number[]) => {
    const kept = order.slice(0, spec.keepTop);
    return [...kept, ...shuffle(order.slice(spec.keepTop), random)];
  };
  let nextSwitch = spec.switchEveryDays > 0
    ? spec.switchEveryDays * (0.5 + random()) * DAY
    : Infinity;
  const loads: Load[] = [];
  for (let day = 0; day < spec.days; day++) {
    const weekend = day % 7 >= 5;
    for (let hour = 0; hour < 24; hour++) {
      const start = day * DAY + hour * HOUR;
      const mean = spec.loadsPerDay * (HOUR_WEIGHT[hour]! / HOUR_TOTAL) *
        (weekend ? spec.weekendFactor : 1);
      const count = poisson(random, mean);
      const times = Array.from({ length: count }, () => start + Math.floor(random() * HOUR))
        .sort((a, b) => a - b);
      for (const at of times) {
        while (at >= nextSwitch) {
          dayOrder = reshuffle(dayOrder);
          nightOrder = reshuffle(nightOrder);
          nextSwitch += spec.switchEveryDays * (0.5 + random()) * DAY;
        }
        const night = spec.dayNight && (hour >= 19 || hour < 7);
        const index = (night ? nightOrder : dayOrder)[pickRank()]!;
        loads.push({ at, model: names[index]!, size: sizes[index]!, duration: duration() });
      }
    }
  }
  const used = new Set(loads.map((l) => l.model));
  let library = 0;
  names.forEach((name, i) => {
    if (used.has(name)) library += sizes[i]!;
  });
  return {
    name: spec.name,
    description: spec.description,
    loads,
    ssdFreeBytes: Math.round(library * spec.ssdShare),
  };
}

const BASE: Omit<GeneratorSpec, "name" | "description" | "seed"> = {
  models: 80,
  days: 60,
  loadsPerDay: 25,
  zipfExponent: 1,
  switchEveryDays: 0,
  keepTop: 0,
  dayNight: false,
  weekendFactor: 0.4,
  ssdShare: 0.15,
};

/** The policy lab's workloads: each a different stress for the cache policy. */
export const STANDARD_SPECS: readonly GeneratorSpec[] = [
  {
    ...BASE,
    name: "steady_zipf",
    description: "80 models, stable Zipf(1.0) popularity, SSD 15%",
    seed: 101,
  },
  {
    ...BASE,
    name: "project_switch",
    description: "100 models, popularity reshuffled every ~10 days, 2 favourites stay, SSD 15%",
    seed: 202,
    models: 100,
    days: 90,
    loadsPerDay: 20,
    zipfExponent: 1.1,
    switchEveryDays: 10,
    keepTop: 2,
  },
  {
    ...BASE,
    name: "rapid_switch",
    description: "60 models, reshuffled every ~3 days, SSD 20%",
    seed: 303,
    models: 60,
    zipfExponent: 1.2,
    switchEveryDays: 3,
    keepTop: 1,
    ssdShare: 0.2,
  },
  {
    ...BASE,
    name: "day_night",
    description: "70 models, different favourites by day and by night, SSD 10%",
    seed: 404,
    models: 70,
    dayNight: true,
    ssdShare: 0.1,
  },
  {
    ...BASE,
    name: "tight_ssd",
    description: "120 models, Zipf(0.9), switches every ~14 days, SSD 5%",
    seed: 505,
    models: 120,
    loadsPerDay: 30,
    zipfExponent: 0.9,
    switchEveryDays: 14,
    keepTop: 3,
    ssdShare: 0.05,
  },
  {
    ...BASE,
    name: "roomy_ssd",
    description: "40 models, Zipf(1.0), switches every ~20 days, SSD 30%",
    seed: 606,
    models: 40,
    switchEveryDays: 20,
    keepTop: 2,
    ssdShare: 0.3,
  },
];

/**
 * Generates every standard workload.
 *
 * @returns One workload per {@linkcode STANDARD_SPECS} entry.
 *
 * @example Names
 * ```ts
 * import { standardWorkloads } from "./workloads.ts";
 * console.assert(standardWorkloads()[1]!.name === "project_switch");
 * ```
 */
export function standardWorkloads(): Workload[] {
  return STANDARD_SPECS.map(generateWorkload);
}

/**
 * The plain data a simulation runs on: a workload is a list of model loads
 * (when, which model, how big, how long the server ran) plus the SSD space
 * the cache may use.
 *
 * @module
 */

/** One load of a model, as the simulator replays it. */
export interface Load {
  /** When the model was loaded, in seconds (offset from the simulation start, or unix seconds). */
  at: number;
  /** The model's name; loads with the same name are the same model. */
  model: string;
  /** The model file's size in bytes. */
  size: number;
  /** How long the server ran, in seconds; the model cannot be evicted meanwhile. */
  duration: number;
}

/** A scenario to simulate: the loads and the SSD space available to the cache. */
export interface Workload {
  /** A short name for reports, e.g. `daily_work`. */
  name: string;
  /** The loads, sorted by {@linkcode Load.at} (ties keep their order). */
  loads: readonly Load[];
  /** Free bytes on the SSD at the start; the cache may fill them down to the minimum free. */
  ssdFreeBytes: number;
  /** Bytes that must stay free on the SSD; `0` when absent. */
  ssdMinFreeBytes?: number;
  /** Most bytes the cache may hold (`ssd_limit_gb`); no limit when absent. */
  ssdLimitBytes?: number;
  /** One line saying what the workload models. */
  description?: string;
}

/**
 * Sorts loads by time, keeping the given order for equal times.
 *
 * @param loads Loads in any order.
 * @returns A new array sorted by {@linkcode Load.at}.
 *
 * @example Sorting loads
 * ```ts
 * import assert from "node:assert/strict";
 * import { sortLoads } from "./workload.ts";
 * const sorted = sortLoads([
 *   { at: 60, model: "b", size: 1, duration: 0 },
 *   { at: 0, model: "a", size: 1, duration: 0 },
 * ]);
 * assert(sorted[0]!.model === "a");
 * ```
 */
export function sortLoads(loads: readonly Load[]): Load[] {
  return loads
    .map((load, index) => ({ load, index }))
    .sort((a, b) => a.load.at - b.load.at || a.index - b.index)
    .map((entry) => entry.load);
}

/**
 * Sums the sizes of distinct models in a list of loads (the "library" they span).
 *
 * @param loads The loads.
 * @returns Bytes of all distinct models, each counted once.
 *
 * @example Library size
 * ```ts
 * import assert from "node:assert/strict";
 * import { librarySize } from "./workload.ts";
 * const bytes = librarySize([
 *   { at: 0, model: "a", size: 10, duration: 0 },
 *   { at: 5, model: "a", size: 10, duration: 0 },
 *   { at: 9, model: "b", size: 3, duration: 0 },
 * ]);
 * assert(bytes === 13);
 * ```
 */
export function librarySize(loads: readonly Load[]): number {
  const sizes = new Map<string, number>();
  for (const load of loads) sizes.set(load.model, load.size);
  let total = 0;
  for (const size of sizes.values()) total += size;
  return total;
}

/**
 * Bytes the cache may occupy in a workload: the free bytes minus the minimum
 * free, capped by the cache limit.
 *
 * @param workload The workload's SSD figures.
 * @returns The capacity in bytes, ≥ 0.
 *
 * @example Capacity under a minimum free and a limit
 * ```ts
 * import assert from "node:assert/strict";
 * import { cacheCapacity } from "./workload.ts";
 * assert(cacheCapacity({ ssdFreeBytes: 100, ssdMinFreeBytes: 20 }) === 80);
 * assert(cacheCapacity({ ssdFreeBytes: 100, ssdMinFreeBytes: 20, ssdLimitBytes: 50 }) === 50);
 * ```
 */
export function cacheCapacity(
  workload: Pick<Workload, "ssdFreeBytes" | "ssdMinFreeBytes" | "ssdLimitBytes">,
): number {
  const byFree = workload.ssdFreeBytes - (workload.ssdMinFreeBytes ?? 0);
  return Math.max(0, Math.min(byFree, workload.ssdLimitBytes ?? Infinity));
}

/**
 * Reference cache policies to compare llama-pack's policy against, all
 * {@linkcode SimPolicy} implementations for the simulation engine:
 *
 * - {@linkcode lruPolicy}: copy on every miss, evict the least recently used.
 * - {@linkcode lfuDaPolicy}: copy on every miss, evict the lowest
 *   `L + frequency` (LFU with dynamic aging).
 * - {@linkcode gdsfPolicy}: copy on every miss, evict the lowest
 *   `L + frequency / size` (Greedy-Dual-Size-Frequency).
 * - {@linkcode originalPolicy}: the original tool's rule — copy after 2 uses
 *   in 7 days, rank = uses − 2 × days since the last use.
 *
 * Every policy only evicts copies that are ready and not in use, and skips a
 * copy that cannot fit after the evictions it may make.
 *
 * @module
 */

import type { CacheEntry, CacheView, PolicyDecision, SimPolicy } from "./policy_api.ts";
import type { Load } from "./workload.ts";
import { formatSize } from "../lib/core/units.ts";

const DAY = 86400;
const GB = 1e9;

function evictable(view: CacheView): CacheEntry[] {
  return view.entries.filter((e) => e.state === "ready" && e.inUseUntil <= view.now);
}

/**
 * Picks victims lowest priority first until `size` more bytes fit, or
 * `undefined` when they cannot (too big, or too much is protected).
 */
function pickVictims(
  view: CacheView,
  size: number,
  priority: (e: CacheEntry) => number,
  allowed: (e: CacheEntry) => boolean = () => true,
): CacheEntry[] | undefined {
  if (size > view.capacityBytes) return undefined;
  let need = view.usedBytes + size - view.capacityBytes;
  if (need <= 0) return [];
  const ordered = evictable(view)
    .filter(allowed)
    .map((e) => ({ e, p: priority(e) }))
    .sort((a, b) => a.p - b.p || (a.e.model < b.e.model ? -1 : a.e.model > b.e.model ? 1 : 0));
  const out: CacheEntry[] = [];
  for (const { e } of ordered) {
    if (need <= 0) break;
    out.push(e);
    need -= e.size;
  }
  return need <= 0 ? out : undefined;
}

function noFit(load: Load, view: CacheView): string {
  return load.size > view.capacityBytes
    ? `${formatSize(load.size)} is larger than the cache (${formatSize(view.capacityBytes)})`
    : "cannot make room: the copies that would have to go are in use or being copied";
}

/**
 * LRU: copies every missed model, evicting the least recently used copies.
 *
 * @returns A fresh policy instance named `LRU`.
 *
 * @example Running LRU
 * ```ts
 * import assert from "node:assert/strict";
 * import { lruPolicy } from "./reference.ts";
 * import { runSimulation } from "./engine.ts";
 * const loads = [0, 1, 2].map((i) => ({ at: i * 7200, model: `m${i % 2}`, size: 5e9, duration: 60 }));
 * const { summary } = runSimulation({ name: "w", loads, ssdFreeBytes: 20e9 }, lruPolicy());
 * assert(summary.hits === 1);
 * ```
 */
export function lruPolicy(): SimPolicy {
  return {
    name: "LRU",
    onLoad(load, hit, view): PolicyDecision {
      if (hit) return { copy: false, evict: [], reason: "LRU: now most recently used" };
      if (view.entries.some((e) => e.model === load.model)) {
        return { copy: false, evict: [], reason: "copy in progress" };
      }
      const victims = pickVictims(view, load.size, (e) => e.lastUse);
      if (victims === undefined) return { copy: false, evict: [], reason: noFit(load, view) };
      return {
        copy: true,
        evict: victims.map((e) => ({
          model: e.model,
          reason: `LRU: least recently used (last at ${Math.round(e.lastUse)}s)`,
        })),
        reason: "LRU: copy on every miss",
      };
    },
  };
}

/** Shared machinery of the two greedy-dual policies (LFU-DA, GDSF). */
function greedyDual(name: string, value: (freq: number, size: number) => number): SimPolicy {
  let inflation = 0;
  const freq = new Map<string, number>();
  const key = new Map<string, number>();
  return {
    name,
    onLoad(load, hit, view): PolicyDecision {
      const cached = view.entries.some((e) => e.model === load.model);
      if (cached) {
        const f = (freq.get(load.model) ?? 0) + 1;
        freq.set(load.model, f);
        key.set(load.model, inflation + value(f, load.size));
        return {
          copy: false,
          evict: [],
          reason: hit ? `${name}: key ${key.get(load.model)!.toFixed(2)}` : "copy in progress",
        };
      }
      const victims = pickVictims(view, load.size, (e) => key.get(e.model) ?? 0);
      if (victims === undefined) return { copy: false, evict: [], reason: noFit(load, view) };
      const evict = victims.map((e) => {
        const k = key.get(e.model) ?? 0;
        inflation = Math.max(inflation, k);
        freq.delete(e.model);
        key.delete(e.model);
        return { model: e.model, reason: `${name}: lowest key ${k.toFixed(2)}` };
      });
      freq.set(load.model, 1);
      key.set(load.model, inflation + value(1, load.size));
      return { copy: true, evict, reason: `${name}: copy on every miss` };
    },
  };
}

/**
 * LFU-DA: copies every missed model; each copy's key is `L + hits while
 * cached`, where `L` rises to the key of every evicted copy (dynamic aging).
 *
 * @returns A fresh policy instance named `LFU-DA`.
 *
 * @example Running LFU-DA
 * ```ts
 * import assert from "node:assert/strict";
 * import { lfuDaPolicy } from "./reference.ts";
 * import { runSimulation } from "./engine.ts";
 * const loads = ["a", "a", "b", "a"].map((m, i) => ({ at: i * 7200, model: m, size: 5e9, duration: 60 }));
 * const { summary } = runSimulation({ name: "w", loads, ssdFreeBytes: 5e9 }, lfuDaPolicy());
 * assert(summary.hits === 1);
 * ```
 */
export function lfuDaPolicy(): SimPolicy {
  return greedyDual("LFU-DA", (f) => f);
}

/**
 * GDSF: copies every missed model; each copy's key is
 * `L + hits while cached / size in GB`, so small models are kept first.
 *
 * @returns A fresh policy instance named `GDSF`.
 *
 * @example Running GDSF
 * ```ts
 * import assert from "node:assert/strict";
 * import { gdsfPolicy } from "./reference.ts";
 * import { runSimulation } from "./engine.ts";
 * const loads = ["a", "a"].map((m, i) => ({ at: i * 7200, model: m, size: 5e9, duration: 60 }));
 * const { summary } = runSimulation({ name: "w", loads, ssdFreeBytes: 10e9 }, gdsfPolicy());
 * assert(summary.hits === 1);
 * ```
 */
export function gdsfPolicy(): SimPolicy {
  return greedyDual("GDSF", (f, size) => f / (size / GB));
}

/** Options of {@linkcode originalPolicy}. */
export interface OriginalPolicyOptions {
  /**
   * Uses within the window (counting the current one) before a model is copied.
   * @default 2
   */
  minUses?: number;
  /**
   * The window, in seconds.
   * @default 604800 (7 days)
   */
  windowSeconds?: number;
}

/**
 * The original tool's rule: copy a model once it was used `minUses` times
 * within the window; rank = total uses − 2 × days since the last use; make
 * room by evicting lower-ranked copies only (lowest first), else skip.
 *
 * @param options The admission threshold and window.
 * @returns A fresh policy instance named e.g. `original (≥2 in 7d)`.
 *
 * @example Running the original rule
 * ```ts
 * import assert from "node:assert/strict";
 * import { originalPolicy } from "./reference.ts";
 * import { runSimulation } from "./engine.ts";
 * const loads = [0, 1, 2].map((i) => ({ at: i * 7200, model: "a", size: 5e9, duration: 60 }));
 * const { summary } = runSimulation({ name: "w", loads, ssdFreeBytes: 10e9 }, originalPolicy());
 * assert(summary.copies === 1 && summary.hits === 1);
 * ```
 */
export function originalPolicy(options: OriginalPolicyOptions = {}): SimPolicy {
  const minUses = options.minUses ?? 2;
  const windowSeconds = options.windowSeconds ?? 7 * DAY;
  const uses = new Map<string, number[]>();
  const rank = (model: string, now: number): number => {
    const times = uses.get(model) ?? [];
    const last = times[times.length - 1] ?? now;
    return times.length - 2 * ((now - last) / DAY);
  };
  const windowLabel = windowSeconds % DAY === 0 ? `${windowSeconds / DAY}d` : `${windowSeconds}s`;
  return {
    name: `original (≥${minUses} in ${windowLabel})`,
    onLoad(load, hit, view): PolicyDecision {
      const now = view.now;
      const times = uses.get(load.model) ?? [];
      times.push(now);
      uses.set(load.model, times);
      const own = rank(load.model, now);
      if (hit) return { copy: false, evict: [], reason: `rank ${own.toFixed(1)}` };
      if (view.entries.some((e) => e.model === load.model)) {
        return { copy: false, evict: [], reason: "copy in progress" };
      }
      let recent = 0;
      for (let i = times.length - 1; i >= 0 && times[i]! > now - windowSeconds; i--) recent++;
      if (recent < minUses) {
        return {
          copy: false,
          evict: [],
          reason: `${recent} use(s) in ${windowLabel}, needs ${minUses}`,
        };
      }
      const victims = pickVictims(
        view,
        load.size,
        (e) => rank(e.model, now),
        (e) => rank(e.model, now) < own,
      );
      if (victims === undefined) {
        return {
          copy: false,
          evict: [],
          reason: load.size > view.capacityBytes
            ? noFit(load, view)
            : `no room without evicting copies ranked at or above ${own.toFixed(1)}`,
        };
      }
      return {
        copy: true,
        evict: victims.map((e) => ({
          model: e.model,
          reason: `rank ${rank(e.model, now).toFixed(1)} < ${own.toFixed(1)}`,
        })),
        reason: `${recent} uses in ${windowLabel}, rank ${own.toFixed(1)}`,
      };
    },
  };
}

/**
 * All reference policies, fresh instances, in report order.
 *
 * @returns LRU, LFU-DA, GDSF and the original rule.
 *
 * @example Listing the references
 * ```ts
 * import assert from "node:assert/strict";
 * import { referencePolicies } from "./reference.ts";
 * assert(referencePolicies().map((p) => p.name).join(", ") === "LRU, LFU-DA, GDSF, original (≥2 in 7d)");
 * ```
 */
export function referencePolicies(): SimPolicy[] {
  return [lruPolicy(), lfuDaPolicy(), gdsfPolicy(), originalPolicy()];
}

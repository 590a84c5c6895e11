/**
 * The virtual-time simulation engine: replays a workload's loads against an
 * SSD cache run by a pluggable {@linkcode SimPolicy}. No sleeping and no disk
 * I/O: a copy takes `size / bandwidth` virtual seconds and the model is not on
 * the SSD until it finishes; a model is in use (cannot be evicted) while its
 * server runs. The engine enforces the rules every policy must keep (never
 * over capacity, never evict an in-use or copying model) and counts hits.
 *
 * @module
 */

import { cacheCapacity, type Load, type Workload } from "./workload.ts";

/** One model on the simulated SSD, as policies see it. */
export interface CacheEntry {
  /** The model's name. */
  readonly model: string;
  /** Its size in bytes (counted against the capacity from the copy's start). */
  readonly size: number;
  /** `"copying"` until {@linkcode CacheEntry.readyAt}, then `"ready"` (a verified copy). */
  readonly state: "copying" | "ready";
  /** When the copy finishes (or finished). */
  readonly readyAt: number;
  /** The model's server runs until this time; it cannot be evicted before. */
  readonly inUseUntil: number;
  /** When the model was last loaded. */
  readonly lastUse: number;
  /** When the copy was admitted. */
  readonly admittedAt: number;
  /** Loads served from this copy so far. */
  readonly hits: number;
}

/** What a policy sees of the SSD when it decides. */
export interface CacheView {
  /** The current virtual time (the load's time). */
  readonly now: number;
  /** Bytes the cache may occupy: initial free bytes minus the minimum free, capped by the limit. */
  readonly capacityBytes: number;
  /** Bytes occupied by copies (ready or copying). */
  readonly usedBytes: number;
  /** Free bytes on the SSD now (initial free bytes minus {@linkcode CacheView.usedBytes}). */
  readonly freeBytes: number;
  /** Bytes that must stay free. */
  readonly minFreeBytes: number;
  /** Most bytes the cache may hold; `undefined` for no limit. */
  readonly limitBytes: number | undefined;
  /** Copies on the SSD, oldest admission first. */
  readonly entries: readonly CacheEntry[];
  /** Whether the run records a timeline, i.e. whether decisions need their reasons. */
  readonly explain: boolean;
}

/** One eviction a policy asks for. */
export interface EvictionRequest {
  /** The model to remove from the SSD. */
  model: string;
  /** Why, for the timeline. */
  reason: string;
}

/** A policy's answer for one load. */
export interface PolicyDecision {
  /** Copy the loaded model to the SSD (ignored when it is there or being copied). */
  copy: boolean;
  /** Copies to remove first, in order. */
  evict: readonly EvictionRequest[];
  /** Why it copies, keeps or skips, for the timeline. */
  reason: string;
}

/**
 * A cache policy the engine can run. Policies keep their own state (counts,
 * estimates), so use a fresh instance for every run.
 */
export interface SimPolicy {
  /** The name shown in reports, e.g. `LRU`. */
  readonly name: string;
  /**
   * Decides what to do on a load. Called for every load after the engine has
   * settled finished copies, counted the hit and marked the model in use.
   *
   * @param load The load.
   * @param hit Whether a ready copy served it.
   * @param view The SSD now.
   * @returns Evictions and whether to copy.
   */
  onLoad(load: Load, hit: boolean, view: CacheView): PolicyDecision;
}

/** One line of the `-v` timeline. */
export interface TimelineEvent {
  /** Virtual time in seconds. */
  at: number;
  /**
   * `hit` served from SSD, `miss` served from HDD and not copied, `copy` a copy
   * started, `copied` a copy finished, `evict` a copy removed.
   */
  kind: "hit" | "miss" | "copy" | "copied" | "evict";
  /** The model. */
  model: string;
  /** Its size in bytes. */
  size: number;
  /** The policy's reason (or the engine's, for `copied`). */
  reason: string;
}

/** One model left on the SSD at the end. */
export interface FinalCopy {
  /** The model. */
  model: string;
  /** Its size in bytes. */
  size: number;
  /** Loads it served. */
  hits: number;
}

/** The figures of one run. */
export interface SimulationSummary {
  /** The policy's name. */
  policy: string;
  /** Number of loads. */
  loads: number;
  /** Loads served from a ready SSD copy. */
  hits: number;
  /** Bytes of all loads. */
  bytesLoaded: number;
  /** Bytes of loads served from SSD. */
  bytesHit: number;
  /** `bytesHit / bytesLoaded` (0 without loads). */
  byteHitRatio: number;
  /** Estimated seconds spent loading with every load from HDD. */
  loadSecondsWithoutCache: number;
  /** Estimated seconds spent loading, hits read from SSD. */
  loadSecondsWithCache: number;
  /** Copies started. */
  copies: number;
  /** Bytes written to SSD by copies. */
  bytesCopied: number;
  /** Copies removed. */
  evictions: number;
  /** Copies removed before they served any load. */
  evictedBeforeHit: number;
  /** Most bytes the cache held at once. */
  peakUsedBytes: number;
  /** Copies on the SSD at the end (after pending copies finish), by admission. */
  finalContents: FinalCopy[];
}

/** The outcome of {@linkcode runSimulation}. */
export interface SimulationResult {
  /** The figures. */
  summary: SimulationSummary;
  /** Every event in time order; empty unless {@linkcode EngineOptions.timeline} is set. */
  timeline: TimelineEvent[];
}

/** Options of {@linkcode runSimulation}. */
export interface EngineOptions {
  /**
   * HDD read bandwidth, bytes per second (loads from HDD and copies read at it).
   * @default 150e6
   */
  hddReadBytesPerSecond?: number;
  /**
   * SSD read bandwidth, bytes per second (loads from SSD).
   * @default 2000e6
   */
  ssdReadBytesPerSecond?: number;
  /**
   * SSD write bandwidth, bytes per second; a copy runs at the lower of this and
   * the HDD read bandwidth.
   * @default 500e6
   */
  ssdWriteBytesPerSecond?: number;
  /**
   * Record the timeline (costs memory on long workloads).
   * @default false
   */
  timeline?: boolean;
}

/** Defaults of {@linkcode EngineOptions}. */
export const ENGINE_DEFAULTS = {
  hddReadBytesPerSecond: 150e6,
  ssdReadBytesPerSecond: 2000e6,
  ssdWriteBytesPerSecond: 500e6,
} as const;

interface MutableEntry {
  model: string;
  size: number;
  state: "copying" | "ready";
  readyAt: number;
  inUseUntil: number;
  lastUse: number;
  admittedAt: number;
  hits: number;
}

/**
 * Runs one policy over a workload in virtual time.
 *
 * Copies run one at a time in admission order at `min(HDD read, SSD write)`
 * bandwidth; a copy's bytes count against the capacity from its start.
 *
 * @param workload The loads (sorted by time) and the SSD space.
 * @param policy A fresh policy instance.
 * @param options Bandwidths and whether to record the timeline.
 * @returns The summary and (optionally) the timeline.
 * @throws {Error} When the policy breaks a rule: evicts a model that is not on
 *   the SSD, in use or being copied, or copies beyond the capacity (a bug in
 *   the policy, not bad user input).
 *
 * @example Copy on the first load, hit on the second
 * ```ts
 * import assert from "node:assert/strict";
 * import { runSimulation, type SimPolicy } from "./engine.ts";
 * const copyAll: SimPolicy = {
 *   name: "copy-all",
 *   onLoad: (_load, hit) => ({ copy: !hit, evict: [], reason: "always" }),
 * };
 * const { summary } = runSimulation({
 *   name: "two loads",
 *   ssdFreeBytes: 100e9,
 *   loads: [
 *     { at: 0, model: "a", size: 10e9, duration: 3600 },
 *     { at: 86400, model: "a", size: 10e9, duration: 3600 },
 *   ],
 * }, copyAll);
 * assert(summary.hits === 1 && summary.byteHitRatio === 0.5);
 * ```
 */
export function runSimulation(
  workload: Workload,
  policy: SimPolicy,
  options: EngineOptions = {},
): SimulationResult {
  const hddRead = options.hddReadBytesPerSecond ?? ENGINE_DEFAULTS.hddReadBytesPerSecond;
  const ssdRead = options.ssdReadBytesPerSecond ?? ENGINE_DEFAULTS.ssdReadBytesPerSecond;
  const ssdWrite = options.ssdWriteBytesPerSecond ?? ENGINE_DEFAULTS.ssdWriteBytesPerSecond;
  const copyRate = Math.min(hddRead, ssdWrite);
  const record = options.timeline ?? false;
  const minFree = workload.ssdMinFreeBytes ?? 0;
  const capacity = cacheCapacity(workload);
  const limit = workload.ssdLimitBytes;

  const entries = new Map<string, MutableEntry>();
  /** Per model: until when a server started on it runs (from either tier). */
  const runningUntil = new Map<string, number>();
  const pending: MutableEntry[] = []; // copies not yet ready, in readyAt order
  const timeline: TimelineEvent[] = [];
  let used = 0;
  let copyFreeAt = -Infinity;
  const s: SimulationSummary = {
    policy: policy.name,
    loads: 0,
    hits: 0,
    bytesLoaded: 0,
    bytesHit: 0,
    byteHitRatio: 0,
    loadSecondsWithoutCache: 0,
    loadSecondsWithCache: 0,
    copies: 0,
    bytesCopied: 0,
    evictions: 0,
    evictedBeforeHit: 0,
    peakUsedBytes: 0,
    finalContents: [],
  };

  const settle = (now: number) => {
    while (pending.length > 0 && pending[0]!.readyAt <= now) {
      const entry = pending.shift()!;
      entry.state = "ready";
      if (record) {
        timeline.push({
          at: entry.readyAt,
          kind: "copied",
          model: entry.model,
          size: entry.size,
          reason: "copy finished, verified",
        });
      }
    }
  };

  let lastAt = -Infinity;
  for (const load of workload.loads) {
    const now = load.at;
    if (now < lastAt) {
      throw new Error(`runSimulation: loads are not sorted by time (${now} after ${lastAt})`);
    }
    lastAt = now;
    settle(now);
    const entry = entries.get(load.model);
    const hit = entry !== undefined && entry.state === "ready";
    s.loads++;
    s.bytesLoaded += load.size;
    s.loadSecondsWithoutCache += load.size / hddRead;
    s.loadSecondsWithCache += load.size / (hit ? ssdRead : hddRead);
    if (hit) {
      s.hits++;
      s.bytesHit += load.size;
      entry.hits++;
    }
    const runsUntil = Math.max(runningUntil.get(load.model) ?? -Infinity, now + load.duration);
    runningUntil.set(load.model, runsUntil);
    if (entry !== undefined) {
      entry.lastUse = now;
      entry.inUseUntil = runsUntil;
    }

    const view: CacheView = {
      now,
      capacityBytes: capacity,
      usedBytes: used,
      freeBytes: workload.ssdFreeBytes - used,
      minFreeBytes: minFree,
      limitBytes: limit,
      entries: [...entries.values()],
      explain: record,
    };
    const decision = policy.onLoad(load, hit, view);

    for (const victim of decision.evict) {
      const e = entries.get(victim.model);
      if (e === undefined) {
        throw new Error(`policy ${policy.name} evicted '${victim.model}', which is not on the SSD`);
      }
      if (e.state !== "ready") {
        throw new Error(`policy ${policy.name} evicted '${victim.model}' while it is being copied`);
      }
      if (e.inUseUntil > now) {
        throw new Error(`policy ${policy.name} evicted '${victim.model}' while it is in use`);
      }
      entries.delete(victim.model);
      used -= e.size;
      s.evictions++;
      if (e.hits === 0) s.evictedBeforeHit++;
      if (record) {
        timeline.push({
          at: now,
          kind: "evict",
          model: e.model,
          size: e.size,
          reason: victim.reason,
        });
      }
    }

    if (hit) {
      if (record) {
        timeline.push({
          at: now,
          kind: "hit",
          model: load.model,
          size: load.size,
          reason: decision.reason,
        });
      }
    } else if (decision.copy && !entries.has(load.model)) {
      if (used + load.size > capacity) {
        throw new Error(
          `policy ${policy.name} copied '${load.model}' beyond the capacity (${
            used + load.size
          } > ${capacity} bytes)`,
        );
      }
      const start = Math.max(now, copyFreeAt);
      const readyAt = start + load.size / copyRate;
      copyFreeAt = readyAt;
      const fresh: MutableEntry = {
        model: load.model,
        size: load.size,
        state: "copying",
        readyAt,
        inUseUntil: runsUntil,
        lastUse: now,
        admittedAt: now,
        hits: 0,
      };
      entries.set(load.model, fresh);
      pending.push(fresh);
      used += load.size;
      s.peakUsedBytes = Math.max(s.peakUsedBytes, used);
      s.copies++;
      s.bytesCopied += load.size;
      if (record) {
        timeline.push({
          at: now,
          kind: "copy",
          model: load.model,
          size: load.size,
          reason: decision.reason,
        });
      }
    } else if (record) {
      const reason = entry !== undefined ? "copy in progress, served from HDD" : decision.reason;
      timeline.push({ at: now, kind: "miss", model: load.model, size: load.size, reason });
    }
  }
  settle(Infinity);
  s.byteHitRatio = s.bytesLoaded > 0 ? s.bytesHit / s.bytesLoaded : 0;
  s.finalContents = [...entries.values()].map((e) => ({
    model: e.model,
    size: e.size,
    hits: e.hits,
  }));
  return { summary: s, timeline };
}

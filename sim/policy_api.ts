/**
 * What the simulator and its policies exchange: the view of the simulated
 * SSD a policy decides on, its decisions, the timeline and the figures of a
 * run (see {@link ./engine.ts}).
 *
 * @module
 */

import type { Load } from "./workload.ts";

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

/** One copy a policy starts while nothing loads (see {@linkcode SimPolicy.onIdle}). */
export interface IdleCopy {
  /** The model to copy. */
  model: string;
  /** Its size in bytes. */
  size: number;
  /** Why, for the timeline. */
  reason: string;
}

/** What a policy does in a quiet spell: evictions first, then copies, in order. */
export interface IdleDecision {
  /** Copies to remove first. */
  evict: readonly EvictionRequest[];
  /** Models to copy (each must fit once the evictions are done). */
  copy: readonly IdleCopy[];
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
  /**
   * Optional idle-time refill: called once per quiet spell (no load, no
   * server running and no copy in flight for
   * {@linkcode EngineOptions.idleAfterSeconds}), with nothing in use.
   *
   * @param view The SSD at the start of the quiet spell.
   * @returns Evictions and copies to make now.
   */
  onIdle?(view: CacheView): IdleDecision;
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
  /** Copies started (on loads and, with {@linkcode SimPolicy.onIdle}, while idle). */
  copies: number;
  /** Copies started while idle ({@linkcode SimPolicy.onIdle}); part of `copies`. */
  idleCopies: number;
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
  /**
   * Seconds of quiet (no load, no server running, no copy in flight) after
   * which a policy's {@linkcode SimPolicy.onIdle} is asked for a refill.
   * @default 1800
   */
  idleAfterSeconds?: number;
}

/** Defaults of {@linkcode EngineOptions}. */
export const ENGINE_DEFAULTS = {
  hddReadBytesPerSecond: 150e6,
  ssdReadBytesPerSecond: 2000e6,
  ssdWriteBytesPerSecond: 500e6,
  idleAfterSeconds: 1800,
} as const;

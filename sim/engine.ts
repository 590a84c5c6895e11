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

import { cacheCapacity, type Workload } from "./workload.ts";
import {
  type CacheEntry,
  type CacheView,
  ENGINE_DEFAULTS,
  type EngineOptions,
  type SimPolicy,
  type SimulationResult,
  type SimulationSummary,
  type TimelineEvent,
} from "./policy_api.ts";

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
 * bandwidth; a copy's bytes count against the capacity from its start. A
 * policy with {@linkcode SimPolicy.onIdle} is asked once per quiet spell
 * (see {@linkcode EngineOptions.idleAfterSeconds}) whether to refill the SSD.
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
 * import { runSimulation } from "./engine.ts";
 * import { type SimPolicy } from "./policy_api.ts";
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
  /** Per model: its last load. */
  const loadedAt = new Map<string, number>();
  const pending: MutableEntry[] = []; // copies not yet ready, in readyAt order
  const timeline: TimelineEvent[] = [];
  let used = 0;
  let copyFreeAt = -Infinity;
  /** When the last server started so far stops. */
  let busyUntil = -Infinity;
  const idleAfter = options.idleAfterSeconds ?? ENGINE_DEFAULTS.idleAfterSeconds;
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
    idleCopies: 0,
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
  /** The entries as a list, rebuilt only after a copy starts or an eviction. */
  let list: CacheEntry[] | undefined;
  const viewAt = (now: number): CacheView => ({
    now,
    capacityBytes: capacity,
    usedBytes: used,
    freeBytes: workload.ssdFreeBytes - used,
    minFreeBytes: minFree,
    limitBytes: limit,
    entries: list ??= [...entries.values()],
    explain: record,
  });
  const evict = (model: string, reason: string, now: number) => {
    const e = entries.get(model);
    if (e === undefined) {
      throw new Error(`policy ${policy.name} evicted '${model}', which is not on the SSD`);
    }
    if (e.state !== "ready") {
      throw new Error(`policy ${policy.name} evicted '${model}' while it is being copied`);
    }
    if (e.inUseUntil > now) {
      throw new Error(`policy ${policy.name} evicted '${model}' while it is in use`);
    }
    entries.delete(model);
    list = undefined;
    used -= e.size;
    s.evictions++;
    if (e.hits === 0) s.evictedBeforeHit++;
    if (record) timeline.push({ at: now, kind: "evict", model, size: e.size, reason });
  };
  const copy = (model: string, size: number, now: number, reason: string) => {
    if (used + size > capacity) {
      throw new Error(
        `policy ${policy.name} copied '${model}' beyond the capacity (${
          used + size
        } > ${capacity} bytes)`,
      );
    }
    const start = Math.max(now, copyFreeAt);
    const readyAt = start + size / copyRate;
    copyFreeAt = readyAt;
    const fresh: MutableEntry = {
      model,
      size,
      state: "copying",
      readyAt,
      inUseUntil: runningUntil.get(model) ?? -Infinity,
      lastUse: loadedAt.get(model) ?? now,
      admittedAt: now,
      hits: 0,
    };
    entries.set(model, fresh);
    list = undefined;
    pending.push(fresh);
    used += size;
    s.peakUsedBytes = Math.max(s.peakUsedBytes, used);
    s.copies++;
    s.bytesCopied += size;
    if (record) timeline.push({ at: now, kind: "copy", model, size, reason });
  };
  /** A quiet spell: the policy may refill the SSD. */
  const idle = (now: number) => {
    settle(now);
    const decision = policy.onIdle!(viewAt(now));
    for (const victim of decision.evict) evict(victim.model, victim.reason, now);
    for (const c of decision.copy) {
      if (entries.has(c.model)) continue;
      copy(c.model, c.size, now, c.reason);
      s.idleCopies++;
    }
  };

  let lastAt = -Infinity;
  for (const load of workload.loads) {
    const now = load.at;
    if (now < lastAt) {
      throw new Error(`runSimulation: loads are not sorted by time (${now} after ${lastAt})`);
    }
    if (policy.onIdle !== undefined && lastAt > -Infinity) {
      const quiet = Math.max(lastAt, busyUntil, copyFreeAt) + idleAfter;
      if (quiet < now) idle(quiet);
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
    loadedAt.set(load.model, now);
    busyUntil = Math.max(busyUntil, runsUntil);
    if (entry !== undefined) {
      entry.lastUse = now;
      entry.inUseUntil = runsUntil;
    }

    const decision = policy.onLoad(load, hit, viewAt(now));
    for (const victim of decision.evict) evict(victim.model, victim.reason, now);
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
      copy(load.model, load.size, now, decision.reason);
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

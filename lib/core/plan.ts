/**
 * The SSD cache planner: whether a model should be copied to the SSD now,
 * which cached copies to evict for it, and which HDD models deserve the SSD
 * once space frees up. Pure: it takes the space picture, the cached copies and
 * the candidate (with rates from {@link ./rank.ts}) and returns a plan with a
 * reason for every choice and every refusal.
 *
 * ## The policy
 *
 * A copy's *value* is the SSD loads it is expected to serve: its rate (uses
 * per week) × its size, shown in GiB/wk. Keeping a copy costs its size in SSD
 * space and serving it saves its size in HDD reads, so size cancels in the
 * ranking: copies are ranked by rate, and size enters only the admission test.
 *
 * 1. **Gates.** Nothing is planned for a copy that is already on the SSD, for
 *    a model pinned to the HDD (`noCache`), for one with fewer than
 *    {@linkcode CachePolicy.minUses} uses in the last
 *    {@linkcode CachePolicy.windowSeconds}, or for one with rate 0.
 * 2. **Room.** `room = min(freeBytes − minFreeBytes, limitBytes − cacheUsedBytes)`.
 *    If the candidate fits in `room` it is copied. Otherwise it needs
 *    {@linkcode CachePolicy.minUsesToEvict} uses in the window to go on.
 * 3. **Victims.** Otherwise only copies that are not pinned, not in use by a
 *    running server, not SSD-only and ranked strictly below the candidate may
 *    go. Among those, the planner picks the set that frees enough room while
 *    losing the least value (a branch-and-bound search over copies ordered by
 *    rate, i.e. value per byte, starting from the greedy lowest-rate-first
 *    set; any copy that turns out unnecessary is dropped). So one 70 GiB copy
 *    versus five 8 GiB copies is decided by the GiB/wk each choice loses, and
 *    the reason names the alternative.
 * 4. **Value-based admission.** The candidate is copied only if its value
 *    exceeds {@linkcode CachePolicy.valueMargin} × the value of the copies it
 *    displaces. This keeps the SSD (and its write budget) for copies that pay.
 * 5. **Idle hazard.** When the caller passes {@linkcode PlacementInput.now},
 *    a copy that has not been used for a while is valued (for choosing
 *    victims and for the admission test, not for the "ranked below" rule) at
 *    its rate × the chance it is still in use: with `n = rate × idle time`
 *    the uses it should have seen, `e^−n / (e^−n + (1 − e^−n)/κ)`,
 *    κ = {@linkcode CachePolicy.idleHazard}. A copy that missed about
 *    `ln κ` of its expected uses counts about half.
 *
 * Ties break by rate, then last use, then id, so plans are deterministic and
 * independent of input order. Because victims always rank below the
 * candidate, applying a plan and re-planning never undoes it.
 *
 * ## Why these defaults
 *
 * Measured with the policy lab over 10 seeds of each generated workload
 * (`bench/policy_seeds.ts`, `bench/RESULTS.md`), as llama-pack's byte hit
 * ratio minus the best reference policy's (LRU, LFU-DA, GDSF, the original
 * rule) on each seed, mean over the seeds:
 *
 * | rule | steady | project switch | rapid switch | day/night | tight SSD | roomy SSD |
 * |---|---:|---:|---:|---:|---:|---:|
 * | before: 3 uses in 7 days, one fixed rank | +0.1 | −1.8 | −2.9 | −0.4 | +1.7 | +1.7 |
 * | 1 use into free room, 2 to displace, `steady` profile only | +1.7 | +0.5 | −2.0 | +0.9 | +1.8 | +2.5 |
 * | the same with adaptive profiles ({@link ./adapt.ts}): the default | +1.3 | +1.3 | +1.7 | +0.4 | +1.8 | +3.0 |
 *
 * With value-based admission a count gate mostly delays copies that free
 * room would hold anyway, so {@linkcode CachePolicy.minUses} defaults to 1;
 * {@linkcode CachePolicy.minUsesToEvict} (2 in the `steady` and `shifting`
 * profiles, 1 in `rapid`) keeps one-off tries from displacing copies. The
 * original "3+ uses within 7 days" is `cache.min_uses: 3`, at a cost of 1–5
 * points (`bench/RESULTS.md`).
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import { formatDuration, formatSize, GIB } from "./units.ts";
import { formatRank, type UseEvent } from "./rank.ts";

/** The admission and eviction policy. */
export interface CachePolicy {
  /**
   * Uses within {@linkcode CachePolicy.windowSeconds} a model needs before it
   * is copied at all (into free room; see {@linkcode CachePolicy.minUsesToEvict}).
   * @default {1}
   */
  minUses: number;
  /**
   * The window, in seconds, in which {@linkcode CachePolicy.minUses} are counted.
   * @default {604800} (7 days)
   */
  windowSeconds: number;
  /**
   * The candidate's value (rate × size) must exceed this many times the value
   * of the copies it displaces. Above 1 adds hysteresis.
   * @default {1}
   */
  valueMargin?: number;
  /**
   * Idle hazard κ: when {@linkcode PlacementInput.now} is given, a copy idle
   * for `t` seconds counts at its rate × `e^−n / (e^−n + (1 − e^−n)/κ)` with
   * `n = rate × t`, the chance it is still in use (its popularity may have
   * moved on). `Infinity` turns it off.
   * @default {5}
   */
  idleHazard?: number;
  /**
   * Work limit of the exact victim search (search nodes); past it the best
   * set found so far is used (at worst the greedy lowest-rate-first set).
   * @default {20000}
   */
  maxSearchNodes?: number;
  /**
   * Uses within {@linkcode CachePolicy.windowSeconds} a model needs before it
   * may displace other copies; below it, it is copied only into free room.
   * Never below {@linkcode CachePolicy.minUses} in effect.
   * @default {2}
   */
  minUsesToEvict?: number;
}

/**
 * The default policy (the `steady` profile of {@link ./adapt.ts}): copy into
 * free room from the first use, displace other copies from the second use in
 * 7 days, strict value comparison, idle hazard 5 (see the module doc).
 */
export const DEFAULT_CACHE_POLICY: CachePolicy = Object.freeze({
  minUses: 1,
  windowSeconds: 7 * 86400,
  valueMargin: 1,
  idleHazard: 5,
  maxSearchNodes: 20000,
  minUsesToEvict: 2,
});

/** The SSD's capacity picture, in bytes. */
export interface SsdSpace {
  /** Free bytes on the SSD file system now. */
  freeBytes: number;
  /** Free bytes that must remain (`ssd_min_free_gb`). */
  minFreeBytes: number;
  /** Most bytes the cache may hold (`ssd_limit_gb`); no limit when absent. */
  limitBytes?: number;
  /** Bytes the cached copies hold now. */
  cacheUsedBytes: number;
}

/** A model copy on the SSD. */
export interface CachedCopy {
  /** The model's id. */
  id: string;
  /** Size in bytes. */
  size: number;
  /** Rank: estimated uses per week. */
  rate: number;
  /** Pinned to the SSD by the user: never evicted. */
  pinned: boolean;
  /** Loaded by a running server: never evicted. */
  inUse: boolean;
  /** No HDD original: evicting would lose the model. */
  ssdOnly: boolean;
  /** Last use, unix seconds; older goes first on equal rate. */
  lastUse?: number;
}

/** A model that could be copied to the SSD. */
export interface Candidate {
  /** The model's id. */
  id: string;
  /** Size in bytes. */
  size: number;
  /** Rank: estimated uses per week. */
  rate: number;
  /** Uses within the policy's window (see {@linkcode countUsesInWindow}). */
  usesInWindow: number;
  /** Pinned to the HDD by the user: never copied. */
  noCache: boolean;
}

/** One eviction of a plan. */
export interface PlannedEviction {
  /** The evicted copy's id. */
  id: string;
  /** Its size in bytes. */
  size: number;
  /** Why it goes. */
  reason: string;
}

/** What to do for one candidate: evict these (in order), then copy or not. */
export interface PlacementPlan {
  /** The candidate's id. */
  id: string;
  /** Whether to copy the candidate to the SSD (after the evictions). */
  copy: boolean;
  /** Copies to evict first, lowest value first; empty when `copy` is false. */
  evict: PlannedEviction[];
  /** Why the candidate is or is not copied. */
  reason: string;
  /** Copies that could not be evicted, and why (only when eviction was needed). */
  refused: { id: string; reason: string }[];
}

/** Input of {@linkcode planPlacement}. */
export interface PlacementInput {
  /** The SSD's capacity picture. */
  space: SsdSpace;
  /** The copies on the SSD now. */
  cached: readonly CachedCopy[];
  /** The model that could be copied. */
  candidate: Candidate;
  /** The policy; {@linkcode DEFAULT_CACHE_POLICY} when absent. */
  policy?: CachePolicy;
  /** The current time, unix seconds; lets the planner weigh how long copies were idle. */
  now?: number;
  /**
   * Write the reasons (`reason`, `refused`, each eviction's `reason`); `false`
   * leaves them empty and makes the same decision faster.
   * @default {true}
   */
  explain?: boolean;
}

/** Input of {@linkcode planRefill}. */
export interface RefillInput {
  /** The SSD's capacity picture. */
  space: SsdSpace;
  /** The copies on the SSD now. */
  cached: readonly CachedCopy[];
  /** Models that could be copied (cached ones are skipped). */
  candidates: readonly Candidate[];
  /** The policy; {@linkcode DEFAULT_CACHE_POLICY} when absent. */
  policy?: CachePolicy;
  /** The current time, unix seconds (see {@linkcode PlacementInput.now}). */
  now?: number;
}

/** The SSD state a plan leaves behind (see {@linkcode applyPlacement}). */
export interface CacheState {
  /** The SSD's capacity picture. */
  space: SsdSpace;
  /** The copies on the SSD. */
  cached: CachedCopy[];
}

interface Policy {
  minUses: number;
  windowSeconds: number;
  valueMargin: number;
  idleHazard: number;
  maxSearchNodes: number;
  minUsesToEvict: number;
}

function resolvePolicy(policy: CachePolicy | undefined): Policy {
  const p = {
    minUses: policy?.minUses ?? DEFAULT_CACHE_POLICY.minUses,
    windowSeconds: policy?.windowSeconds ?? DEFAULT_CACHE_POLICY.windowSeconds,
    valueMargin: policy?.valueMargin ?? DEFAULT_CACHE_POLICY.valueMargin ?? 1,
    idleHazard: policy?.idleHazard ?? DEFAULT_CACHE_POLICY.idleHazard ?? Infinity,
    maxSearchNodes: policy?.maxSearchNodes ?? DEFAULT_CACHE_POLICY.maxSearchNodes ?? 20000,
    minUsesToEvict: policy?.minUsesToEvict ?? DEFAULT_CACHE_POLICY.minUsesToEvict ?? 0,
  };
  const bad = (what: string, value: number) =>
    new LlamaPackError("CONFIG", `cache policy: ${what} (got ${value})`);
  if (!(Number.isFinite(p.minUses) && p.minUses >= 0)) {
    throw bad("minUses must be a number ≥ 0", p.minUses);
  }
  if (!(Number.isFinite(p.windowSeconds) && p.windowSeconds > 0)) {
    throw bad("windowSeconds must be a positive number of seconds", p.windowSeconds);
  }
  if (!(Number.isFinite(p.valueMargin) && p.valueMargin >= 0)) {
    throw bad("valueMargin must be a number ≥ 0", p.valueMargin);
  }
  if (!(p.idleHazard > 0)) {
    throw bad("idleHazard must be a positive number or Infinity", p.idleHazard);
  }
  if (!(p.maxSearchNodes >= 0)) throw bad("maxSearchNodes must be ≥ 0", p.maxSearchNodes);
  if (!(Number.isFinite(p.minUsesToEvict) && p.minUsesToEvict >= 0)) {
    throw bad("minUsesToEvict must be a number ≥ 0", p.minUsesToEvict);
  }
  return p;
}

function checkBytes(what: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
    throw new RangeError(`cache plan: ${what} must be a finite number ≥ 0 (got ${value})`);
  }
}

/**
 * Why a candidate may not be copied whatever the SSD holds (pinned to the
 * HDD, too few uses in the window, nothing to gain), or `undefined`.
 */
function gateReason(candidate: Candidate, policy: Policy): string | undefined {
  if (candidate.noCache) return `${candidate.id} is pinned to the HDD (no SSD copy)`;
  if (candidate.usesInWindow < policy.minUses) {
    const uses = `${candidate.usesInWindow} use${candidate.usesInWindow === 1 ? "" : "s"}`;
    return `${uses} in the last ${windowText(policy.windowSeconds)}; ` +
      `${policy.minUses} needed before copying to the SSD`;
  }
  if (!(valueOf(candidate) > 0)) {
    return `${candidate.id} ranks ${rankText(candidate.rate)}: nothing to gain from an SSD copy`;
  }
  return undefined;
}

function checkInput(
  space: SsdSpace,
  cached: readonly CachedCopy[],
  candidates: readonly Candidate[],
) {
  if (!Number.isFinite(space.freeBytes)) {
    throw new RangeError(`cache plan: freeBytes must be a finite number (got ${space.freeBytes})`);
  }
  checkBytes("minFreeBytes", space.minFreeBytes);
  checkBytes("limitBytes", space.limitBytes);
  checkBytes("cacheUsedBytes", space.cacheUsedBytes);
  for (const c of [...cached, ...candidates]) {
    checkBytes(`size of '${c.id}'`, c.size);
    checkBytes(`rate of '${c.id}'`, c.rate);
  }
}

/**
 * Bytes a new copy may take now: `min(freeBytes − minFreeBytes, limitBytes − cacheUsedBytes)`.
 * Negative when the SSD is already below its minimum or over its limit.
 *
 * @param space The SSD's capacity picture.
 * @returns Available room in bytes.
 *
 * @example Room under a limit
 * ```ts
 * import assert from "node:assert/strict";
 * import { availableRoom } from "./plan.ts";
 * const g = 1024 ** 3;
 * assert(availableRoom({ freeBytes: 100 * g, minFreeBytes: 20 * g, limitBytes: 60 * g, cacheUsedBytes: 50 * g }) === 10 * g);
 * ```
 */
export function availableRoom(space: SsdSpace): number {
  const byFree = space.freeBytes - space.minFreeBytes;
  return space.limitBytes === undefined
    ? byFree
    : Math.min(byFree, space.limitBytes - space.cacheUsedBytes);
}

/**
 * Counts the uses in the window `(now − windowSeconds, now]`, for
 * {@linkcode Candidate.usesInWindow}.
 *
 * @param uses The model's uses.
 * @param now The current time, unix seconds.
 * @param windowSeconds The window length in seconds.
 * @returns How many uses fall in the window.
 *
 * @example Counting uses in the last week
 * ```ts
 * import assert from "node:assert/strict";
 * import { countUsesInWindow } from "./plan.ts";
 * const now = 1_700_000_000;
 * const uses = [{ at: now - 60 }, { at: now - 3 * 86400 }, { at: now - 30 * 86400 }];
 * assert(countUsesInWindow(uses, now, 7 * 86400) === 2);
 * ```
 */
export function countUsesInWindow(
  uses: readonly UseEvent[],
  now: number,
  windowSeconds: number,
): number {
  let n = 0;
  for (const u of uses) if (u.at > now - windowSeconds && u.at <= now) n++;
  return n;
}

/** Value (expected SSD loads) in GiB per week, as reasons show it. */
function gibPerWeek(rate: number, size: number): string {
  const v = (rate * size) / GIB;
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} GiB/wk`;
}

const rankText = (rate: number) => `${formatRank(rate)}/wk`;

/** `7 days`, `1 day`, or `36h 00m`-style for windows that are not whole days. */
function windowText(seconds: number): string {
  const days = seconds / 86400;
  return Number.isInteger(days) ? `${days} day${days === 1 ? "" : "s"}` : formatDuration(seconds);
}

/** Deterministic victim order: lowest rate (value per byte) first, then oldest use, then id. */
function byRateThenAge(a: CachedCopy, b: CachedCopy): number {
  return a.rate - b.rate || (a.lastUse ?? -Infinity) - (b.lastUse ?? -Infinity) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

const WEEK = 7 * 86400;

const valueOf = (c: { rate: number; size: number }) => c.rate * c.size;

/** Drops chosen copies that are not needed to free `need` bytes, highest value first. */
function pruneVictims(chosen: CachedCopy[], need: number): CachedCopy[] {
  let freed = 0;
  let smallest = Infinity;
  for (const c of chosen) {
    freed += c.size;
    if (c.size < smallest) smallest = c.size;
  }
  // Nothing can go when even the smallest copy is needed.
  if (freed - smallest < need) return chosen;
  const keep = new Set(chosen);
  const byValueDesc = [...chosen].sort((a, b) => valueOf(b) - valueOf(a) || -byRateThenAge(a, b));
  for (const c of byValueDesc) {
    if (freed - c.size >= need) {
      keep.delete(c);
      freed -= c.size;
    }
  }
  return chosen.filter((c) => keep.has(c));
}

/** The greedy set: lowest rate first until `need` is freed, then pruned. */
function greedyVictims(sorted: readonly CachedCopy[], need: number): CachedCopy[] {
  const chosen: CachedCopy[] = [];
  let freed = 0;
  for (const c of sorted) {
    if (freed >= need) break;
    chosen.push(c);
    freed += c.size;
  }
  return pruneVictims(chosen, need);
}

/**
 * A lower bound on the value any set of copies freeing `need` bytes loses:
 * take copies lowest rate first, the last one in part (the LP relaxation).
 * `Infinity` when all of them together free too little.
 */
function fractionalCost(sorted: readonly CachedCopy[], need: number, from = 0): number {
  let cost = 0;
  let rem = need;
  for (let i = from; i < sorted.length && rem > 0; i++) {
    const c = sorted[i]!;
    const take = Math.min(c.size, rem);
    cost += c.size > 0 ? c.rate * take : 0;
    rem -= take;
  }
  return rem > 0 ? Infinity : cost;
}

/**
 * The set of copies (from `sorted`, ordered by rate) that frees at least
 * `need` bytes and loses the least value: branch and bound with the
 * fractional (LP) bound, starting from the greedy set.
 */
function cheapestVictims(
  sorted: readonly CachedCopy[],
  need: number,
  maxNodes: number,
): CachedCopy[] {
  const n = sorted.length;
  const suffixSize = new Array<number>(n + 1).fill(0);
  for (let i = n - 1; i >= 0; i--) suffixSize[i] = suffixSize[i + 1]! + sorted[i]!.size;
  let best = greedyVictims(sorted, need);
  let bestCost = best.reduce((s, c) => s + valueOf(c), 0);
  const eps = (cost: number) => 1e-9 * Math.max(1, cost);
  const lowerBound = (from: number, rem: number): number => fractionalCost(sorted, rem, from);
  let nodes = 0;
  const chosen: CachedCopy[] = [];
  const visit = (i: number, freed: number, cost: number): void => {
    if (++nodes > maxNodes) return;
    if (freed >= need) {
      if (cost < bestCost - eps(bestCost)) {
        best = pruneVictims([...chosen], need);
        bestCost = best.reduce((s, c) => s + valueOf(c), 0);
      }
      return;
    }
    if (i >= n || freed + suffixSize[i]! < need) return;
    if (cost + lowerBound(i, need - freed) >= bestCost - eps(bestCost)) return;
    const c = sorted[i]!;
    chosen.push(c);
    visit(i + 1, freed + c.size, cost + valueOf(c));
    chosen.pop();
    visit(i + 1, freed, cost);
  };
  visit(0, 0, 0);
  return best;
}

/**
 * Probability that an idle copy is still in use at its rate: with `n` the
 * uses its rate predicts over the idle time, `e^−n / (e^−n + (1 − e^−n) / κ)`.
 */
function stillInUse(copy: CachedCopy, now: number, kappa: number): number {
  if (copy.lastUse === undefined || !(now > copy.lastUse)) return 1;
  const x = Math.exp((-copy.rate * (now - copy.lastUse)) / WEEK);
  return x / (x + (1 - x) / kappa);
}

/** Whether a copy may not be evicted for `candidate` (the reasons are {@linkcode refusalReasons}). */
function isProtected(copy: CachedCopy, candidate: Candidate): boolean {
  return copy.pinned || copy.inUse || copy.ssdOnly || copy.rate >= candidate.rate;
}

function refusalReasons(copy: CachedCopy, candidate: Candidate, candidateRank: string): string[] {
  if (!isProtected(copy, candidate)) return [];
  const reasons: string[] = [];
  if (copy.pinned) reasons.push("pinned to the SSD");
  if (copy.inUse) reasons.push("in use by a running server");
  if (copy.ssdOnly) reasons.push("SSD-only: no HDD original");
  if (copy.rate >= candidate.rate) {
    reasons.push(`ranked ${rankText(copy.rate)} ≥ candidate ${candidateRank}`);
  }
  return reasons;
}

function listIds(copies: readonly CachedCopy[]): string {
  const ids = copies.map((c) => c.id);
  return ids.length <= 4
    ? ids.join(", ")
    : `${ids.slice(0, 3).join(", ")} and ${ids.length - 3} more`;
}

/** The planner's steps that need no cached copies (gates, room, eviction evidence). */
function firstStep(
  space: SsdSpace,
  candidate: Candidate,
  policy: Policy,
): AdmissionStep {
  if (gateReason(candidate, policy) !== undefined) return "gated";
  if (candidate.size <= availableRoom(space)) return "fits";
  if (candidate.usesInWindow < policy.minUsesToEvict) return "too few uses to evict";
  return "evict";
}

/**
 * How {@linkcode planPlacement} starts for a candidate that is not on the
 * SSD, before it looks at the cached copies: `"gated"` (never copied now:
 * pinned to the HDD, too few uses, rank 0), `"fits"` (copied into free room),
 * `"too few uses to evict"` (does not fit and may not displace copies yet) or
 * `"evict"` (the cached copies decide). Cheap; callers that replay many loads
 * (the shadow caches of {@link ./adapt.ts}) use it to skip ranking the cached
 * copies when the answer does not depend on them.
 */
export type AdmissionStep = "gated" | "fits" | "too few uses to evict" | "evict";

/**
 * The first step of {@linkcode planPlacement} for a candidate not on the SSD
 * (see {@linkcode AdmissionStep}); `planPlacement` decides the same way.
 *
 * @param space The SSD's capacity picture.
 * @param candidate The model that could be copied.
 * @param policy The policy; {@linkcode DEFAULT_CACHE_POLICY} when absent.
 * @returns The step.
 * @throws {LlamaPackError} `CONFIG` when the policy is out of range.
 *
 * @example A first use that fits, and one that would have to displace copies
 * ```ts
 * import assert from "node:assert/strict";
 * import { admissionStep } from "./plan.ts";
 * const g = 1024 ** 3;
 * const candidate = { id: "m", size: 8 * g, rate: 1, usesInWindow: 1, noCache: false };
 * const space = (free: number) => ({ freeBytes: free * g, minFreeBytes: 0, cacheUsedBytes: 0 });
 * assert(admissionStep(space(10), candidate) === "fits");
 * assert(admissionStep(space(5), candidate) === "too few uses to evict");
 * assert(admissionStep(space(5), { ...candidate, usesInWindow: 2 }) === "evict");
 * ```
 */
export function admissionStep(
  space: SsdSpace,
  candidate: Candidate,
  policy?: CachePolicy,
): AdmissionStep {
  return firstStep(space, candidate, resolvePolicy(policy));
}

/**
 * Plans whether to copy `candidate` to the SSD now and which cached copies to
 * evict first (see the module doc for the policy).
 *
 * @param input The space picture, the cached copies, the candidate and the policy.
 * @returns The plan; `evict` is in execution order (lowest value first) and empty unless `copy`.
 * @throws {LlamaPackError} `CONFIG` when the policy is out of range.
 * @throws {RangeError} When a size or rate is negative or not finite.
 *
 * @example Evicting a cold copy for a hot one
 * ```ts
 * import assert from "node:assert/strict";
 * import { planPlacement } from "./plan.ts";
 * const g = 1024 ** 3;
 * const plan = planPlacement({
 *   space: { freeBytes: 30 * g, minFreeBytes: 20 * g, cacheUsedBytes: 70 * g },
 *   cached: [
 *     { id: "old-70b", size: 40 * g, rate: 0.2, pinned: false, inUse: false, ssdOnly: false },
 *     { id: "chat-8b", size: 8 * g, rate: 9, pinned: false, inUse: true, ssdOnly: false },
 *   ],
 *   candidate: { id: "gemma-9b", size: 9 * g, rate: 5, usesInWindow: 4, noCache: false },
 * });
 * assert(plan.copy && plan.evict.length === 0); // 10 GiB free above the minimum
 * const tight = planPlacement({
 *   space: { freeBytes: 25 * g, minFreeBytes: 20 * g, cacheUsedBytes: 70 * g },
 *   cached: [
 *     { id: "old-70b", size: 40 * g, rate: 0.2, pinned: false, inUse: false, ssdOnly: false },
 *     { id: "chat-8b", size: 8 * g, rate: 9, pinned: false, inUse: true, ssdOnly: false },
 *   ],
 *   candidate: { id: "gemma-9b", size: 9 * g, rate: 5, usesInWindow: 4, noCache: false },
 * });
 * assert(tight.copy && tight.evict[0]?.id === "old-70b");
 * ```
 */
export function planPlacement(input: PlacementInput): PlacementPlan {
  const policy = resolvePolicy(input.policy);
  const { space, cached, candidate } = input;
  checkInput(space, cached, [candidate]);
  const no = (reason: string, refused: PlacementPlan["refused"] = []): PlacementPlan => ({
    id: candidate.id,
    copy: false,
    evict: [],
    reason,
    refused,
  });
  if (cached.some((c) => c.id === candidate.id)) {
    return no(`${candidate.id} is already on the SSD`);
  }
  const step = firstStep(space, candidate, policy);
  if (step === "gated") return no(gateReason(candidate, policy)!);
  const value = valueOf(candidate);
  const room = availableRoom(space);
  const limitText = space.limitBytes === undefined
    ? ""
    : ` and the ${formatSize(space.limitBytes)} cache limit`;
  if (step === "fits") {
    return {
      id: candidate.id,
      copy: true,
      evict: [],
      reason:
        `fits: needs ${formatSize(candidate.size)}, ${formatSize(room)} available above the ` +
        `${formatSize(space.minFreeBytes)} minimum free${limitText}`,
      refused: [],
    };
  }
  const need = candidate.size - room;
  if (step === "too few uses to evict") {
    const n = candidate.usesInWindow;
    return no(
      `does not fit: needs ${formatSize(candidate.size)}, ${
        formatSize(Math.max(0, room))
      } available above the ${formatSize(space.minFreeBytes)} minimum free${limitText}; ` +
        `${n} use${n === 1 ? "" : "s"} in the last ${windowText(policy.windowSeconds)}, ` +
        `${policy.minUsesToEvict} needed before displacing other copies`,
    );
  }
  let eligible: CachedCopy[] = [];
  const refused: PlacementPlan["refused"] = [];
  const shownRate = new Map<string, number>();
  const candidateRank = rankText(candidate.rate);
  const explain = input.explain ?? true;
  for (const copy of [...cached].sort(byRateThenAge)) {
    if (!isProtected(copy, candidate)) eligible.push(copy);
    else if (explain) {
      refused.push({
        id: copy.id,
        reason: refusalReasons(copy, candidate, candidateRank).join(", "),
      });
    }
    shownRate.set(copy.id, copy.rate);
  }
  if (input.now !== undefined && Number.isFinite(policy.idleHazard)) {
    // Value idle copies at their expected rate (see the module doc).
    eligible = eligible
      .map((c) => ({ ...c, rate: c.rate * stillInUse(c, input.now!, policy.idleHazard) }))
      .sort(byRateThenAge);
  }
  refused.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const evictable = eligible.reduce((s, c) => s + c.size, 0);
  if (evictable < need) {
    const available = formatSize(Math.max(0, room));
    return no(
      `does not fit: needs ${formatSize(candidate.size)}, ${available} available above the ` +
        `${formatSize(space.minFreeBytes)} minimum free${limitText}, and only ` +
        `${formatSize(evictable)} held by copies that may be evicted`,
      refused,
    );
  }
  if (!explain && !(value > policy.valueMargin * fractionalCost(eligible, need))) {
    // Every set of victims loses at least the fractional bound: refused whatever the search finds.
    return no("");
  }
  const victims = cheapestVictims(eligible, need, policy.maxSearchNodes);
  const lost = victims.reduce((s, c) => s + valueOf(c), 0);
  // Execution order: lowest value first.
  const ordered = [...victims].sort((a, b) => valueOf(a) - valueOf(b) || byRateThenAge(a, b));
  if (!explain) {
    // The same decision, without the text (shadow caches replaying many loads).
    if (!(value > policy.valueMargin * lost)) return no("");
    return {
      id: candidate.id,
      copy: true,
      evict: ordered.map((c) => ({ id: c.id, size: c.size, reason: "" })),
      reason: "",
      refused: [],
    };
  }
  const freed = victims.reduce((s, c) => s + c.size, 0);
  const victimText = `evicting ${listIds(victims)} (${formatSize(freed)}, ${gibPerWeek(1, lost)})`;
  if (!(value > policy.valueMargin * lost)) {
    return no(
      `not worth it: ${candidate.id} would serve ${gibPerWeek(candidate.rate, candidate.size)} ` +
        `from the SSD, ${victimText.replace("evicting", "but evicting")} would lose more` +
        (policy.valueMargin === 1 ? "" : ` (margin ${policy.valueMargin}×)`),
      refused,
    );
  }
  // Name the cheapest other way to free the room, so a size trade-off reads as a choice.
  const alternatives = [greedyVictims(eligible, need)];
  const rest = eligible.filter((c) => !victims.includes(c));
  if (rest.reduce((s, c) => s + c.size, 0) >= need) {
    alternatives.push(cheapestVictims(rest, need, policy.maxSearchNodes));
  }
  const singles = eligible.filter((c) => c.size >= need).sort((a, b) => valueOf(a) - valueOf(b));
  if (singles[0]) alternatives.push([singles[0]]);
  const sameSet = (a: CachedCopy[], b: CachedCopy[]) =>
    a.length === b.length && a.every((c) => b.includes(c));
  const other = alternatives
    .filter((a) => !sameSet(a, victims))
    .map((a) => ({ set: a, lost: a.reduce((s, c) => s + valueOf(c), 0) }))
    .sort((a, b) => a.lost - b.lost)[0];
  const otherText = other
    ? `; cheaper than evicting ${listIds(other.set)} (${gibPerWeek(1, other.lost)})`
    : "";
  const evict = ordered.map((c) => ({
    id: c.id,
    size: c.size,
    reason:
      `ranked ${rankText(shownRate.get(c.id) ?? c.rate)} < candidate ${
        rankText(candidate.rate)
      }; ` +
      `loses ${gibPerWeek(c.rate, c.size)} of SSD loads`,
  }));
  return {
    id: candidate.id,
    copy: true,
    evict,
    reason: `worth it: needs ${formatSize(need)} more room; ${victimText} to serve ` +
      `${gibPerWeek(candidate.rate, candidate.size)}${otherText}`,
    refused,
  };
}

/**
 * Applies a plan to a cache state: removes the evicted copies, adds the
 * candidate (when copied, as an unpinned, idle copy with an HDD original)
 * and updates the space. Pure; used by the simulator and by tests.
 *
 * @param state The SSD state the plan was made for.
 * @param plan The plan from {@linkcode planPlacement}.
 * @param candidate The candidate the plan was made for.
 * @returns The state after the plan ran.
 *
 * @example Applying a plan
 * ```ts
 * import assert from "node:assert/strict";
 * import { applyPlacement, planPlacement } from "./plan.ts";
 * const g = 1024 ** 3;
 * const state = { space: { freeBytes: 50 * g, minFreeBytes: 10 * g, cacheUsedBytes: 0 }, cached: [] };
 * const candidate = { id: "m", size: 8 * g, rate: 4, usesInWindow: 3, noCache: false };
 * const after = applyPlacement(state, planPlacement({ ...state, candidate }), candidate);
 * assert(after.space.freeBytes === 42 * g && after.cached.length === 1);
 * ```
 */
export function applyPlacement(
  state: { space: SsdSpace; cached: readonly CachedCopy[] },
  plan: PlacementPlan,
  candidate: Candidate,
): CacheState {
  const gone = new Set(plan.evict.map((e) => e.id));
  const cached = state.cached.filter((c) => !gone.has(c.id));
  let delta = state.cached.filter((c) => gone.has(c.id)).reduce((s, c) => s + c.size, 0);
  if (plan.copy) {
    cached.push({
      id: candidate.id,
      size: candidate.size,
      rate: candidate.rate,
      pinned: false,
      inUse: false,
      ssdOnly: false,
    });
    delta -= candidate.size;
  }
  return {
    space: {
      ...state.space,
      freeBytes: state.space.freeBytes + delta,
      cacheUsedBytes: state.space.cacheUsedBytes - delta,
    },
    cached,
  };
}

/**
 * Plans background pre-caching after space frees up: which not-cached
 * candidates now deserve the SSD, highest rate first. Each must pass the same
 * admission as {@linkcode planPlacement} against the state the previous plans
 * leave. Each step takes the highest-ranked candidate admissible at that
 * point, so one that was blocked until a later step freed room still goes
 * first; planning again on the result plans nothing.
 *
 * @param input The space picture, the cached copies, the candidates and the policy.
 * @returns The plans that copy, in the order to execute them.
 * @throws {LlamaPackError} `CONFIG` when the policy is out of range.
 * @throws {RangeError} When a size or rate is negative or not finite.
 *
 * @example Refilling freed space
 * ```ts
 * import assert from "node:assert/strict";
 * import { planRefill } from "./plan.ts";
 * const g = 1024 ** 3;
 * const plans = planRefill({
 *   space: { freeBytes: 40 * g, minFreeBytes: 10 * g, cacheUsedBytes: 0 },
 *   cached: [],
 *   candidates: [
 *     { id: "a", size: 20 * g, rate: 2, usesInWindow: 3, noCache: false },
 *     { id: "b", size: 20 * g, rate: 6, usesInWindow: 5, noCache: false },
 *   ],
 * });
 * assert(plans.length === 1 && plans[0]?.reason.includes("fits"));
 * ```
 */
export function planRefill(input: RefillInput): PlacementPlan[] {
  const policy = input.policy ?? DEFAULT_CACHE_POLICY;
  const resolved = resolvePolicy(policy);
  checkInput(input.space, input.cached, input.candidates);
  // Candidates the gates refuse whatever the SSD holds never get a step.
  const order = input.candidates.filter((c) => gateReason(c, resolved) === undefined).sort((a, b) =>
    b.rate - a.rate || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
  let state: CacheState = { space: { ...input.space }, cached: [...input.cached] };
  const plans: PlacementPlan[] = [];
  // Each step copies the highest-ranked candidate admissible now, then looks
  // again from the top: a step may free room (evicting a big cold copy for a
  // smaller one) that a higher-ranked candidate refused earlier can now use.
  const done = new Set<string>();
  for (let step = 0; step < order.length; step++) {
    let admitted = false;
    for (const candidate of order) {
      if (done.has(candidate.id)) continue;
      const plan = planPlacement({
        ...state,
        candidate,
        policy,
        ...(input.now === undefined ? {} : { now: input.now }),
      });
      if (!plan.copy) continue;
      plans.push(plan);
      state = applyPlacement(state, plan, candidate);
      done.add(candidate.id);
      admitted = true;
      break;
    }
    if (!admitted) break;
  }
  return plans;
}

/**
 * The planner: whether one model should be copied to the SSD now and which
 * cached copies to evict for it ({@linkcode planPlacement}), its cheap first
 * step ({@linkcode admissionStep}), and the state a plan leaves behind
 * ({@linkcode applyPlacement}). The policy is described in
 * {@link ./cache_policy.ts}.
 *
 * @module
 */

import { formatSize } from "./units.ts";
import {
  availableRoom,
  type CachedCopy,
  type CachePolicy,
  type CacheState,
  type Candidate,
  type PlacementInput,
  type PlacementPlan,
  type SsdSpace,
} from "./cache_policy.ts";
import {
  checkInput,
  gateReason,
  gibPerWeek,
  type Policy,
  rankText,
  resolvePolicy,
  valueOf,
  windowText,
} from "./policy_rules.ts";
import {
  byRateThenAge,
  cheapestVictims,
  fractionalCost,
  greedyVictims,
  isProtected,
  listIds,
  refusalReasons,
  stillInUse,
} from "./victims.ts";

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
 * (the shadow caches of {@link ./tuner.ts}) use it to skip ranking the cached
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
 * import { admissionStep } from "./placement.ts";
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
 * import { planPlacement } from "./placement.ts";
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
  if (input.explain === false) return decideQuietly(input, policy, value, need);
  let eligible: CachedCopy[] = [];
  const refused: PlacementPlan["refused"] = [];
  const shownRate = new Map<string, number>();
  const candidateRank = rankText(candidate.rate);
  for (const copy of [...cached].sort(byRateThenAge)) {
    if (!isProtected(copy, candidate)) eligible.push(copy);
    else {
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
  const victims = cheapestVictims(eligible, need, policy.maxSearchNodes);
  const lost = victims.reduce((s, c) => s + valueOf(c), 0);
  const ordered = executionOrder(victims);
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

/** Execution order of evictions: lowest value first. */
function executionOrder(victims: readonly CachedCopy[]): CachedCopy[] {
  return [...victims].sort((a, b) => valueOf(a) - valueOf(b) || byRateThenAge(a, b));
}

/**
 * The eviction step of {@linkcode planPlacement} without reasons, for callers
 * that replay many loads (the shadow caches, the simulator without a
 * timeline): the same eligible copies in the same order, hence the same
 * victims and decision, with one sort and no text.
 */
function decideQuietly(
  input: PlacementInput,
  policy: Policy,
  value: number,
  need: number,
): PlacementPlan {
  const { cached, candidate, now } = input;
  const hazard = now !== undefined && Number.isFinite(policy.idleHazard);
  const eligible: CachedCopy[] = [];
  let evictable = 0;
  for (const copy of cached) {
    if (isProtected(copy, candidate)) continue;
    // Value idle copies at their expected rate (see the module doc of cache_policy.ts).
    eligible.push(
      hazard && copy.lastUse !== undefined
        ? {
          id: copy.id,
          size: copy.size,
          rate: copy.rate * stillInUse(copy, now!, policy.idleHazard),
          pinned: copy.pinned,
          inUse: copy.inUse,
          ssdOnly: copy.ssdOnly,
          lastUse: copy.lastUse,
        }
        : copy,
    );
    evictable += copy.size;
  }
  const no: PlacementPlan = { id: candidate.id, copy: false, evict: [], reason: "", refused: [] };
  if (evictable < need) return no;
  eligible.sort(byRateThenAge);
  // Every set of victims loses at least the fractional bound: refused whatever the search finds.
  if (!(value > policy.valueMargin * fractionalCost(eligible, need))) return no;
  const victims = cheapestVictims(eligible, need, policy.maxSearchNodes);
  let lost = 0;
  for (const c of victims) lost += valueOf(c);
  if (!(value > policy.valueMargin * lost)) return no;
  return {
    id: candidate.id,
    copy: true,
    evict: executionOrder(victims).map((c) => ({ id: c.id, size: c.size, reason: "" })),
    reason: "",
    refused: [],
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
 * import { applyPlacement, planPlacement } from "./placement.ts";
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

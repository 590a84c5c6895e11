/**
 * Choosing which cached copies make room for a candidate: the deterministic
 * victim order, the greedy and the exact (branch-and-bound) cheapest set, the
 * idle hazard, and which copies are protected. Internal to `lib/core/`; the
 * policy is described in {@link ./cache_policy.ts}.
 *
 * @module
 */

import type { CachedCopy, Candidate } from "./cache_policy.ts";
import { rankText, valueOf, WEEK } from "./policy_rules.ts";

/** Deterministic victim order: lowest rate (value per byte) first, then oldest use, then id. */
export function byRateThenAge(a: CachedCopy, b: CachedCopy): number {
  return a.rate - b.rate || (a.lastUse ?? -Infinity) - (b.lastUse ?? -Infinity) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Drops chosen copies that are not needed to free `need` bytes, highest value first. */
export function pruneVictims(chosen: CachedCopy[], need: number): CachedCopy[] {
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
export function greedyVictims(sorted: readonly CachedCopy[], need: number): CachedCopy[] {
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
export function fractionalCost(sorted: readonly CachedCopy[], need: number, from = 0): number {
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
export function cheapestVictims(
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
export function stillInUse(copy: CachedCopy, now: number, kappa: number): number {
  if (copy.lastUse === undefined || !(now > copy.lastUse)) return 1;
  const x = Math.exp((-copy.rate * (now - copy.lastUse)) / WEEK);
  return x / (x + (1 - x) / kappa);
}

/** Whether a copy may not be evicted for `candidate` (the reasons are {@linkcode refusalReasons}). */
export function isProtected(copy: CachedCopy, candidate: Candidate): boolean {
  return copy.pinned || copy.inUse || copy.ssdOnly || copy.rate >= candidate.rate;
}

/** Why a protected copy may not be evicted for `candidate` (empty when it may). */
export function refusalReasons(
  copy: CachedCopy,
  candidate: Candidate,
  candidateRank: string,
): string[] {
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

/** Copy ids for a reason: all of them up to four, else the first three and a count. */
export function listIds(copies: readonly CachedCopy[]): string {
  const ids = copies.map((c) => c.id);
  return ids.length <= 4
    ? ids.join(", ")
    : `${ids.slice(0, 3).join(", ")} and ${ids.length - 3} more`;
}

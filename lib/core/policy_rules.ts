/**
 * The rules the planners share: a policy with its defaults filled in and
 * checked, the input checks, the gates that refuse a candidate whatever the
 * SSD holds, and how reasons write values, rates and windows. Internal to
 * `lib/core/` (not part of the library API).
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import { formatDuration, GIB } from "./units.ts";
import { formatRank } from "./rank.ts";
import {
  type CachedCopy,
  type CachePolicy,
  type Candidate,
  DEFAULT_CACHE_POLICY,
  type SsdSpace,
} from "./cache_policy.ts";

/** A {@linkcode CachePolicy} with every default filled in and every field checked. */
export interface Policy {
  minUses: number;
  windowSeconds: number;
  valueMargin: number;
  idleHazard: number;
  maxSearchNodes: number;
  minUsesToEvict: number;
}

/**
 * Fills in the defaults of a policy and checks its ranges.
 *
 * @param policy The policy; {@linkcode DEFAULT_CACHE_POLICY} when absent.
 * @returns The resolved policy.
 * @throws {LlamaPackError} `CONFIG` when a field is out of range.
 */
export function resolvePolicy(policy: CachePolicy | undefined): Policy {
  // Frozen policies (the defaults, the tuner's profiles) are resolved once.
  const frozen = policy !== undefined && Object.isFrozen(policy);
  if (frozen) {
    for (const [known, resolved] of recentlyResolved) if (known === policy) return resolved;
  }
  const resolved = resolveFresh(policy);
  if (frozen) {
    recentlyResolved.unshift([policy, resolved]);
    recentlyResolved.length = Math.min(recentlyResolved.length, 8);
  }
  return resolved;
}

/** The last few frozen policies resolved (identity lookup, cheaper than a WeakMap). */
const recentlyResolved: [CachePolicy, Policy][] = [];

function resolveFresh(policy: CachePolicy | undefined): Policy {
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

/** Throws a `RangeError` unless `value` is absent or a finite number ≥ 0. */
function checkBytes(what: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isFinite(value) && value >= 0)) {
    throw new RangeError(`cache plan: ${what} must be a finite number ≥ 0 (got ${value})`);
  }
}

/**
 * Why a candidate may not be copied whatever the SSD holds (pinned to the
 * HDD, too few uses in the window, nothing to gain), or `undefined`.
 */
export function gateReason(candidate: Candidate, policy: Policy): string | undefined {
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

/** Checks the sizes and rates a plan is asked about (`RangeError` when one is negative or not finite). */
export function checkInput(
  space: SsdSpace,
  cached: readonly CachedCopy[],
  candidates: readonly Candidate[],
): void {
  if (!Number.isFinite(space.freeBytes)) {
    throw new RangeError(`cache plan: freeBytes must be a finite number (got ${space.freeBytes})`);
  }
  checkBytes("minFreeBytes", space.minFreeBytes);
  checkBytes("limitBytes", space.limitBytes);
  checkBytes("cacheUsedBytes", space.cacheUsedBytes);
  for (const list of [cached, candidates]) {
    for (const c of list) {
      // The messages are built only when a check fails (planners run this on every plan).
      if (!(Number.isFinite(c.size) && c.size >= 0)) checkBytes(`size of '${c.id}'`, c.size);
      if (!(Number.isFinite(c.rate) && c.rate >= 0)) checkBytes(`rate of '${c.id}'`, c.rate);
    }
  }
}

/** Value (expected SSD loads) in GiB per week, as reasons show it. */
export function gibPerWeek(rate: number, size: number): string {
  const v = (rate * size) / GIB;
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} GiB/wk`;
}

/** A rate as reasons show it (`2.5/wk`). */
export const rankText = (rate: number): string => `${formatRank(rate)}/wk`;

/** `7 days`, `1 day`, or `36h 00m`-style for windows that are not whole days. */
export function windowText(seconds: number): string {
  const days = seconds / 86400;
  return Number.isInteger(days) ? `${days} day${days === 1 ? "" : "s"}` : formatDuration(seconds);
}

/** Seconds in a week. */
export const WEEK = 7 * 86400;

/** Value of a copy or candidate: its rate × its size (expected SSD loads, in byte·uses/week). */
export const valueOf = (c: { rate: number; size: number }): number => c.rate * c.size;

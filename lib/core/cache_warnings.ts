/**
 * The tiers' warnings as the `--serve` monitor tracks them (pure): which
 * tiers are past `cache_warning_threshold` in a stats document, and which
 * warnings a new measurement raises or clears compared with the last one.
 *
 * @module
 */

import type { CacheLocation, CacheWarningData } from "./api_events.ts";
import type { CacheStatsDoc, TierDoc } from "./cache_stats_doc.ts";

/** Every tier of a stats document with its location (secondary: each HDD path). */
function tiersOf(doc: CacheStatsDoc): { location: CacheLocation; tier: TierDoc }[] {
  return [
    { location: "primary", tier: doc.primary },
    ...doc.secondary.parts.map((tier) => ({ location: "secondary" as const, tier })),
    ...doc.custom.map((tier) => ({ location: "custom" as const, tier })),
  ];
}

function warningOf(location: CacheLocation, tier: TierDoc, threshold: number): CacheWarningData {
  return {
    location,
    path: tier.path,
    active: tier.warning,
    usage_percent: tier.usage_percent ?? 0,
    threshold,
    message: tier.message ??
      `${tier.name} (${tier.path}) is at ${tier.usage_percent ?? 0}%, under the ${
        Math.round(threshold * 100)
      }% threshold again`,
  };
}

/**
 * The warnings active in a stats document, one per tier past the threshold.
 *
 * @param doc The stats document.
 * @returns The active warnings.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { activeWarnings } from "./cache_warnings.ts";
 * const tier = (path: string, warning: boolean) => ({ name: "t", path, warning, usage_percent: warning ? 95 : 10, message: warning ? "full" : null }) as never;
 * const doc = { primary: tier("/ssd", true), secondary: { parts: [tier("/hdd", false)] }, custom: [], threshold: 0.9 } as never;
 * assert.deepEqual(activeWarnings(doc).map((w) => w.path), ["/ssd"]);
 * ```
 */
export function activeWarnings(doc: CacheStatsDoc): CacheWarningData[] {
  return tiersOf(doc)
    .filter((t) => t.tier.warning)
    .map((t) => warningOf(t.location, t.tier, doc.threshold));
}

/**
 * What a new measurement raises or clears: a tier past the threshold that
 * was not before (`active: true`), and one back under it (`active: false`).
 * Tiers that could not be measured keep their last state.
 *
 * @param before The paths warned about after the last measurement.
 * @param doc The new stats document.
 * @returns The changes, and the paths warned about now.
 *
 * @example Raised, then cleared
 * ```ts
 * import assert from "node:assert/strict";
 * import { warningChanges } from "./cache_warnings.ts";
 * const doc = (warning: boolean) => ({ threshold: 0.9, custom: [], secondary: { parts: [] },
 *   primary: { name: "ssd", path: "/ssd", warning, usage_percent: warning ? 95 : 50, message: warning ? "ssd is 95% full" : null, error: null } }) as never;
 * const raised = warningChanges(new Set(), doc(true));
 * assert(raised.changes[0]?.active === true && raised.now.has("/ssd"));
 * const cleared = warningChanges(raised.now, doc(false));
 * assert(cleared.changes[0]?.active === false && cleared.now.size === 0);
 * assert(warningChanges(cleared.now, doc(false)).changes.length === 0);
 * ```
 */
export function warningChanges(
  before: ReadonlySet<string>,
  doc: CacheStatsDoc,
): { changes: CacheWarningData[]; now: Set<string> } {
  const changes: CacheWarningData[] = [];
  const now = new Set<string>();
  for (const { location, tier } of tiersOf(doc)) {
    const was = before.has(tier.path);
    const is = tier.error !== null ? was : tier.warning;
    if (is) now.add(tier.path);
    if (is !== was && tier.error === null) changes.push(warningOf(location, tier, doc.threshold));
  }
  return { changes, now };
}

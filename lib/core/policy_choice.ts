/**
 * Which cache policy to decide with: the configured admission policy, and
 * the profile (steady, rapid, session) the tuner picks by replaying the
 * recorded uses. Pure: the uses and the time come in as data. Storing the
 * choice for `-l` is `lib/cache/policy_file.ts`.
 *
 * @module
 */

import type { IndexedModel } from "./model_index.ts";
import { choiceOf, type PolicyChoice } from "./profiles.ts";
import { type ObservedLoad, tunerFromHistory } from "./tuner.ts";
import { availableRoom, type CachePolicy, type SsdSpace } from "./cache_policy.ts";

/**
 * The config's `cache` section as far as the policy choice reads it (the
 * config's `CacheSettings`, kept here so the core imports no config code).
 */
export interface CacheSection {
  /** Uses within the window before a model is copied. */
  min_uses: number;
  /** The window, in days. */
  window_days: number;
  /** Replay the uses to pick a profile; `false` always uses `steady`. */
  adaptive: boolean;
}

/**
 * The planner's policy from the config's `cache` section.
 *
 * @param config The config.
 * @returns The admission policy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { policyOf } from "./policy_choice.ts";
 * const p = policyOf({ cache: { min_uses: 3, window_days: 7, auto: true } } as never);
 * assert(p.minUses === 3 && p.windowSeconds === 604800);
 * ```
 */
export function policyOf(
  config: { cache: Pick<CacheSection, "min_uses" | "window_days"> },
): CachePolicy {
  return { minUses: config.cache.min_uses, windowSeconds: config.cache.window_days * 86400 };
}

/** How far back {@linkcode choosePolicy} replays uses (the shadows' scores halve every 30 days). */
export const POLICY_REPLAY_SECONDS = 90 * 86400;

/**
 * Replays the last 90 days of recorded uses through the policy tuner
 * (`tuner.ts`), the same way the simulator feeds it, and returns the
 * profile it chose: the policy and rank options to decide with. With
 * `cache.adaptive: false`, the `steady` profile without a replay.
 *
 * @param index The model index (uses, sizes).
 * @param config The `cache` section (policy, `adaptive`).
 * @param space The SSD's capacity picture (the shadows' SSD size); none gives an empty shadow SSD.
 * @param now The time, unix seconds; later uses are ignored.
 * @returns The choice.
 *
 * @example With no history the `steady` profile is chosen
 * ```ts
 * import assert from "node:assert/strict";
 * import { choosePolicy } from "./policy_choice.ts";
 * const cache = { min_uses: 1, window_days: 7, auto: true, adaptive: true };
 * assert(choosePolicy([], { cache }, undefined, 0).profile.name === "steady");
 * ```
 */
export function choosePolicy(
  index: readonly IndexedModel[],
  config: { cache: CacheSection },
  space: SsdSpace | undefined,
  now: number,
): PolicyChoice {
  if (!config.cache.adaptive) return choiceOf(policyOf(config), undefined);
  const capacity = space === undefined
    ? 0
    : Math.max(0, availableRoom(space) + space.cacheUsedBytes);
  const loads: ObservedLoad[] = [];
  const from = now - POLICY_REPLAY_SECONDS;
  for (const m of index) {
    const size = m.hdd?.size ?? m.ssd?.size ?? m.size;
    for (const u of m.uses) {
      if (u.at <= now && u.at > from) loads.push({ at: u.at, model: m.id, size });
    }
  }
  return tunerFromHistory(loads, policyOf(config), capacity).choice();
}

/**
 * The variants `bench/policy_report.ts` reports beside the default: each is
 * llama-pack's policy with one thing changed.
 *
 * @module
 */

import type { LlamaPackPolicyOptions } from "../sim/llama_pack_policy.ts";
import type { PolicyProfile } from "../lib/core/profiles.ts";

/** One reported variant. */
export interface ReportVariant {
  /** Short name (the row is `llama-pack (NAME)`). */
  name: string;
  /** What it changes. */
  description: string;
  /** The simulator policy's options. */
  options: LlamaPackPolicyOptions;
}

const DAY = 86400;

/** The profiles that shipped before issue 20 (for the "previous default" row). */
const PREVIOUS_PROFILES: readonly PolicyProfile[] = [
  {
    name: "steady",
    summary: "favourites change slowly or alternate by time of day",
    rank: { shortHalfLifeSeconds: 3 * DAY, changeThreshold: 3 },
    policy: { idleHazard: 5, minUsesToEvict: 2 },
  },
  {
    name: "shifting",
    summary: "favourites change every week or two",
    rank: { shortRateWeight: 0.6 },
    policy: { idleHazard: 2, minUsesToEvict: 2 },
  },
  {
    name: "rapid",
    summary: "favourites change every few days",
    rank: { shortHalfLifeSeconds: DAY, shortRateWeight: 0.8 },
    policy: { idleHazard: 2, minUsesToEvict: 1 },
  },
];

/** The variants, in report order. */
export const REPORT_VARIANTS: readonly ReportVariant[] = [
  {
    name: "idle refill",
    description: "idle-time refill on (reported separately below; its copies count as writes).",
    options: { idleRefill: true },
  },
  {
    name: "hits only",
    description: "the shadows score bytes served alone (`writePenalty: 0`).",
    options: { tuner: { writePenalty: 0 } },
  },
  {
    name: "previous default",
    description:
      "what shipped before this round: profiles steady, shifting, rapid, scored on hits alone " +
      "(with this round's order: the profile for a load is chosen on the loads before it).",
    options: { profiles: PREVIOUS_PROFILES, tuner: { writePenalty: 0 } },
  },
  {
    name: "adaptive off",
    description: "`cache.adaptive: false`: the `steady` profile only, no shadow caches.",
    options: { adaptive: false },
  },
  {
    name: "min_uses 3",
    description: "`cache.min_uses: 3`: the original README's 3 uses in 7 days before any copy.",
    options: { cachePolicy: { minUses: 3, windowSeconds: 7 * DAY } },
  },
];

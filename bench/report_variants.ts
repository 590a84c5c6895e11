/**
 * The variants `bench/policy_report.ts` reports beside the default: each is
 * llama-pack's policy with one thing changed.
 *
 * @module
 */

import type { LlamaPackPolicyOptions } from "../sim/llama_pack_policy.ts";

/** One reported variant. */
export interface ReportVariant {
  /** Short name (the row is `llama-pack (NAME)`). */
  name: string;
  /** What it changes. */
  description: string;
  /** The simulator policy's options. */
  options: LlamaPackPolicyOptions;
}

/** The variants, in report order. */
export const REPORT_VARIANTS: readonly ReportVariant[] = [
  {
    name: "adaptive off",
    description: "`cache.adaptive: false`: the `steady` profile only, no shadow caches.",
    options: { adaptive: false },
  },
  {
    name: "min_uses 3",
    description: "`cache.min_uses: 3`: the original README's 3 uses in 7 days before any copy.",
    options: { cachePolicy: { minUses: 3, windowSeconds: 7 * 86400 } },
  },
];

/**
 * Pulling a model from the Hugging Face hub into a tier, as a library:
 * {@linkcode planPull} looks the repository up and checks the room without
 * writing anything; {@linkcode executePull} downloads the planned files
 * (resumable, verified, one writer per file across processes) and reports
 * progress through a callback; {@linkcode pullModel} does both. The CLI's
 * `--pull` and the HTTP API's `POST /api/models {hf_path}` both call these.
 *
 * Nothing is written outside the target directory except lock files in the
 * state directory; the target's root is never created (an unmounted disk is
 * an error, not a new empty directory).
 *
 * @module
 */

import {
  assertRoom,
  planPull,
  type PlanPullOptions,
  type PullPlan,
  type PullSpec,
} from "./pull_plan.ts";
import { executePull, type ExecutePullOptions, type PullResult } from "./pull_run.ts";
import type { TierInput } from "../core/tiers.ts";

export * from "./pull_plan.ts";
export * from "./pull_run.ts";
export * from "./pull_record.ts";

/** Options of {@linkcode pullModel}. */
export interface PullModelOptions extends PlanPullOptions, ExecutePullOptions {
  /** Every configured tier, measured, for the suggestion when there is no room. @default [] */
  tiers?: readonly TierInput[];
  /** Called with the plan once it fits, before anything is downloaded. @default undefined */
  onPlan?: (plan: PullPlan) => void;
}

/**
 * Plans a pull, refuses it when there is no room, and runs it.
 *
 * @param spec The repository, tag, revision, projector choice.
 * @param options Hub, target, state dir, progress, and the tiers for a suggestion.
 * @returns The plan and what was downloaded.
 * @throws {LlamaPackError} As {@linkcode planPull} and {@linkcode executePull}; `NO_SPACE` when it does not fit.
 *
 * @example A bad reference fails before any request
 * ```ts
 * import assert from "node:assert/strict";
 * import { pullModel } from "./pull.ts";
 * await assert.rejects(pullModel({ ref: "not-a-repo" }, {
 *   hub: { endpoint: "http://127.0.0.1:9" }, stateDir: "/tmp",
 *   target: { dir: "/tmp", name: "hdd", kind: "hdd", minFreeBytes: 0 },
 * }), /not a Hugging Face repository/);
 * ```
 */
export async function pullModel(
  spec: PullSpec,
  options: PullModelOptions,
): Promise<{ plan: PullPlan; result: PullResult }> {
  const plan = await planPull(spec, options);
  assertRoom(plan, options.tiers ?? [], options.threshold ?? 0.9);
  options.onPlan?.(plan);
  const result = await executePull(plan, options);
  return { plan, result };
}

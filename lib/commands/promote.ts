/**
 * Auto-promotion: after a load, ask the core planner whether the model should
 * be copied to the SSD and, if so, queue a copy job and start the detached
 * copier (`llama-pack --run-copier JOB`), which outlives the CLI and the server.
 *
 * @module
 */

import type { CommandContext } from "./context.ts";
import { loadIndex } from "../state/load_index.ts";
import { checkCopies } from "../cache/unit_check.ts";
import { countUsesInWindow } from "../core/cache_policy.ts";
import { pruneServers } from "../server/records.ts";
import { formatSize } from "../core/units.ts";
import { choosePolicy } from "../core/policy_choice.ts";
import { planCopy } from "../core/copy_plan.ts";
import { processOwner, reapStaleJobs } from "../cache/copy_jobs.ts";
import { savePolicyChoice } from "../cache/policy_file.ts";
import { ssdSpace } from "../cache/tier_space.ts";

/**
 * Decides, after a successful load, whether to copy the model to the SSD in
 * the background, and starts the copy if so.
 *
 * @param ctx The command context of the run.
 * @param modelId The model just loaded.
 * @param server The server that loaded it (the copier waits for it to be ready), if any.
 * @returns A one-line message for the user when a copy was started or is queued, else `undefined`.
 * @throws {LlamaPackError} `IO` when the SSD cannot be measured.
 *
 * @example The function a run calls after a load
 * ```ts
 * import assert from "node:assert/strict";
 * import { maybePromote } from "./promote.ts";
 * assert(typeof maybePromote === "function");
 * ```
 */
export async function maybePromote(
  ctx: CommandContext,
  modelId: string,
  server: { host: string; port: number } | undefined,
): Promise<string | undefined> {
  const config = await ctx.config();
  if (!config.cache.auto) return undefined;
  const store = ctx.state();
  const now = ctx.now();
  const index = await checkCopies(loadIndex(store), new Set([modelId]));
  const model = index.find((m) => m.id === modelId);
  if (!model || model.ssdOnly || !model.hdd || model.ssd?.verified || model.noCache) {
    return undefined;
  }
  reapStaleJobs(store, now);
  const queued = store.copyJobs(["queued", "copying"]).find((j) => j.model_id === modelId);
  if (queued) {
    return `[copy of ${model.name} to the SSD already ${queued.state} (job ${queued.id})]`;
  }
  const space = await ssdSpace(config, index);
  const choice = choosePolicy(index, config, space, now);
  await savePolicyChoice(ctx.stateDir, choice, now).catch(() => {});
  const policy = choice.policy;
  const plan = planCopy(model, {
    index,
    space,
    inUse: new Set(pruneServers(store).live.map((s) => s.model_id)),
    policy,
    now,
    choice,
  });
  if (!plan.copy) {
    ctx.debug(1, `SSD copy: not now: ${plan.reason}`);
    return undefined;
  }
  // Owned by this process from the moment it exists, then handed to the copier
  // as soon as it has a pid: whoever dies, the job is seen dead at once.
  const jobId = store.addCopyJob({
    modelId: model.id,
    bytesTotal: model.hdd.size,
    now,
    owner: processOwner()!,
  });
  const [cmd, ...args] = ctx.selfCommand;
  try {
    const child = new Deno.Command(cmd!, {
      args: [...args, "--run-copier", String(jobId)],
      stdin: "null",
      stdout: "null",
      stderr: "null",
      detached: true,
    }).spawn();
    child.unref();
    // A copier that died already leaves the job with its dead pid: reaped at once.
    const owner = processOwner(child.pid) ?? { pid: child.pid, startTime: -1 };
    store.updateCopyJob(jobId, { owner, now });
  } catch (err) {
    const message = `cannot start the background copier: ${
      err instanceof Error ? err.message : String(err)
    }`;
    store.updateCopyJob(jobId, { state: "failed", message, now });
    return `[SSD copy not started: ${message}]`;
  }
  ctx.debug(
    1,
    `SSD copy: ${plan.reason}${server ? ` (after ${server.host}:${server.port} is ready)` : ""}`,
  );
  const uses = countUsesInWindow(model.uses.map((u) => ({ at: u.at })), now, policy.windowSeconds);
  const evict = plan.evict.length > 0
    ? `, evicting ${plan.evict.map((e) => `${e.id} (${formatSize(e.size)})`).join(", ")}`
    : "";
  return `[${uses} use${
    uses === 1 ? "" : "s"
  } in ${config.cache.window_days} days: copying ${model.name} ` +
    `(${formatSize(model.hdd.size)}) to the SSD in the background, job ${jobId}${evict}]`;
}

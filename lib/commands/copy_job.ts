/**
 * The background copier: a detached llama-pack process (`--run-copier JOB`)
 * that carries out one queued copy job. It waits until the server that just
 * loaded the model is ready (the file has then streamed through the page
 * cache, so the copy reads RAM instead of seeking the HDD against the load),
 * takes the copy lock (one copy at a time), asks the core planner again (the
 * SSD may have changed), evicts what the plan says with the eviction safety
 * checks, copies with the copy protocol, and records every step in the job row.
 *
 * @module
 */

import type { Config } from "../config/config.ts";
import { LlamaPackError } from "../errors.ts";
import { loadIndex } from "../state/load_index.ts";
import { checkCopies } from "../cache/unit_check.ts";
import { serverAdapter } from "../server/adapter.ts";
import { waitReady } from "../server/health.ts";
import { isSameProcess } from "../server/process_identity.ts";
import { identityOf, pruneServers } from "../server/records.ts";
import type { StateStore } from "../state/store.ts";
import { formatElapsed, formatSize } from "../core/units.ts";
import type { IndexedModel } from "../core/model_index.ts";
import type { PlacementPlan } from "../core/cache_policy.ts";

import { acquireLock } from "../cache/lock.ts";
import { choosePolicy } from "../core/policy_choice.ts";
import { copyLockPath, processOwner } from "../cache/copy_jobs.ts";
import { copyModel, type ModelCopyProgress } from "../cache/copy_model.ts";
import { evictModel } from "../cache/evict_model.ts";
import { planCopy } from "../core/copy_plan.ts";
import { savePolicyChoice } from "../cache/policy_file.ts";
import { ssdSpace } from "../cache/tier_space.ts";

/** The device a file lives on, if it can be read. */
function deviceOf(path: string): number | undefined {
  try {
    return Deno.statSync(path).dev;
  } catch {
    return undefined;
  }
}

/**
 * A pause for the copy loop: while any llama-pack server (a `-m` or a
 * `--serve` one) is still loading a model from the disk the copy reads, the
 * copy waits, so a copy never competes with a load for the same disk.
 * Checked at most every 250 ms.
 *
 * @param store The state store.
 * @param source A file of the copy's source disk.
 * @param onPause Told the name of the model being loaded, once per pause.
 * @returns The pause function.
 */
export function loadGate(
  store: StateStore,
  source: string | undefined,
  onPause: (name: string) => void,
): () => Promise<void> {
  const dev = source === undefined ? undefined : deviceOf(source);
  let next = 0;
  const loading = () =>
    pruneServers(store).live.find((r) => r.use_id === null && deviceOf(r.model_path) === dev);
  return async () => {
    if (dev === undefined || performance.now() < next) return;
    next = performance.now() + 250;
    let row = loading();
    if (!row) return;
    onPause(store.model(row.model_id)?.name ?? row.model_id);
    while (row) {
      await new Promise((r) => setTimeout(r, 250));
      row = loading();
    }
  };
}

/** What the copier needs from the outside world. */
export interface CopierDeps {
  /** The state store. */
  store: StateStore;
  /** The config. */
  config: Config;
  /** The state directory (for the copy lock). */
  stateDir: string;
  /** The clock, unix seconds. */
  now: () => number;
  /** Where to say what happens (a log). */
  log: (line: string) => void;
}

/** Options of {@linkcode runCopyJob}: how `--serve`'s cache API follows a job it runs itself. */
export interface RunCopyJobOptions {
  /** A copy the user asked for (as `--cache`): see `planCopy`'s `manual`. @default false */
  manual?: boolean;
  /** May the plan evict other copies? When not, a plan that must fails the job. @default true */
  evict?: boolean;
  /** Told the plan once the copy is decided, before any eviction. @default undefined */
  onPlan?: (model: IndexedModel, plan: PlacementPlan) => void;
  /** Told each eviction. @default undefined */
  onEvict?: (victim: IndexedModel, bytes: number, reason: string) => void;
  /** Progress of the copy. @default undefined */
  onProgress?: (p: ModelCopyProgress) => void;
  /** Stops the copy (what it wrote is removed; the job fails). @default undefined */
  signal?: AbortSignal;
}

/** How a job ended. */
export interface CopyJobOutcome {
  /** The job's final state. */
  state: "done" | "failed";
  /** What happened, one line (also stored in the job row). */
  message: string;
}

/**
 * Carries out one queued copy job (see the module doc). A job that is not
 * queued (already taken by another copier) is left alone.
 *
 * @param deps Store, config, state dir, clock and log.
 * @param jobId The job's id.
 * @param options Manual copy, evictions allowed, callbacks, abort signal.
 * @returns How the job ended.
 * @throws {LlamaPackError} `USAGE` when there is no such job.
 *
 * @example A job id that does not exist
 * ```ts
 * import assert from "node:assert/strict";
 * import { runCopyJob } from "./copy_job.ts";
 * import { StateStore } from "../state/store.ts";
 * const dir = await Deno.makeTempDir();
 * const store = StateStore.open(dir);
 * const deps = { store, config: {} as never, stateDir: dir, now: () => 0, log: () => {} };
 * const err = await runCopyJob(deps, 99).catch((e) => e);
 * assert(err.code === "USAGE");
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function runCopyJob(
  deps: CopierDeps,
  jobId: number,
  options: RunCopyJobOptions = {},
): Promise<CopyJobOutcome> {
  const { store, config, log } = deps;
  const job = store.copyJobs().find((j) => j.id === jobId);
  if (!job) throw new LlamaPackError("USAGE", `--run-copier: no copy job ${jobId}`);
  if (job.state !== "queued") {
    return {
      state: job.state === "failed" ? "failed" : "done",
      message: `job ${jobId} is ${job.state}`,
    };
  }
  const update = (fields: Parameters<StateStore["updateCopyJob"]>[1]) =>
    store.updateCopyJob(jobId, fields);
  const finish = (state: "done" | "failed", message: string): CopyJobOutcome => {
    update({ state, message, now: deps.now() });
    log(`job ${jobId}: ${state}: ${message}`);
    return { state, message };
  };
  // Take the job over: from now on its owner is this copier.
  update({
    owner: processOwner()!,
    message: "waiting for the server to be ready",
    now: deps.now(),
  });

  try {
    // 1. Let the load finish first: the copy then reads the page cache.
    const adapter = serverAdapter(config.server_type);
    for (const row of pruneServers(store).live.filter((s) => s.model_id === job.model_id)) {
      const identity = identityOf(row);
      await waitReady(adapter.healthUrl(row.host, row.port), {
        timeoutMs: config.ready_timeout_s * 1000,
        isAlive: () => isSameProcess(identity),
        interpret: (s, b) => adapter.interpretHealth(s, b),
      }).catch((err) => log(`job ${jobId}: not waiting for ${row.host}:${row.port}: ${err}`));
    }

    // 2. One copy at a time.
    update({ message: "waiting for its turn (one copy at a time)", now: deps.now() });
    const lock = await acquireLock(copyLockPath(deps.stateDir), {
      note: `background copy job ${jobId}`,
    });
    try {
      // 3. Plan again: the SSD may have changed since the job was queued.
      const index = await checkCopies(loadIndex(store), new Set([job.model_id]));
      const model = index.find((m) => m.id === job.model_id);
      if (!model) return finish("failed", `model ${job.model_id} is no longer known`);
      if (model.ssd?.verified) return finish("done", `${model.name} is already on the SSD`);
      const inUse = new Set(pruneServers(store).live.map((s) => s.model_id));
      const space = await ssdSpace(config, index);
      const now = deps.now();
      const choice = choosePolicy(index, config, space, now);
      await savePolicyChoice(deps.stateDir, choice, now).catch(() => {});
      const plan = planCopy(model, { index, space, inUse, policy: choice.policy, now, choice }, {
        manual: options.manual ?? false,
      });
      if (!plan.copy) {
        return finish(options.manual ? "failed" : "done", `not copied: ${plan.reason}`);
      }
      if (plan.evict.length > 0 && options.evict === false) {
        const names = plan.evict.map((e) => `${e.id} (${formatSize(e.size)})`).join(", ");
        return finish(
          "failed",
          `not copied: it would evict ${names}, and evicting was not allowed`,
        );
      }
      options.onPlan?.(model, plan);

      // 4. Evict, then copy.
      update({ state: "copying", message: `copying: ${plan.reason}`, now: deps.now() });
      const evicted: string[] = [];
      for (const e of plan.evict) {
        const victim = index.find((m) => m.id === e.id);
        if (!victim) continue;
        const r = await evictModel(store, victim, { ssdPath: config.ssd_path });
        evicted.push(`${victim.name} (${formatSize(r.bytes)})`);
        log(`job ${jobId}: evicted ${victim.name}: ${e.reason}`);
        options.onEvict?.(victim, r.bytes, e.reason);
      }
      let lastSave = 0;
      const pause = loadGate(
        store,
        model.hdd?.path,
        (name) =>
          update({ message: `paused while ${name} loads from the same disk`, now: deps.now() }),
      );
      const r = await copyModel(store, model, {
        pause,
        ssdPath: config.ssd_path,
        now: deps.now,
        onCleanup: (removed, units) =>
          log(
            `job ${jobId}: cleaned up after interrupted copies: ${
              removed.length + units.removed.length
            } files removed, ${units.finished.length} copies finished`,
          ),
        ...(options.signal ? { signal: options.signal } : {}),
        onProgress: (p) => {
          options.onProgress?.(p);
          const t = performance.now();
          if (t - lastSave < 500) return;
          lastSave = t;
          update({ bytes_done: p.bytesDone, now: deps.now() });
        },
      });
      update({ bytes_done: r.bytes, now: deps.now() });
      const speed = r.seconds > 0 ? `, ${(r.bytes / r.seconds / 1e6).toFixed(1)} MB/s` : "";
      return finish(
        "done",
        `copied ${model.name} (${formatSize(r.bytes)}) in ${formatElapsed(r.seconds)}${speed}` +
          (evicted.length > 0 ? `; evicted ${evicted.join(", ")}` : ""),
      );
    } finally {
      await lock!.release();
    }
  } catch (err) {
    return finish("failed", err instanceof Error ? err.message : String(err));
  }
}

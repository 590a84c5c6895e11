/**
 * The long work of `--serve`'s cache API, off the request: verified copies
 * to the SSD (the background copier's own `runCopyJob`: the copy lock, the
 * planner asked again, evictions through the eviction checks, the copy
 * protocol), verified copies into a custom directory (`copy_custom.ts`) and
 * downloads from the Hugging Face hub (`--pull`'s `executePull`). Copies
 * run one at a time, downloads one at a time beside them; each is recorded
 * (copy jobs, downloads) so `--status` shows it, and reports through events
 * (`copy_*`, `eviction`, `download_*`, `models_changed`).
 *
 * A `kill -9` of `--serve` stops a copy where it is: the temp file stays in
 * the hidden partial directory (never under a final name, never indexed),
 * the job's owner is gone so it reads as failed, and the next `--serve`
 * removes the leftovers when it starts.
 *
 * @module
 */

import type { ApiEvent, CopyDestination } from "../core/api_events.ts";
import { apiEvent } from "../core/api_events.ts";
import type { IndexedModel } from "../core/model_index.ts";
import { formatElapsed, formatSize } from "../core/units.ts";
import type { ModelCopyProgress } from "../cache/copy_model.ts";
import { processOwner } from "../cache/copy_jobs.ts";
import type { Config } from "../config/config.ts";
import type { HubSettings } from "../hub/hub_client.ts";
import type { PullPlan } from "../hub/pull_plan.ts";
import type { StateStore } from "../state/store.ts";
import { copyToCustom } from "./copy_custom.ts";
import { runCopyJob } from "./copy_job.ts";
import { runDownload } from "./serve_downloads.ts";

/** What the transfers need. */
export interface TransferDeps {
  /** The config. */
  config: Config;
  /** The state store. */
  store: StateStore;
  /** The state directory (locks). */
  stateDir: string;
  /** The clock, unix seconds. */
  now: () => number;
  /** Publishes an event. */
  publish: (event: ApiEvent) => void;
  /** Prints one line for the user. */
  log: (line: string) => void;
  /** The model index, fresh. */
  index: () => IndexedModel[];
  /** The index changed: forget cached copies of it and tell clients. */
  changed: (reason: string, modelIds: string[]) => void;
  /** Scans every tier (serialized with the monitor's scans); returns the model index after. */
  rescan: () => Promise<IndexedModel[]>;
}

/** Options of an SSD copy. */
export interface SsdCopyOptions {
  /** A copy the user asked for (`--cache`'s planning). */
  manual: boolean;
  /** Other copies may be evicted for it. */
  evict: boolean;
  /** Pin it (and allow caching) once verified. */
  pinAfter: boolean;
  /** Why, for the events: `registered`, `refill: …`. */
  reason: string;
}

/** What a download is for. */
export interface DownloadRequest {
  /** The plan (its room checked). */
  plan: PullPlan;
  /** The hub. */
  hub: HubSettings;
  /** What was asked for. */
  hfPath: string;
  /** Where it goes. */
  location: "primary" | "secondary" | "custom";
  /** Runs when it is in place and indexed, with the model the scan made of it. */
  onIndexed?: (model: IndexedModel | undefined) => void;
}

const percent = (done: number, total: number) =>
  total > 0 ? Math.round((done / total) * 1000) / 10 : 100;
const eta = (done: number, total: number, speed: number) =>
  speed > 0 ? Math.max(0, Math.round((total - done) / speed)) : null;

/**
 * Runs copies and downloads for the cache API (see the module doc).
 *
 * @example Nothing runs at first
 * ```ts
 * import assert from "node:assert/strict";
 * import { ServeTransfers } from "./serve_transfers.ts";
 * const t = new ServeTransfers({} as never);
 * assert(t.idle() && t.busyModels().size === 0 && t.initialEvents().length === 0);
 * ```
 */
export class ServeTransfers {
  readonly #deps: TransferDeps;
  readonly #stop = new AbortController();
  #copies: Promise<void> = Promise.resolve();
  #downloads: Promise<void> = Promise.resolve();
  #pending = 0;
  readonly #busy = new Map<string, number>();
  readonly #progress = new Map<string, ApiEvent>();
  #nextDownload = 1;

  /**
   * Creates the runner.
   *
   * @param deps Config, store, events, index, rescan.
   */
  constructor(deps: TransferDeps) {
    this.#deps = deps;
  }

  /** Nothing is queued or running. */
  idle(): boolean {
    return this.#pending === 0;
  }

  /** Ids of models with a copy queued or running here. */
  busyModels(): Set<string> {
    return new Set(this.#busy.keys());
  }

  /** The latest progress of each copy and download under way (for a new `/api/events` client). */
  initialEvents(): ApiEvent[] {
    return [...this.#progress.values()];
  }

  /** Stops what runs (copies clean up; downloads keep their part to resume) and waits. */
  async stop(): Promise<void> {
    this.#stop.abort(new Error("--serve is stopping"));
    await Promise.all([this.#copies, this.#downloads]);
  }

  #enqueue(chain: "copies" | "downloads", task: () => Promise<void>): void {
    this.#pending++;
    const run = async () => {
      try {
        if (!this.#stop.signal.aborted) await task();
      } catch (err) {
        this.#deps.log(`warning: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        this.#pending--;
      }
    };
    if (chain === "copies") this.#copies = this.#copies.then(run);
    else this.#downloads = this.#downloads.then(run);
  }

  #hold(modelId: string, on: boolean): void {
    const n = (this.#busy.get(modelId) ?? 0) + (on ? 1 : -1);
    if (n > 0) this.#busy.set(modelId, n);
    else this.#busy.delete(modelId);
  }

  /** Reports a copy's progress (at most twice a second, and each phase change). */
  #copyProgress(
    key: string,
    base: { job_id: number; model_id: string; model_name: string; destination: CopyDestination },
  ): (p: ModelCopyProgress) => void {
    let last = 0;
    let phase = "";
    return (p) => {
      const t = performance.now();
      if (t - last < 500 && p.phase === phase) return;
      last = t;
      phase = p.phase;
      const e = apiEvent("copy_progress", {
        ...base,
        phase: p.phase,
        bytes_done: p.bytesDone,
        bytes_total: p.totalBytes,
        percent: percent(p.bytesDone, p.totalBytes),
        bytes_per_second: Math.round(p.bytesPerSecond),
        eta_seconds: eta(p.bytesDone, p.totalBytes, p.bytesPerSecond),
      });
      this.#progress.set(key, e);
      this.#deps.publish(e);
    };
  }

  /**
   * Creates a copy job owned by this process from the moment it exists (a
   * kill -9 leaves a dead job, not a stuck one) and holds the model until
   * the job ends.
   */
  #newCopyJob<D extends "primary" | "custom">(
    model: IndexedModel,
    bytesTotal: number,
    destination: D,
  ) {
    const jobId = this.#deps.store.addCopyJob({
      modelId: model.id,
      bytesTotal,
      now: this.#deps.now(),
      owner: processOwner()!,
    });
    this.#hold(model.id, true);
    const base = { job_id: jobId, model_id: model.id, model_name: model.name, destination };
    return { jobId, base, key: `copy:${jobId}` };
  }

  /**
   * Queues a verified copy of a model to the SSD.
   *
   * @param model The model.
   * @param options Manual planning, evictions, pin afterwards, the reason.
   * @returns The copy job's id.
   */
  queueSsdCopy(model: IndexedModel, options: SsdCopyOptions): number {
    const d = this.#deps;
    const { jobId, base, key } = this.#newCopyJob(model, model.hdd?.size ?? model.size, "primary");
    this.#enqueue("copies", async () => {
      const started = performance.now();
      let bytes = 0;
      try {
        const outcome = await runCopyJob(
          {
            store: d.store,
            config: d.config,
            stateDir: d.stateDir,
            now: d.now,
            log: () => {}, // the outcome and each eviction are logged below
          },
          jobId,
          {
            manual: options.manual,
            evict: options.evict,
            signal: this.#stop.signal,
            onPlan: (m) =>
              d.publish(apiEvent("copy_started", {
                ...base,
                dest_dir: d.config.ssd_path,
                bytes_total: m.hdd?.size ?? m.size,
                reason: options.reason,
              })),
            onEvict: (victim, freed, reason) => {
              d.log(`copy job ${jobId}: evicted ${victim.name} (${formatSize(freed)}): ${reason}`);
              d.publish(apiEvent("eviction", {
                model_id: victim.id,
                model_name: victim.name,
                bytes: freed,
                reason,
              }));
              d.changed("evicted", [victim.id]);
            },
            onProgress: (p) => {
              bytes = p.bytesDone;
              this.#copyProgress(key, base)(p);
            },
          },
        );
        if (outcome.state === "done" && options.pinAfter) {
          d.store.setFlag(model.id, "pinned", true);
          d.store.setFlag(model.id, "no_cache", false);
        }
        d.publish(apiEvent("copy_finished", {
          ...base,
          state: outcome.state,
          message: outcome.message +
            (outcome.state === "done" && options.pinAfter ? "; pinned" : ""),
          bytes,
          seconds: Math.round((performance.now() - started) / 10) / 100,
        }));
        d.log(`copy job ${jobId} (${model.name}): ${outcome.state}: ${outcome.message}`);
        d.changed("copied", [model.id]);
      } finally {
        this.#progress.delete(key);
        this.#hold(model.id, false);
      }
    });
    return jobId;
  }

  /**
   * Queues a verified copy of a model into a custom directory.
   *
   * @param model The model.
   * @param dir The directory (inside `root`).
   * @param root The configured custom directory.
   * @returns The copy job's id.
   */
  queueCustomCopy(model: IndexedModel, dir: string, root: string): number {
    const d = this.#deps;
    const { jobId, base, key } = this.#newCopyJob(model, model.size, "custom");
    this.#enqueue("copies", async () => {
      const started = performance.now();
      const finish = (state: "done" | "failed", message: string, bytes: number) => {
        d.store.updateCopyJob(jobId, { state, message, now: d.now() });
        d.publish(apiEvent("copy_finished", {
          ...base,
          state,
          message,
          bytes,
          seconds: Math.round((performance.now() - started) / 10) / 100,
        }));
        d.log(`copy job ${jobId} (${model.name} to ${dir}): ${state}: ${message}`);
      };
      let done = 0;
      try {
        d.store.updateCopyJob(jobId, {
          state: "copying",
          message: `copying to ${dir}`,
          now: d.now(),
        });
        d.publish(apiEvent("copy_started", {
          ...base,
          dest_dir: dir,
          bytes_total: model.size,
          reason: "registered",
        }));
        const report = this.#copyProgress(key, base);
        let lastSave = 0;
        const r = await copyToCustom(model, dir, {
          stateDir: d.stateDir,
          root,
          signal: this.#stop.signal,
          onProgress: (p) => {
            done = p.bytesDone;
            report(p);
            if (performance.now() - lastSave > 500) {
              lastSave = performance.now();
              d.store.updateCopyJob(jobId, { bytes_done: p.bytesDone, now: d.now() });
            }
          },
        });
        d.store.updateCopyJob(jobId, { bytes_done: r.bytes, now: d.now() });
        await d.rescan();
        finish(
          "done",
          `copied ${model.name} (${formatSize(r.bytes)}) to ${dir} in ${
            formatElapsed(r.seconds)
          }, verified (xxh64)`,
          r.bytes,
        );
        d.changed("copied", [model.id]);
      } catch (err) {
        finish("failed", err instanceof Error ? err.message : String(err), done);
      } finally {
        this.#progress.delete(key);
        this.#hold(model.id, false);
      }
    });
    return jobId;
  }

  /**
   * Queues a download (its room already checked).
   *
   * @param request The plan, the hub, what was asked for and where it goes.
   * @returns The download's id.
   */
  queueDownload(request: DownloadRequest): number {
    const id = this.#nextDownload++;
    const key = `download:${id}`;
    this.#enqueue("downloads", async () => {
      try {
        await runDownload(this.#deps, request, id, {
          signal: this.#stop.signal,
          progress: (e) => this.#progress.set(key, e),
        });
      } finally {
        this.#progress.delete(key);
      }
    });
    return id;
  }
}

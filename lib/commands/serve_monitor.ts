/**
 * The background monitor of `--serve` (the guide's "every 5 minutes"):
 * every `serve.monitor_interval_s` one pass — an incremental rescan of every
 * tier (`-u`'s `scanAndRecord`: new, moved and removed files; headers read
 * only for changed files), the tiers measured (`--cache-stats`), warnings
 * raised and cleared, and, while no server is loading and no copy runs, the
 * SSD's free room refilled with what the core planner (`planRefill`) says
 * deserves it, each copy through the background copier's own steps.
 * `POST /api/cache/refresh` runs a pass at once. Each step reports through
 * events (`scan`, `models_changed`, `cache_stats`, `cache_warning`,
 * `monitor_pass`).
 *
 * @module
 */

import {
  type ApiEvent,
  apiEvent,
  type MonitorPassData,
  type ScanData,
} from "../core/api_events.ts";
import { type CacheStatsDoc, cacheStatsDocument, isoTime } from "../core/cache_stats_doc.ts";
import { activeWarnings, warningChanges } from "../core/cache_warnings.ts";
import { cachedCopies } from "../core/copy_plan.ts";
import type { IndexedModel } from "../core/model_index.ts";
import { choosePolicy } from "../core/policy_choice.ts";
import { planRefill, refillCandidates } from "../core/refill.ts";
import { reapStaleJobs } from "../cache/copy_jobs.ts";
import { savePolicyChoice } from "../cache/policy_file.ts";
import { ssdSpace } from "../cache/tier_space.ts";
import { pruneServers } from "../server/records.ts";
import { loadIndex } from "../state/load_index.ts";
import { measureLocations } from "./cache_stats.ts";
import type { CommandContext } from "./context.ts";
import type { ServeTransfers } from "./serve_transfers.ts";
import { scanAndRecord } from "./update.ts";

/** What the monitor needs. */
export interface MonitorDeps {
  /** The command context of `--serve`. */
  ctx: CommandContext;
  /** Publishes an event. */
  publish: (event: ApiEvent) => void;
  /** The index changed: forget cached copies of it and tell clients. */
  changed: (reason: string, modelIds: string[]) => void;
  /** Whether a server of `--serve` is loading. */
  loading: () => boolean;
  /** The copies and downloads of the API. */
  transfers: ServeTransfers;
  /** Prints one line for the user. */
  log: (line: string) => void;
}

/** What one pass did: the `monitor_pass` event's data, the scan and the stats. */
export interface PassResult extends MonitorPassData {
  /** The scan, when the pass scanned. */
  scan: ScanData | null;
  /** The tiers measured. */
  stats: CacheStatsDoc;
}

/**
 * Runs the monitor's passes (see the module doc).
 *
 * @example Constructed idle; nothing happens before start()
 * ```ts
 * import assert from "node:assert/strict";
 * import { CacheMonitor } from "./serve_monitor.ts";
 * const m = new CacheMonitor({} as never);
 * assert(m.lastStats() === undefined && m.initialEvents().length === 0);
 * ```
 */
export class CacheMonitor {
  readonly #deps: MonitorDeps;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<PassResult> | undefined;
  #scanning: Promise<unknown> = Promise.resolve();
  #warned = new Set<string>();
  #stats: CacheStatsDoc | undefined;
  #nextAt = 0;
  #stopped = false;

  /**
   * Creates the monitor.
   *
   * @param deps Context, events, the servers' state, the transfers.
   */
  constructor(deps: MonitorDeps) {
    this.#deps = deps;
  }

  /** The last stats document measured. */
  lastStats(): CacheStatsDoc | undefined {
    return this.#stats;
  }

  /** The last stats and the warnings active (for a new `/api/events` client). */
  initialEvents(): ApiEvent[] {
    if (!this.#stats) return [];
    return [
      apiEvent("cache_stats", this.#stats as unknown as Record<string, unknown>),
      ...activeWarnings(this.#stats).map((w) => apiEvent("cache_warning", w)),
    ];
  }

  /**
   * Starts the timer; measures the tiers at once (no scan, no refill).
   *
   * @param intervalSeconds Seconds between passes.
   */
  start(intervalSeconds: number): void {
    const ms = Math.max(1, intervalSeconds) * 1000;
    this.#nextAt = this.#deps.ctx.now() + ms / 1000;
    const tick = () => {
      this.#nextAt = this.#deps.ctx.now() + ms / 1000;
      this.#timer = setTimeout(tick, ms);
      void this.pass("timer").catch((err) => this.#warn(err));
    };
    this.#timer = setTimeout(tick, ms);
    void this.#measure().catch((err) => this.#warn(err));
  }

  /** Stops the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await this.#running?.catch(() => {});
  }

  #warn(err: unknown): void {
    this.#deps.log(`warning: cache monitor: ${err instanceof Error ? err.message : String(err)}`);
  }

  /**
   * Scans every tier, one scan at a time (the monitor's and a download's).
   *
   * @returns The scan's summary and the index after it.
   */
  rescan(): Promise<{ scan: ScanData; index: IndexedModel[] }> {
    const run = async () => {
      const { ctx } = this.#deps;
      const started = performance.now();
      const r = await scanAndRecord(ctx, false);
      const scan: ScanData = {
        files: r.scan.stats.files,
        models: r.lib.models.length,
        added: r.result.added,
        gone: r.result.gone,
        renamed: r.result.renamed.map(([a, b]) => [a, b] as [string, string]),
        warnings: r.scan.warnings.length + r.lib.warnings.length,
        seconds: Math.round((performance.now() - started) / 10) / 100,
      };
      this.#deps.publish(apiEvent("scan", scan));
      const touched = [...scan.added, ...scan.gone, ...scan.renamed.map(([, b]) => b)];
      this.#deps.changed("scan", touched);
      return { scan, index: loadIndex(ctx.state()) };
    };
    const next = this.#scanning.then(run, run);
    this.#scanning = next.catch(() => {});
    return next;
  }

  /** Measures the tiers, publishes the stats and the warnings that changed. */
  async #measure(): Promise<CacheStatsDoc> {
    const { ctx } = this.#deps;
    const config = await ctx.config();
    const stats = cacheStatsDocument(await measureLocations(config), {
      threshold: config.cache_warning_threshold,
      now: ctx.now(),
    });
    const { changes, now } = warningChanges(this.#warned, stats);
    this.#warned = now;
    this.#stats = stats;
    this.#deps.publish(apiEvent("cache_stats", stats as unknown as Record<string, unknown>));
    for (const w of changes) {
      this.#deps.publish(apiEvent("cache_warning", w));
      this.#deps.log(w.active ? w.message : `cleared: ${w.message}`);
    }
    return stats;
  }

  /**
   * Runs one pass now, or joins the one in progress.
   *
   * @param trigger What asked: `timer` or `refresh`.
   * @returns What the pass did.
   */
  pass(trigger: "timer" | "refresh"): Promise<PassResult> {
    if (this.#running) return this.#running;
    const run = this.#pass(trigger).finally(() => (this.#running = undefined));
    this.#running = run;
    return run;
  }

  async #pass(trigger: string): Promise<PassResult> {
    const { ctx, transfers } = this.#deps;
    const startedAt = ctx.now();
    const started = performance.now();
    const { scan, index } = await this.rescan();
    const stats = await this.#measure();
    const refill: MonitorPassData["refill"] = [];
    let skipped: string | null = null;
    const config = await ctx.config();
    const store = ctx.state();
    const live = pruneServers(store).live;
    reapStaleJobs(store, ctx.now());
    if (!config.cache.auto) skipped = "cache.auto is off";
    else if (this.#stopped) skipped = "--serve is stopping";
    else if (this.#deps.loading() || live.some((r) => r.use_id === null)) {
      skipped = "a server is loading";
    } else if (!transfers.idle() || store.copyJobs(["queued", "copying"]).length > 0) {
      skipped = "a copy is running";
    } else {
      const now = ctx.now();
      const space = await ssdSpace(config, index);
      const choice = choosePolicy(index, config, space, now);
      await savePolicyChoice(ctx.stateDir, choice, now).catch(() => {});
      const inUse = new Set(live.map((r) => r.model_id));
      const plans = planRefill({
        space,
        cached: cachedCopies(index, { now, inUse, choice }),
        candidates: refillCandidates(index, { now, busy: transfers.busyModels(), choice }),
        policy: choice.policy,
        now,
      });
      for (const p of plans) {
        const model = index.find((m) => m.id === p.id);
        if (!model) continue;
        transfers.queueSsdCopy(model, {
          manual: false,
          evict: true,
          pinAfter: false,
          reason: `refill: ${p.reason}`,
        });
        refill.push({ model_id: model.id, model_name: model.name, reason: p.reason });
      }
    }
    const data: MonitorPassData = {
      trigger,
      started_at: isoTime(startedAt),
      seconds: Math.round((performance.now() - started) / 10) / 100,
      refill,
      refill_skipped: skipped,
      next_at: isoTime(this.#nextAt || ctx.now()),
    };
    this.#deps.publish(apiEvent("monitor_pass", data));
    return { ...data, scan, stats };
  }
}

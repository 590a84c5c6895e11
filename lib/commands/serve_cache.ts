/**
 * The cache API of `--serve`, wired (`lib/serve/routes_cache.ts` parses and
 * shapes; this decides nothing of its own): the stats are `--cache-stats`'s
 * measurements, the check and the recommendation `--check`'s and
 * `--recommend`'s core, the model rows `-l`'s entries, and registering a
 * model is `--cache` + `--pin` (primary), `--evict` + `--no-cache`
 * (secondary), a verified copy into a custom directory, or `--pull` into
 * the location; long work goes to `ServeTransfers` and reports through
 * events. Space is checked before anything changes: no room is a 409 with
 * the figures.
 *
 * @module
 */

import { type ApiEvent, apiEvent, type CacheLocation } from "../core/api_events.ts";
import { type ApiModel, apiModelRow } from "../core/api_models.ts";
import {
  type CacheStatsDoc,
  cacheStatsDocument,
  checkSpace,
  pickTier,
  type RecommendDoc,
  recommendDoc,
  type SpaceCheck,
} from "../core/cache_stats_doc.ts";
import type { TierInput } from "../core/tiers.ts";
import { formatSize } from "../core/units.ts";
import { reapStaleJobs } from "../cache/copy_jobs.ts";
import { cleanupPartials } from "../cache/partials.ts";
import { loadPolicyChoice } from "../cache/policy_file.ts";
import { ssdSpace, ssdTierOptions, statTier } from "../cache/tier_space.ts";
import type { EventHub } from "../serve/events.ts";
import type { IndexCache } from "../serve/index_cache.ts";
import {
  type ApiAnswer,
  ApiError,
  type CacheApi,
  type RegisterRequest,
} from "../serve/routes_cache.ts";
import type { ServeSupervisor } from "../serve/supervisor.ts";
import { loadIndex } from "../state/load_index.ts";
import { measureLocations, measureTiers } from "./cache_stats.ts";
import type { CommandContext } from "./context.ts";
import { listEntries } from "./list.ts";
import { CacheMonitor } from "./serve_monitor.ts";
import { ServeTransfers } from "./serve_transfers.ts";
import { customDirOf, registerModel } from "./serve_register.ts";

/** What the cache API is wired to. */
export interface ServeCacheDeps {
  /** The command context of `--serve`. */
  ctx: CommandContext;
  /** The servers (their status in the model rows). */
  supervisor: Pick<ServeSupervisor, "served">;
  /** The index and name resolution of `--serve`. */
  models: IndexCache;
  /** Copies and downloads. */
  transfers: ServeTransfers;
  /** The monitor (passes on demand, the last stats). */
  monitor: CacheMonitor;
  /** Publishes an event. */
  publish: (event: ApiEvent) => void;
  /** The index changed: forget cached copies of it and tell clients. */
  changed: (reason: string, modelIds: string[]) => void;
}

/**
 * The cache API (see the module doc).
 *
 * @example The routes' interface, implemented
 * ```ts
 * import assert from "node:assert/strict";
 * import { ServeCache } from "./serve_cache.ts";
 * assert(typeof new ServeCache({} as never).register === "function");
 * ```
 */
export class ServeCache implements CacheApi {
  readonly #deps: ServeCacheDeps;

  /**
   * Wires the API.
   *
   * @param deps Context, servers, index, transfers, monitor, events.
   */
  constructor(deps: ServeCacheDeps) {
    this.#deps = deps;
  }

  /** The `GET /api/cache/stats` document, measured now. */
  async stats(): Promise<CacheStatsDoc> {
    const { ctx } = this.#deps;
    const config = await ctx.config();
    return cacheStatsDocument(await measureLocations(config), {
      threshold: config.cache_warning_threshold,
      now: ctx.now(),
    });
  }

  /** The measured tier of a location (for several, the one with the most room, or the one named). */
  async #tierOf(location: CacheLocation, cachePath: string | undefined): Promise<TierInput> {
    const config = await this.#deps.ctx.config();
    if (location === "primary") {
      return await statTier(config.ssd_path, ssdTierOptions(config));
    }
    if (location === "secondary") {
      const { tiers, failed } = await measureTiers(config);
      const hdd = pickTier(tiers.filter((t) => t.kind === "hdd"));
      if (!hdd) throw new ApiError(503, failed[0] ?? "no HDD path could be measured");
      return hdd;
    }
    if (cachePath !== undefined) {
      const { root } = customDirOf(await this.#deps.ctx.config(), this.#deps.ctx.env, cachePath);
      return await statTier(root, { name: "custom", kind: "hdd" });
    }
    const customs = config.custom_paths;
    if (customs.length === 0) {
      throw new ApiError(400, "no custom directories are configured (custom_paths in the config)");
    }
    const measured: TierInput[] = [];
    let failed = "";
    for (const path of customs) {
      try {
        measured.push(await statTier(path, { name: "custom", kind: "hdd" }));
      } catch (err) {
        failed ||= err instanceof Error ? err.message : String(err);
      }
    }
    const best = pickTier(measured);
    if (!best) throw new ApiError(503, failed || "no custom directory could be measured");
    return best;
  }

  /** The space check of a location. */
  async check(location: CacheLocation, bytes: number, cachePath?: string): Promise<SpaceCheck> {
    const config = await this.#deps.ctx.config();
    const tier = await this.#tierOf(location, cachePath);
    return checkSpace(location, bytes, tier, config.cache_warning_threshold);
  }

  /** Where a model of `bytes` should live: `--recommend`. */
  async recommend(bytes: number): Promise<RecommendDoc> {
    const config = await this.#deps.ctx.config();
    const { tiers, failed } = await measureTiers(config);
    if (tiers.length === 0) throw new ApiError(503, failed[0] ?? "no tier could be measured");
    return recommendDoc(bytes, tiers, config.cache_warning_threshold);
  }

  /** Every indexed model, as `-l` sees it, with its server's status. */
  async models(): Promise<ApiModel[]> {
    const { ctx, supervisor } = this.#deps;
    const config = await ctx.config();
    const store = ctx.state();
    const now = ctx.now();
    const index = loadIndex(store);
    const choice = await loadPolicyChoice(ctx.stateDir, config);
    const space = await ssdSpace(config, index).catch(() => undefined);
    const entries = new Map(
      listEntries(index, {
        now,
        jobs: store.copyJobs(["queued", "copying"]),
        choice,
        ssdRoot: config.ssd_path,
        ...(space ? { space } : {}),
      }).map((e) => [e.id, e]),
    );
    return index
      .filter((m) => !m.gone && entries.has(m.id))
      .map((m) => apiModelRow(m, entries.get(m.id)!, supervisor.served(m.id), config.custom_paths))
      .sort((a, b) =>
        a.model_name.localeCompare(b.model_name) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
      );
  }

  async #row(id: string): Promise<ApiModel | null> {
    return (await this.models()).find((m) => m.id === id) ?? null;
  }

  /** Registers where a model lives (`serve_register.ts`). */
  register(req: RegisterRequest): Promise<ApiAnswer> {
    return registerModel({ ...this.#deps, row: (id) => this.#row(id) }, req);
  }

  /** One monitor pass now. */
  async refresh(): Promise<Record<string, unknown>> {
    return { ...await this.#deps.monitor.pass("refresh") };
  }

  /** The last stats, active warnings and transfers under way. */
  initialEvents(): ApiEvent[] {
    return [...this.#deps.monitor.initialEvents(), ...this.#deps.transfers.initialEvents()];
  }
}

/** The cache API of a running `--serve`, started. */
export interface StartedCacheApi {
  /** What the routes call. */
  api: ServeCache;
  /** The background monitor (start it once listening). */
  monitor: CacheMonitor;
  /** Stops the monitor and the transfers (copies clean up, downloads keep their part). */
  stop(): Promise<void>;
}

/**
 * Starts the cache API of `--serve`: first cleans up after a `--serve` that
 * died (copy jobs whose owner is gone are failed; temp files of interrupted
 * copies on the SSD and in the custom directories are removed), then wires
 * the transfers, the monitor and the API together.
 *
 * @param deps The command context, the event hub, the index, the supervisor, the log.
 * @returns The API, the monitor and how to stop them.
 */
export async function startCacheApi(deps: {
  ctx: CommandContext;
  events: EventHub;
  models: IndexCache;
  supervisor: ServeSupervisor;
  log: (line: string) => void;
}): Promise<StartedCacheApi> {
  const { ctx, events, models, supervisor, log } = deps;
  const config = await ctx.config();
  const store = ctx.state();
  for (const job of reapStaleJobs(store, ctx.now())) {
    log(
      `copy job ${job.id} of ${
        store.model(job.model_id)?.name ?? job.model_id
      } did not finish: failed`,
    );
  }
  for (const root of [config.ssd_path, ...config.custom_paths]) {
    const removed = await cleanupPartials(root).catch(() => []);
    if (removed.length > 0) {
      log(
        `removed ${removed.length} leftover file${
          removed.length === 1 ? "" : "s"
        } of interrupted copies in ${root} (${
          formatSize(removed.reduce((s, r) => s + r.bytes, 0))
        })`,
      );
    }
  }
  const publish = (e: ApiEvent) => events.publish(e);
  const changed = (reason: string, ids: string[]) => {
    models.invalidate();
    if (ids.length > 0 || reason !== "scan") {
      publish(apiEvent("models_changed", { reason, model_ids: ids }));
    }
  };
  const late: { monitor?: CacheMonitor } = {};
  const transfers = new ServeTransfers({
    config,
    store,
    stateDir: ctx.stateDir,
    now: ctx.now,
    publish,
    log,
    index: () => models.index(),
    changed,
    rescan: async () => (await late.monitor!.rescan()).index,
  });
  const monitor = new CacheMonitor({
    ctx,
    publish,
    changed,
    transfers,
    log,
    loading: () =>
      supervisor.scheduler.snapshot().some((s) => s.phase === "starting" || s.phase === "waiting"),
  });
  late.monitor = monitor;
  const api = new ServeCache({ ctx, supervisor, models, transfers, monitor, publish, changed });
  return {
    api,
    monitor,
    stop: async () => {
      await monitor.stop();
      await transfers.stop();
    },
  };
}

/**
 * Registering where a model lives, for `POST /api/models` (the guide's
 * "Register New Model"): `primary` is `--cache` then `--pin` once the copy
 * is verified; `secondary` is `--evict` (the original checked first) and
 * `--no-cache`; `custom` is a verified copy into a directory of
 * `custom_paths`; an `hf_path` with no such local model is `--pull` into the
 * location. Space is checked before anything changes: no room is a 409 with
 * the figures, and a copy that would evict others needs `allow_evict`.
 *
 * @module
 */

import { resolve } from "node:path";
import { apiEvent } from "../core/api_events.ts";
import { type ApiModel, isInDirectory, modelPlace } from "../core/api_models.ts";
import { checkSpace, recommendDoc } from "../core/cache_stats_doc.ts";
import { planCopy } from "../core/copy_plan.ts";
import type { IndexedModel } from "../core/model_index.ts";
import { roomRefusal } from "../core/pull_room.ts";
import { tierStats } from "../core/tiers.ts";
import { formatSize } from "../core/units.ts";
import { evictModel } from "../cache/evict_model.ts";
import { loadPolicyChoice } from "../cache/policy_file.ts";
import { ssdSpace, statTier } from "../cache/tier_space.ts";
import type { Config } from "../config/config.ts";
import { type Env, expandHome } from "../config/paths.ts";
import { hubSettingsFromEnv } from "../hub/hub_client.ts";
import { planPull, type PullPlan, type PullTarget } from "../hub/pull_plan.ts";
import { pullTargetFromConfig } from "../hub/pull_target.ts";
import { pruneServers } from "../server/records.ts";
import { type ApiAnswer, ApiError, type RegisterRequest } from "../serve/routes_cache.ts";
import { loadIndex } from "../state/load_index.ts";
import { measureTiers } from "./cache_stats.ts";
import type { ServeCacheDeps } from "./serve_cache.ts";
import denoJson from "../../deno.json" with { type: "json" };

const MIB = 1024 ** 2;
const mb = (bytes: number) => Math.floor(bytes / MIB);

/** What registering needs: the cache API's wiring and its model rows. */
export interface RegisterDeps extends ServeCacheDeps {
  /** The `GET /api/models` row of a model. */
  row: (id: string) => Promise<ApiModel | null>;
}

/**
 * The custom directory a request names (or the first configured one), and
 * the configured directory it lies in.
 *
 * @param config The config.
 * @param env The environment (`~`).
 * @param cachePath The request's `cache_path`.
 * @returns The configured root and the directory.
 * @throws {ApiError} 400 when none is configured, or the path is relative or outside them all.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { customDirOf } from "./serve_register.ts";
 * const config = { custom_paths: ["/usb"] } as never;
 * assert.deepEqual(customDirOf(config, {}, "/usb/a/"), { root: "/usb", dir: "/usb/a" });
 * assert.throws(() => customDirOf(config, {}, "/elsewhere"), /not a custom directory/);
 * ```
 */
export function customDirOf(
  config: Pick<Config, "custom_paths">,
  env: Env,
  cachePath: string | undefined,
): { root: string; dir: string } {
  if (config.custom_paths.length === 0) {
    throw new ApiError(400, "no custom directories are configured (custom_paths in the config)");
  }
  if (cachePath === undefined) {
    return { root: config.custom_paths[0]!, dir: config.custom_paths[0]! };
  }
  const expanded = expandHome(cachePath, env);
  if (!expanded.startsWith("/")) {
    throw new ApiError(
      400,
      `cache_path must be an absolute path, got ${JSON.stringify(cachePath)}`,
    );
  }
  const dir = resolve(expanded);
  const root = config.custom_paths.find((c) => isInDirectory(resolve(c), dir));
  if (root === undefined) {
    throw new ApiError(
      400,
      `cache_path ${dir} is not a custom directory (custom_paths: ${
        config.custom_paths.join(", ")
      })`,
    );
  }
  return { root, dir };
}

/** Registers where a model lives (see the module doc). */
/**
 * Registers where a model lives (see the module doc).
 *
 * @param d The cache API's wiring.
 * @param req The validated request.
 * @returns The answer: 200 done, 202 copying or downloading.
 * @throws {ApiError} 400 for an unknown model or directory, 409 without room or when a copy runs.
 */
export async function registerModel(d: RegisterDeps, req: RegisterRequest): Promise<ApiAnswer> {
  const { ctx, models } = d;
  const store = ctx.state();
  const index = loadIndex(store);
  let model: IndexedModel | undefined;
  if (req.hf_path !== undefined) {
    const planned = await planHf(d, req);
    model = localModelOf(index, planned.plan);
    if (!model) return await download(d, req, planned.plan, planned.hub);
  } else {
    const r = models.resolve(req.model_name!);
    if (!r.ok) throw new ApiError(400, r.message, { candidates: r.candidates });
    model = index.find((m) => m.id === r.model.id);
  }
  if (!model || model.gone) {
    throw new ApiError(400, `model ${req.model_name ?? req.hf_path} has no files (run -u)`);
  }
  const job = store.copyJobs(["queued", "copying"]).find((j) => j.model_id === model.id);
  if (job) {
    throw new ApiError(409, `a copy of ${model.name} is already ${job.state} (job ${job.id})`, {
      job_id: job.id,
    });
  }
  if (req.cache_location === "primary") return await primary(d, model, req.allow_evict);
  if (req.cache_location === "secondary") return await secondary(d, model);
  return await custom(d, model, req.cache_path);
}

async function primary(
  d: RegisterDeps,
  model: IndexedModel,
  allowEvict: boolean,
): Promise<ApiAnswer> {
  const { ctx, transfers } = d;
  const config = await ctx.config();
  const store = ctx.state();
  if (model.ssd !== undefined && (model.ssd.verified || model.ssdOnly)) {
    store.setFlag(model.id, "pinned", true);
    store.setFlag(model.id, "no_cache", false);
    d.changed("registered", [model.id]);
    return {
      status: 200,
      body: {
        status: "registered",
        message: `${model.name} is on the SSD (${model.ssd.path}); pinned`,
        model: await d.row(model.id),
      },
    };
  }
  if (!model.hdd) {
    throw new ApiError(409, `${model.name} has SSD files but no verified copy or original`);
  }
  const index = loadIndex(store);
  const space = await ssdSpace(config, index);
  const now = ctx.now();
  const choice = await loadPolicyChoice(ctx.stateDir, config);
  const plan = planCopy(model, {
    index,
    space,
    inUse: new Set(pruneServers(store).live.map((s) => s.model_id)),
    policy: choice.policy,
    now,
    choice,
  }, { manual: true });
  const available = Math.min(
    space.freeBytes - space.minFreeBytes,
    space.limitBytes === undefined ? Infinity : space.limitBytes - space.cacheUsedBytes,
  );
  const figures = {
    cache_location: "primary",
    path: config.ssd_path,
    required_mb: Math.ceil(model.hdd.size / MIB),
    available_mb: Math.max(0, mb(available)),
  };
  if (!plan.copy) {
    throw new ApiError(409, `no room for ${model.name} on primary: ${plan.reason}`, {
      ...figures,
      kept: plan.refused.map((r) => ({ model_id: r.id, reason: r.reason })),
    });
  }
  if (plan.evict.length > 0 && !allowEvict) {
    const names = new Map(index.map((m) => [m.id, m.name]));
    throw new ApiError(
      409,
      `copying ${model.name} to primary would evict ${
        plan.evict.map((e) => `${names.get(e.id) ?? e.id} (${formatSize(e.size)})`).join(", ")
      }; send "allow_evict": true to allow it`,
      {
        ...figures,
        would_evict: plan.evict.map((e) => ({
          model_id: e.id,
          model_name: names.get(e.id) ?? e.id,
          size_mb: Math.round((e.size / MIB) * 10) / 10,
          reason: e.reason,
        })),
      },
    );
  }
  const jobId = transfers.queueSsdCopy(model, {
    manual: true,
    evict: allowEvict,
    pinAfter: true,
    reason: `registered: ${plan.reason}`,
  });
  return {
    status: 202,
    body: {
      status: "copying",
      job_id: jobId,
      message: `copying ${model.name} (${
        formatSize(model.hdd.size)
      }) to the SSD; pinned once verified`,
      model: await d.row(model.id),
    },
  };
}

async function secondary(d: RegisterDeps, model: IndexedModel): Promise<ApiAnswer> {
  const { ctx } = d;
  const config = await ctx.config();
  const store = ctx.state();
  if (model.ssdOnly || !model.hdd) {
    throw new ApiError(
      409,
      `${model.name} lives only on the SSD (${model.ssd?.path}): there is no original to keep it on; copy it under an HDD path first`,
    );
  }
  let evicted = "";
  if (model.ssd) {
    const r = await evictModel(store, model, { ssdPath: config.ssd_path });
    evicted = `; its SSD copy was deleted (${
      formatSize(r.bytes)
    }), the original at ${model.hdd.path} checked first`;
    d.publish(apiEvent("eviction", {
      model_id: model.id,
      model_name: model.name,
      bytes: r.bytes,
      reason: "registered secondary",
    }));
  }
  store.setFlag(model.id, "pinned", false);
  store.setFlag(model.id, "no_cache", true);
  d.changed("registered", [model.id]);
  return {
    status: 200,
    body: {
      status: "registered",
      message: `${model.name} stays on the HDD and off the SSD (--no-cache)${evicted}`,
      model: await d.row(model.id),
    },
  };
}

async function custom(
  d: RegisterDeps,
  model: IndexedModel,
  cachePath: string | undefined,
): Promise<ApiAnswer> {
  const { ctx, transfers } = d;
  const config = await ctx.config();
  const { root, dir } = customDirOf(config, ctx.env, cachePath);
  const place = modelPlace(model, config.custom_paths);
  const inDir = [model.hdd?.path, ...extraPaths(model)].some((p) => p && isInDirectory(dir, p));
  if (place.cache_path !== null && inDir) {
    return {
      status: 200,
      body: {
        status: "registered",
        message: `${model.name} is already in ${dir}`,
        model: await d.row(model.id),
      },
    };
  }
  const tier = await statTier(root, { name: "custom", kind: "hdd" });
  const check = checkSpace("custom", model.size, tier, config.cache_warning_threshold);
  if (!check.fits) {
    throw new ApiError(409, `no room for ${model.name} in ${dir}: ${check.reason}`, {
      cache_location: "custom",
      path: dir,
      required_mb: Math.ceil(model.size / MIB),
      available_mb: check.available_mb,
    });
  }
  const jobId = transfers.queueCustomCopy(model, dir, root);
  return {
    status: 202,
    body: {
      status: "copying",
      job_id: jobId,
      message: `copying ${model.name} (${formatSize(model.size)}) to ${dir}`,
      ...(check.would_exceed_warning ? { warning: check.reason } : {}),
      model: await d.row(model.id),
    },
  };
}

/** Plans a pull of `hf_path` into the location (the hub is asked; nothing is written). */
async function planHf(
  d: RegisterDeps,
  req: RegisterRequest,
): Promise<{ plan: PullPlan; hub: ReturnType<typeof hubSettingsFromEnv> }> {
  const { ctx } = d;
  const config = await ctx.config();
  let target: PullTarget;
  if (req.cache_location === "custom") {
    const { dir } = customDirOf(await ctx.config(), ctx.env, req.cache_path);
    const st = await Deno.stat(dir).catch(() => undefined);
    if (!st?.isDirectory) throw new ApiError(400, `cache_path ${dir} does not exist`);
    target = pullTargetFromConfig(config, dir, ctx.env);
  } else {
    target = pullTargetFromConfig(config, req.cache_location, ctx.env);
  }
  const hub = { ...hubSettingsFromEnv(ctx.env), userAgent: `llama-pack/${denoJson.version}` };
  const plan = await planPull({ ref: req.hf_path! }, {
    hub,
    target,
    threshold: config.cache_warning_threshold,
  });
  return { plan, hub };
}

async function download(
  d: RegisterDeps,
  req: RegisterRequest,
  plan: PullPlan,
  hub: ReturnType<typeof hubSettingsFromEnv>,
): Promise<ApiAnswer> {
  const { ctx, transfers } = d;
  const config = await ctx.config();
  if (!plan.room.fits) {
    const { tiers } = await measureTiers(config);
    const threshold = config.cache_warning_threshold;
    const refusal = roomRefusal(plan.label, plan.needBytes, plan.room, { tiers, threshold });
    throw new ApiError(409, refusal.message, {
      cache_location: req.cache_location,
      path: plan.target.dir,
      required_mb: Math.ceil(plan.needBytes / MIB),
      available_mb: Math.max(0, mb(tierStats(plan.tier).room)),
      recommended_cache: recommendDoc(plan.needBytes, tiers, threshold).recommended_cache,
    });
  }
  const store = ctx.state();
  const id = transfers.queueDownload({
    plan,
    hub,
    hfPath: req.hf_path!,
    location: req.cache_location,
    onIndexed: (m) => {
      if (m && req.cache_location === "secondary") store.setFlag(m.id, "no_cache", true);
    },
  });
  return {
    status: 202,
    body: {
      status: "downloading",
      download_id: id,
      label: plan.label,
      cache_location: req.cache_location,
      dir: plan.target.dir,
      bytes_total: plan.totalBytes,
      bytes_needed: plan.needBytes,
      message: `downloading ${plan.label} (${formatSize(plan.needBytes)}) into ${plan.target.dir}`,
      ...(plan.room.warning ? { warning: plan.room.warning } : {}),
    },
  };
}

function extraPaths(model: IndexedModel): string[] {
  const extra = model.metadata?.extraCopies;
  if (!Array.isArray(extra)) return [];
  return extra.flatMap((c) => {
    const p = (c as { path?: unknown } | null)?.path;
    return typeof p === "string" ? [p] : [];
  });
}

/** The indexed model a pull plan's first file already is (pulled before, or in the HF cache). */
function localModelOf(index: readonly IndexedModel[], plan: PullPlan): IndexedModel | undefined {
  const first = plan.files[0];
  if (!first) return undefined;
  const tail = `/${first.localPath}`;
  return index.find((m) =>
    !m.gone && (
      m.id === `${plan.repo}/${first.path}` ||
      [m.hdd?.path, m.ssd?.path, ...extraPaths(m)].some((p) => p?.endsWith(tail))
    )
  );
}

/**
 * The command behind --cache-stats, --check SIZE [--tier ssd|hdd|PATH] and
 * --recommend SIZE: the storage tiers (the SSD cache, each HDD path and
 * each custom directory), how full they are, and where a model of a given
 * size fits. `--cache-stats --json` prints the document of the cache API's
 * `GET /api/cache/stats`.
 *
 * @module
 */

import {
  checkFit,
  recommendTier,
  renderTierStats,
  type TierInput,
  tierStats,
} from "../core/tiers.ts";
import { cacheStatsDocument, type MeasuredTier } from "../core/cache_stats_doc.ts";
import { ssdRoomWarning, ssdTierOptions, statTier } from "../cache/tier_space.ts";
import { reapStaleJobs } from "../cache/copy_jobs.ts";
import type { Config } from "../config/config.ts";
import { LlamaPackError } from "../errors.ts";
import { type Env, expandHome } from "../config/paths.ts";
import { formatSize } from "../core/units.ts";
import type { CommandContext } from "./context.ts";

/**
 * Measures the configured tiers: `ssd`, then `hdd` (or `hdd1`, `hdd2`, … for
 * several paths). `--pull` uses it for its suggestion when there is no room.
 *
 * @param config The config.
 * @returns The tiers measured, and one message per tier that could not be.
 */
export async function measureTiers(
  config: Config,
): Promise<{ tiers: TierInput[]; failed: string[] }> {
  const specs: Array<{ path: string; name: string; kind: "ssd" | "hdd" }> = [
    { path: config.ssd_path, name: "ssd", kind: "ssd" },
    ...config.hdd_path.map((path, i) => ({
      path,
      name: config.hdd_path.length > 1 ? `hdd${i + 1}` : "hdd",
      kind: "hdd" as const,
    })),
  ];
  const tiers: TierInput[] = [];
  const failed: string[] = [];
  for (const s of specs) {
    try {
      tiers.push(
        await statTier(s.path, {
          name: s.name,
          kind: s.kind,
          ...(s.kind === "ssd" ? ssdTierOptions(config) : {}),
        }),
      );
    } catch (err) {
      failed.push(err instanceof Error ? err.message : String(err));
    }
  }
  return { tiers, failed };
}

/** Measures one tier for the stats document: its figures and its disk, or why not. */
async function measured(
  path: string,
  options: Parameters<typeof statTier>[1],
): Promise<MeasuredTier> {
  try {
    const tier = await statTier(path, options);
    const dev = await Deno.stat(path).then((st) => String(st.dev), () => undefined);
    return dev === undefined ? { ok: true, tier } : { ok: true, tier, disk: dev };
  } catch (err) {
    return {
      ok: false,
      name: options.name,
      path,
      error: err instanceof Error ? err.message : String(err),
      minFreeBytes: options.minFreeBytes ?? 0,
    };
  }
}

/**
 * Measures every tier in the cache API's terms: `primary` (the SSD),
 * `secondary` (each HDD path) and `custom` (each custom directory); a tier
 * that cannot be measured says why instead.
 *
 * @param config The config.
 * @returns The measured tiers for `cacheStatsDocument` (`lib/core/cache_stats_doc.ts`).
 */
export async function measureLocations(config: Config): Promise<{
  primary: MeasuredTier;
  secondary: MeasuredTier[];
  custom: MeasuredTier[];
}> {
  const several = (list: string[], base: string, i: number) =>
    list.length > 1 ? `${base}${i + 1}` : base;
  const primary = await measured(config.ssd_path, ssdTierOptions(config));
  const secondary = await Promise.all(
    config.hdd_path.map((p, i) =>
      measured(p, { name: several(config.hdd_path, "hdd", i), kind: "hdd" })
    ),
  );
  const custom = await Promise.all(
    config.custom_paths.map((p, i) =>
      measured(p, { name: several(config.custom_paths, "custom", i), kind: "hdd" })
    ),
  );
  return { primary, secondary, custom };
}

/**
 * Runs --cache-stats, --check and --recommend.
 *
 * @param ctx The command context.
 * @returns The exit status: 0, or 1 when a tier cannot be measured, a model
 *   does not fit (`--check`) or fits nowhere (`--recommend`).
 * @throws {LlamaPackError} `IO` when the tier asked about cannot be measured;
 *   `USAGE` for an unknown `--tier`.
 */
export async function cacheStatsCommand(ctx: CommandContext): Promise<number> {
  const action = ctx.cmd.action;
  const config = await ctx.config();
  const threshold = config.cache_warning_threshold;
  if (action.kind === "cache-stats") {
    const locations = await measureLocations(config);
    const all = [locations.primary, ...locations.secondary, ...locations.custom];
    const tiers = all.flatMap((t) => (t.ok ? [t.tier] : []));
    const failed = all.flatMap((t) => (t.ok ? [] : [t.error]));
    if (ctx.cmd.json) {
      const doc = cacheStatsDocument(locations, { threshold, now: ctx.now() });
      ctx.out(JSON.stringify(doc, null, 2) + "\n");
    } else {
      ctx.out(renderTierStats(tiers, { threshold, color: ctx.color }));
      const store = ctx.state();
      reapStaleJobs(store, ctx.now());
      const active = store.copyJobs(["queued", "copying"]);
      if (active.length > 0) {
        ctx.out(
          `${active.length} copy job${
            active.length === 1 ? "" : "s"
          } to the SSD running or queued (see --status)\n`,
        );
      }
    }
    for (const f of failed) ctx.err(`error: ${f}\n`);
    const room = await ssdRoomWarning(config);
    if (room) ctx.err(`warning: ${room}\n`);
    return failed.length > 0 ? 1 : 0;
  }

  if (action.kind === "check") {
    const tier = await pickTier(config, action.tier, ctx.env);
    const fit = checkFit(action.sizeBytes, tier, { threshold });
    if (ctx.cmd.json) {
      ctx.out(
        JSON.stringify({ fits: fit.fits, tier: tier.name, path: tier.path, reason: fit.reason }) +
          "\n",
      );
    } else {
      ctx.out(`${fit.fits ? "yes" : "no"}: ${fit.reason}\n`);
    }
    return fit.fits ? 0 : 1;
  }

  if (action.kind === "recommend") {
    const { tiers, failed } = await measureTiers(config);
    for (const f of failed) ctx.err(`warning: ${f}\n`);
    const rec = recommendTier(action.sizeBytes, tiers, { threshold });
    const path = tiers.find((t) => t.name === rec.tier)?.path;
    if (ctx.cmd.json) {
      ctx.out(
        JSON.stringify({ tier: rec.tier ?? null, path: path ?? null, reason: rec.reason }) + "\n",
      );
    } else if (rec.tier) {
      ctx.out(`${rec.tier} (${path}) for ${formatSize(action.sizeBytes)}: ${rec.reason}\n`);
    } else {
      ctx.out(`nowhere: ${rec.reason}\n`);
    }
    return rec.tier ? 0 : 1;
  }
  throw new LlamaPackError("USAGE", `cache stats: unexpected action ${action.kind}`);
}

/** The tier `--check` asks about: `ssd` (default), `hdd` (the one with most room), or a path. */
async function pickTier(config: Config, tier: string | undefined, env: Env): Promise<TierInput> {
  if (tier === undefined || tier === "ssd") {
    return await statTier(config.ssd_path, ssdTierOptions(config));
  }
  if (/^hdd\d*$/.test(tier)) {
    const { tiers, failed } = await measureTiers(config);
    const hdds = tiers.filter((t) => t.kind === "hdd");
    const named = hdds.find((t) => t.name === tier);
    if (named) return named;
    if (tier === "hdd" && hdds.length > 0) {
      return hdds.sort((a, b) => tierStats(b).room - tierStats(a).room)[0]!;
    }
    if (failed.length > 0) throw new LlamaPackError("IO", failed[0]!);
    throw new LlamaPackError(
      "USAGE",
      `option '--tier': no tier named '${tier}' (have: ${tiers.map((t) => t.name).join(", ")})`,
    );
  }
  if (tier.startsWith("/") || tier.startsWith(".") || tier.startsWith("~")) {
    return await statTier(expandHome(tier, env), { name: tier, kind: "hdd" });
  }
  throw new LlamaPackError(
    "USAGE",
    `option '--tier': unknown tier '${tier}' (use ssd, hdd or a directory path)`,
  );
}

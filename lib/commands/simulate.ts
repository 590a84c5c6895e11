/**
 * The command behind `--simulate NAME|PATTERN|FILE` and `--simulate-history`:
 * builds a workload (a preset from the config, a pattern, a JSON Lines trace
 * or the user's own recorded uses), runs llama-pack's cache policy over it in
 * virtual time with the config's cache settings and disk speeds, and prints
 * the summary (`-v`: the timeline first; `--compare`: the reference policies
 * and the offline optimum; `--json`: all of it as JSON).
 *
 * @module
 */

import { statfs } from "node:fs/promises";
import type { Config } from "../config/config.ts";
import { didYouMean } from "../core/words.ts";
import { errorMessage, LlamaPackError } from "../errors.ts";
import { findModel, type IndexedModel } from "../core/model_index.ts";
import { loadIndex } from "../state/load_index.ts";
import { formatSize, GIB } from "../core/units.ts";
import { llamaPackPolicy } from "../../sim/llama_pack_policy.ts";
import { isPattern, parsePattern } from "../../sim/pattern.ts";
import { referencePolicies } from "../../sim/reference.ts";
import { renderComparison, renderSummary, renderTimeline } from "../../sim/report.ts";
import { comparePolicies, simulate } from "../../sim/simulate.ts";
import { parseTrace } from "../../sim/trace.ts";
import { type Load, sortLoads, type Workload } from "../../sim/workload.ts";
import type { EngineOptions } from "../../sim/policy_api.ts";
import type { CommandContext } from "./context.ts";

type SimulateAction = Extract<CommandContext["cmd"]["action"], { kind: "simulate" }>;

/** Where the workload came from, before the SSD figures are settled. */
interface Source {
  name: string;
  description: string | undefined;
  loads: Load[];
  /** The preset's free space, bytes; undefined when it must be measured. */
  ssdFreeBytes: number | undefined;
}

/**
 * Runs `--simulate` / `--simulate-history`.
 *
 * @param ctx The command context.
 * @returns The exit status (0).
 * @throws {LlamaPackError} `BAD_PATTERN` for a bad pattern or trace line,
 *   `USAGE` for an unknown preset or nothing to replay, `IO` when a trace
 *   file cannot be read or the SSD cannot be measured.
 */
export async function simulateCommand(ctx: CommandContext): Promise<number> {
  const action = ctx.cmd.action;
  if (action.kind !== "simulate") {
    throw new LlamaPackError("USAGE", `--simulate: unexpected action '${action.kind}'`);
  }
  const config = await ctx.config();
  const source = await resolveSource(ctx, action, config);
  const ssdFreeBytes = action.ssdFreeBytes ?? source.ssdFreeBytes ??
    await measureSsd(ctx, config);
  const workload: Workload = {
    name: source.name,
    loads: source.loads,
    ssdFreeBytes,
    ssdMinFreeBytes: config.ssd_min_free_gb * GIB,
    ...(config.ssd_limit_gb === undefined ? {} : { ssdLimitBytes: config.ssd_limit_gb * GIB }),
    ...(source.description ? { description: source.description } : {}),
  };
  const engine: EngineOptions = {
    hddReadBytesPerSecond: config.hdd_read_mbps * 1e6,
    ssdWriteBytesPerSecond: config.ssd_write_mbps * 1e6,
  };
  const cachePolicy = {
    minUses: config.cache.min_uses,
    windowSeconds: config.cache.window_days * 86400,
  };
  ctx.debug(
    2,
    `simulate: ${workload.loads.length} loads; SSD ${formatSize(ssdFreeBytes)} free, ` +
      `${config.ssd_min_free_gb} GiB kept free; HDD ${config.hdd_read_mbps} MB/s, ` +
      `SSD write ${config.ssd_write_mbps} MB/s; admit after ${cachePolicy.minUses} uses in ` +
      `${config.cache.window_days} days; adaptive ${config.cache.adaptive}\n`,
  );
  const verbose = ctx.cmd.verbose >= 1;
  const result = simulate(workload, {
    ...engine,
    policy: llamaPackPolicy({ cachePolicy, adaptive: config.cache.adaptive }),
    timeline: verbose,
  });
  const comparison = action.compare
    ? await comparePolicies(workload, {
      ...engine,
      policies: [
        llamaPackPolicy({ cachePolicy, adaptive: config.cache.adaptive }),
        ...referencePolicies(),
      ],
    })
    : undefined;

  if (ctx.cmd.json) {
    ctx.out(
      JSON.stringify(
        {
          workload: {
            name: workload.name,
            description: workload.description ?? null,
            loads: workload.loads.length,
            models: new Set(workload.loads.map((l) => l.model)).size,
            ssdFreeBytes: workload.ssdFreeBytes,
            ssdMinFreeBytes: workload.ssdMinFreeBytes,
            ssdLimitBytes: workload.ssdLimitBytes ?? null,
          },
          summary: result.summary,
          ...(verbose ? { timeline: result.timeline } : {}),
          ...(comparison
            ? {
              comparison: comparison.rows,
              optimum: comparison.optimum
                ? {
                  upperBoundBytes: comparison.optimum.upperBoundBytes,
                  feasibleBytes: comparison.optimum.feasibleBytes,
                  intervals: comparison.optimum.intervals,
                  status: comparison.optimum.status,
                }
                : null,
            }
            : {}),
        },
        null,
        2,
      ) + "\n",
    );
    return 0;
  }

  const origin = workload.loads[0]?.at ?? 0;
  if (verbose) {
    if (action.history) ctx.out(`times from ${new Date(origin * 1000).toISOString()}\n`);
    ctx.out(renderTimeline(result.timeline, { color: ctx.color, origin }) + "\n");
  }
  ctx.out(renderSummary(result.summary, workload, { color: ctx.color }));
  if (comparison) {
    ctx.out("\n" + renderComparison(comparison, { color: ctx.color }));
    if (comparison.optimum && comparison.optimum.status !== "optimal") {
      ctx.err(`warning: ${comparison.optimum.status}\n`);
    }
  }
  return 0;
}

async function resolveSource(
  ctx: CommandContext,
  action: SimulateAction,
  config: Config,
): Promise<Source> {
  let index: IndexedModel[] | undefined;
  const resolveSize = (name: string): number | undefined => {
    index ??= loadIndex(ctx.state());
    try {
      const found = findModel(index, name, { now: ctx.now() });
      ctx.debug(
        2,
        `simulate: '${name}' is ${found.model.name} (${formatSize(found.model.size)})\n`,
      );
      return found.model.size > 0 ? found.model.size : undefined;
    } catch (err) {
      if (err instanceof LlamaPackError && (err.code === "NO_MATCH" || err.code === "AMBIGUOUS")) {
        return undefined;
      }
      throw err;
    }
  };

  if (action.history) return historySource(ctx);
  const target = action.target;
  if (target === undefined || target.trim() === "") {
    throw new LlamaPackError(
      "USAGE",
      "--simulate: needs a preset name, a pattern or a trace file",
      {
        hint: `presets: ${Object.keys(config.simulations).join(", ")}`,
      },
    );
  }
  if (isPattern(target)) {
    return {
      name: "pattern",
      description: undefined,
      loads: parsePattern(target, { resolveSize }),
      ssdFreeBytes: undefined,
    };
  }
  const preset = config.simulations[target];
  if (preset !== undefined) {
    return {
      name: target,
      description: preset.description,
      loads: parsePattern(preset.pattern, { resolveSize, source: `preset '${target}'` }),
      ssdFreeBytes: preset.ssd_free_gb * GIB,
    };
  }
  let isFile = false;
  try {
    isFile = (await Deno.stat(target)).isFile;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) {
      throw new LlamaPackError(
        "IO",
        `--simulate: cannot read '${target}': ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
  }
  if (isFile || /[/\\]|\.jsonl?$/i.test(target)) {
    let text: string;
    try {
      text = await Deno.readTextFile(target);
    } catch (err) {
      const why = err instanceof Deno.errors.NotFound
        ? "no such file"
        : err instanceof Deno.errors.IsADirectory
        ? "it is a directory"
        : err instanceof Deno.errors.PermissionDenied
        ? "permission denied"
        : errorMessage(err);
      throw new LlamaPackError(
        "BAD_PATTERN",
        `--simulate: cannot read trace file '${target}': ${why}`,
        {
          cause: err,
          hint: "give a preset name, a pattern (contains = or ;) or a JSON Lines trace file",
        },
      );
    }
    const loads = parseTrace(text, { source: target, resolveSize });
    if (loads.length === 0) {
      throw new LlamaPackError("BAD_PATTERN", `--simulate: trace file '${target}' has no loads`);
    }
    return {
      name: target,
      description: "replayed trace",
      loads,
      ssdFreeBytes: undefined,
    };
  }
  const names = Object.keys(config.simulations);
  const guess = didYouMean(target, names);
  throw new LlamaPackError(
    "USAGE",
    `--simulate: no preset named '${target}'${guess ? ` (did you mean '${guess}'?)` : ""}`,
    {
      hint: `available presets: ${names.join(", ") || "none"}; or pass a pattern such as ` +
        `"test:10g=0s/1h,1d/2h", or a JSON Lines trace file`,
    },
  );
}

function historySource(ctx: CommandContext): Source {
  const index = loadIndex(ctx.state());
  const loads: Load[] = [];
  for (const model of index) {
    if (!(model.size > 0)) continue;
    for (const use of model.uses) {
      loads.push({
        at: use.at,
        model: model.name,
        size: model.size,
        duration: use.duration ?? 3600,
      });
    }
  }
  if (loads.length === 0) {
    throw new LlamaPackError("USAGE", "--simulate-history: no recorded uses to replay yet", {
      hint: "load models with -m first, or simulate a preset: --simulate daily_work",
    });
  }
  return {
    name: "your history",
    description: "replay of your recorded loads",
    loads: sortLoads(loads),
    ssdFreeBytes: undefined,
  };
}

/** The SSD space the cache could use: free bytes now plus the current cached copies. */
async function measureSsd(ctx: CommandContext, config: Config): Promise<number> {
  let free: number;
  try {
    const s = await statfs(config.ssd_path);
    free = Number(s.bavail) * Number(s.bsize);
  } catch (err) {
    throw new LlamaPackError(
      "IO",
      `--simulate: cannot measure free space on the SSD (${config.ssd_path}): ${
        (err as Error).message
      }`,
      { cause: err, hint: "pass the free space to assume: --sim-ssd-free 100g" },
    );
  }
  const cached = ctx.state().ssdCopies().reduce((s, c) => s + c.size, 0);
  ctx.debug(
    1,
    `simulate: SSD ${formatSize(free)} free + ${formatSize(cached)} of cached copies ` +
      `(override with --sim-ssd-free)\n`,
  );
  return free + cached;
}

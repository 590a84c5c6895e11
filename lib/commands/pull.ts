/**
 * The command behind `--pull REPO[:QUANT] [--to WHERE] [--revision REV]
 * [--no-mmproj] [--json] [-n]`: plans the download (hub listing, llama.cpp's
 * file choice, room in the target), refuses with figures and a suggestion
 * when it does not fit, downloads with a progress bar (JSON lines with
 * `--json`), then indexes the model at once so `-l` lists it and `-m` runs it.
 * Each file is recorded in the state store while it downloads, for
 * `--status`. Ctrl-C keeps what was downloaded for the next run to resume.
 *
 * @module
 */

import denoJson from "../../deno.json" with { type: "json" };
import { formatProgress } from "../core/progress_bar.ts";
import { formatDuration, formatSize } from "../core/units.ts";
import type { IndexedModel } from "../core/model_index.ts";
import { LlamaPackError } from "../errors.ts";
import { hubSettingsFromEnv } from "../hub/hub_client.ts";
import { assertRoom, planPull, type PullPlan } from "../hub/pull_plan.ts";
import { executePull, type PullEvent, type PullResult } from "../hub/pull_run.ts";
import { pullTargetFromConfig } from "../hub/pull_target.ts";
import { recordPullInStore } from "../hub/pull_record.ts";
import { pullArgs } from "../core/download_status.ts";
import { loadIndex } from "../state/load_index.ts";
import { measureTiers } from "./cache_stats.ts";
import type { CommandContext } from "./context.ts";
import { scanAndRecord } from "./update.ts";

/**
 * Runs `--pull`.
 *
 * @param ctx The command context.
 * @returns 0 when the model is in place and indexed; 130 when interrupted.
 * @throws {LlamaPackError} `USAGE` for a bad `--to`; `NO_MATCH` for an unknown
 *   repository, revision or tag; `NO_SPACE` when it does not fit; `HUB` when
 *   the hub refuses; `DOWNLOAD` when a hash does not match; `IO` for disk errors.
 */
export async function pullCommand(ctx: CommandContext): Promise<number> {
  const action = ctx.cmd.action;
  if (action.kind !== "pull") throw new LlamaPackError("USAGE", `pull: unexpected ${action.kind}`);
  const config = await ctx.config();
  const threshold = config.cache_warning_threshold;
  const hub = { ...hubSettingsFromEnv(ctx.env), userAgent: `llama-pack/${denoJson.version}` };
  const target = pullTargetFromConfig(config, action.to, ctx.env, { cwd: Deno.cwd() });
  const plan = await planPull(
    { ref: action.ref, revision: action.revision, mmproj: action.mmproj },
    { hub, target, threshold },
  );
  if (!plan.room.fits) assertRoom(plan, (await measureTiers(config)).tiers, threshold);
  const json = ctx.cmd.json;
  const line = (o: unknown) => ctx.out(JSON.stringify(o) + "\n");
  if (json) line(planJson(plan));
  else ctx.out(planText(plan));
  if (plan.room.warning) ctx.err(`warning: ${plan.room.warning}\n`);
  if (ctx.cmd.dryRun) {
    if (!json) ctx.out("dry run: nothing downloaded\n");
    return 0;
  }

  // Each file is recorded for --status before its first byte: opened now, so a
  // state database that cannot be used stops the pull before anything is written.
  const record = recordPullInStore(ctx.state().downloads, {
    now: () => ctx.now(),
    pullArgs: pullArgs({
      ref: action.ref,
      revision: action.revision,
      // A directory as an absolute path: the command runs again from anywhere.
      to: action.to !== undefined && /^[/.~]/.test(action.to) ? plan.target.dir : action.to,
      mmproj: action.mmproj,
    }),
  });
  const interrupt = new AbortController();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  const onSignal = () => interrupt.abort(new Error("interrupted"));
  for (const sig of signals) Deno.addSignalListener(sig, onSignal);
  const bar = !json && ctx.isTty;
  let result: PullResult;
  try {
    result = await executePull(plan, {
      hub,
      stateDir: ctx.stateDir,
      signal: interrupt.signal,
      record,
      progressIntervalMs: json ? 1000 : 200,
      onEvent: (e) => json ? line(e) : bar ? drawBar(ctx, e) : logLine(ctx, e),
    });
  } catch (err) {
    if (bar) ctx.err("\r\x1b[K");
    if (!interrupt.signal.aborted) throw err;
    ctx.err(
      `interrupted: what was downloaded of ${plan.label} is kept; run the same command again to resume\n`,
    );
    return 130;
  } finally {
    for (const sig of signals) Deno.removeSignalListener(sig, onSignal);
  }
  if (bar) ctx.err("\r\x1b[K");

  await scanAndRecord(ctx, false);
  const model = await findPulled(loadIndex(ctx.state()), plan.modelPath);
  if (json) {
    line({
      type: "pulled",
      label: plan.label,
      commit: plan.commit,
      tier: plan.target.name,
      fetched: result.fetched,
      seconds: result.seconds,
      files: result.files.map((f) => ({
        path: f.path,
        role: f.role,
        size: f.bytes,
        hash: f.hash,
        alreadyThere: f.alreadyThere,
      })),
      model: model ? { id: model.id, name: model.name, ssdOnly: model.ssdOnly } : null,
    });
  } else {
    ctx.out(doneText(plan, result, model));
  }
  return 0;
}

/** The plan as JSON (one line; camelCase, like the progress events that follow). */
function planJson(plan: PullPlan): Record<string, unknown> {
  return {
    type: "plan",
    label: plan.label,
    repo: plan.repo,
    revision: plan.revision,
    commit: plan.commit,
    tier: plan.target.name,
    dir: plan.target.dir,
    totalBytes: plan.totalBytes,
    needBytes: plan.needBytes,
    room: plan.room.reason,
    files: plan.files.map((f) => ({
      path: f.path,
      dest: f.dest,
      role: f.role,
      size: f.size,
      sha256: f.sha256 ?? null,
      present: f.present,
      partialBytes: f.partialBytes,
    })),
  };
}

/** What is about to happen, for people. */
function planText(plan: PullPlan): string {
  const have = plan.totalBytes - plan.needBytes;
  const lines = [
    `pulling ${plan.label} from ${plan.repo}@${plan.revision} (commit ${
      plan.commit.slice(0, 10)
    }) into ${plan.target.name} (${plan.target.dir}): ${plan.files.length} file${
      plan.files.length === 1 ? "" : "s"
    }, ${formatSize(plan.totalBytes)}${have > 0 ? `, ${formatSize(have)} already here` : ""}`,
    ...plan.files.map((f) =>
      `  ${f.role === "mmproj" ? "mmproj" : "model "}  ${f.dest}  ${formatSize(f.size)}${
        f.present
          ? "  (present: verify)"
          : f.partialBytes > 0
          ? `  (resume from ${formatSize(f.partialBytes)})`
          : ""
      }`
    ),
    `  room:   ${plan.room.reason}`,
  ];
  return lines.join("\n") + "\n";
}

/** The progress bar on stderr. */
function drawBar(ctx: CommandContext, e: PullEvent): void {
  if (e.type === "retry") {
    ctx.err(`\r\x1b[K${e.path}: ${e.reason}; retrying in ${formatDuration(e.delayMs / 1000)}\n`);
  }
  if (e.type !== "progress") return;
  const name = e.path.slice(e.path.lastIndexOf("/") + 1);
  const figures = formatProgress({
    phase: e.phase === "download" ? "copy" : "verify",
    bytesDone: e.phase === "download" ? e.bytesDone : e.fileBytesDone,
    totalBytes: e.phase === "download" ? e.totalBytes : e.fileBytes,
    bytesPerSecond: e.bytesPerSecond,
  }, { barWidth: 20 });
  const text = `${figures}  ${name}`;
  ctx.err(`\r${text.slice(0, Math.max(20, (ctx.columns ?? 80) - 1))}\x1b[K`);
}

/** One line per file when stderr is not a terminal. */
function logLine(ctx: CommandContext, e: PullEvent): void {
  if (e.type === "file") {
    ctx.err(
      `${e.path}: ${
        e.resumeFrom > 0 ? `resuming from ${formatSize(e.resumeFrom)} of` : "downloading"
      } ${formatSize(e.size)}\n`,
    );
  } else if (e.type === "retry") {
    ctx.err(`${e.path}: ${e.reason}; retrying in ${formatDuration(e.delayMs / 1000)}\n`);
  } else if (e.type === "file-done") {
    ctx.err(
      `${e.path}: ${e.alreadyThere ? "already in place" : "downloaded"}, sha256 ${
        e.hash.slice(0, 16)
      }… verified\n`,
    );
  }
}

/** The model the scan made of the pulled files. */
async function findPulled(
  index: IndexedModel[],
  modelPath: string,
): Promise<IndexedModel | undefined> {
  const real = await Deno.realPath(modelPath).catch(() => modelPath);
  return index.find((m) =>
    [m.hdd, m.ssd].some((c) => c?.files.some((f) => f.path === modelPath || f.path === real))
  );
}

/** What happened, for people. */
function doneText(plan: PullPlan, result: PullResult, model: IndexedModel | undefined): string {
  const speed = result.seconds > 0 && result.fetched > 0
    ? ` (${(result.fetched / result.seconds / 1e6).toFixed(1)} MB/s)`
    : "";
  const shards = result.files.filter((f) => f.role === "model");
  const projector = result.files.find((f) => f.role === "mmproj");
  const lines = [
    `pulled ${plan.label}: ${formatSize(result.fetched)} downloaded in ${
      formatDuration(result.seconds)
    }${speed}; ${result.files.length} file${
      result.files.length === 1 ? "" : "s"
    }, every sha256 verified`,
    `  model:   ${result.modelPath}${
      shards.length > 1 ? ` (+${shards.length - 1} shard${shards.length > 2 ? "s" : ""})` : ""
    }`,
    ...(projector ? [`  mmproj:  ${projector.path}`] : []),
  ];
  if (model) {
    lines.push(`  indexed: ${model.name} (id ${model.id}); run it: llama-pack -m "${model.name}"`);
  } else {
    lines.push("  not indexed: the scan did not find it (see llama-pack -u -v)");
  }
  if (plan.target.kind === "ssd") {
    lines.push(
      "  note:    it lives on the SSD only, with no HDD copy: llama-pack never evicts it; " +
        "copy it under an HDD path (and run -u) to make the SSD copy a cache copy",
    );
  }
  return lines.join("\n") + "\n";
}

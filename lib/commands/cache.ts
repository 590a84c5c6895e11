/**
 * The command behind --cache, --evict, --pin, --unpin, --no-cache and
 * --allow-cache: the manual verbs of the SSD cache. Each says what it did and
 * why; with -n/--dry-run it shows the plan and changes nothing.
 *
 * @module
 */

import { STORE_LABELS } from "../core/stores.ts";
import { acquireLock } from "../cache/lock.ts";
import { formatProgress } from "../core/progress_bar.ts";
import { copyLockPath, processOwner, reapStaleJobs } from "../cache/copy_jobs.ts";
import { copyModel } from "../cache/copy_model.ts";
import { evictModel } from "../cache/evict_model.ts";
import { filesToCopy, planCopy, victimText } from "../core/copy_plan.ts";
import { modelLabels } from "../core/model_names.ts";
import { loadPolicyChoice } from "../cache/policy_file.ts";
import { ssdSpace } from "../cache/tier_space.ts";
import type { Config } from "../config/config.ts";
import { LlamaPackError } from "../errors.ts";
import type { IndexedModel } from "../core/model_index.ts";
import { findRequested } from "./model_arg.ts";
import { loadIndex } from "../state/load_index.ts";
import { checkCopies } from "../cache/unit_check.ts";
import type { RemovedPartial } from "../cache/partials.ts";
import type { UnitCleanup } from "../cache/units.ts";
import { pruneServers } from "../server/records.ts";
import type { ServerRow, StateStore } from "../state/store.ts";
import { formatElapsed, formatSize } from "../core/units.ts";

import type { CommandContext } from "./context.ts";

type CacheVerb = "cache" | "evict" | "pin" | "unpin" | "no-cache" | "allow-cache";

/**
 * Runs --cache, --evict, --pin, --unpin, --no-cache and --allow-cache.
 *
 * @param ctx The command context.
 * @returns The exit status (0 when done or nothing to do).
 * @throws {LlamaPackError} `NO_MATCH`/`AMBIGUOUS` for the query, `NO_SPACE`
 *   when a copy cannot be made room for, `COPY` when a copy fails, `UNSAFE`
 *   when an eviction could lose data or the model is pinned.
 */
export async function cacheCommand(ctx: CommandContext): Promise<number> {
  const action = ctx.cmd.action;
  const verbs: readonly string[] = ["cache", "evict", "pin", "unpin", "no-cache", "allow-cache"];
  if (!verbs.includes(action.kind) || !("model" in action)) {
    throw new LlamaPackError("USAGE", `cache: unexpected action ${action.kind}`);
  }
  const verb = action.kind as CacheVerb;
  const config = await ctx.config();
  const store = ctx.state();
  const { model } = findRequested(ctx, await checkedIndex(store), action.model, {
    aliases: config.aliases,
  });
  switch (verb) {
    case "cache":
      return await cacheNow(ctx, config, store, model);
    case "evict":
      return await evictNow(ctx, config, store, model);
    default:
      return setFlag(ctx, store, model, verb);
  }
}

/** The index, with the SSD copies checked on disk (stale and damaged ones marked). */
async function checkedIndex(store: StateStore): Promise<IndexedModel[]> {
  return await checkCopies(loadIndex(store));
}

/**
 * Asks before `--cache` evicts other copies: yes with `-y`, the user's answer
 * on a terminal, and a refusal (with the hint) without one.
 */
async function mayEvict(
  ctx: CommandContext,
  model: IndexedModel,
  victims: readonly string[],
): Promise<boolean> {
  const n = victims.length;
  const head = `copying ${model.name} (${formatSize(model.hdd?.size ?? model.size)}) to the SSD ` +
    `needs room: it would evict ${
      n === 1
        ? "this copy (its HDD original stays)"
        : `these ${n} copies (their HDD originals stay)`
    }:\n${victims.map((v) => `  ${v}\n`).join("")}`;
  if (ctx.cmd.yes) {
    ctx.err(head);
    return true;
  }
  ctx.err(head);
  const reply = ctx.ask
    ? await ctx.ask(`Evict ${n === 1 ? "it" : "them"} and copy ${model.name}? [y/N] `)
    : undefined;
  const answer = reply === undefined ? undefined : /^\s*(y|yes)\s*$/i.test(reply ?? "");
  if (answer === undefined) {
    throw new LlamaPackError(
      "NOT_CONFIRMED",
      `not evicting ${
        n === 1 ? "a copy" : `${n} copies`
      } without asking, and there is no terminal to ask on`,
      { hint: `llama-pack --cache '${model.id}' -y evicts without asking; -n shows the plan` },
    );
  }
  if (!answer) ctx.err("nothing copied, nothing evicted\n");
  return answer;
}

function inUseServers(store: StateStore): Map<string, ServerRow[]> {
  const byModel = new Map<string, ServerRow[]>();
  for (const row of pruneServers(store).live) {
    byModel.set(row.model_id, [...(byModel.get(row.model_id) ?? []), row]);
  }
  return byModel;
}

async function cacheNow(
  ctx: CommandContext,
  config: Config,
  store: StateStore,
  found: IndexedModel,
): Promise<number> {
  const dry = ctx.cmd.dryRun;
  const already = (m: IndexedModel): number | undefined => {
    if (m.ssdOnly) {
      ctx.out(`${m.name} exists only on the SSD (${m.ssd?.path}): nothing to copy\n`);
      return 0;
    }
    if (m.ssd?.verified) {
      ctx.out(`${m.name} is already on the SSD: ${m.ssd.path}\n`);
      return 0;
    }
    return undefined;
  };
  const done = already(found);
  if (done !== undefined) return done;
  if (found.ssd?.stale !== undefined) {
    ctx.err(`note: the SSD copy of ${found.name} is stale: ${found.ssd.stale}; copying it again\n`);
  }
  if (found.noCache) {
    ctx.err(`note: ${found.name} is marked --no-cache; copying it because you asked\n`);
  }

  const plan = async (model: IndexedModel, index: IndexedModel[]) => {
    const inUse = new Set(inUseServers(store).keys());
    const space = await ssdSpace(config, index);
    const now = ctx.now();
    const choice = await loadPolicyChoice(ctx.stateDir, config);
    const p = planCopy(model, { index, space, inUse, policy: choice.policy, now, choice }, {
      manual: true,
    });
    if (!p.copy) {
      const refused = p.refused.map((r) => `${r.id} (${r.reason})`).join("; ");
      throw new LlamaPackError("NO_SPACE", `cannot copy ${model.name} to the SSD: ${p.reason}`, {
        ...(refused ? { hint: `kept on the SSD: ${refused}` } : {}),
      });
    }
    return p;
  };

  const index0 = await checkedIndex(store);
  const first = await plan(found, index0);
  const labels = modelLabels(index0);
  const victims = (p: typeof first, index: readonly IndexedModel[]) =>
    p.evict.flatMap((e) => {
      const v = index.find((m) => m.id === e.id);
      return v ? [victimText(v, ctx.now(), labels.get(v.id))] : [];
    });
  if (dry) {
    for (const v of victims(first, index0)) ctx.out(`would evict ${v}\n`);
    for (const f of filesToCopy(config, found)) {
      ctx.out(`would copy ${f.src} -> ${f.dest} (${formatSize(f.file.size)})\n`);
    }
    ctx.debug(1, `plan: ${first.reason}`);
    return 0;
  }
  if (first.evict.length > 0 && !(await mayEvict(ctx, found, victims(first, index0)))) return 1;

  // One copy at a time: wait for a running copy (background or foreground) to finish.
  const lock = await acquireLock(copyLockPath(ctx.stateDir), {
    note: `copying ${found.name} (foreground)`,
    onWait: (h) =>
      ctx.err(
        `waiting for another copy to finish${
          h ? ` (pid ${h.pid}${h.note ? `: ${h.note}` : ""})` : ""
        }...\n`,
      ),
  });
  reapStaleJobs(store, ctx.now());
  // Owned by this process from the moment it exists: if it dies, the job is dead at once.
  const jobId = store.addCopyJob({
    modelId: found.id,
    bytesTotal: found.hdd?.size ?? found.size,
    now: ctx.now(),
    owner: processOwner()!,
  });
  // Ctrl-C or a TERM aborts the copy cleanly: the temp file goes, the job says why.
  const interrupt = new AbortController();
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  const onSignal = () => interrupt.abort(new Error("interrupted"));
  for (const sig of signals) Deno.addSignalListener(sig, onSignal);
  try {
    // Things may have changed while waiting: read the index again.
    const index = await checkedIndex(store);
    const model = index.find((m) => m.id === found.id) ?? found;
    const again = already(model);
    if (again !== undefined) {
      store.updateCopyJob(jobId, { state: "done", message: "already on the SSD", now: ctx.now() });
      return again;
    }
    const p = await plan(model, index);
    // The picture may have changed while waiting for the lock: evict only what was agreed to.
    const agreed = new Set(first.evict.map((e) => e.id));
    const extra = p.evict.filter((e) => !agreed.has(e.id));
    if (extra.length > 0 && !(await mayEvict(ctx, model, victims({ ...p, evict: extra }, index)))) {
      store.updateCopyJob(jobId, {
        state: "failed",
        message: "eviction not agreed to",
        now: ctx.now(),
      });
      return 1;
    }
    store.updateCopyJob(jobId, { state: "copying", now: ctx.now() });
    for (const e of p.evict) {
      const victim = index.find((m) => m.id === e.id);
      if (!victim) continue;
      const r = await evictModel(store, victim, { ssdPath: config.ssd_path });
      ctx.out(
        `evicted ${labels.get(victim.id) ?? victim.name} from the SSD (${
          formatSize(r.bytes)
        } freed)\n`,
      );
      ctx.debug(1, `  why: ${e.reason}`);
    }
    let lastDraw = 0;
    let lastSave = 0;
    const showBar = ctx.isTty;
    const r = await copyModel(store, model, {
      ssdPath: config.ssd_path,
      now: () => ctx.now(),
      signal: interrupt.signal,
      onCleanup: (removed, units) => ctx.out(describeCleanup(removed, units)),
      onProgress: (pr) => {
        const t = performance.now();
        if (t - lastSave > 1000) {
          lastSave = t;
          store.updateCopyJob(jobId, { bytes_done: pr.bytesDone, now: ctx.now() });
        }
        if (showBar && t - lastDraw > 200) {
          lastDraw = t;
          ctx.err(`\r${formatProgress(pr)}\x1b[K`);
        }
      },
    });
    if (showBar) ctx.err("\r\x1b[K");
    const speed = r.seconds > 0 ? ` (${(r.bytes / r.seconds / 1e6).toFixed(1)} MB/s)` : "";
    const how = r.copied === 0
      ? "found a verified copy already there"
      : `copied ${formatSize(r.bytes)} in ${formatElapsed(r.seconds)}${speed}, verified (xxh64)`;
    store.updateCopyJob(jobId, {
      state: "done",
      bytes_done: r.bytes,
      message: how,
      now: ctx.now(),
    });
    const dest = filesToCopy(config, model)[0]!.dest;
    ctx.out(`cached ${model.name} on the SSD: ${how}\n  ssd: ${dest}\n`);
    ctx.debug(1, `  plan: ${p.reason}`);
    return 0;
  } catch (err) {
    if (ctx.isTty) ctx.err("\r\x1b[K");
    const interrupted = interrupt.signal.aborted;
    store.updateCopyJob(jobId, {
      state: "failed",
      message: interrupted
        ? "interrupted; the unfinished file was removed"
        : err instanceof Error
        ? err.message
        : String(err),
      now: ctx.now(),
    });
    if (interrupted) {
      ctx.err(`interrupted: stopped copying ${found.name}; the unfinished file was removed\n`);
      return 130;
    }
    throw err;
  } finally {
    for (const sig of signals) Deno.removeSignalListener(sig, onSignal);
    await lock!.release();
  }
}

async function evictNow(
  ctx: CommandContext,
  config: Config,
  store: StateStore,
  model: IndexedModel,
): Promise<number> {
  if (!model.ssd) {
    ctx.out(`${model.name} has no SSD copy: nothing to evict\n`);
    return 0;
  }
  if (model.pinned) {
    throw new LlamaPackError("UNSAFE", `refusing to evict ${model.name}: it is pinned to the SSD`, {
      hint: `llama-pack --unpin '${model.name}' first`,
    });
  }
  const dry = ctx.cmd.dryRun;
  // A running server keeps the file open: its blocks are freed when it stops.
  // A server still loading the copy stops the eviction (evictModel refuses).
  const r = await evictModel(store, model, {
    ssdPath: config.ssd_path,
    dryRun: dry,
    allowRunning: true,
  });
  const verb = dry ? "would delete" : "deleted";
  for (const f of r.files) ctx.out(`${verb} ${f}\n`);
  // A server that has the SSD copy open keeps its blocks until it exits.
  const holders = (inUseServers(store).get(model.id) ?? [])
    .filter((s) => s.model_path.startsWith(config.ssd_path))
    .map((s) => `${s.host}:${s.port}`);
  const freed = holders.length === 0
    ? `${dry ? "would free" : "freed"} ${formatSize(r.bytes)}`
    : `${formatSize(r.bytes)} ${dry ? "would be" : "are"} freed when the server on ${
      holders.join(", ")
    } stops (it has the file open)`;
  ctx.out(
    `${dry ? "would evict" : "evicted"} ${model.name} from the SSD: ${freed}; ` +
      `the ${
        model.store ? `${STORE_LABELS[model.store]} copy` : "HDD copy"
      } stays at ${model.hdd?.path}\n`,
  );
  return 0;
}

function setFlag(
  ctx: CommandContext,
  store: StateStore,
  model: IndexedModel,
  verb: "pin" | "unpin" | "no-cache" | "allow-cache",
): number {
  const flag = verb === "pin" || verb === "unpin" ? "pinned" : "no_cache";
  const value = verb === "pin" || verb === "no-cache";
  const current = flag === "pinned" ? model.pinned : model.noCache;
  const onSsd = model.ssd !== undefined;
  const what: Record<typeof verb, string> = {
    "pin": `pinned ${model.name}: its SSD copy is never evicted`,
    "unpin": `unpinned ${model.name}: its SSD copy may be evicted when space is needed`,
    "no-cache": `${model.name} is never copied to the SSD automatically`,
    "allow-cache": `${model.name} may be copied to the SSD again when used often`,
  };
  if (current === value) {
    const state: Record<typeof verb, string> = {
      "pin": "pinned",
      "unpin": "not pinned",
      "no-cache": "marked --no-cache",
      "allow-cache": "allowed on the SSD",
    };
    ctx.out(`nothing to do: ${model.name} is already ${state[verb]}\n`);
    return 0;
  }
  if (ctx.cmd.dryRun) {
    ctx.out(`would set: ${what[verb]}\n`);
    return 0;
  }
  store.setFlag(model.id, flag, value);
  ctx.out(`${what[verb]}\n`);
  if (verb === "pin" && !onSsd) {
    ctx.out(`note: it is not on the SSD now; llama-pack --cache '${model.name}' copies it\n`);
  }
  if (verb === "no-cache" && onSsd && !model.ssdOnly) {
    ctx.out(
      `note: its SSD copy stays until evicted; llama-pack --evict '${model.name}' removes it\n`,
    );
  }
  return 0;
}

/** What the cleanup before a copy did, in words (empty when nothing). */
function describeCleanup(removed: RemovedPartial[], units: UnitCleanup): string {
  const lines: string[] = [];
  const files = removed.length + units.removed.length;
  if (files > 0) {
    const bytes = [...removed, ...units.removed].reduce((s, x) => s + x.bytes, 0);
    lines.push(
      `removed ${files} leftover file${files === 1 ? "" : "s"} of an interrupted copy (${
        formatSize(bytes)
      })`,
    );
  }
  for (const id of units.finished) lines.push(`finished the interrupted copy of ${id}`);
  for (const k of units.kept) lines.push(`kept ${k.path}: ${k.why}`);
  return lines.map((l) => l + "\n").join("");
}

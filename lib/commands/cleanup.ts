/**
 * The command behind `--cleanup [-n] [--yes]`: gathers the facts (the SSD's
 * partial directory, lock files, copy-job records, gone models, SSD copies
 * and their last use), lets the core decide what may go
 * (`core/cleanup.ts`), lists it with sizes, asks on a terminal, and removes
 * it — each kind through the code that owns it: interrupted copies through
 * `cleanupPartials`, abandoned `--pull` downloads through
 * `removeAbandonedDownload` (only the exact temp file a download row names,
 * under its pull lock), SSD copies through `evictModel` (every safety check of
 * an eviction applies: only verified copies whose original is intact).
 * Nothing else outside the SSD directory and the state directory is touched;
 * an HDD model file or a store file is never an item.
 *
 * @module
 */

import { join } from "node:path";
import {
  type CleanupFacts,
  type CleanupItem,
  planCleanup,
  renderCleanup,
} from "../core/cleanup.ts";
import type { IndexedModel } from "../core/model_index.ts";
import { formatSize } from "../core/units.ts";
import { LlamaPackError } from "../errors.ts";
import { evictModel } from "../cache/evict_model.ts";
import { ownerAlive } from "../cache/copy_jobs.ts";
import { acquireLock, isLocked } from "../cache/lock.ts";
import { cleanupPartials, PARTIAL_DIR } from "../cache/partials.ts";
import { downloadLeftovers, removeAbandonedDownload } from "../hub/abandoned_downloads.ts";
import { pruneServers } from "../server/records.ts";
import { readProcessIdentity } from "../server/process_identity.ts";
import { forgetModels, removeCopyJobs } from "../state/forget.ts";
import { loadIndex } from "../state/load_index.ts";
import type { StateStore } from "../state/store.ts";
import type { CommandContext } from "./context.ts";

/** Regular files in a directory with their sizes; none when it is missing. */
function filesIn(dir: string): { name: string; path: string; bytes: number }[] {
  try {
    return [...Deno.readDirSync(dir)].filter((e) => e.isFile).map((e) => {
      const path = join(dir, e.name);
      return { name: e.name, path, bytes: Deno.lstatSync(path).size };
    }).sort((a, b) => (a.name < b.name ? -1 : 1));
  } catch {
    return [];
  }
}

const alive = (pid: number | null) => pid !== null && readProcessIdentity(pid) !== undefined;

/** What the SSD's partial directory and the state directory hold, and who holds their locks. */
async function fileFacts(ssdPath: string, stateDir: string) {
  const partialDir = join(ssdPath, PARTIAL_DIR);
  const partials: CleanupFacts["partials"][number][] = [];
  const locks: CleanupFacts["locks"][number][] = [];
  for (const f of filesIn(partialDir)) {
    // Only the names the copy protocol makes: <name>.<16 hex>.part|json|lock.
    const m = /^(.+\.[0-9a-f]{16})\.(part|json|lock)$/.exec(f.name);
    if (!m) continue;
    const busy = await isLocked(join(partialDir, `${m[1]}.lock`));
    if (m[2] === "lock") locks.push({ path: f.path, held: busy });
    else partials.push({ path: f.path, bytes: f.bytes, busy });
  }
  for (const f of filesIn(stateDir)) {
    if (f.name.endsWith(".lock")) locks.push({ path: f.path, held: await isLocked(f.path) });
  }
  return { partials, locks };
}

/** The facts about records and SSD copies. */
function recordFacts(
  store: StateStore,
  index: readonly IndexedModel[],
  inUse: ReadonlySet<string>,
  now: number,
): Pick<CleanupFacts, "jobs" | "goneModels" | "ssdCopies"> {
  const names = new Map(index.map((m) => [m.id, m.name]));
  const lastSeen = new Map(store.models().map((m) => [m.id, m.last_seen]));
  const copiedAt = new Map<string, number>();
  for (const c of store.ssdCopies()) {
    copiedAt.set(c.model_id, Math.max(copiedAt.get(c.model_id) ?? 0, c.verified_at));
  }
  const present = (files: { path: string }[]) =>
    files.every((f) => {
      try {
        return Deno.statSync(f.path).isFile;
      } catch {
        return false;
      }
    });
  return {
    jobs: store.copyJobs().map((j) => ({
      id: j.id,
      name: names.get(j.model_id) ?? j.model_id,
      state: j.state,
      // A job is owned from the moment it exists: its owner's pid and start time.
      ownerAlive: ownerAlive(j),
      updatedAt: j.updated_at,
    })),
    goneModels: index.filter((m) => m.gone).map((m) => ({
      id: m.id,
      name: m.name,
      lastSeen: lastSeen.get(m.id) ?? m.firstSeen,
      uses: m.uses.length,
    })),
    ssdCopies: index.filter((m) => m.ssd !== undefined && !m.gone).map((m) => ({
      id: m.id,
      name: m.name,
      bytes: m.ssd!.size,
      verified: m.ssd!.verified && !m.ssdOnly,
      hasOriginal: m.hdd !== undefined && present(m.hdd.files),
      ssdOnly: m.ssdOnly,
      pinned: m.pinned,
      inUse: inUse.has(m.id),
      lastUse: m.uses.at(-1)?.at,
      copiedAt: copiedAt.get(m.id) ?? now,
    })),
  };
}

/** Removes the items; returns the bytes freed and the items that were kept, with why. */
async function apply(
  ctx: CommandContext,
  items: readonly CleanupItem[],
  ssdPath: string,
  partialDays: number,
): Promise<{ freed: number; kept: string[] }> {
  const store = ctx.state();
  let freed = 0;
  const kept: string[] = [];
  if (items.some((i) => i.kind === "partial")) {
    for (const r of await cleanupPartials(ssdPath)) freed += r.bytes;
  }
  for (const i of items.filter((i) => i.kind === "download")) {
    const r = await removeAbandonedDownload(
      store.downloads,
      ctx.stateDir,
      Number(i.target),
      partialDays,
      ctx.now(),
    );
    if (r.removed) freed += r.bytes;
    else kept.push(`${i.label}: ${r.why}`);
  }
  for (const i of items.filter((i) => i.kind === "lock")) {
    // Taken before it is removed, so a process starting to use it meanwhile wins.
    const lock = await acquireLock(i.target, { wait: false, removeOnRelease: true });
    if (lock === null) kept.push(`${i.label}: taken meanwhile`);
    else await lock.release();
  }
  removeCopyJobs(store, items.filter((i) => i.kind === "job").map((i) => Number(i.target)));
  forgetModels(store, items.filter((i) => i.kind === "stats").map((i) => i.target));
  const index = loadIndex(store);
  for (const i of items.filter((i) => i.kind === "copy")) {
    const model = index.find((m) => m.id === i.target);
    if (!model) continue;
    try {
      freed += (await evictModel(store, model, { ssdPath })).bytes;
    } catch (err) {
      if (!(err instanceof LlamaPackError)) throw err;
      kept.push(`${i.label}: ${err.message}`);
    }
  }
  return { freed, kept };
}

/**
 * Runs `--cleanup`.
 *
 * @param ctx The command context.
 * @returns 0 when done (or nothing to do, or declined).
 * @throws {LlamaPackError} `USAGE` when there is something to remove, no `--yes`
 *   and no terminal to ask on.
 */
export async function cleanupCommand(ctx: CommandContext): Promise<number> {
  const config = await ctx.config();
  const store = ctx.state();
  const now = ctx.now();
  const dryRun = ctx.cmd.dryRun;
  const yes = ctx.cmd.action.kind === "cleanup" && ctx.cmd.action.yes;
  // Recorded servers that still run hold their models' files (a dry run only looks).
  const servers = dryRun ? store.servers().filter((s) => alive(s.pid)) : pruneServers(store).live;
  const inUse = new Set(servers.map((s) => s.model_id));
  const index = loadIndex(store);
  const facts: CleanupFacts = {
    ...(await fileFacts(config.ssd_path, ctx.stateDir)),
    ...recordFacts(store, index, inUse, now),
    downloads: await downloadLeftovers(store.downloads, ctx.stateDir),
  };
  const items = planCleanup(facts, config.cleanup, now);
  ctx.out(renderCleanup(items, { dryRun }));
  if (dryRun || items.length === 0) return 0;
  if (!yes) {
    if (!ctx.ask) {
      throw new LlamaPackError("USAGE", "--cleanup: not on a terminal, so not asking", {
        hint: "check the list with llama-pack --cleanup -n, then run llama-pack --cleanup --yes",
      });
    }
    const answer = (await ctx.ask(`Remove these ${items.length} items? [y/N] `))?.trim();
    if (!/^y(es)?$/i.test(answer ?? "")) {
      ctx.out("Nothing removed.\n");
      return 0;
    }
  }
  const { freed, kept } = await apply(
    ctx,
    items,
    config.ssd_path,
    config.cleanup.partial_days,
  );
  for (const k of kept) ctx.err(`kept ${k}\n`);
  ctx.out(
    `Removed ${items.length - kept.length} of ${items.length}; freed ${formatSize(freed)}.\n`,
  );
  return 0;
}

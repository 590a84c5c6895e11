/**
 * The command behind -l/--list (and `--json`, `--table`): every model the
 * last scan found (and the ones whose files are gone, as stats only), sorted
 * from the lowest to the highest rank, with the SSD and HDD state of each.
 *
 * {@linkcode listEntries} is pure: index rows, copy jobs, the cache policy
 * and the SSD's space in, list entries out. The command reads the store and
 * the SSD's free space and prints.
 *
 * @module
 */

import { join } from "node:path";
import type { ListEntry, ListMeta } from "../core/list_entry.ts";
import { listJson } from "../core/list_json.ts";
import { renderList } from "../core/list_view.ts";
import { type IndexedModel, rankOf } from "../core/model_index.ts";
import { loadIndex } from "../state/load_index.ts";
import {
  type Candidate,
  countUsesInWindow,
  DEFAULT_CACHE_POLICY,
  type SsdSpace,
} from "../core/cache_policy.ts";
import { planPlacement } from "../core/placement.ts";
import { planRefill } from "../core/refill.ts";
import { formatRank } from "../core/rank.ts";
import type { CopyJobRow } from "../state/store.ts";
import { cachedCopies } from "../core/copy_plan.ts";
import { loadPolicyChoice } from "../cache/policy_file.ts";
import { ssdRoomWarning, ssdSpace } from "../cache/tier_space.ts";
import type { PolicyChoice } from "../core/profiles.ts";
import { formatSize } from "../core/units.ts";
import { modelLabels } from "../core/model_names.ts";
import type { CommandContext } from "./context.ts";

/** Options of {@linkcode listEntries}. */
export interface ListEntriesOptions {
  /** The time to rank at (unix seconds). */
  now: number;
  /** Copy jobs that are queued or running. @default [] */
  jobs?: readonly CopyJobRow[];
  /** Uses needed within the window to deserve the SSD. @default 1 */
  minUses?: number;
  /** The window for `minUses` and for hot/cold, in seconds. @default 604800 (7 days) */
  windowSeconds?: number;
  /** The SSD's space; without it no model is marked "should cache". @default undefined */
  space?: SsdSpace;
  /** The SSD root, to show where a model would be copied. @default undefined */
  ssdRoot?: string;
  /** Compute the reasons shown by `-v -v`. @default false */
  reasons?: boolean;
  /** HDD roots that are offline now (missing or empty): their copies show as such. @default none */
  offlineRoots?: ReadonlySet<string>;
  /**
   * Rank options and planner settings of the active policy profile (see
   * `choosePolicy`); the default rank and `minUses`/`windowSeconds` when absent.
   * @default undefined
   */
  choice?: PolicyChoice;
}

const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
const str = (v: unknown) => (typeof v === "string" ? v : null);

/**
 * Builds the `-l` entries from the model index.
 *
 * A verified SSD copy is *hot* (`SSD`) when it was used within the window
 * and *cold* (`ssd`, evicted first) otherwise. An HDD model is *should cache*
 * (`{SSD}`) when the cache planner would copy it now (enough uses in the
 * window, and it fits or outranks what it would displace); a queued or
 * running copy job shows as `{SSD}NN%`.
 *
 * @param index The models (from `loadIndex`).
 * @param options Clock, jobs, policy, space.
 * @returns One entry per model.
 *
 * @example A used HDD model and a never-used one
 * ```ts
 * import assert from "node:assert/strict";
 * import { listEntries } from "./list.ts";
 * import { buildIndex } from "../core/model_index.ts";
 * const row = (id: string) => ({ id, name: id, size: 8 * 1024 ** 3, fingerprint: "f", first_seen: 0,
 *   last_seen: 0, gone: 0, ssd_only: 0, metadata: null, pinned: 0, no_cache: 0, stored_args: null });
 * const file = (id: string) => ({ path: `/h/${id}`, model_id: id, tier: "hdd" as const, root: "/h",
 *   rel: id, role: "model", size: 8 * 1024 ** 3, mtime: 0 });
 * const index = buildIndex({
 *   models: [row("a.gguf"), row("b.gguf")], files: [file("a.gguf"), file("b.gguf")], units: [],
 *   uses: [1, 2, 3].map((d, i) => ({ id: i, model_id: "a.gguf", at: d * 86400, duration: null,
 *     port: null, tier: "hdd", ready_seconds: null })),
 * });
 * const entries = listEntries(index, { now: 4 * 86400,
 *   space: { freeBytes: 100 * 1024 ** 3, minFreeBytes: 0, cacheUsedBytes: 0 } });
 * assert(entries.find((e) => e.id === "a.gguf")?.ssd.state === "should");
 * assert(entries.find((e) => e.id === "b.gguf")?.ssd.state === "none");
 * ```
 */
export function listEntries(
  index: readonly IndexedModel[],
  options: ListEntriesOptions,
): ListEntry[] {
  const now = options.now;
  const choice = options.choice;
  const minUses = choice?.policy.minUses ?? options.minUses ?? DEFAULT_CACHE_POLICY.minUses;
  const windowSeconds = choice?.policy.windowSeconds ?? options.windowSeconds ??
    DEFAULT_CACHE_POLICY.windowSeconds;
  const windowText = `${Math.round(windowSeconds / 86400)} days`;
  const jobs = new Map<string, CopyJobRow>();
  for (const j of options.jobs ?? []) {
    if (j.state === "queued" || j.state === "copying") jobs.set(j.model_id, j);
  }
  const labels = modelLabels(index);
  const facts = index.map((m) => {
    const rate = rankOf(m, now, choice?.rankOptions);
    const inWindow = countUsesInWindow(m.uses.map((u) => ({ at: u.at })), now, windowSeconds);
    const lastUsed = m.uses.length ? Math.max(...m.uses.map((u) => u.at)) : null;
    return { m, rate, inWindow, lastUsed };
  });

  // What the planner would copy now, and why.
  const should = new Map<string, string>();
  // The planner's own view of the SSD (one definition, shared with the copier).
  const cached = cachedCopies(index, { now, inUse: new Set(), ...(choice ? { choice } : {}) });
  const candidates: Candidate[] = facts
    .filter((f) =>
      !f.m.gone && f.m.hdd !== undefined && f.m.ssd === undefined && !jobs.has(f.m.id) &&
      !options.offlineRoots?.has(f.m.hdd.files[0]?.root ?? "")
    )
    .map((f) => ({
      id: f.m.id,
      size: f.m.hdd!.size,
      rate: f.rate,
      usesInWindow: f.inWindow,
      noCache: f.m.noCache,
    }));
  const policy = choice?.policy ?? { minUses, windowSeconds };
  if (options.space) {
    for (
      const p of planRefill({
        space: options.space,
        cached,
        candidates,
        policy,
        now: options.now,
      })
    ) {
      should.set(p.id, p.reason);
    }
  }

  return facts.map(({ m, rate, inWindow, lastUsed }) => {
    const md = m.metadata ?? {};
    const job = jobs.get(m.id);
    const relPath = str(md.relPath);
    const ssdTarget = options.ssdRoot && relPath ? join(options.ssdRoot, relPath) : undefined;
    let ssd: ListEntry["ssd"];
    if (job) {
      ssd = { state: "copying" };
      if (job.state === "copying" && job.bytes_total > 0) {
        ssd.progress = job.bytes_done / job.bytes_total;
      }
      if (ssdTarget) ssd.path = ssdTarget;
    } else if (m.ssd && !m.gone) {
      ssd = m.ssd.verified
        ? { state: "verified", hot: inWindow > 0, path: m.ssd.path }
        : { state: "unverified", path: m.ssd.path };
    } else if (should.has(m.id)) {
      ssd = { state: "should" };
      if (ssdTarget) ssd.path = ssdTarget;
    } else {
      ssd = { state: "none" };
    }
    const hdd: ListEntry["hdd"] = m.hdd && !m.gone
      ? {
        present: true,
        path: m.hdd.path,
        ...(m.store ? { store: m.store } : {}),
        ...(!m.store && options.offlineRoots?.has(m.hdd.files[0]?.root ?? "")
          ? { offline: true }
          : {}),
      }
      : { present: false };
    const flags = [
      ...(m.pinned ? ["pinned"] : []),
      ...(m.noCache ? ["no-cache"] : []),
      ...(m.aliases.length ? [`also named ${m.aliases.join(", ")}`] : []),
    ];
    const meta: ListMeta = {
      architecture: str(md.architecture),
      contextLength: num(md.contextLength),
      layerCount: num(md.layerCount),
      expertCount: num(md.expertCount),
      shardCount: num(md.shardCount) ?? 1,
      projectors: Array.isArray(md.projectors)
        ? md.projectors.filter((p) => typeof p === "string")
        : [],
      flags,
      ...(m.storedArgs.length > 0 ? { storedArgs: m.storedArgs } : {}),
    };
    const entry: ListEntry = {
      id: m.id,
      name: m.name,
      label: labels.get(m.id) ?? m.name,
      rank: rate,
      uses: m.uses.length,
      lastUsed,
      firstSeen: m.firstSeen,
      params: num(md.parameterCount),
      quant: str(md.quant),
      size: m.gone ? null : m.size,
      ssd,
      hdd,
      statsOnly: m.gone,
      ssdOnly: m.ssdOnly && !m.gone,
      meta,
    };
    if (options.reasons) {
      entry.reasons = reasonsFor(
        { m, rate, inWindow, lastUsed, ssd, job, windowText, minUses },
        () => {
          const c = candidates.find((x) => x.id === m.id);
          if (!c || !options.space) return undefined;
          return planPlacement({
            space: options.space,
            cached,
            candidate: c,
            policy,
            now: options.now,
          })
            .reason;
        },
        should.get(m.id),
      );
    }
    return entry;
  });
}

function reasonsFor(
  f: {
    m: IndexedModel;
    rate: number;
    inWindow: number;
    lastUsed: number | null;
    ssd: ListEntry["ssd"];
    job: CopyJobRow | undefined;
    windowText: string;
    minUses: number;
  },
  planReason: () => string | undefined,
  shouldReason: string | undefined,
): string[] {
  const { m, rate, inWindow, lastUsed, ssd, job, windowText, minUses } = f;
  const out: string[] = [];
  const last = lastUsed === null
    ? "never used"
    : `last used ${new Date(lastUsed * 1000).toISOString().slice(0, 10)}`;
  out.push(
    `rank ${formatRank(rate)}: estimated uses per week from ${m.uses.length} use${
      m.uses.length === 1 ? "" : "s"
    } (${last}); ${inWindow} in the last ${windowText}`,
  );
  if (m.gone) {
    out.push("files gone: kept for its stats (llama-pack -u --prune forgets it)");
    return out;
  }
  if (m.ssdOnly) out.push("SSD only: no HDD copy, so the cache never evicts it");
  if (m.pinned) out.push("pinned: never evicted from the SSD");
  if (job) {
    out.push(
      job.state === "queued"
        ? "copy to SSD queued"
        : `copying to SSD: ${formatSize(job.bytes_done)} of ${formatSize(job.bytes_total)}`,
    );
  } else if (ssd.state === "verified" && !m.ssdOnly) {
    out.push(
      ssd.hot
        ? `hot: used ${inWindow}× in the last ${windowText}`
        : `cold: not used in the last ${windowText}; among the first evicted when space is needed`,
    );
  } else if (ssd.state === "unverified") {
    out.push("on the SSD but no verified copy record: not trusted as a cache copy");
  } else if (ssd.state === "should") {
    out.push(`should cache: ${shouldReason ?? "the planner would copy it now"}`);
  } else if (m.hdd && !m.ssd) {
    if (m.noCache) out.push("not cached: marked no-cache");
    else if (inWindow < minUses) {
      out.push(`not cached: ${inWindow} of ${minUses} uses needed in the last ${windowText}`);
    } else {
      const r = planReason();
      out.push(`not cached: ${r ?? "SSD space unknown (ssd_path missing?)"}`);
    }
  }
  return out;
}

/**
 * Runs -l/--list: the text view (or `--table`, or `--json`).
 *
 * @param ctx The command context.
 * @returns 0.
 * @throws {LlamaPackError} `STATE` when the state store cannot be read.
 */
export async function listCommand(ctx: CommandContext): Promise<number> {
  const config = await ctx.config();
  const store = ctx.state();
  const index = loadIndex(store);
  const now = ctx.now();
  const space = await ssdSpace(config, index).catch(() => undefined);
  // The choice the last load made (a replay of the history is for loads, not for listing).
  const choice = await loadPolicyChoice(ctx.stateDir, config);
  const entries = listEntries(index, {
    now,
    offlineRoots: offlineRoots(index),
    jobs: store.copyJobs(["queued", "copying"]),
    choice,
    ...(space ? { space } : {}),
    ...(config.ssd_path ? { ssdRoot: config.ssd_path } : {}),
    reasons: ctx.cmd.verbose >= 2 || ctx.cmd.json,
  });
  if (ctx.cmd.json) {
    ctx.out(JSON.stringify(listJson(entries), null, 2) + "\n");
    return 0;
  }
  ctx.out(renderList(entries, {
    verbose: ctx.cmd.verbose,
    color: ctx.color,
    view: ctx.cmd.table ? "table" : "lines",
    ...(ctx.columns === undefined ? {} : { width: ctx.columns }),
  }));
  if (ctx.cmd.verbose >= 1) ctx.out(profileLine(choice, config.cache.adaptive) + "\n");
  const room = await ssdRoomWarning(config);
  if (room) ctx.err(`warning: ${room}\n`);
  return 0;
}

/**
 * The HDD roots that are offline now: missing, or empty (an unplugged disk's
 * mount point). One look per root, not per model.
 *
 * @param index The models.
 * @returns The offline roots.
 */
function offlineRoots(index: readonly IndexedModel[]): Set<string> {
  const roots = new Set(index.flatMap((m) => m.hdd?.files.map((f) => f.root) ?? []));
  const offline = new Set<string>();
  for (const root of roots) {
    try {
      if (Deno.readDirSync(root)[Symbol.iterator]().next().done) offline.add(root);
    } catch {
      offline.add(root);
    }
  }
  return offline;
}

/**
 * One line on the active policy profile and how each profile's shadow cache
 * did at the last load, for `-l -v`.
 *
 * @param choice The stored choice.
 * @param adaptive Whether `cache.adaptive` is on.
 * @returns E.g. `policy profile: steady (…); shadow SSD byte hits (and writes) over the last ~30
 *   days, at the last load: steady 62% (5%), …`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { choiceOf } from "../core/profiles.ts";
 * import { profileLine } from "./list.ts";
 * const choice = choiceOf({ minUses: 1, windowSeconds: 604800 }, undefined);
 * assert(profileLine(choice, true).startsWith("policy profile: steady"));
 * ```
 */
export function profileLine(choice: PolicyChoice, adaptive: boolean): string {
  const head = `policy profile: ${choice.profile.name} (${choice.profile.summary}`;
  if (!adaptive) return `${head}; adaptive off)`;
  if (choice.standings.length === 0) return `${head}; no loads replayed yet)`;
  const pct = (x: number) => `${(x * 100).toFixed(0)}%`;
  const shares = choice.standings.map((s) =>
    `${s.name} ${pct(s.byteHitRatio)}${s.writeRatio === undefined ? "" : ` (${pct(s.writeRatio)})`}`
  );
  return `${head}); shadow SSD byte hits (and writes) over the last ~30 days, at the last load: ${
    shares.join(", ")
  }`;
}

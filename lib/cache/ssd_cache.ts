/**
 * The SSD cache as the commands see it: which models have copies, how much
 * room there is, what the core planner says, and the two operations that
 * change the SSD (copy a model, evict a model), each recorded in the state
 * store. The safety rules live in `copy.ts` and `evict.ts`; this module only
 * wires them to the config, the model index and the store.
 *
 * @module
 */

import { join } from "node:path";
import type { Config } from "../config/config.ts";
import { LlamaPackError } from "../errors.ts";
import { type IndexedModel, rankOf } from "../core/model_index.ts";
import { choiceOf, type PolicyChoice } from "../core/profiles.ts";
import { type ObservedLoad, tunerFromHistory } from "../core/tuner.ts";
import {
  availableRoom,
  type CachedCopy,
  type CachePolicy,
  type Candidate,
  countUsesInWindow,
  type PlacementPlan,
  type SsdSpace,
} from "../core/cache_policy.ts";
import { planPlacement } from "../core/placement.ts";
import { readProcessIdentity } from "../server/process.ts";
import type { CopyJobRow, FileRow, StateStore } from "../state/store.ts";
import { GIB } from "../core/units.ts";
import { copyToSsd } from "./copy.ts";
import { cleanupPartials, type RemovedPartial } from "./partials.ts";
import { deleteSsdCopy } from "./evict.ts";
import { diskFree } from "./tier_space.ts";

/**
 * The lock file that lets one copy to the SSD run at a time.
 *
 * @param stateDir The state directory.
 * @returns `<stateDir>/copy.lock`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { copyLockPath } from "./ssd_cache.ts";
 * assert(copyLockPath("/state") === "/state/copy.lock");
 * ```
 */
export function copyLockPath(stateDir: string): string {
  return join(stateDir, "copy.lock");
}

/**
 * The planner's policy from the config's `cache` section.
 *
 * @param config The config.
 * @returns The admission policy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { policyOf } from "./ssd_cache.ts";
 * const p = policyOf({ cache: { min_uses: 3, window_days: 7, auto: true } } as never);
 * assert(p.minUses === 3 && p.windowSeconds === 604800);
 * ```
 */
export function policyOf(config: Pick<Config, "cache">): CachePolicy {
  return { minUses: config.cache.min_uses, windowSeconds: config.cache.window_days * 86400 };
}

/**
 * The SSD's capacity picture: free space (statfs), the minimum to keep, the
 * limit, and the bytes the cached copies (not SSD-only models) hold.
 *
 * @param config The config.
 * @param index The model index.
 * @returns The space picture for the planner.
 * @throws {LlamaPackError} `IO` when the SSD directory cannot be measured.
 *
 * @example Measuring a temp SSD
 * ```ts
 * import assert from "node:assert/strict";
 * import { ssdSpace } from "./ssd_cache.ts";
 * const dir = await Deno.makeTempDir();
 * const s = await ssdSpace({ ssd_path: dir, ssd_min_free_gb: 1 } as never, []);
 * assert(s.minFreeBytes === 1024 ** 3 && s.cacheUsedBytes === 0);
 * await Deno.remove(dir);
 * ```
 */
export async function ssdSpace(
  config: Pick<Config, "ssd_path" | "ssd_min_free_gb" | "ssd_limit_gb">,
  index: readonly IndexedModel[],
): Promise<SsdSpace> {
  const space: SsdSpace = {
    freeBytes: await diskFree(config.ssd_path),
    minFreeBytes: Math.round(config.ssd_min_free_gb * GIB),
    cacheUsedBytes: index
      .filter((m) => m.ssd !== undefined && !m.ssdOnly)
      .reduce((s, m) => s + m.ssd!.size, 0),
  };
  if (config.ssd_limit_gb !== undefined) space.limitBytes = Math.round(config.ssd_limit_gb * GIB);
  return space;
}

/** How far back {@linkcode choosePolicy} replays uses (the shadows' scores halve every 30 days). */
export const POLICY_REPLAY_SECONDS = 90 * 86400;

/**
 * Replays the last 90 days of recorded uses through the policy tuner
 * (`lib/adapt.ts`), the same way the simulator feeds it, and returns the
 * profile it chose: the policy and rank options to decide with. With
 * `cache.adaptive: false`, the `steady` profile without a replay.
 *
 * @param index The model index (uses, sizes).
 * @param config The `cache` section (policy, `adaptive`).
 * @param space The SSD's capacity picture (the shadows' SSD size); none gives an empty shadow SSD.
 * @param now The time, unix seconds; later uses are ignored.
 * @returns The choice.
 *
 * @example With no history the `steady` profile is chosen
 * ```ts
 * import assert from "node:assert/strict";
 * import { choosePolicy } from "./ssd_cache.ts";
 * const cache = { min_uses: 1, window_days: 7, auto: true, adaptive: true };
 * assert(choosePolicy([], { cache }, undefined, 0).profile.name === "steady");
 * ```
 */
export function choosePolicy(
  index: readonly IndexedModel[],
  config: Pick<Config, "cache">,
  space: SsdSpace | undefined,
  now: number,
): PolicyChoice {
  if (!config.cache.adaptive) return choiceOf(policyOf(config), undefined);
  const capacity = space === undefined
    ? 0
    : Math.max(0, availableRoom(space) + space.cacheUsedBytes);
  const loads: ObservedLoad[] = [];
  const from = now - POLICY_REPLAY_SECONDS;
  for (const m of index) {
    const size = m.hdd?.size ?? m.ssd?.size ?? m.size;
    for (const u of m.uses) {
      if (u.at <= now && u.at > from) loads.push({ at: u.at, model: m.id, size });
    }
  }
  return tunerFromHistory(loads, policyOf(config), capacity).choice();
}

/**
 * Remembers the last choice in `<stateDir>/policy.json` (written to a temp
 * file, then renamed), so that `-l` can show ranks without a replay.
 *
 * @param stateDir The state directory.
 * @param choice The choice.
 * @param now When it was made, unix seconds.
 * @throws {Deno.errors.PermissionDenied} Or another I/O error when the file cannot be written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { choiceOf } from "../core/profiles.ts";
 * import { loadPolicyChoice, savePolicyChoice } from "./ssd_cache.ts";
 * const dir = await Deno.makeTempDir();
 * await savePolicyChoice(dir, choiceOf({ minUses: 1, windowSeconds: 604800 }, "rapid"), 0);
 * const cache = { min_uses: 1, window_days: 7, auto: true, adaptive: true };
 * assert((await loadPolicyChoice(dir, { cache })).profile.name === "rapid");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function savePolicyChoice(
  stateDir: string,
  choice: PolicyChoice,
  now: number,
): Promise<void> {
  await Deno.mkdir(stateDir, { recursive: true });
  const path = join(stateDir, "policy.json");
  const tmp = `${path}.${Deno.pid}.tmp`;
  const data = { profile: choice.profile.name, standings: choice.standings, at: now };
  await Deno.writeTextFile(tmp, JSON.stringify(data) + "\n");
  await Deno.rename(tmp, path);
}

/**
 * The last stored choice (see {@linkcode savePolicyChoice}) over the current
 * config; `steady` when none is stored, the file is unreadable, or
 * `cache.adaptive` is false.
 *
 * @param stateDir The state directory.
 * @param config The `cache` section.
 * @returns The choice.
 */
export async function loadPolicyChoice(
  stateDir: string,
  config: Pick<Config, "cache">,
): Promise<PolicyChoice> {
  const base = policyOf(config);
  if (!config.cache.adaptive) return choiceOf(base, undefined);
  try {
    const data = JSON.parse(await Deno.readTextFile(join(stateDir, "policy.json")));
    const standings = Array.isArray(data?.standings)
      ? data.standings.filter((s: unknown) =>
        typeof (s as { name?: unknown })?.name === "string" &&
        typeof (s as { byteHitRatio?: unknown })?.byteHitRatio === "number"
      )
      : [];
    return choiceOf(base, typeof data?.profile === "string" ? data.profile : undefined, standings);
  } catch {
    return choiceOf(base, undefined);
  }
}

/**
 * The models on the SSD as the planner sees them.
 *
 * @param index The model index.
 * @param at The time (unix seconds), the ids of models a running server has
 *   loaded, and the policy choice whose rank options to use (the default rank when absent).
 * @returns One cached copy per model with SSD files.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cachedCopies } from "./ssd_cache.ts";
 * assert(cachedCopies([], { now: 0, inUse: new Set() }).length === 0);
 * ```
 */
export function cachedCopies(
  index: readonly IndexedModel[],
  at: { now: number; inUse: ReadonlySet<string>; choice?: PolicyChoice },
): CachedCopy[] {
  const { now, inUse, choice } = at;
  return index.filter((m) => m.ssd !== undefined && !m.gone).map((m) => {
    const copy: CachedCopy = {
      id: m.id,
      size: m.ssd!.size,
      rate: rankOf(m, now, choice?.rankOptions),
      pinned: m.pinned,
      inUse: inUse.has(m.id),
      // Files on the SSD that llama-pack did not copy and verify itself are
      // protected like SSD-only models: they may hold the only copy of their bytes.
      ssdOnly: m.ssdOnly || m.hdd === undefined || !m.ssd!.verified,
    };
    const last = m.uses.at(-1)?.at;
    if (last !== undefined) copy.lastUse = last;
    return copy;
  });
}

/** Options of {@linkcode planCopy}. */
export interface PlanCopyOptions {
  /**
   * A copy the user asked for (`--cache`): the use count does not matter and
   * the candidate outranks every unpinned, idle copy.
   * @default {false}
   */
  manual?: boolean;
}

/**
 * Asks the core planner whether to copy `model` to the SSD and what to evict first.
 *
 * @param model The candidate.
 * @param input The index, the space picture, the models in use, the policy and the time;
 *   with a `choice` ({@linkcode choosePolicy}), its rank options and its profile's policy.
 * @param options Whether the user asked for this copy.
 * @returns The planner's plan.
 *
 * @example A model that is already on the SSD
 * ```ts
 * import assert from "node:assert/strict";
 * import { planCopy } from "./ssd_cache.ts";
 * const m = { id: "m", size: 1, uses: [], pinned: false, noCache: false, ssdOnly: false, gone: false,
 *   ssd: { size: 1 }, hdd: { size: 1 } } as never;
 * const p = planCopy(m, { index: [m], space: { freeBytes: 10, minFreeBytes: 0, cacheUsedBytes: 1 },
 *   inUse: new Set(), policy: { minUses: 3, windowSeconds: 604800 }, now: 0 });
 * assert(p.copy === false);
 * ```
 */
export function planCopy(
  model: IndexedModel,
  input: {
    index: readonly IndexedModel[];
    space: SsdSpace;
    inUse: ReadonlySet<string>;
    policy: CachePolicy;
    now: number;
    choice?: PolicyChoice;
  },
  options: PlanCopyOptions = {},
): PlacementPlan {
  const { choice } = input;
  const cached = cachedCopies(input.index, {
    now: input.now,
    inUse: input.inUse,
    ...(choice ? { choice } : {}),
  });
  const policy = choice?.policy ?? input.policy;
  const usesInWindow = countUsesInWindow(
    model.uses.map((u) => ({ at: u.at })),
    input.now,
    policy.windowSeconds,
  );
  const rate = rankOf(model, input.now, choice?.rankOptions);
  const candidate: Candidate = {
    id: model.id,
    size: model.hdd?.size ?? model.size,
    rate: options.manual ? Math.max(rate, 1, ...cached.map((c) => c.rate * 1000 + 1)) : rate,
    usesInWindow: options.manual
      ? Math.max(usesInWindow, policy.minUses, policy.minUsesToEvict ?? 0)
      : usesInWindow,
    noCache: options.manual ? false : model.noCache,
  };
  return planPlacement({
    space: input.space,
    cached,
    candidate,
    policy,
    now: input.now,
  });
}

/** One file to copy. */
export interface FileCopy {
  /** The HDD file. */
  src: string;
  /** Its place on the SSD: `<ssd_path>/<path relative to its HDD root>`. */
  dest: string;
  /** The HDD file row. */
  file: FileRow;
}

/**
 * Lists the files a copy of `model` writes: every HDD file (weights, shards,
 * projector) mirrored under the SSD path at the same relative path.
 *
 * @param config The config (`ssd_path`).
 * @param model The model.
 * @returns The files, weights first.
 * @throws {LlamaPackError} `COPY` when the model has no HDD copy to copy from.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { filesToCopy } from "./ssd_cache.ts";
 * const file = { path: "/h/llm/m.gguf", model_id: "m", tier: "hdd", root: "/h", rel: "llm/m.gguf", role: "model", size: 1, mtime: 0 };
 * const [f] = filesToCopy({ ssd_path: "/s" } as never, { name: "m", hdd: { files: [file] } } as never);
 * assert(f?.dest === "/s/llm/m.gguf");
 * ```
 */
export function filesToCopy(config: Pick<Config, "ssd_path">, model: IndexedModel): FileCopy[] {
  if (!model.hdd) {
    throw new LlamaPackError("COPY", `cannot copy ${model.name}: it has no HDD copy to copy from`);
  }
  return [...model.hdd.files]
    .sort((a, b) =>
      (a.role === "mmproj" ? 1 : 0) - (b.role === "mmproj" ? 1 : 0) || (a.path < b.path ? -1 : 1)
    )
    .map((file) => ({ src: file.path, dest: join(config.ssd_path, file.rel), file }));
}

/** Progress of a whole model's copy. */
export interface ModelCopyProgress {
  /** `copy` or `verify`, of the file being copied. */
  phase: "copy" | "verify";
  /** Bytes of the model done (copy phase counts; verify shows the file's share). */
  bytesDone: number;
  /** Bytes of the model. */
  totalBytes: number;
  /** Speed of the current file, bytes per second. */
  bytesPerSecond: number;
}

/** Options of {@linkcode copyModel}. */
export interface CopyModelOptions {
  /** The SSD cache root (`ssd_path`). */
  ssdPath: string;
  /**
   * Progress of the whole model.
   * @default {undefined}
   */
  onProgress?: (p: ModelCopyProgress) => void;
  /**
   * Stops the copy.
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * The clock for `verified_at`, unix seconds.
   * @default {() => Date.now() / 1000}
   */
  now?: () => number;
  /**
   * Speed limit in bytes per second.
   * @default {undefined}
   */
  maxBytesPerSecond?: number;
  /**
   * Told about leftovers of interrupted copies removed before copying.
   * @default {undefined}
   */
  onCleanup?: (removed: RemovedPartial[]) => void;
}

/** What {@linkcode copyModel} did. */
export interface ModelCopyResult {
  /** Bytes of the model copied or reused. */
  bytes: number;
  /** Seconds taken. */
  seconds: number;
  /** Files copied (reused ones excluded). */
  copied: number;
  /** Files that already had a verified copy. */
  reused: number;
}

/**
 * Copies every file of a model to the SSD with the safe copy protocol and
 * records each verified copy (hash) and its file row in the store. Leftovers
 * of interrupted copies are cleaned up first.
 *
 * @param store The state store.
 * @param model The model (with an HDD copy).
 * @param options The SSD root, progress, abort signal, clock, speed limit.
 * @returns Bytes, time, and how many files were copied or reused.
 * @throws {LlamaPackError} `COPY` when a file cannot be copied (files copied before stay, recorded).
 *
 * @example Copying a one-file model
 * ```ts
 * import assert from "node:assert/strict";
 * import { StateStore } from "../state/store.ts";
 * import { copyModel } from "./ssd_cache.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/hdd`); await Deno.mkdir(`${dir}/ssd`);
 * await Deno.writeTextFile(`${dir}/hdd/m.gguf`, "GGUF");
 * const file = { path: `${dir}/hdd/m.gguf`, model_id: "m", tier: "hdd" as const, root: `${dir}/hdd`, rel: "m.gguf", role: "model", size: 4, mtime: 0 };
 * const store = StateStore.open(`${dir}/state`);
 * const r = await copyModel(store, { id: "m", name: "m.gguf", hdd: { files: [file] } } as never, { ssdPath: `${dir}/ssd` });
 * assert(r.copied === 1 && store.ssdCopies("m").length === 1);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function copyModel(
  store: StateStore,
  model: IndexedModel,
  options: CopyModelOptions,
): Promise<ModelCopyResult> {
  const config = { ssd_path: options.ssdPath };
  const now = options.now ?? (() => Date.now() / 1000);
  const files = filesToCopy(config, model);
  // An interrupted copy (kill -9, power loss) left a temp file: remove it first.
  const removed = await cleanupPartials(config.ssd_path);
  if (removed.length > 0) options.onCleanup?.(removed);
  const total = files.reduce((s, f) => s + f.file.size, 0);
  const started = performance.now();
  let before = 0;
  let copied = 0;
  let reused = 0;
  for (const f of files) {
    const r = await copyToSsd(f.src, f.dest, {
      ssdRoot: config.ssd_path,
      onProgress: (p) =>
        options.onProgress?.({
          phase: p.phase,
          bytesDone: before + (p.phase === "copy" ? p.bytesDone : p.totalBytes),
          totalBytes: total,
          bytesPerSecond: p.bytesPerSecond,
        }),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.maxBytesPerSecond ? { maxBytesPerSecond: options.maxBytesPerSecond } : {}),
    });
    const st = await Deno.stat(f.dest);
    store.tx(() => {
      store.addSsdCopy({
        ssd_path: f.dest,
        model_id: model.id,
        hdd_path: f.src,
        size: r.size,
        hash: r.hash,
        verified_at: now(),
      });
      store.addFile({
        path: f.dest,
        model_id: model.id,
        tier: "ssd",
        root: config.ssd_path,
        rel: f.file.rel,
        role: f.file.role,
        size: r.size,
        mtime: (st.mtime?.getTime() ?? 0) / 1000,
      });
    });
    before += r.size;
    if (r.reused) reused++;
    else copied++;
  }
  return { bytes: before, seconds: (performance.now() - started) / 1000, copied, reused };
}

/** One SSD file of a model and the HDD original it is checked against. */
export interface EvictFile {
  /** The SSD file. */
  ssdPath: string;
  /** Its HDD original. */
  hddPath: string;
  /** The HDD root the original lives under. */
  hddRoot: string;
  /** The size both must have. */
  size: number;
  /** The hash recorded when it was copied, if any. */
  hash: string | undefined;
}

/**
 * Pairs each SSD file of a model with its HDD original: the one recorded when
 * it was copied, else the HDD file at the same relative path, else the only
 * HDD file with the same name.
 *
 * @param store The state store (recorded copies).
 * @param model The model.
 * @returns One pair per SSD file.
 * @throws {LlamaPackError} `UNSAFE` when the model is SSD-only or a file has no HDD original.
 *
 * @example A model without SSD files
 * ```ts
 * import assert from "node:assert/strict";
 * import { evictPairs } from "./ssd_cache.ts";
 * const store = { ssdCopies: () => [] } as never;
 * assert(evictPairs(store, { name: "m", ssdOnly: false, hdd: { files: [] } } as never).length === 0);
 * ```
 */
export function evictPairs(
  store: Pick<StateStore, "ssdCopies"> & Partial<Pick<StateStore, "files">>,
  model: IndexedModel,
): EvictFile[] {
  if (!model.ssd) return [];
  if (model.ssdOnly || !model.hdd) {
    throw new LlamaPackError(
      "UNSAFE",
      `refusing to evict ${model.name}: it exists only on the SSD; deleting it would lose it`,
    );
  }
  const records = new Map(store.ssdCopies(model.id).map((c) => [c.ssd_path, c]));
  const hddFiles = model.hdd.files;
  const hddWeights = hddFiles.filter((h) => h.role !== "mmproj");
  const ssdWeights = model.ssd.files.filter((f) => f.role !== "mmproj");
  // A file another model's SSD copy also uses (a shared projector) stays.
  const sharedWith = (path: string) =>
    (store.files?.() ?? []).some((r) =>
      r.path === path && r.model_id !== model.id && r.tier === "ssd"
    );
  const base = (p: string) => p.slice(p.lastIndexOf("/") + 1);
  const pairs: EvictFile[] = [];
  for (const f of model.ssd.files) {
    if (f.role === "mmproj" && sharedWith(f.path)) continue;
    const rec = records.get(f.path);
    // Only a file llama-pack copied and verified itself may be deleted: a file
    // that merely looks like the HDD original (same path and size) could hold
    // the only copy of different bytes.
    if (!rec || rec.size !== f.size) {
      throw new LlamaPackError(
        "UNSAFE",
        `refusing to evict ${model.name}: ${f.path} is not a verified copy (llama-pack did not copy it, or it changed since)`,
        { hint: `llama-pack --cache '${model.name}' verifies it against the HDD original` },
      );
    }
    const single = (list: typeof hddFiles) => list.length === 1 ? list[0] : undefined;
    const hdd = hddFiles.find((h) => h.path === rec.hdd_path) ??
      hddFiles.find((h) => h.rel === f.rel) ??
      single(hddFiles.filter((h) => base(h.path) === base(f.path))) ??
      // Renamed or moved on the HDD since the copy: a single-file model pairs
      // with its only weight file (size and, with a hash check, content are
      // still verified before anything is deleted).
      (f.role !== "mmproj" && ssdWeights.length === 1 ? single(hddWeights) : undefined);
    if (!hdd) {
      throw new LlamaPackError(
        "UNSAFE",
        `refusing to evict ${model.name}: ${f.path} has no HDD original`,
      );
    }
    pairs.push({
      ssdPath: f.path,
      hddPath: hdd.path,
      hddRoot: hdd.root,
      size: rec.size,
      hash: rec.hash,
    });
  }
  return pairs;
}

/** Options of {@linkcode evictModel}. */
export interface EvictModelOptions {
  /** The SSD cache root (`ssd_path`); nothing outside it is deleted. */
  ssdPath: string;
  /**
   * Check everything, delete nothing.
   * @default {false}
   */
  dryRun?: boolean;
  /**
   * Hash each HDD original and compare it with the recorded hash.
   * @default {false}
   */
  hashCheck?: boolean;
}

/** What {@linkcode evictModel} did. */
export interface EvictModelResult {
  /** Bytes deleted (or that would be, in a dry run). */
  bytes: number;
  /** The SSD files deleted (or that would be). */
  files: string[];
}

/**
 * Deletes a model's SSD copy: every file is checked first (dry run of
 * {@linkcode deleteSsdCopy}), so a refusal deletes nothing; then each file is
 * deleted and its records removed from the store.
 *
 * @param store The state store.
 * @param model The model.
 * @param options The SSD root, dry run, hash check.
 * @returns Bytes and files deleted.
 * @throws {LlamaPackError} `UNSAFE` when any file may not be deleted; `IO` when deleting fails.
 *
 * @example A model without an SSD copy
 * ```ts
 * import assert from "node:assert/strict";
 * import { evictModel } from "./ssd_cache.ts";
 * const r = await evictModel({ ssdCopies: () => [] } as never, { name: "m" } as never, { ssdPath: "/s" });
 * assert(r.bytes === 0);
 * ```
 */
export async function evictModel(
  store: StateStore,
  model: IndexedModel,
  options: EvictModelOptions,
): Promise<EvictModelResult> {
  const config = { ssd_path: options.ssdPath };
  const pairs = evictPairs(store, model);
  const check = (p: EvictFile, dryRun: boolean) => {
    const o = {
      ssdRoot: config.ssd_path,
      ssdPath: p.ssdPath,
      hddPath: p.hddPath,
      hddRoot: p.hddRoot,
      expectedSize: p.size,
      hashCheck: options.hashCheck ?? false,
      dryRun,
    };
    return deleteSsdCopy(p.hash === undefined ? o : { ...o, expectedHash: p.hash });
  };
  let bytes = 0;
  for (const p of pairs) bytes += (await check(p, true)).bytes;
  if (options.dryRun) return { bytes, files: pairs.map((p) => p.ssdPath) };
  bytes = 0;
  for (const p of pairs) {
    const r = await check(p, false);
    bytes += r.bytes;
    store.tx(() => {
      store.removeSsdCopy(p.ssdPath);
      store.removeFile(p.ssdPath, model.id);
    });
  }
  return { bytes, files: pairs.map((p) => p.ssdPath) };
}

/**
 * Marks copy jobs whose copier is gone as failed: a `copying` or `queued`
 * job whose process no longer runs (killed, crashed), or a `queued` job that
 * no copier took within `maxQueuedSeconds`. Without this a dead copier's job
 * would block promotion of its model for ever.
 *
 * @param store The state store.
 * @param now Unix seconds.
 * @param options How long a job may wait for its copier to start.
 * @returns The jobs marked failed.
 *
 * @example Nothing to reap in an empty store
 * ```ts
 * import assert from "node:assert/strict";
 * import { StateStore } from "../state/store.ts";
 * import { reapStaleJobs } from "./ssd_cache.ts";
 * const dir = await Deno.makeTempDir();
 * const store = StateStore.open(dir);
 * assert(reapStaleJobs(store, 0).length === 0);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function reapStaleJobs(
  store: StateStore,
  now: number,
  options: { maxQueuedSeconds?: number } = {},
): CopyJobRow[] {
  const maxQueued = options.maxQueuedSeconds ?? 600;
  const reaped: CopyJobRow[] = [];
  for (const job of store.copyJobs(["queued", "copying"])) {
    let why: string | undefined;
    if (job.pid !== null && readProcessIdentity(job.pid) === undefined) {
      why = `the copier (pid ${job.pid}) stopped before finishing`;
    } else if (job.pid === null && now - job.created_at > maxQueued) {
      why = "no copier took the job";
    }
    if (why) {
      store.updateCopyJob(job.id, { state: "failed", message: why, now });
      reaped.push(job);
    }
  }
  return reaped;
}

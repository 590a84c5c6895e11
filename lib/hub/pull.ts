/**
 * Pulling a model from the Hugging Face hub into a tier, as a library:
 * {@linkcode planPull} looks the repository up and checks the room without
 * writing anything; {@linkcode executePull} downloads the planned files
 * (resumable, verified, one writer per file across processes) and reports
 * progress through a callback; {@linkcode pullModel} does both. The CLI's
 * `--pull` and the HTTP API's `POST /api/models {hf_path}` both call these.
 *
 * Nothing is written outside the target directory except lock files in the
 * state directory; the target's root is never created (an unmounted disk is
 * an error, not a new empty directory).
 *
 * @module
 */

import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { acquireLock, type FileLock, readLockInfo } from "../cache/lock.ts";
import { isInside } from "../cache/fs_checks.ts";
import { statTier, type TierInput } from "../cache/tiers.ts";
import { LlamaPackError } from "../errors.ts";
import { downloadFile, type DownloadFileResult, partialBytes } from "./download.ts";
import { hubError, hubFetch, listRepoFiles, resolveRevision } from "./hub_client.ts";
import type { HubSettings } from "./hub_client.ts";
import { chooseHubFiles, parseHubRef, type PlacedFile, placeHubFiles } from "./hub_files.ts";
import { type PullRoom, pullRoom, roomRefusal, speedOf, type SpeedSample } from "./pull_room.ts";

/** What to pull. */
export interface PullSpec {
  /** `owner/name[:QUANT]`. */
  ref: string;
  /** Branch, tag or commit. @default "main" */
  revision?: string | undefined;
  /** Bring the projector along (`--no-mmproj` is `false`). @default true */
  mmproj?: boolean | undefined;
}

/** Where a pull goes. */
export interface PullTarget {
  /** The directory the files go under (`<dir>/<owner>/<name>/…`); it must exist. */
  dir: string;
  /** The tier's name (`ssd`, `hdd`, `hdd2`, or the path). */
  name: string;
  /** `ssd` for the SSD (or a directory in it), else `hdd`. */
  kind: "ssd" | "hdd";
  /** Bytes that must stay free (`ssd_min_free_gb` on the SSD). */
  minFreeBytes: number;
  /** Most bytes the models may take (`ssd_limit_gb`). */
  limitBytes?: number | undefined;
}

/** One planned file. */
export interface PlannedFile extends PlacedFile {
  /** The final path. */
  dest: string;
  /** The `resolve/<commit>/<path>` URL. */
  url: string;
  /** Bytes an earlier, interrupted pull left (resumed, not fetched again). */
  partialBytes: number;
  /** The final path already holds a file of the right size (verified when the pull runs). */
  present: boolean;
}

/** Everything decided before a byte is downloaded. */
export interface PullPlan {
  /** `owner/name`. */
  repo: string;
  /** The tag asked for, if any. */
  tag: string | undefined;
  /** The model's quant, from its file name (e.g. `Q4_K_M`). */
  quant: string;
  /** How messages name the pull: `owner/name:QUANT`. */
  label: string;
  /** The revision asked for. */
  revision: string;
  /** The commit every file is fetched at. */
  commit: string;
  /** Whether the repository is gated. */
  gated: false | "auto" | "manual";
  /** The target. */
  target: PullTarget;
  /** The files, model shards first, then the projector. */
  files: PlannedFile[];
  /** Bytes of all files. */
  totalBytes: number;
  /** Bytes still to download (what is complete or partly there is not counted). */
  needBytes: number;
  /** The target tier, measured. */
  tier: TierInput;
  /** Whether `needBytes` fit, why, and a warning. */
  room: PullRoom;
  /** The path of the model's first shard once pulled. */
  modelPath: string;
}

/** Options of {@linkcode planPull}. */
export interface PlanPullOptions {
  /** The hub: endpoint, token. */
  hub: HubSettings;
  /** Where the files go. */
  target: PullTarget;
  /** `cache_warning_threshold`. @default 0.9 */
  threshold?: number;
  /** Measures the target (tests use a fake). @default statTier of `target.dir` */
  measure?: (target: PullTarget) => Promise<TierInput>;
}

/**
 * Looks a repository up and plans the pull: commit, files (as llama.cpp's
 * `-hf` picks them), where they go, what is already there, and whether the
 * rest fits. Writes nothing.
 *
 * @param spec The repository, tag, revision, projector choice.
 * @param options The hub, the target, the threshold.
 * @returns The plan; check `plan.room.fits` (or call {@linkcode assertRoom}).
 * @throws {LlamaPackError} `USAGE` for a bad reference; `NO_MATCH` for an
 *   unknown repository, revision or tag; `HUB` when the hub refuses (a gated
 *   repository without access); `IO` when the target cannot be measured;
 *   `COPY` when a final path holds a different file.
 *
 * @example Planning against a hub that is not there fails with one line
 * ```ts
 * import assert from "node:assert/strict";
 * import { planPull } from "./pull.ts";
 * await assert.rejects(
 *   planPull({ ref: "o/m:Q4_K_M" }, {
 *     hub: { endpoint: "http://127.0.0.1:9" },
 *     target: { dir: "/tmp", name: "hdd", kind: "hdd", minFreeBytes: 0 },
 *   }),
 *   /cannot reach the hub at http:\/\/127.0.0.1:9/,
 * );
 * ```
 */
export async function planPull(spec: PullSpec, options: PlanPullOptions): Promise<PullPlan> {
  const { repo, tag } = parseHubRef(spec.ref);
  const revision = spec.revision ?? "main";
  const hub = options.hub;
  const rev = await resolveRevision(repo, revision, hub);
  const listing = await listRepoFiles(repo, rev.commit, hub);
  const choice = chooseHubFiles(listing, { tag, mmproj: spec.mmproj ?? true, repo });
  const placed = placeHubFiles(repo, choice);
  const label = `${repo}:${choice.quant || tag || "model"}`;
  const files: PlannedFile[] = [];
  for (const f of placed) {
    const dest = join(options.target.dir, ...f.localPath.split("/"));
    const url = `${hub.endpoint}/${repo}/resolve/${rev.commit}/${
      f.path.split("/").map(encodeURIComponent).join("/")
    }`;
    const existing = await Deno.lstat(dest).catch(() => undefined);
    if (existing && (!existing.isFile || existing.size !== f.size)) {
      throw new LlamaPackError(
        "COPY", // TODO(#11): DOWNLOAD
        `${dest} already exists and is not ${f.path} of ${repo} (${
          existing.isFile ? `${existing.size} bytes, expected ${f.size}` : "not a regular file"
        }): not overwriting it`,
        { hint: "move it away, or pull into another directory with --to" },
      );
    }
    files.push({
      ...f,
      dest,
      url,
      present: existing !== undefined,
      partialBytes: existing ? 0 : await partialBytes(dest, f),
    });
  }
  if (rev.gated) await checkAccess(repo, rev.commit, files[0]!, hub);
  const totalBytes = files.reduce((s, f) => s + f.size, 0);
  const needBytes = files.reduce((s, f) => s + (f.present ? 0 : f.size - f.partialBytes), 0);
  const measure = options.measure ?? ((t: PullTarget) =>
    statTier(t.dir, {
      name: t.name,
      kind: t.kind,
      minFreeBytes: t.minFreeBytes,
      ...(t.limitBytes === undefined ? {} : { limitBytes: t.limitBytes }),
    }));
  const tier = await measure(options.target);
  return {
    repo,
    tag,
    quant: choice.quant,
    label,
    revision,
    commit: rev.commit,
    gated: rev.gated,
    target: options.target,
    files,
    totalBytes,
    needBytes,
    tier,
    room: pullRoom(needBytes, tier, options.threshold ?? 0.9),
    modelPath: files[0]!.dest,
  };
}

/** A gated repository: ask for the first file's headers now, so a refusal comes before any download. */
async function checkAccess(
  repo: string,
  commit: string,
  file: PlannedFile,
  hub: HubSettings,
): Promise<void> {
  try {
    const res = await hubFetch(hub)(file.url, { method: "HEAD", redirect: "manual" });
    await res.body?.cancel();
  } catch (err) {
    throw hubError(err, hub, { repo, revision: commit, path: file.path });
  }
}

/**
 * Throws the `NO_SPACE` refusal when a plan does not fit: the figures, and
 * where `--recommend` would put it.
 *
 * @param plan The plan.
 * @param tiers Every configured tier, measured, for the suggestion.
 * @param threshold `cache_warning_threshold`.
 * @throws {LlamaPackError} `NO_SPACE` when `plan.room.fits` is false.
 *
 * @example A plan that fits passes
 * ```ts
 * import { assertRoom, type PullPlan } from "./pull.ts";
 * assertRoom({ room: { fits: true } } as PullPlan, []);
 * ```
 */
export function assertRoom(plan: PullPlan, tiers: readonly TierInput[], threshold = 0.9): void {
  if (plan.room.fits) return;
  const { message, hint } = roomRefusal(plan.label, plan.needBytes, plan.room, {
    tiers,
    threshold,
  });
  throw new LlamaPackError("NO_SPACE", message, { hint });
}

/** What a running pull reports. */
export type PullEvent =
  | {
    type: "start";
    label: string;
    commit: string;
    files: number;
    totalBytes: number;
    needBytes: number;
  }
  | { type: "file"; index: number; path: string; dest: string; size: number; resumeFrom: number }
  | {
    type: "progress";
    phase: "rehash" | "verify" | "download";
    path: string;
    fileBytesDone: number;
    fileBytes: number;
    bytesDone: number;
    totalBytes: number;
    bytesPerSecond: number;
    etaSeconds: number | undefined;
  }
  | { type: "retry"; path: string; attempt: number; delayMs: number; reason: string }
  | {
    type: "file-done";
    path: string;
    dest: string;
    hash: string;
    fetched: number;
    alreadyThere: boolean;
  }
  | { type: "done"; modelPath: string; fetched: number; seconds: number };

/** Options of {@linkcode executePull}. */
export interface ExecutePullOptions {
  /** The hub: endpoint, token. */
  hub: HubSettings;
  /** The state directory (lock files go to `<state>/locks/`). */
  stateDir: string;
  /** Stops the pull; what was downloaded stays for the next run. @default undefined */
  signal?: AbortSignal | undefined;
  /** Receives progress; `progress` events at most every `progressIntervalMs`. @default undefined */
  onEvent?: ((e: PullEvent) => void) | undefined;
  /** @default 250 */
  progressIntervalMs?: number;
  /** Consecutive failed attempts per file before giving up. @default 5 */
  retries?: number;
  /** First retry delay, doubling. @default 2000 */
  retryDelayMs?: number;
  /** A connection silent this long is retried. @default 60000 */
  stallTimeoutMs?: number;
}

/** What {@linkcode executePull} did. */
export interface PullResult {
  /** The model's first shard. */
  modelPath: string;
  /** Per file, in plan order. */
  files: (DownloadFileResult & { role: "model" | "mmproj"; repoPath: string })[];
  /** Bytes fetched by this run. */
  fetched: number;
  /** Wall time, seconds. */
  seconds: number;
}

/**
 * Downloads a plan's files into place (see {@linkcode downloadFile}), one
 * writer per file across processes. Does not check the room: call
 * {@linkcode assertRoom} first.
 *
 * @param plan From {@linkcode planPull}.
 * @param options The hub, state dir, abort signal, progress callback, retries.
 * @returns The files written and verified.
 * @throws {LlamaPackError} `IO` when another process pulls the same file, a
 *   directory leads outside the target, or the disk fails; `COPY` when a hash
 *   does not match; `HUB`/`NO_MATCH` when the hub refuses.
 *
 * @example Nothing to do for an empty plan
 * ```ts
 * import assert from "node:assert/strict";
 * import { executePull, type PullPlan } from "./pull.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const plan = { label: "o/m", commit: "c", files: [], totalBytes: 0, needBytes: 0, modelPath: "",
 *     target: { dir, name: "hdd", kind: "hdd", minFreeBytes: 0 } } as unknown as PullPlan;
 *   const r = await executePull(plan, { hub: { endpoint: "http://127.0.0.1:9" }, stateDir: dir });
 *   assert(r.fetched === 0);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function executePull(
  plan: PullPlan,
  options: ExecutePullOptions,
): Promise<PullResult> {
  const started = performance.now();
  const emit = options.onEvent ?? (() => {});
  const locks = await lockFiles(plan, options.stateDir);
  try {
    emit({
      type: "start",
      label: plan.label,
      commit: plan.commit,
      files: plan.files.length,
      totalBytes: plan.totalBytes,
      needBytes: plan.needBytes,
    });
    const fetch = hubFetch(options.hub);
    const results: PullResult["files"] = [];
    const interval = options.progressIntervalMs ?? 250;
    let before = 0;
    for (const [index, f] of plan.files.entries()) {
      await ensureDirInside(plan.target.dir, dirname(f.dest));
      emit({
        type: "file",
        index,
        path: f.path,
        dest: f.dest,
        size: f.size,
        resumeFrom: f.partialBytes,
      });
      const samples: SpeedSample[] = [];
      let last = 0;
      const report = (phase: "rehash" | "verify" | "download", done: number, force: boolean) => {
        const t = performance.now();
        if (phase === "download") {
          samples.push({ t, bytes: done });
          while (samples.length > 2 && samples[0]!.t < t - 5000) samples.shift();
        }
        if (!force && t - last < interval) return;
        last = t;
        const speed = phase === "download" ? speedOf(samples, 5000) : 0;
        const left = plan.totalBytes - before - done;
        emit({
          type: "progress",
          phase,
          path: f.path,
          fileBytesDone: done,
          fileBytes: f.size,
          bytesDone: before + done,
          totalBytes: plan.totalBytes,
          bytesPerSecond: speed,
          etaSeconds: speed > 0 ? left / speed : undefined,
        });
      };
      let r: DownloadFileResult;
      try {
        r = await downloadFile(
          {
            url: f.url,
            size: f.size,
            sha256: f.sha256,
            gitOid: f.gitOid,
            commit: plan.commit,
            label: f.path,
          },
          f.dest,
          {
            fetch,
            signal: options.signal,
            ...(options.retries === undefined ? {} : { retries: options.retries }),
            ...(options.retryDelayMs === undefined ? {} : { retryDelayMs: options.retryDelayMs }),
            ...(options.stallTimeoutMs === undefined
              ? {}
              : { stallTimeoutMs: options.stallTimeoutMs }),
            onProgress: (p) => report(p.phase, p.bytesDone, false),
            onRetry: (x) =>
              emit({
                type: "retry",
                path: f.path,
                attempt: x.attempt,
                delayMs: x.delayMs,
                reason: x.reason,
              }),
          },
        );
      } catch (err) {
        if (options.signal?.aborted) throw err;
        throw hubError(err, options.hub, { repo: plan.repo, revision: plan.commit, path: f.path });
      }
      report("download", f.size, true);
      before += f.size;
      results.push({ ...r, role: f.role, repoPath: f.path });
      emit({
        type: "file-done",
        path: f.path,
        dest: f.dest,
        hash: r.hash,
        fetched: r.fetched,
        alreadyThere: r.alreadyThere,
      });
    }
    const fetched = results.reduce((s, r) => s + r.fetched, 0);
    const seconds = (performance.now() - started) / 1000;
    emit({ type: "done", modelPath: plan.modelPath, fetched, seconds });
    return { modelPath: plan.modelPath, files: results, fetched, seconds };
  } finally {
    for (const l of locks) await l.release();
  }
}

/** Takes one lock per destination file, or fails naming the process that holds one. */
async function lockFiles(plan: PullPlan, stateDir: string): Promise<FileLock[]> {
  const locks: FileLock[] = [];
  try {
    for (const f of [...plan.files].sort((a, b) => a.dest.localeCompare(b.dest))) {
      const key = createHash("sha1").update(f.dest).digest("hex").slice(0, 20);
      const path = join(stateDir, "locks", `pull-${key}.lock`);
      const lock = await acquireLock(path, {
        wait: false,
        removeOnRelease: true,
        note: `pull ${plan.label}: ${f.dest}`,
      });
      if (!lock) {
        const holder = await readLockInfo(path);
        throw new LlamaPackError(
          "IO",
          `another llama-pack${holder ? ` (pid ${holder.pid})` : ""} is downloading ${f.dest}`,
          { hint: "wait for it to finish; this pull can then be run again and finds the file" },
        );
      }
      locks.push(lock);
    }
    return locks;
  } catch (err) {
    for (const l of locks) await l.release();
    throw err;
  }
}

/**
 * Creates `dir` and its missing parents below `root`, after checking that the
 * deepest existing one resolves (through symlinks) inside `root`. `root`
 * itself must exist.
 */
async function ensureDirInside(root: string, dir: string): Promise<void> {
  let realRoot: string;
  try {
    realRoot = await Deno.realPath(root);
  } catch (err) {
    throw new LlamaPackError("IO", `the target directory ${root} does not exist`, {
      cause: err,
      hint: "check the path and that the disk is mounted",
    });
  }
  const missing: string[] = [];
  let existing = dir;
  while (existing !== root && (await Deno.lstat(existing).catch(() => undefined)) === undefined) {
    missing.unshift(existing);
    existing = dirname(existing);
  }
  const real = await Deno.realPath(existing);
  if (real !== realRoot && !isInside(realRoot, real)) {
    throw new LlamaPackError(
      "UNSAFE",
      `refusing to download into ${existing}: it leads outside ${root} (to ${real})`,
    );
  }
  for (const d of missing) {
    await Deno.mkdir(d).catch((err) => {
      if (!(err instanceof Deno.errors.AlreadyExists)) {
        throw new LlamaPackError("IO", `cannot create ${d}: ${err.message}`, { cause: err });
      }
    });
  }
}

/** Options of {@linkcode pullModel}. */
export interface PullModelOptions extends PlanPullOptions, ExecutePullOptions {
  /** Every configured tier, measured, for the suggestion when there is no room. @default [] */
  tiers?: readonly TierInput[];
  /** Called with the plan once it fits, before anything is downloaded. @default undefined */
  onPlan?: (plan: PullPlan) => void;
}

/**
 * Plans a pull, refuses it when there is no room, and runs it.
 *
 * @param spec The repository, tag, revision, projector choice.
 * @param options Hub, target, state dir, progress, and the tiers for a suggestion.
 * @returns The plan and what was downloaded.
 * @throws {LlamaPackError} As {@linkcode planPull} and {@linkcode executePull}; `NO_SPACE` when it does not fit.
 *
 * @example A bad reference fails before any request
 * ```ts
 * import assert from "node:assert/strict";
 * import { pullModel } from "./pull.ts";
 * await assert.rejects(pullModel({ ref: "not-a-repo" }, {
 *   hub: { endpoint: "http://127.0.0.1:9" }, stateDir: "/tmp",
 *   target: { dir: "/tmp", name: "hdd", kind: "hdd", minFreeBytes: 0 },
 * }), /not a Hugging Face repository/);
 * ```
 */
export async function pullModel(
  spec: PullSpec,
  options: PullModelOptions,
): Promise<{ plan: PullPlan; result: PullResult }> {
  const plan = await planPull(spec, options);
  assertRoom(plan, options.tiers ?? [], options.threshold ?? 0.9);
  options.onPlan?.(plan);
  const result = await executePull(plan, options);
  return { plan, result };
}

/**
 * Running a planned pull: one writer per file across processes (lock files
 * in the state directory), directories created only below the target and
 * never through a symlink leading out of it, each file downloaded resumably
 * and verified ({@linkcode downloadFile}), progress as events.
 *
 * @module
 */

import { dirname } from "node:path";
import { isInside } from "../cache/fs_checks.ts";
import { acquireLock, type FileLock, readLockInfo } from "../cache/lock.ts";
import { speedOf, type SpeedSample } from "../core/pull_room.ts";
import { LlamaPackError } from "../errors.ts";
import { downloadFile, type DownloadFileResult } from "./download.ts";
import { pullLockPath } from "./download_partials.ts";
import { hubError, hubFetch, type HubSettings } from "./hub_client.ts";
import type { PullPlan } from "./pull_plan.ts";
import type { PullFileRecord, PullRecorder } from "./pull_record.ts";

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
  /** Least time between two `progress` events, milliseconds. @default 250 */
  progressIntervalMs?: number;
  /** Consecutive failed attempts per file before giving up. @default 5 */
  retries?: number;
  /** First retry delay, doubling. @default 2000 */
  retryDelayMs?: number;
  /** A connection silent this long is retried. @default 60000 */
  stallTimeoutMs?: number;
  /**
   * Records each file as it downloads (for `--status`; see
   * {@linkcode recordPullInStore}): started before anything of the file is
   * written or requested, so a failure to record stops the pull there.
   * @default undefined
   */
  record?: PullRecorder | undefined;
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
 * import { executePull } from "./pull_run.ts";
 * import type { PullPlan } from "./pull_plan.ts";
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
      // Recorded before a directory, a temp file or a request: a state disk
      // that cannot take the row stops the pull with nothing written.
      const row: PullFileRecord | undefined = options.record?.start(plan, f);
      try {
        await ensureDirInside(plan.target.dir, dirname(f.dest));
      } catch (err) {
        endRecord(row, "failed", err);
        throw err;
      }
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
            onProgress: (p) => {
              report(p.phase, p.bytesDone, false);
              if (p.phase === "download") row?.progress(p.bytesDone);
            },
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
        const aborted = options.signal?.aborted ?? false;
        const out = aborted
          ? err
          : hubError(err, options.hub, { repo: plan.repo, revision: plan.commit, path: f.path });
        endRecord(row, aborted ? "interrupted" : "failed", out);
        throw out;
      }
      row?.finish("done", f.size, r.alreadyThere ? "already in place, verified" : null);
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

/**
 * Records how a file's download ended, without hiding why it ended: a state
 * database that cannot take this write either (a full disk) has already said
 * so, or the original failure is the one to report.
 */
function endRecord(
  row: PullFileRecord | undefined,
  state: "failed" | "interrupted",
  err: unknown,
): void {
  try {
    const why = err instanceof Error ? err.message : String(err);
    row?.finish(
      state,
      undefined,
      state === "interrupted" ? `stopped (${why}); what was downloaded is kept to resume` : why,
    );
  } catch {
    // The first failure is thrown by the caller.
  }
}

/** Takes one lock per destination file, or fails naming the process that holds one. */
async function lockFiles(plan: PullPlan, stateDir: string): Promise<FileLock[]> {
  const locks: FileLock[] = [];
  try {
    for (const f of [...plan.files].sort((a, b) => a.dest.localeCompare(b.dest))) {
      const path = pullLockPath(stateDir, f.dest);
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

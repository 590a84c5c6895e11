/**
 * Recording a pull's files in the state store as they download, so
 * `--status` in another terminal shows them: a row per file written before
 * anything of the file is requested (owned, like a copy job, by this
 * process's pid and start time), its progress at most once a second, and
 * how it ended. A state database that cannot take a write throws its
 * `DISK_FULL`/`STATE` error (exit 74, naming the database): before the first
 * byte when the row cannot be started; mid-download the pull stops there and
 * what arrived stays in the hidden temp file, to resume.
 *
 * @module
 */

import { processOwner } from "../cache/copy_jobs.ts";
import type { ProcessOwner } from "../core/records.ts";
import { LlamaPackError } from "../errors.ts";
import type { DownloadTable } from "../state/downloads.ts";
import type { PlannedFile, PullPlan } from "./pull_plan.ts";

/** One file's record while it downloads. */
export interface PullFileRecord {
  /** Bytes on disk now; the recorder decides how often it writes them. */
  progress(bytesDone: number): void;
  /**
   * How it ended.
   *
   * @param state `done`, `failed`, or `interrupted` (stopped by a signal; the part is kept).
   * @param bytesDone Bytes on disk; the last progress when `undefined`.
   * @param message Why, or what it did.
   */
  finish(
    state: "done" | "failed" | "interrupted",
    bytesDone: number | undefined,
    message: string | null,
  ): void;
}

/** Records the files of a pull (the `record` option of `executePull`). */
export interface PullRecorder {
  /**
   * Starts a file's record; called before anything of the file is written or
   * requested. Throwing stops the pull there.
   *
   * @param plan The pull.
   * @param file The file.
   * @returns Its record.
   */
  start(plan: PullPlan, file: PlannedFile): PullFileRecord;
}

/** Options of {@linkcode recordPullInStore}. */
export interface RecordPullOptions {
  /** The clock, unix seconds. */
  now: () => number;
  /** The `llama-pack` arguments that pull the same files again (`pullArgs` in `core/download_status.ts`). */
  pullArgs: readonly string[];
  /** The owning process. @default this process */
  owner?: ProcessOwner;
  /** Least time between two progress writes of a file, seconds. @default 1 */
  intervalSeconds?: number;
}

/**
 * A {@linkcode PullRecorder} that writes the state store's `downloads` rows.
 * Needs `--allow-read` for `/proc` (the owner's start time).
 *
 * @param downloads The table (`store.downloads`).
 * @param options The clock, the arguments to resume with, the owner.
 * @returns The recorder.
 * @throws {LlamaPackError} `DISK_FULL` or `STATE` from its methods when the database cannot be written.
 *
 * @example A file's row from start to done, progress written at most once a second
 * ```ts
 * import assert from "node:assert/strict";
 * import { StateStore } from "../state/store.ts";
 * import { recordPullInStore } from "./pull_record.ts";
 * import type { PlannedFile, PullPlan } from "./pull_plan.ts";
 * const dir = await Deno.makeTempDir();
 * const store = StateStore.open(dir);
 * let t = 100;
 * const rec = recordPullInStore(store.downloads, { now: () => t, pullArgs: ["--pull", "o/m"] });
 * const file = { path: "m-Q8_0.gguf", dest: `${dir}/m-Q8_0.gguf`, size: 100, partialBytes: 0 } as PlannedFile;
 * const plan = { repo: "o/m", revision: "main", commit: "c", label: "o/m:Q8_0",
 *   target: { name: "hdd" } } as PullPlan;
 * const row = rec.start(plan, file);
 * row.progress(10); // the second it started in: not written
 * assert(store.downloads.all()[0]?.bytes_done === 0);
 * t = 101;
 * row.progress(30);
 * assert(store.downloads.all()[0]?.bytes_done === 30);
 * row.finish("done", 100, null);
 * assert(store.downloads.all()[0]?.state === "done");
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function recordPullInStore(
  downloads: DownloadTable,
  options: RecordPullOptions,
): PullRecorder {
  const interval = options.intervalSeconds ?? 1;
  return {
    start(plan, file) {
      const owner = options.owner ?? processOwner();
      if (owner === undefined) {
        throw new LlamaPackError("STATE", "cannot read this process's start time from /proc");
      }
      const from = file.present ? file.size : file.partialBytes;
      const started = options.now();
      const id = downloads.start({
        repo: plan.repo,
        revision: plan.revision,
        commit_id: plan.commit,
        label: plan.label,
        repo_path: file.path,
        tier: plan.target.name,
        target_path: file.dest,
        bytes_start: from,
        bytes_total: file.size,
        // What the hidden temp file is named after (`partialPathFor`), for --cleanup.
        content_hash: file.sha256 ?? file.gitOid ?? null,
        pullArgs: options.pullArgs,
        owner,
        now: started,
      });
      let done = from;
      let saved = started;
      return {
        progress(bytesDone) {
          done = bytesDone;
          const now = options.now();
          if (now - saved < interval) return;
          saved = now;
          downloads.update(id, { bytes_done: bytesDone, now });
        },
        finish(state, bytesDone, message) {
          downloads.update(id, {
            state,
            bytes_done: bytesDone ?? done,
            message,
            now: options.now(),
          });
        },
      };
    },
  };
}

/**
 * Copying a whole model to the SSD: every file of its HDD copy through the
 * safe copy protocol (`copy.ts`), each verified copy recorded in the state
 * store.
 *
 * @module
 */

import { filesToCopy } from "../core/copy_plan.ts";
import type { IndexedModel } from "../core/model_index.ts";
import type { StateStore } from "../state/store.ts";
import { copyToSsd } from "./copy.ts";
import { cleanupPartials, type RemovedPartial } from "./partials.ts";

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
   * Awaited between chunks: lets the copy pause.
   * @default {undefined}
   */
  pause?: () => Promise<void>;
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
 * import { copyModel } from "./copy_model.ts";
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
      ...(options.pause ? { pause: options.pause } : {}),
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

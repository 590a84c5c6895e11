/**
 * Copying a model into a custom directory (`custom_paths`), the one write
 * llama-pack makes there and only when asked (`POST /api/models` with
 * `cache_location: custom`): every file of the model's permanent copy (or
 * of its SSD copy when it lives only there) through the same verified copy
 * protocol as SSD copies (`lib/cache/copy.ts`: a temp file in the custom
 * root's `.llama-pack-partial/`, hashed while written, fsynced, re-hashed,
 * linked into place), one copy at a time under the copy lock. The next scan
 * indexes the new copy; nothing is recorded before it is complete.
 *
 * @module
 */

import { join, relative } from "node:path";
import { copyLockPath } from "../cache/copy_jobs.ts";
import { copyToSsd } from "../cache/copy.ts";
import { isInside } from "../cache/fs_checks.ts";
import { acquireLock } from "../cache/lock.ts";
import { cleanupPartials } from "../cache/partials.ts";
import type { ModelCopyProgress } from "../cache/copy_model.ts";
import type { IndexedModel, TierCopy } from "../core/model_index.ts";
import { LlamaPackError } from "../errors.ts";

/** One file of a custom copy. */
export interface CustomFile {
  /** The source file. */
  src: string;
  /** Where it goes. */
  dest: string;
  /** Its size. */
  size: number;
}

/**
 * The source of a custom copy: the permanent copy, else a verified SSD copy
 * of a model that lives only on the SSD.
 *
 * @param model The model.
 * @returns Its files to copy from.
 * @throws {LlamaPackError} `COPY` when it has no complete copy to read.
 */
function sourceOf(model: IndexedModel): TierCopy {
  if (model.hdd) return model.hdd;
  if (model.ssd && (model.ssd.verified || model.ssdOnly)) return model.ssd;
  throw new LlamaPackError("COPY", `cannot copy ${model.name}: it has no complete copy to read`);
}

/**
 * The files a custom copy of `model` writes under `dir`: each file at its
 * path relative to its tier root (the layout the SSD mirror uses).
 *
 * @param model The model.
 * @param dir The directory to copy into.
 * @returns The files, weights first.
 * @throws {LlamaPackError} `COPY` when it has no complete copy to read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { customFiles } from "./copy_custom.ts";
 * const file = { path: "/h/llm/m.gguf", model_id: "m", tier: "hdd", root: "/h", rel: "llm/m.gguf", role: "model", size: 4, mtime: 0 };
 * const [f] = customFiles({ name: "m", hdd: { files: [file] } } as never, "/usb");
 * assert(f?.dest === "/usb/llm/m.gguf" && f.size === 4);
 * ```
 */
export function customFiles(model: IndexedModel, dir: string): CustomFile[] {
  return [...sourceOf(model).files]
    .sort((a, b) =>
      (a.role === "mmproj" ? 1 : 0) - (b.role === "mmproj" ? 1 : 0) || (a.path < b.path ? -1 : 1)
    )
    .map((f) => ({ src: f.path, dest: join(dir, f.rel), size: f.size }));
}

/** Options of {@linkcode copyToCustom}. */
export interface CopyToCustomOptions {
  /** The state directory (the copy lock). */
  stateDir: string;
  /** The configured custom directory `dir` lies in (where the temp files go). */
  root: string;
  /** Progress of the whole model. @default undefined */
  onProgress?: (p: ModelCopyProgress) => void;
  /** Stops the copy; what it wrote is removed. @default undefined */
  signal?: AbortSignal;
  /** Told when it waits for another copy. @default undefined */
  onWait?: () => void;
}

/**
 * Copies every file of a model into a custom directory, verified, under the
 * copy lock (see the module doc). A file already there that is a verified
 * copy of the source is kept; any other file in the way is refused.
 *
 * @param model The model.
 * @param dir The directory (a custom directory, or one inside it).
 * @param options The state dir, the custom root, progress, abort.
 * @returns The bytes copied or kept, the seconds taken, the files written.
 * @throws {LlamaPackError} `USAGE` when `dir` is not inside `root`; `COPY` when a file cannot be copied.
 */
export async function copyToCustom(
  model: IndexedModel,
  dir: string,
  options: CopyToCustomOptions,
): Promise<{ bytes: number; seconds: number; files: string[] }> {
  if (dir !== options.root && !isInside(options.root, dir)) {
    throw new LlamaPackError("USAGE", `${dir} is not inside the custom directory ${options.root}`);
  }
  const files = customFiles(model, dir);
  const total = files.reduce((s, f) => s + f.size, 0);
  const lock = await acquireLock(copyLockPath(options.stateDir), {
    note: `copying ${model.name} to ${dir}`,
    onWait: () => options.onWait?.(),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (lock === null) throw new LlamaPackError("COPY", `cannot copy ${model.name}: no copy lock`);
  try {
    await cleanupPartials(options.root);
    const started = performance.now();
    let before = 0;
    for (const f of files) {
      const r = await copyToSsd(f.src, f.dest, {
        ssdRoot: options.root,
        progressIntervalMs: 500,
        ...(options.signal ? { signal: options.signal } : {}),
        onProgress: (p) =>
          options.onProgress?.({
            phase: p.phase,
            bytesDone: before + (p.phase === "copy" ? p.bytesDone : p.totalBytes),
            totalBytes: total,
            bytesPerSecond: p.bytesPerSecond,
          }),
      });
      before += r.size;
    }
    return {
      bytes: before,
      seconds: (performance.now() - started) / 1000,
      files: files.map((f) => relative(options.root, f.dest)),
    };
  } finally {
    await lock.release();
  }
}

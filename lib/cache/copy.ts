/**
 * The copy protocol that puts a model on the SSD without ever leaving a
 * half-copied file under its final name:
 *
 * 0. refuse, before writing anything, when the SSD root and the source's
 *    tier are one directory tree (`tier_alias.ts`), and wait until the
 *    source's last change is a moment past (`file_identity.ts`);
 * 1. take a per-destination lock in `<ssd_root>/.llama-pack-partial/`;
 * 2. write a temp file there (plus a JSON sidecar saying what it is), reading
 *    the source with large buffers and hashing it (xxh64) as it streams;
 * 3. check that the source's identity (device, inode, size, mtime, ctime)
 *    did not change; fsync the temp file and, while the disk writes, check
 *    its size and hash it again;
 * 4. tell the caller the temp file's identity (`beforeCommit`: a unit records
 *    it, so a kill after the link still leaves a provable copy), hard-link
 *    (or rename) it under the final name, which fails rather than overwrite,
 *    and fsync the directory.
 *
 * A copy killed at any point leaves at most a temp file in the hidden
 * directory, which `cleanupPartials` (`partials.ts`) removes. Out of space,
 * permission denied and read-only SSDs end in a `COPY` error with everything
 * the copy created removed. The streaming of the bytes is in `copy_stream.ts`,
 * the destination-side steps in `copy_steps.ts`.
 *
 * @module
 */

import { statfs } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { LlamaPackError } from "../errors.ts";
import { formatSize } from "../core/units.ts";
import { acquireLock, type FileLock } from "./lock.ts";
import { isInside, lstatOrUndefined, statOrUndefined } from "./fs_checks.ts";
import { osReason } from "./os_errors.ts";
import { PARTIAL_DIR, type PartialInfo, partialPaths } from "./partials.ts";
import { hashWithProgress, type SourceStamp, stampOf, streamCopy } from "./copy_stream.ts";
import { adoptExisting, commitTemp, ensureDirInside, syncDir } from "./copy_steps.ts";
import { type FileIdentity, identityOfInfo, waitQuiet } from "./file_identity.ts";
import { assertSeparateTiers, treeOverlap } from "./tier_alias.ts";

/** Progress of a copy, reported while it runs. */
export interface CopyProgress {
  /** `copy` while copying the source, `verify` while re-reading the written copy. */
  phase: "copy" | "verify";
  /** Bytes done in this phase. */
  bytesDone: number;
  /** Bytes in total (the source's size). */
  totalBytes: number;
  /** Average speed of this phase so far, bytes per second. */
  bytesPerSecond: number;
}

/** Options of {@linkcode copyToSsd}. */
export interface CopyOptions {
  /**
   * The SSD cache root. The destination must lie inside it; the temp file
   * lives in its `.llama-pack-partial/` directory. It must already exist.
   */
  ssdRoot: string;
  /**
   * Called with progress at most every `progressIntervalMs`, and at the end of each phase.
   * @default {undefined}
   */
  onProgress?: (progress: CopyProgress) => void;
  /**
   * Minimum time between two progress calls, in milliseconds.
   * @default {250}
   */
  progressIntervalMs?: number;
  /**
   * Stops the copy; it then fails with `COPY` and removes what it wrote.
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * Awaited between chunks: lets the copy pause (e.g. while a server loads
   * from the same disk).
   * @default {undefined}
   */
  pause?: () => Promise<void>;
  /**
   * Bytes read and written at once.
   * @default {8388608} (8 MiB)
   */
  bufferSize?: number;
  /**
   * Re-read the written temp file and compare its hash before putting it in place.
   * @default {true}
   */
  verify?: boolean;
  /**
   * The source's hash recorded earlier; the copy fails if the source no longer has it.
   * @default {undefined}
   */
  expectedHash?: string;
  /**
   * Refuse up front when the SSD has less free space than the source's size.
   * @default {true}
   */
  checkSpace?: boolean;
  /**
   * Limit the copy speed, in bytes per second (for background copies and tests).
   * @default {undefined} (no limit)
   */
  maxBytesPerSecond?: number;
  /**
   * Wait for another copy to the same destination to finish; when `false`, fail at once.
   * @default {true}
   */
  wait?: boolean;
  /**
   * Called after the temp file is written and fsynced, before it is verified
   * and put in place. For tests that damage the temp file.
   * @default {undefined}
   */
  beforeVerify?: (tempPath: string) => void | Promise<void>;
  /**
   * Called with the verified temp file's identity and hash just before it is
   * linked under its final name (where it keeps that device and inode); a
   * throw stops the copy and removes the temp file.
   * @default {undefined}
   */
  beforeCommit?: (temp: { identity: FileIdentity; hash: string }) => void | Promise<void>;
  /**
   * The root of the tier the source lives in (an HDD directory): the SSD root
   * must not be the same directory tree, either way round. Without it, the
   * source's own directory must not lie in the SSD tree.
   * @default {undefined}
   */
  sourceRoot?: string;
}

/** What {@linkcode copyToSsd} did. */
export interface CopyResult {
  /** Bytes copied (the source's size). */
  size: number;
  /** The xxh64 of the copy, 16 hex digits. */
  hash: string;
  /** Wall time of the whole operation, in seconds. */
  seconds: number;
  /** `true` when the destination already held a verified copy and nothing was written. */
  reused: boolean;
  /** The source's identity the copy was verified against. */
  source: FileIdentity;
  /** The copy's identity under its final name. */
  copy: FileIdentity;
}
/**
 * Copies a model file onto the SSD with the copy protocol described in this
 * module. Never overwrites a destination that is not a verified copy of the
 * same source: an existing file of the same size is hashed and adopted when
 * it matches (an identical copy left unrecorded, or copied by hand), and
 * refused otherwise. Never creates the SSD root itself (a missing
 * root may be an unmounted disk). Needs `--allow-read --allow-write`.
 *
 * @param src The source model file (on the HDD).
 * @param dest The final path on the SSD, inside `options.ssdRoot`.
 * @param options The SSD root, progress, abort signal, buffer size and checks.
 * @returns The size, the xxh64 of the copy, the time taken and whether an existing copy was reused.
 * @throws {LlamaPackError} `COPY` when the copy cannot be made or verified
 *   (missing source, destination outside the SSD root or not a copy, no
 *   space, permission denied, read-only SSD, source changed, hash mismatch,
 *   aborted); nothing the copy created is left behind. `UNSAFE` when the SSD
 *   root and the source's tier are one directory tree (nothing is written).
 *
 * @example Copying a file to an SSD directory
 * ```ts
 * import assert from "node:assert/strict";
 * import { copyToSsd } from "./copy.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await Deno.mkdir(`${dir}/hdd`);
 *   await Deno.mkdir(`${dir}/ssd`);
 *   await Deno.writeTextFile(`${dir}/hdd/m.gguf`, "GGUF weights");
 *   const r = await copyToSsd(`${dir}/hdd/m.gguf`, `${dir}/ssd/llm/m.gguf`, { ssdRoot: `${dir}/ssd` });
 *   assert(r.size === 12 && r.hash.length === 16 && !r.reused);
 *   assert(await Deno.readTextFile(`${dir}/ssd/llm/m.gguf`) === "GGUF weights");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function copyToSsd(
  src: string,
  dest: string,
  options: CopyOptions,
): Promise<CopyResult> {
  const started = performance.now();
  const srcPath = resolve(src);
  const destPath = resolve(dest);
  const root = resolve(options.ssdRoot);
  const what = `cannot copy ${srcPath} to ${destPath}`;
  const fail = (why: string, cause?: unknown): LlamaPackError =>
    new LlamaPackError("COPY", `${what}: ${why}`, cause === undefined ? {} : { cause });

  // --- checks that need nothing written ---------------------------------
  if (!isInside(root, destPath)) throw fail(`destination is outside the SSD root ${root}`);
  if (isInside(join(root, PARTIAL_DIR), destPath) || destPath === join(root, PARTIAL_DIR)) {
    throw fail(`destination is inside the hidden ${PARTIAL_DIR} directory`);
  }
  const rootInfo = await statOrUndefined(root);
  if (!rootInfo?.isDirectory) {
    throw fail(`SSD root ${root} does not exist or is not a directory (is the disk mounted?)`);
  }
  if (options.sourceRoot !== undefined) {
    await assertSeparateTiers(root, [resolve(options.sourceRoot)], "copy");
  } else {
    // Without the tier root, at least the source's own directory must not be the SSD tree.
    const overlap = await treeOverlap(root, dirname(srcPath));
    if (overlap !== undefined && overlap.kind !== "a-in-b") {
      throw new LlamaPackError(
        "UNSAFE",
        `refusing to copy ${srcPath}: it lies in the SSD directory tree (${overlap.why}); nothing was written`,
      );
    }
  }
  let stamp: SourceStamp;
  try {
    await stampOf(srcPath); // a regular file?
    // Written a moment ago (or being written)? Start once its ctime is a moment past.
    stamp = await waitQuiet(srcPath);
  } catch (err) {
    if (err instanceof LlamaPackError) throw fail(err.message);
    throw fail(`cannot read source: ${osReason(err)}`, err);
  }
  if (options.checkSpace ?? true) {
    const free = await freeBytes(root);
    const existing = await statOrUndefined(destPath);
    if (free !== undefined && free < stamp.size && existing === undefined) {
      throw fail(
        `no space left on ${root}: needs ${formatSize(stamp.size)}, ${formatSize(free)} free`,
      );
    }
  }

  // --- partial directory and per-destination lock -----------------------
  const paths = await partialPaths(root, destPath);
  const created: string[] = []; // destination directories this copy created, outermost first
  let lock: FileLock | null = null;
  let wroteTemp = false;
  try {
    await ensureDirInside(root, paths.dir, [], fail);
    lock = await acquireLock(paths.lock, {
      wait: options.wait ?? true,
      removeOnRelease: true,
      note: `copying ${srcPath} to ${destPath}`,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (lock === null) throw fail("another copy to this destination is running");

    // --- an existing destination: adopt if it hashes like the source, else refuse
    const existing = await lstatOrUndefined(destPath);
    if (existing !== undefined) {
      const hash = await adoptExisting(srcPath, destPath, existing, stamp, options, fail);
      const copy = identityOfInfo(existing);
      return {
        size: stamp.size,
        hash,
        seconds: secondsSince(started),
        reused: true,
        source: stamp,
        copy,
      };
    }

    // --- write the temp file ---------------------------------------------
    await ensureDirInside(root, dirname(destPath), created, fail);
    await Deno.remove(paths.temp).catch(ignoreNotFound); // stale: we hold its lock
    const info: PartialInfo = {
      src: srcPath,
      dest: destPath,
      size: stamp.size,
      mtimeMs: stamp.mtimeMs,
      pid: Deno.pid,
      startedAt: Math.floor(Date.now() / 1000),
    };
    wroteTemp = true;
    await Deno.writeTextFile(paths.sidecar, JSON.stringify(info) + "\n");
    // --- copy, then verify while the fsync runs ------------------------------
    const hash = await streamCopy(srcPath, paths.temp, stamp, options, fail, async (hash) => {
      if (options.expectedHash !== undefined && options.expectedHash !== hash) {
        throw fail(`source hash ${hash} differs from the recorded ${options.expectedHash}`);
      }
      await options.beforeVerify?.(paths.temp);
      const written = await Deno.stat(paths.temp);
      if (written.size !== stamp.size) {
        throw fail(`temp file has ${written.size} bytes, expected ${stamp.size}`);
      }
      if (options.verify ?? true) {
        const again = await hashWithProgress(paths.temp, stamp.size, options);
        if (again !== hash) {
          throw fail(
            `verification failed: the written copy hashes to ${again}, the source to ${hash}`,
          );
        }
      }
    });

    // --- put in place, never over an existing file -------------------------
    await options.beforeCommit?.({ identity: identityOfInfo(await Deno.lstat(paths.temp)), hash });
    await commitTemp(paths.temp, destPath, fail);
    await syncDir(dirname(destPath));
    await Deno.remove(paths.sidecar).catch(ignoreNotFound);
    wroteTemp = false;
    created.length = 0; // the new directories now hold the copy
    const copy = identityOfInfo(await Deno.lstat(destPath));
    return {
      size: stamp.size,
      hash,
      seconds: secondsSince(started),
      reused: false,
      source: stamp,
      copy,
    };
  } catch (err) {
    if (wroteTemp) {
      await Deno.remove(paths.temp).catch(ignoreNotFound);
      await Deno.remove(paths.sidecar).catch(ignoreNotFound);
    }
    if (err instanceof LlamaPackError && err.code === "COPY") throw err;
    if (options.signal?.aborted) throw fail("aborted", options.signal.reason);
    if (err instanceof LlamaPackError) throw fail(err.message, err);
    throw fail(osReason(err, root, stamp.size), err);
  } finally {
    await lock?.release();
    // Remove directories this copy created and left empty, innermost first,
    // and the partial directory when no other copy uses it.
    for (const dir of created.reverse()) await Deno.remove(dir).catch(() => {});
    await Deno.remove(paths.dir).catch(() => {});
  }
}

async function freeBytes(path: string): Promise<number | undefined> {
  try {
    const s = await statfs(path);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return undefined;
  }
}

function ignoreNotFound(err: unknown): void {
  if (!(err instanceof Deno.errors.NotFound)) throw err;
}

function secondsSince(start: number): number {
  return (performance.now() - start) / 1000;
}

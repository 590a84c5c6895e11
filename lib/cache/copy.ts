/**
 * The copy protocol that puts a model on the SSD without ever leaving a
 * half-copied file under its final name:
 *
 * 1. take a per-destination lock in `<ssd_root>/.llama-pack-partial/`;
 * 2. write a temp file there (plus a JSON sidecar saying what it is), reading
 *    the source with large buffers and hashing it (xxh64) as it streams;
 * 3. check that the source's size, mtime and inode did not change; fsync the
 *    temp file and, while the disk writes, check its size and hash it again;
 * 4. hard-link (or rename) it under the final name, which fails rather than
 *    overwrite, and fsync the directory.
 *
 * A copy killed at any point leaves at most a temp file in the hidden
 * directory, which {@linkcode cleanupPartials} removes. Out of space,
 * permission denied and read-only SSDs end in a `COPY` error with everything
 * the copy created removed.
 *
 * @module
 */

import { statfs } from "node:fs/promises";
import { basename, dirname, join, relative, resolve } from "node:path";
import { LlamaPackError } from "../errors.ts";
import { formatSize } from "../core/units.ts";
import { createHasher, hashBytes, hashFile } from "./hash.ts";
import { acquireLock, type FileLock } from "./lock.ts";
import { isInside, lstatOrUndefined, statOrUndefined } from "./fs_checks.ts";

/** The hidden directory, directly under the SSD root, that holds copies in progress. */
export const PARTIAL_DIR = ".llama-pack-partial";

const DEFAULT_BUFFER = 8 << 20;
/** Reads of the verify pass: 4 MiB chunks stay in CPU caches between read and hash (measured fastest). */
const VERIFY_BUFFER = 4 << 20;

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
}

/** The files a copy to one destination uses in the partial directory. */
export interface PartialPaths {
  /** The partial directory, `<ssd_root>/.llama-pack-partial`. */
  dir: string;
  /** The temp file the copy writes. */
  temp: string;
  /** The JSON sidecar saying what the temp file is. */
  sidecar: string;
  /** The per-destination lock file. */
  lock: string;
}

/**
 * Names the partial files for a destination: `<file name>.<xxh64 of the
 * path relative to the SSD root>.part|.json|.lock`, so a later run finds them.
 *
 * @param ssdRoot The SSD cache root.
 * @param dest The final path of the copy, inside `ssdRoot`.
 * @returns The partial directory and the temp, sidecar and lock paths.
 *
 * @example Naming the temp file of a copy
 * ```ts
 * import assert from "node:assert/strict";
 * import { partialPaths } from "./copy.ts";
 * const p = await partialPaths("/ssd", "/ssd/llm/Gemma2-9B.gguf");
 * assert(p.dir === "/ssd/.llama-pack-partial");
 * assert(/^\/ssd\/\.llama-pack-partial\/Gemma2-9B\.gguf\.[0-9a-f]{16}\.part$/.test(p.temp));
 * ```
 */
export async function partialPaths(ssdRoot: string, dest: string): Promise<PartialPaths> {
  const root = resolve(ssdRoot);
  const rel = relative(root, resolve(dest));
  const key = await hashBytes(new TextEncoder().encode(rel));
  const dir = join(root, PARTIAL_DIR);
  const stem = join(dir, `${basename(dest).slice(0, 160)}.${key}`);
  return { dir, temp: `${stem}.part`, sidecar: `${stem}.json`, lock: `${stem}.lock` };
}

/** What a sidecar file records about a copy in progress. */
export interface PartialInfo {
  /** The source (HDD) path. */
  src: string;
  /** The final destination path. */
  dest: string;
  /** The source's size in bytes. */
  size: number;
  /** The source's mtime, ms since the epoch. */
  mtimeMs: number;
  /** Process id of the copier. */
  pid: number;
  /** When the copy started, unix seconds. */
  startedAt: number;
}

interface SourceStamp {
  size: number;
  mtimeMs: number;
  ino: number | null;
  dev: number;
}

/**
 * Copies a model file onto the SSD with the copy protocol described in this
 * module. Never overwrites a destination that is not a verified copy of the
 * same source: an existing file of the same size is hashed and reused when it
 * matches, and refused otherwise. Never creates the SSD root itself (a missing
 * root may be an unmounted disk). Needs `--allow-read --allow-write`.
 *
 * @param src The source model file (on the HDD).
 * @param dest The final path on the SSD, inside `options.ssdRoot`.
 * @param options The SSD root, progress, abort signal, buffer size and checks.
 * @returns The size, the xxh64 of the copy, the time taken and whether an existing copy was reused.
 * @throws {LlamaPackError} `COPY` when the copy cannot be made or verified
 *   (missing source, destination outside the SSD root or not a copy, no
 *   space, permission denied, read-only SSD, source changed, hash mismatch,
 *   aborted); nothing the copy created is left behind.
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
  let stamp: SourceStamp;
  try {
    stamp = await stampOf(srcPath);
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

    // --- an existing destination: reuse if verified, else refuse ---------
    const existing = await lstatOrUndefined(destPath);
    if (existing !== undefined) {
      const hash = await verifyExisting(srcPath, destPath, existing, stamp, options, fail);
      return { size: stamp.size, hash, seconds: secondsSince(started), reused: true };
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
    await commit(paths.temp, destPath, fail);
    await syncDir(dirname(destPath));
    await Deno.remove(paths.sidecar).catch(ignoreNotFound);
    wroteTemp = false;
    created.length = 0; // the new directories now hold the copy
    return { size: stamp.size, hash, seconds: secondsSince(started), reused: false };
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

/** One leftover removed by {@linkcode cleanupPartials}. */
export interface RemovedPartial {
  /** The file removed. */
  path: string;
  /** Its size in bytes. */
  bytes: number;
  /** The destination its copy was heading for, when its sidecar said. */
  dest?: string;
}

/**
 * Removes the leftovers of interrupted copies: temp files, sidecars and lock
 * files in `<ssd_root>/.llama-pack-partial/` whose copy is not running (its
 * lock is free). Touches nothing outside that directory, and only files whose
 * names the copy protocol makes. Needs `--allow-read --allow-write`.
 *
 * @param ssdRoot The SSD cache root.
 * @returns What was removed (empty when there was nothing to clean).
 * @throws {LlamaPackError} `UNSAFE` when the partial directory is a symlink; `IO` when it cannot be read.
 *
 * @example Cleaning an SSD root with no partial directory
 * ```ts
 * import assert from "node:assert/strict";
 * import { cleanupPartials } from "./copy.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   assert((await cleanupPartials(dir)).length === 0);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function cleanupPartials(ssdRoot: string): Promise<RemovedPartial[]> {
  const dir = join(resolve(ssdRoot), PARTIAL_DIR);
  const dirInfo = await lstatOrUndefined(dir);
  if (dirInfo === undefined) return [];
  if (!dirInfo.isDirectory) {
    throw new LlamaPackError(
      "UNSAFE",
      `cannot clean partial copies in ${dir}: it is not a plain directory (symlink?)`,
    );
  }
  const stems = new Set<string>();
  try {
    for await (const entry of Deno.readDir(dir)) {
      const m = /^(.+\.[0-9a-f]{16})\.(part|json|lock)$/.exec(entry.name);
      if (m && entry.isFile) stems.add(m[1]!);
    }
  } catch (err) {
    throw new LlamaPackError("IO", `cannot read ${dir}: ${osReason(err)}`, { cause: err });
  }
  const removed: RemovedPartial[] = [];
  for (const stem of [...stems].sort()) {
    const lockPath = join(dir, `${stem}.lock`);
    const lock = await acquireLock(lockPath, { wait: false, removeOnRelease: true });
    if (lock === null) continue; // a copy is running
    try {
      const sidecar = join(dir, `${stem}.json`);
      let dest: string | undefined;
      try {
        const info = JSON.parse(await Deno.readTextFile(sidecar)) as Partial<PartialInfo>;
        if (typeof info.dest === "string") dest = info.dest;
      } catch {
        // no or unreadable sidecar
      }
      for (const path of [join(dir, `${stem}.part`), sidecar]) {
        const st = await lstatOrUndefined(path);
        if (!st?.isFile) continue;
        await Deno.remove(path);
        removed.push(
          dest === undefined ? { path, bytes: st.size } : { path, bytes: st.size, dest },
        );
      }
    } finally {
      await lock.release();
    }
  }
  await Deno.remove(dir).catch(() => {}); // only if empty
  return removed;
}

// ---------------------------------------------------------------------------

async function streamCopy(
  srcPath: string,
  tempPath: string,
  stamp: SourceStamp,
  options: CopyOptions,
  fail: (why: string, cause?: unknown) => LlamaPackError,
  whileSyncing: (hash: string) => Promise<void>,
): Promise<string> {
  const bufferSize = options.bufferSize ?? DEFAULT_BUFFER;
  const hasher = await createHasher();
  const report = progressReporter("copy", stamp.size, options);
  const input = await Deno.open(srcPath, { read: true });
  let output: Deno.FsFile | undefined;
  let pending: Promise<number | null> | undefined;
  try {
    const opened = await input.stat();
    if (opened.ino !== stamp.ino || opened.dev !== stamp.dev) {
      throw fail("source was replaced while the copy started");
    }
    output = await Deno.open(tempPath, { write: true, createNew: true });
    // Two buffers: the next read runs while this chunk is written and hashed.
    let bufs = [new Uint8Array(bufferSize), new Uint8Array(bufferSize)] as const;
    pending = input.read(bufs[0]);
    let done = 0;
    let nextCheck = 512 << 20;
    for (;;) {
      const n = await pending;
      if (n === null) break;
      const chunk = bufs[0].subarray(0, n);
      bufs = [bufs[1], bufs[0]];
      pending = input.read(bufs[0]);
      // The write runs on an I/O thread while this thread hashes the same bytes.
      const writing = writeAll(output, chunk);
      hasher.update(chunk);
      await writing;
      done += n;
      if (done > stamp.size) throw fail("source grew during the copy");
      report(done);
      options.signal?.throwIfAborted();
      if (done >= nextCheck) {
        nextCheck += 512 << 20;
        await checkUnchanged(srcPath, stamp, fail);
      }
      if (options.maxBytesPerSecond) {
        await throttle(done, options.maxBytesPerSecond, report.start, options.signal);
      }
    }
    report(done, true);
    if (done !== stamp.size) {
      throw fail(
        `read ${done} bytes, the source has ${stamp.size} (source changed during the copy)`,
      );
    }
    await checkUnchanged(srcPath, stamp, fail);
    const hash = hasher.digest();
    // The fsync waits for the disk; the verify pass re-reads the written bytes
    // meanwhile. Both must succeed before the copy is put in place.
    const syncing = output.sync();
    try {
      await whileSyncing(hash);
    } catch (err) {
      await syncing.catch(() => {});
      throw err;
    }
    await syncing;
    return hash;
  } finally {
    await pending?.catch(() => null); // a read still in flight must end before the close
    input.close();
    output?.close();
  }
}

async function hashWithProgress(
  path: string,
  total: number,
  options: CopyOptions,
): Promise<string> {
  const report = progressReporter("verify", total, options);
  const { hash } = await hashFile(path, {
    bufferSize: VERIFY_BUFFER,
    onProgress: (n) => report(n),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  report(total, true);
  return hash;
}

interface Reporter {
  (done: number, final?: boolean): void;
  start: number;
}

function progressReporter(phase: "copy" | "verify", total: number, options: CopyOptions): Reporter {
  const interval = options.progressIntervalMs ?? 250;
  const start = performance.now();
  let last = -Infinity;
  const report = ((done: number, final = false) => {
    const now = performance.now();
    if (!options.onProgress || (!final && now - last < interval)) return;
    last = now;
    const secs = (now - start) / 1000;
    options.onProgress({
      phase,
      bytesDone: done,
      totalBytes: total,
      bytesPerSecond: secs > 0 ? done / secs : 0,
    });
  }) as Reporter;
  report.start = start;
  return report;
}

async function throttle(done: number, rate: number, start: number, signal?: AbortSignal) {
  const ahead = (done / rate) * 1000 - (performance.now() - start);
  if (ahead <= 0) return;
  await new Promise<void>((res, rej) => {
    if (signal?.aborted) return rej(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      res();
    }, ahead);
    const onAbort = () => {
      clearTimeout(t);
      rej(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += await file.write(bytes.subarray(at));
}

async function stampOf(path: string): Promise<SourceStamp> {
  const st = await Deno.stat(path);
  if (!st.isFile) throw new LlamaPackError("COPY", "source is not a regular file");
  return { size: st.size, mtimeMs: st.mtime?.getTime() ?? 0, ino: st.ino, dev: st.dev };
}

async function checkUnchanged(
  path: string,
  stamp: SourceStamp,
  fail: (why: string, cause?: unknown) => LlamaPackError,
): Promise<void> {
  let now: SourceStamp;
  try {
    now = await stampOf(path);
  } catch (err) {
    throw fail("source disappeared during the copy", err);
  }
  if (now.size !== stamp.size) {
    throw fail(`source changed during the copy (size ${stamp.size} -> ${now.size})`);
  }
  if (now.mtimeMs !== stamp.mtimeMs) throw fail("source changed during the copy (mtime changed)");
  if (now.ino !== stamp.ino || now.dev !== stamp.dev) {
    throw fail("source was replaced during the copy");
  }
}

async function verifyExisting(
  srcPath: string,
  destPath: string,
  existing: Deno.FileInfo,
  stamp: SourceStamp,
  options: CopyOptions,
  fail: (why: string, cause?: unknown) => LlamaPackError,
): Promise<string> {
  if (!existing.isFile) {
    throw fail("destination exists and is not a regular file: refusing to overwrite");
  }
  if (existing.ino === stamp.ino && existing.dev === stamp.dev) {
    throw fail("destination is the source itself (the SSD path leads to the HDD file)");
  }
  if (existing.size !== stamp.size) {
    throw fail(
      `destination exists with ${existing.size} bytes, the source has ${stamp.size}: refusing to overwrite`,
    );
  }
  const destHash = await hashWithProgress(destPath, stamp.size, options);
  const srcHash = options.expectedHash ??
    (await hashFile(srcPath, { bufferSize: options.bufferSize ?? DEFAULT_BUFFER })).hash;
  if (destHash !== srcHash) {
    throw fail("destination exists with different content: refusing to overwrite");
  }
  await checkUnchanged(srcPath, stamp, fail);
  return destHash;
}

async function commit(
  temp: string,
  dest: string,
  fail: (why: string, cause?: unknown) => LlamaPackError,
): Promise<void> {
  try {
    await Deno.link(temp, dest); // atomic, and fails instead of overwriting
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) {
      throw fail("destination appeared during the copy: refusing to overwrite");
    }
    // No hard links on this file system: rename, after checking the name is free.
    if (await lstatOrUndefined(dest)) {
      throw fail("destination appeared during the copy: refusing to overwrite");
    }
    await Deno.rename(temp, dest);
    return;
  }
  await Deno.remove(temp);
}

/**
 * Creates `dir` and its missing parents, after checking that the deepest
 * existing ancestor resolves (through symlinks) inside the SSD root, so no
 * directory is ever created outside it.
 */
async function ensureDirInside(
  root: string,
  dir: string,
  created: string[],
  fail: (why: string, cause?: unknown) => LlamaPackError,
): Promise<void> {
  const missing: string[] = [];
  let existing = dir;
  while (existing !== root && (await lstatOrUndefined(existing)) === undefined) {
    missing.unshift(existing);
    existing = dirname(existing);
  }
  const realRoot = await Deno.realPath(root);
  const real = await Deno.realPath(existing);
  if (real !== realRoot && !isInside(realRoot, real)) {
    throw fail(`${existing} leads outside the SSD root ${root} (symlink to ${real})`);
  }
  if (!(await Deno.stat(existing)).isDirectory) throw fail(`${existing} is not a directory`);
  for (const d of missing) {
    try {
      await Deno.mkdir(d);
      created.push(d);
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    }
  }
}

async function syncDir(dir: string): Promise<void> {
  const f = await Deno.open(dir, { read: true });
  try {
    await f.sync();
  } finally {
    f.close();
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

/** Turns an OS error into the words a user needs. */
function osReason(err: unknown, root?: string, size?: number): string {
  const code = (err as { code?: unknown })?.code;
  const where = root ?? "the SSD";
  switch (code) {
    case "ENOSPC":
      return `no space left on ${where}` +
        (size === undefined ? "" : ` (needs ${formatSize(size)})`);
    case "EDQUOT":
      return `disk quota exceeded on ${where}`;
    case "EROFS":
      return `${where} is on a read-only file system`;
    case "EACCES":
    case "EPERM":
      return `permission denied (${err instanceof Error ? err.message : String(err)})`;
    case "ENOENT":
      return `not found (${err instanceof Error ? err.message : String(err)})`;
    default:
      return err instanceof Error ? err.message : String(err);
  }
}

function ignoreNotFound(err: unknown): void {
  if (!(err instanceof Deno.errors.NotFound)) throw err;
}

function secondsSince(start: number): number {
  return (performance.now() - start) / 1000;
}

/**
 * Exclusive lock files shared between llama-pack processes: one copy to the
 * SSD at a time, and one writer per destination. Built on
 * {@linkcode Deno.FsFile.lock} (an advisory `flock`), so a lock is released
 * by the kernel when its holder dies, even by `kill -9`.
 *
 * @module
 */

import { dirname } from "node:path";
import { errorMessage, isNoSpaceError, LlamaPackError } from "../errors.ts";

/** A held lock; release it with {@linkcode FileLock.release} or `await using`. */
export interface FileLock extends AsyncDisposable {
  /** The lock file's path. */
  readonly path: string;
  /** Releases the lock (and removes the file when asked to); releasing twice is harmless. */
  release(): Promise<void>;
}

/** Options of {@linkcode acquireLock}. */
export interface AcquireLockOptions {
  /**
   * Wait for the holder to release the lock; when `false`, return `null` if it is held.
   * @default {true}
   */
  wait?: boolean;
  /**
   * Called once, before waiting, when another process holds the lock.
   * @default {undefined}
   */
  onWait?: (holder: LockInfo | undefined) => void;
  /**
   * Stops waiting; the promise then rejects with the signal's reason. With a
   * signal, waiting polls every `pollMs` instead of blocking in the kernel.
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * Poll interval while waiting with a signal, in milliseconds.
   * @default {100}
   */
  pollMs?: number;
  /**
   * Remove the lock file when the lock is released.
   * @default {false}
   */
  removeOnRelease?: boolean;
  /**
   * What the holder is doing, written into the lock file for others to read
   * with {@linkcode readLockInfo}.
   * @default {undefined}
   */
  note?: string;
}

/** What a lock file says about its holder. */
export interface LockInfo {
  /** Process id of the holder. */
  pid: number;
  /** When the lock was taken, unix seconds. */
  since: number;
  /** What the holder is doing, if it said. */
  note?: string;
}

/**
 * Takes an exclusive lock on a lock file, creating the file and its directory
 * as needed. Needs `--allow-read --allow-write`.
 *
 * A lock file removed by its previous holder is detected after the lock is
 * taken (the path no longer names the locked file) and the lock is retried,
 * so removing lock files on release is safe.
 *
 * @param path The lock file.
 * @param options Waiting, abort signal, removal on release, a note for others.
 * @returns The held lock, or `null` when `wait` is `false` and another holder has it.
 * @throws {LlamaPackError} `IO` when the lock file cannot be created or locked;
 *   `DISK_FULL` when its disk is full.
 *
 * @example Only one holder at a time
 * ```ts
 * import assert from "node:assert/strict";
 * import { acquireLock } from "./lock.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const first = await acquireLock(`${dir}/copy.lock`);
 *   assert(first !== null);
 *   assert(await acquireLock(`${dir}/copy.lock`, { wait: false }) === null);
 *   await first!.release();
 *   const again = await acquireLock(`${dir}/copy.lock`, { wait: false });
 *   assert(again !== null);
 *   await again!.release();
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function acquireLock(
  path: string,
  options: AcquireLockOptions = {},
): Promise<FileLock | null> {
  const { wait = true, onWait, signal, pollMs = 100, removeOnRelease = false, note } = options;
  let notified = false;
  for (;;) {
    signal?.throwIfAborted();
    const file = await openLockFile(path);
    let handedOff = false;
    try {
      let held = await file.tryLock(true);
      if (!held) {
        if (!wait) return null;
        if (!notified) {
          notified = true;
          onWait?.(await readLockInfo(path));
        }
        if (signal) {
          while (!held) {
            await delay(pollMs, signal);
            held = await file.tryLock(true);
          }
        } else {
          await file.lock(true);
        }
      }
      // Removed by its last holder while we waited: closing drops the lock; retry.
      if (!(await stillNamesFile(path, file))) continue;
      const info: LockInfo = { pid: Deno.pid, since: Math.floor(Date.now() / 1000) };
      if (note !== undefined) info.note = note;
      // What the holder does is a note for others; on a full disk the lock
      // itself still holds without it.
      await writeInfo(file, info).catch((err) => {
        if (!isNoSpaceError(err)) throw err;
      });
      handedOff = true;
      return new HeldLock(path, file, removeOnRelease);
    } catch (err) {
      if (signal?.aborted || err instanceof LlamaPackError) throw err;
      throw lockError(path, err);
    } finally {
      if (!handedOff) closeQuietly(file); // closing the file releases a lock taken on it
    }
  }
}

/**
 * Runs a function while holding an exclusive lock, waiting for it if needed.
 *
 * @param path The lock file.
 * @param fn What to run while holding the lock.
 * @param options As for {@linkcode acquireLock}; `wait` is always `true`.
 * @returns What `fn` returns.
 * @throws {LlamaPackError} `IO` when the lock cannot be taken; whatever `fn` throws.
 *
 * @example Serialising work
 * ```ts
 * import assert from "node:assert/strict";
 * import { withLock } from "./lock.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const out = await withLock(`${dir}/copy.lock`, () => Promise.resolve(42));
 *   assert(out === 42);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function withLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: Omit<AcquireLockOptions, "wait"> = {},
): Promise<T> {
  const lock = (await acquireLock(path, { ...options, wait: true }))!;
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

/**
 * Reads what a lock file says about its holder. The file may be stale: only
 * {@linkcode isLocked} tells whether someone holds it now.
 *
 * @param path The lock file.
 * @returns The holder's pid, start time and note, or `undefined` when the file is missing or empty.
 *
 * @example Reading a missing lock file
 * ```ts
 * import assert from "node:assert/strict";
 * import { readLockInfo } from "./lock.ts";
 * assert(await readLockInfo("/nonexistent/copy.lock") === undefined);
 * ```
 */
export async function readLockInfo(path: string): Promise<LockInfo | undefined> {
  try {
    const data = JSON.parse(await Deno.readTextFile(path));
    if (typeof data?.pid !== "number" || typeof data?.since !== "number") return undefined;
    const info: LockInfo = { pid: data.pid, since: data.since };
    if (typeof data.note === "string") info.note = data.note;
    return info;
  } catch {
    return undefined;
  }
}

/**
 * Tells whether some process holds the lock now, without taking it for long.
 *
 * @param path The lock file.
 * @returns `true` when another holder has it; `false` when free or missing.
 * @throws {LlamaPackError} `IO` when the lock file exists but cannot be opened.
 *
 * @example A missing lock file is not held
 * ```ts
 * import assert from "node:assert/strict";
 * import { isLocked } from "./lock.ts";
 * assert(await isLocked("/nonexistent/copy.lock") === false);
 * ```
 */
export async function isLocked(path: string): Promise<boolean> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw new LlamaPackError("IO", `cannot open lock file ${path}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  try {
    const got = await file.tryLock(true);
    if (got) await file.unlock();
    return !got;
  } finally {
    file.close();
  }
}

class HeldLock implements FileLock {
  #file: Deno.FsFile | undefined;
  constructor(readonly path: string, file: Deno.FsFile, readonly removeOnRelease: boolean) {
    this.#file = file;
  }
  async release(): Promise<void> {
    const file = this.#file;
    if (!file) return;
    this.#file = undefined;
    try {
      if (this.removeOnRelease) {
        // Removed while held: a waiter that opened the old file sees the path
        // gone once it gets the lock, and retries on a new file.
        await Deno.remove(this.path).catch(() => {});
      }
      await file.unlock().catch(() => {});
    } finally {
      closeQuietly(file);
    }
  }
  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }
}

async function openLockFile(path: string): Promise<Deno.FsFile> {
  for (let attempt = 0;; attempt++) {
    try {
      return await Deno.open(path, { read: true, write: true, create: true });
    } catch (err) {
      if (err instanceof Deno.errors.NotFound && attempt < 5) {
        try {
          await Deno.mkdir(dirname(path), { recursive: true });
        } catch (mkErr) {
          if (isNoSpaceError(mkErr)) throw lockError(path, mkErr);
          throw new LlamaPackError(
            "IO",
            `cannot create lock directory ${dirname(path)}: ${errorMessage(mkErr)}`,
            { cause: mkErr },
          );
        }
        continue;
      }
      throw lockError(path, err);
    }
  }
}

function lockError(path: string, err: unknown): LlamaPackError {
  if (isNoSpaceError(err)) {
    return new LlamaPackError(
      "DISK_FULL",
      `no space left on the file system holding ${
        dirname(path)
      }: cannot write the lock file ${path}`,
      { cause: err },
    );
  }
  return new LlamaPackError("IO", `cannot lock ${path}: ${errorMessage(err)}`, { cause: err });
}

async function stillNamesFile(path: string, file: Deno.FsFile): Promise<boolean> {
  const held = await file.stat();
  try {
    const now = await Deno.stat(path);
    return now.ino === held.ino && now.dev === held.dev;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

async function writeInfo(file: Deno.FsFile, info: LockInfo): Promise<void> {
  // Overwrite in place, then cut to length: a lock file that already exists
  // needs no new disk blocks.
  const bytes = new TextEncoder().encode(JSON.stringify(info) + "\n");
  await file.seek(0, Deno.SeekMode.Start);
  let at = 0;
  while (at < bytes.length) at += await file.write(bytes.subarray(at));
  await file.truncate(bytes.length);
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function closeQuietly(file: Deno.FsFile): void {
  try {
    file.close();
  } catch {
    // already closed
  }
}

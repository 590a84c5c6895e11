/**
 * The bytes of a copy: the source's identity stamp (device, inode, size,
 * mtime, ctime; `file_identity.ts`) and
 * the checks that it did not change, the double-buffered stream that writes
 * the temp file while hashing what it writes, and the verify pass that
 * re-reads it, both reporting progress and honouring a speed limit. The
 * protocol around them (locks, temp names, putting the copy in place) is
 * `copyToSsd` in `copy.ts`.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import { type FileIdentity, fileIdentity, identityChange } from "./file_identity.ts";
import { createHasher, hashFile } from "./hash.ts";
import type { CopyOptions } from "./copy.ts";

/** Bytes read and written at once when the options do not say (8 MiB). */
export const DEFAULT_COPY_BUFFER: number = 8 << 20;
/** Reads of the verify pass: 4 MiB chunks stay in CPU caches between read and hash (measured fastest). */
const VERIFY_BUFFER = 4 << 20;

/** What identifies a source file's content for the length of a copy: its {@linkcode FileIdentity}. */
export type SourceStamp = FileIdentity;

/**
 * Stamps a source file: its size, mtime, ctime, inode and device. Needs `--allow-read`.
 *
 * @param path The source file.
 * @returns Its stamp.
 * @throws {LlamaPackError} `COPY` when it is not a regular file; the OS error when it is missing.
 *
 * @example Stamping a file
 * ```ts
 * import assert from "node:assert/strict";
 * import { stampOf } from "./copy_stream.ts";
 * const file = await Deno.makeTempFile();
 * try {
 *   await Deno.writeTextFile(file, "GGUF");
 *   assert((await stampOf(file)).size === 4);
 * } finally {
 *   await Deno.remove(file);
 * }
 * ```
 */
export async function stampOf(path: string): Promise<SourceStamp> {
  const st = await Deno.stat(path);
  if (!st.isFile) throw new LlamaPackError("COPY", "source is not a regular file");
  return await fileIdentity(path);
}

/**
 * Checks that a source still has the stamp it had when the copy started:
 * same device and inode, size, mtime and ctime (a rewrite in place whose
 * mtime was put back still changes the ctime). Needs `--allow-read`.
 *
 * @param path The source file.
 * @param stamp Its stamp from {@linkcode stampOf}.
 * @param fail Makes the copy's error from a reason.
 * @throws What `fail` makes, when the source disappeared, changed size,
 *   mtime or ctime, or was replaced.
 *
 * @example A source that grew
 * ```ts
 * import assert from "node:assert/strict";
 * import { LlamaPackError } from "../errors.ts";
 * import { checkUnchanged, stampOf } from "./copy_stream.ts";
 * const file = await Deno.makeTempFile();
 * try {
 *   await Deno.writeTextFile(file, "GGUF");
 *   const stamp = await stampOf(file);
 *   const fail = (why: string) => new LlamaPackError("COPY", why);
 *   await checkUnchanged(file, stamp, fail);
 *   await Deno.writeTextFile(file, "GGUF more");
 *   const err = await checkUnchanged(file, stamp, fail).catch((e) => e);
 *   assert(err.message === "source changed during the copy (size 4 -> 9)");
 * } finally {
 *   await Deno.remove(file);
 * }
 * ```
 */
export async function checkUnchanged(
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
  if (now.ino !== stamp.ino || now.dev !== stamp.dev) {
    throw fail("source was replaced during the copy");
  }
  if (now.size !== stamp.size) {
    throw fail(`source changed during the copy (size ${stamp.size} -> ${now.size})`);
  }
  if (now.mtimeMs !== stamp.mtimeMs) throw fail("source changed during the copy (mtime changed)");
  if (identityChange(stamp, now) !== undefined) {
    throw fail(
      "source changed during the copy (its ctime changed: it was written to, even if its mtime was put back)",
    );
  }
}

/**
 * Streams a source into a new temp file with two buffers (the next read runs
 * while a chunk is written and hashed), checks the source's stamp every
 * 512 MiB and at the end, then fsyncs the temp file while `whileSyncing`
 * runs (the caller's verify pass). Reports `copy` progress, honours
 * `maxBytesPerSecond` and the abort signal. Needs `--allow-read --allow-write`.
 *
 * @param srcPath The source file.
 * @param tempPath The temp file to create (it must not exist).
 * @param stamp The source's stamp from {@linkcode stampOf}.
 * @param options The copy's options (buffer size, progress, speed limit, signal).
 * @param fail Makes the copy's error from a reason.
 * @param whileSyncing Runs with the hash while the fsync is under way; both must succeed.
 * @returns The xxh64 of the bytes written, 16 hex digits.
 * @throws What `fail` makes when the source changed; the OS error when a read or write fails.
 *
 * @example Streaming a file into a temp file
 * ```ts
 * import assert from "node:assert/strict";
 * import { LlamaPackError } from "../errors.ts";
 * import { stampOf, streamCopy } from "./copy_stream.ts";
 * import { hashFile } from "./hash.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await Deno.writeTextFile(`${dir}/m.gguf`, "GGUF weights");
 *   const stamp = await stampOf(`${dir}/m.gguf`);
 *   const fail = (why: string) => new LlamaPackError("COPY", why);
 *   const hash = await streamCopy(`${dir}/m.gguf`, `${dir}/m.part`, stamp, { ssdRoot: dir }, fail,
 *     async () => {});
 *   assert(hash === (await hashFile(`${dir}/m.gguf`)).hash);
 *   assert(await Deno.readTextFile(`${dir}/m.part`) === "GGUF weights");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function streamCopy(
  srcPath: string,
  tempPath: string,
  stamp: SourceStamp,
  options: CopyOptions,
  fail: (why: string, cause?: unknown) => LlamaPackError,
  whileSyncing: (hash: string) => Promise<void>,
): Promise<string> {
  const bufferSize = options.bufferSize ?? DEFAULT_COPY_BUFFER;
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
      if (options.pause) await options.pause();
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

/**
 * Hashes a written file again (the verify pass), reporting `verify` progress.
 * Needs `--allow-read`.
 *
 * @param path The file.
 * @param total Its expected size, for the progress figures.
 * @param options The copy's options (progress and abort signal).
 * @returns The file's xxh64, 16 hex digits.
 * @throws The OS error when it cannot be read; the signal's reason when aborted.
 *
 * @example Hashing with progress
 * ```ts
 * import assert from "node:assert/strict";
 * import { hashWithProgress } from "./copy_stream.ts";
 * const file = await Deno.makeTempFile();
 * try {
 *   await Deno.writeTextFile(file, "GGUF");
 *   const seen: string[] = [];
 *   const hash = await hashWithProgress(file, 4, {
 *     ssdRoot: "/", onProgress: (p) => seen.push(`${p.phase} ${p.bytesDone}`) });
 *   assert(hash.length === 16 && seen.at(-1) === "verify 4");
 * } finally {
 *   await Deno.remove(file);
 * }
 * ```
 */
export async function hashWithProgress(
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

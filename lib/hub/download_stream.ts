/**
 * The streaming side of a download: the bytes after what is on disk, fetched
 * and written in 4 MiB blocks while the same bytes are hashed (the write runs
 * on Deno's I/O threads meanwhile), resumed after dropped or stalled
 * connections.
 *
 * @module
 */

import type { Hash } from "node:crypto";
import { dirname } from "node:path";
import { formatSize } from "../core/units.ts";
import { errorMessage, LlamaPackError } from "../errors.ts";
import type { DownloadFileOptions, DownloadSource } from "./download.ts";
import { expectedHash } from "./download_hash.ts";
import { diskError } from "./download_partials.ts";
import { openResolvedBytes } from "./resolve_bytes.ts";
import { retryable, sleep, StallError } from "./retry.ts";

const WRITE_BUFFER = 4 << 20;

/** Where a download stands: bytes on disk (and in the hash), bytes fetched by this run. */
export interface FetchState {
  done: number;
  hasher: { hash: Hash };
  fetched: number;
}

/**
 * Fetches a file from `state.done` to its end into an open temp file,
 * hashing what is written; a dropped or stalled connection is retried from
 * where it stopped with a doubling back-off, a server that ignores `Range`
 * restarts the file.
 *
 * @param source URL, size, expected hash and commit.
 * @param file The temp file, positioned at `state.done`.
 * @param state Bytes on disk and the running hash; updated as bytes are written.
 * @param options The hub's fetch, abort signal, retries, progress.
 * @param temp The temp file's path (for messages).
 * @param label How messages name the file.
 * @throws {LlamaPackError} `HUB` after too many failed attempts; `IO` for disk
 *   errors; `DOWNLOAD` when the hub's answer disagrees with its listing.
 *
 * @example A stub server's bytes into a temp file
 * ```ts
 * import assert from "node:assert/strict";
 * import { createHash } from "node:crypto";
 * import { fetchRest } from "./download_stream.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const file = await Deno.open(`${dir}/t`, { write: true, create: true, read: true });
 *   const state = { done: 0, hasher: { hash: createHash("sha256") }, fetched: 0 };
 *   const fetch = () => Promise.resolve(new Response("abc"));
 *   await fetchRest({ url: "https://hub.test/x", size: 3 }, file, state, { fetch }, `${dir}/t`, "x");
 *   file.close();
 *   assert(state.done === 3 && (await Deno.readTextFile(`${dir}/t`)) === "abc");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function fetchRest(
  source: DownloadSource,
  file: Deno.FsFile,
  state: FetchState,
  options: DownloadFileOptions,
  temp: string,
  label: string,
): Promise<void> {
  const retries = options.retries ?? 5;
  const baseDelay = options.retryDelayMs ?? 2000;
  let failures = 0;
  while (state.done < source.size) {
    options.signal?.throwIfAborted();
    const before = state.done;
    try {
      await fetchOnce(source, file, state, options, temp, label);
      continue;
    } catch (err) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (!retryable(err)) throw err;
      failures = state.done > before ? 1 : failures + 1;
      if (failures > retries) {
        throw new LlamaPackError(
          "HUB",
          `${label}: download failed ${failures} times in a row: ${errorMessage(err)}`,
          {
            cause: err,
            hint: `${
              formatSize(state.done)
            } of ${label} is kept; run the same command again to resume`,
          },
        );
      }
      const delayMs = Math.min(60_000, baseDelay * 2 ** (failures - 1));
      options.onRetry?.({
        attempt: failures,
        delayMs,
        reason: errorMessage(err),
        bytesDone: state.done,
      });
      await sleep(delayMs, options.signal);
    }
  }
}

/** One request: follow redirects, check headers, stream the body to disk while hashing. */
async function fetchOnce(
  source: DownloadSource,
  file: Deno.FsFile,
  state: FetchState,
  options: DownloadFileOptions,
  temp: string,
  label: string,
): Promise<void> {
  const stall = new AbortController();
  const stallMs = options.stallTimeoutMs ?? 60_000;
  let timer = setTimeout(
    () => stall.abort(new StallError(`no data for ${stallMs / 1000}s`)),
    stallMs,
  );
  const poke = () => {
    clearTimeout(timer);
    timer = setTimeout(
      () => stall.abort(new StallError(`no data for ${stallMs / 1000}s`)),
      stallMs,
    );
  };
  const signal = options.signal ? AbortSignal.any([options.signal, stall.signal]) : stall.signal;
  try {
    const res = await openResolvedBytes(source, state.done, options.fetch, signal, label);
    if (state.done > 0 && res.status === 200) {
      // The server ignored Range: start the file over.
      await file.truncate(0);
      await file.seek(0, Deno.SeekMode.Start);
      state.done = 0;
      state.hasher.hash = expectedHash(source).hash;
    }
    const body = res.body;
    if (!body) throw new TypeError("empty body");
    const reader = body.getReader();
    const buf = new Uint8Array(WRITE_BUFFER);
    let filled = 0;
    let written = 0; // of buf[0, filled): kept across a failed flush, so a retry never rewrites
    let hashed = false; // buf[0, filled) is in the hash already
    const flush = async () => {
      if (filled === 0) return;
      const chunk = buf.subarray(0, filled);
      // The write runs on Deno's I/O threads while this thread hashes the same bytes.
      const writing = (async () => {
        while (written < chunk.length) written += await file.write(chunk.subarray(written));
      })();
      if (!hashed) state.hasher.hash.update(chunk);
      hashed = true;
      try {
        await writing;
      } catch (err) {
        // What is on disk (a partial write included) is kept for the next run.
        const onDisk = (await file.stat().catch(() => undefined))?.size ?? state.done;
        throw diskError(err, `cannot write ${temp}`, dirname(temp), onDisk);
      }
      state.done += filled;
      filled = 0;
      written = 0;
      hashed = false;
    };
    try {
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        poke();
        if (state.done + filled + value.length > source.size) {
          throw new LlamaPackError(
            "DOWNLOAD",
            `${label}: the server sent more than the ${source.size} bytes the listing gives`,
          );
        }
        let off = 0;
        while (off < value.length) {
          const n = Math.min(value.length - off, buf.length - filled);
          buf.set(value.subarray(off, off + n), filled);
          filled += n;
          off += n;
          if (filled === buf.length) await flush();
        }
        state.fetched += value.length;
        options.onProgress?.({
          phase: "download",
          bytesDone: state.done + filled,
          totalBytes: source.size,
        });
      }
    } catch (err) {
      // A dropped connection: keep what arrived, then let the caller resume after it.
      // (A disk error or a hub that sends too much: keep only what is on disk.)
      if (!(err instanceof LlamaPackError)) await flush();
      reader.cancel().catch(() => {});
      if (stall.signal.aborted && !options.signal?.aborted) throw stall.signal.reason;
      throw err;
    }
    await flush();
  } finally {
    clearTimeout(timer);
  }
}

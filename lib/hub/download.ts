/**
 * One file from the hub onto the disk, resumable and verified:
 *
 * 1. If the final name already holds the file (same size and hash) nothing is
 *    fetched; if it holds something else, nothing is touched and it fails.
 * 2. The bytes go to a hidden temp file beside the target,
 *    `.<name>.<hash16>.llama-pack-download` (never `*.gguf`, skipped by the
 *    scanner). A temp file left by an interrupted run — any interruption,
 *    `kill -9` included — is re-hashed and continued with `Range: bytes=N-`;
 *    temp files of another version of the same file are removed.
 * 3. The resolve URL is followed by hand (up to 10 redirects) so the hub's
 *    `X-Linked-Size`, `X-Linked-Etag` and `X-Repo-Commit` are checked against
 *    the listing before a byte is written, and the token goes only to the
 *    hub's origin (see {@linkcode hubFetch}).
 * 4. A dropped or stalled connection is retried from where it stopped, with a
 *    doubling back-off; a server that ignores `Range` restarts the file.
 * 5. The whole file's SHA-256 (`lfs.oid`; for files kept in git, the git blob
 *    id) is computed while writing; the temp file is fsynced, the hash
 *    compared, and only then is it hard-linked under the final name (a link
 *    never overwrites). On a mismatch the temp file is deleted and the error
 *    names both hashes.
 *
 * Needs `--allow-net`, `--allow-read`, `--allow-write`.
 *
 * @module
 */

import { dirname } from "node:path";
import { lstatOrUndefined } from "../cache/fs_checks.ts";
import { LlamaPackError } from "../errors.ts";
import { fetchRest } from "./download_stream.ts";
import { expectedHash, hashFilePrefix, sourceLabel, verifyInPlace } from "./download_hash.ts";
import {
  diskError,
  moveIntoPlace,
  partialPathFor,
  removeOtherPartials,
} from "./download_partials.ts";

export { isPartialName, partialBytes, partialPathFor } from "./download_partials.ts";

/** What to download. */
export interface DownloadSource {
  /** The `resolve/<commit>/<path>` URL. */
  url: string;
  /** Expected size in bytes (from the listing). */
  size: number;
  /** Expected SHA-256 (`lfs.oid`). */
  sha256?: string | undefined;
  /** Expected git blob id, for files without `lfs.oid`. */
  gitOid?: string | undefined;
  /** The commit the URL names; an `X-Repo-Commit` that differs is an error. */
  commit?: string | undefined;
  /** How messages name the file. @default the URL's last part */
  label?: string;
}

/** Progress of one file. */
export interface DownloadProgress {
  /** `rehash`: reading back what an earlier run left; `verify`: hashing a file already in place; `download`. */
  phase: "rehash" | "verify" | "download";
  /** Bytes done in this phase (for `download`, of the whole file, resumed part included). */
  bytesDone: number;
  /** The file's size. */
  totalBytes: number;
}

/** A retry after a dropped connection or a hub error worth retrying. */
export interface DownloadRetry {
  /** Consecutive failures without progress so far. */
  attempt: number;
  /** How long it waits before retrying. */
  delayMs: number;
  /** What went wrong. */
  reason: string;
  /** Bytes on disk it resumes from. */
  bytesDone: number;
}

/** Options of {@linkcode downloadFile}. */
export interface DownloadFileOptions {
  /** The hub's fetch ({@linkcode hubFetch}): adds the token and throws on 4xx/5xx. */
  fetch: typeof fetch;
  /**
   * Stops the download; the temp file stays for the next run to resume.
   * @default {undefined}
   */
  signal?: AbortSignal | undefined;
  /**
   * Consecutive failed attempts (without a byte of progress) before giving up.
   * @default {5}
   */
  retries?: number;
  /**
   * First back-off delay; it doubles per consecutive failure, up to 60 s.
   * @default {2000}
   */
  retryDelayMs?: number;
  /**
   * An attempt that receives nothing for this long is dropped and retried.
   * @default {60000}
   */
  stallTimeoutMs?: number;
  /**
   * Called for every chunk received, and while hashing; throttle it yourself.
   * @default {undefined}
   */
  onProgress?: ((p: DownloadProgress) => void) | undefined;
  /**
   * Called before each retry.
   * @default {undefined}
   */
  onRetry?: ((r: DownloadRetry) => void) | undefined;
}

/** What {@linkcode downloadFile} did. */
export interface DownloadFileResult {
  /** The final path. */
  path: string;
  /** The file's size. */
  bytes: number;
  /** Bytes fetched by this run. */
  fetched: number;
  /** Bytes an earlier run had left that this run continued from (0 when it started fresh). */
  resumedFrom: number;
  /** The verified hash (SHA-256, or the git blob id). */
  hash: string;
  /** `true` when the final file was already there and verified: nothing fetched. */
  alreadyThere: boolean;
  /** Wall time, seconds. */
  seconds: number;
}

/**
 * Downloads one file to `dest`: resumable, verified, never leaving a partial
 * file under the final name. The target's directory must exist.
 *
 * @param source URL, size, expected hash and commit.
 * @param dest The final path.
 * @param options The hub's fetch, abort signal, retries, progress.
 * @returns What was fetched and the verified hash.
 * @throws {LlamaPackError} `COPY` when the hash or size does not match (temp
 *   file deleted) or `dest` holds other content; `IO` for disk errors (the
 *   temp file stays, to resume) and hub errors; `NO_MATCH` when the file is gone.
 *   An abort rejects with the signal's reason and keeps the temp file.
 *
 * @example Downloading from a stub hub
 * ```ts
 * import assert from "node:assert/strict";
 * import { createHash } from "node:crypto";
 * import { downloadFile } from "./download.ts";
 * const bytes = new TextEncoder().encode("hello gguf");
 * const sha256 = createHash("sha256").update(bytes).digest("hex");
 * const dir = await Deno.makeTempDir();
 * try {
 *   const fetch = () => Promise.resolve(new Response(bytes));
 *   const r = await downloadFile({ url: "https://hub.test/o/m/resolve/c/x.gguf", size: bytes.length, sha256 },
 *     `${dir}/x.gguf`, { fetch });
 *   assert(r.hash === sha256 && r.fetched === bytes.length);
 *   assert.deepEqual(await Deno.readFile(`${dir}/x.gguf`), bytes);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function downloadFile(
  source: DownloadSource,
  dest: string,
  options: DownloadFileOptions,
): Promise<DownloadFileResult> {
  const started = performance.now();
  const label = sourceLabel(source);
  const seconds = () => (performance.now() - started) / 1000;
  const existing = await lstatOrUndefined(dest);
  if (existing) {
    const hash = await verifyInPlace(source, dest, existing, options);
    return {
      path: dest,
      bytes: source.size,
      fetched: 0,
      resumedFrom: 0,
      hash,
      alreadyThere: true,
      seconds: seconds(),
    };
  }
  const temp = partialPathFor(dest, source);
  await removeOtherPartials(dest, temp);
  const hasher = expectedHash(source);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(temp, { read: true, write: true, create: true });
  } catch (err) {
    throw diskError(err, `cannot create ${temp}`, dirname(dest));
  }
  let fetched = 0;
  let resumedFrom = 0;
  try {
    let done = (await file.stat()).size;
    if (done > source.size) {
      await file.truncate(0);
      done = 0;
    }
    if (done > 0) {
      resumedFrom = done;
      await hashFilePrefix(file, done, hasher.hash, source.size, options);
    }
    await file.seek(done, Deno.SeekMode.Start);
    const state = { done, hasher, fetched: 0 };
    await fetchRest(source, file, state, options, temp, label);
    fetched = state.fetched;
    done = state.done;
    if (done !== source.size) {
      throw new LlamaPackError(
        "DOWNLOAD",
        `${label}: got ${done} bytes, expected ${source.size}`,
      );
    }
    await file.sync();
  } catch (err) {
    file.close();
    throw err;
  }
  file.close();
  const actual = hasher.hash.digest("hex");
  if (actual !== hasher.expected) {
    await Deno.remove(temp).catch(() => {});
    throw new LlamaPackError(
      "DOWNLOAD",
      `${label}: ${hasher.kind} mismatch: expected ${hasher.expected}, got ${actual}; the downloaded file was deleted`,
      { hint: "run the same command again to download it afresh" },
    );
  }
  await moveIntoPlace(temp, dest, label);
  return {
    path: dest,
    bytes: source.size,
    fetched,
    resumedFrom,
    hash: actual,
    alreadyThere: false,
    seconds: seconds(),
  };
}

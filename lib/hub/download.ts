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
 *    id) is computed while writing and compared before the temp file is
 *    fsynced and hard-linked under the final name (a link never overwrites);
 *    on a mismatch the temp file is deleted and the error names both hashes.
 *
 * Needs `--allow-net`, `--allow-read`, `--allow-write`.
 *
 * @module
 */

import { createHash, type Hash } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { errorMessage, LlamaPackError } from "../errors.ts";
import { formatSize } from "../units.ts";
import { HubHttpError } from "./hub_client.ts";

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

const TEMP_SUFFIX = ".llama-pack-download";
const WRITE_BUFFER = 4 << 20;
const READ_BUFFER = 8 << 20;

/**
 * The temp file a download of `source` to `dest` writes: hidden, beside the
 * target, named after the expected hash so a later run resumes only the same
 * content.
 *
 * @param dest The final path.
 * @param source Its expected hash.
 * @returns The temp path.
 *
 * @example The temp name
 * ```ts
 * import assert from "node:assert/strict";
 * import { partialPathFor } from "./download.ts";
 * const p = partialPathFor("/hdd/o/m/m-Q4_K_M.gguf", { sha256: "ab".repeat(32) });
 * assert(p === "/hdd/o/m/.m-Q4_K_M.gguf.abababababababab.llama-pack-download");
 * ```
 */
export function partialPathFor(
  dest: string,
  source: Pick<DownloadSource, "sha256" | "gitOid">,
): string {
  const id = (source.sha256 ?? source.gitOid ?? "").slice(0, 16) || "nohash";
  return join(dirname(dest), `.${basename(dest)}.${id}${TEMP_SUFFIX}`);
}

/**
 * Whether a file name is a download's temp file.
 *
 * @param name A file name.
 * @returns `true` for `.<name>.<hash16>.llama-pack-download`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isPartialName } from "./download.ts";
 * assert(isPartialName(".m.gguf.0123456789abcdef.llama-pack-download"));
 * assert(!isPartialName("m.gguf"));
 * ```
 */
export function isPartialName(name: string): boolean {
  return /^\..+\.[0-9a-z]{6,16}\.llama-pack-download$/.test(name);
}

/**
 * Bytes an interrupted download of `source` to `dest` left on disk.
 *
 * @param dest The final path.
 * @param source Its expected hash.
 * @returns The temp file's size, 0 when there is none.
 *
 * @example Nothing left
 * ```ts
 * import assert from "node:assert/strict";
 * import { partialBytes } from "./download.ts";
 * assert(await partialBytes("/no/such/dir/x.gguf", { sha256: "0".repeat(64) }) === 0);
 * ```
 */
export async function partialBytes(
  dest: string,
  source: Pick<DownloadSource, "sha256" | "gitOid">,
): Promise<number> {
  try {
    const st = await Deno.lstat(partialPathFor(dest, source));
    return st.isFile ? st.size : 0;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) return 0;
    throw err;
  }
}

/** A running hash of the expected kind. */
function newHasher(source: DownloadSource): { hash: Hash; expected: string; kind: string } {
  if (source.sha256) {
    return { hash: createHash("sha256"), expected: source.sha256.toLowerCase(), kind: "sha256" };
  }
  if (source.gitOid) {
    const hash = createHash("sha1");
    hash.update(`blob ${source.size}\0`);
    return { hash, expected: source.gitOid.toLowerCase(), kind: "git blob id" };
  }
  throw new LlamaPackError(
    "COPY", // TODO(#11): DOWNLOAD
    `${
      labelOf(source)
    }: the hub listed no hash for it; refusing to download a file that cannot be verified`,
  );
}

function labelOf(source: DownloadSource): string {
  return source.label ?? decodeURIComponent(new URL(source.url).pathname.split("/").pop() ?? "");
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
  const label = labelOf(source);
  const seconds = () => (performance.now() - started) / 1000;
  const existing = await lstatOrUndefined(dest);
  if (existing) {
    const hash = await verifyExisting(source, dest, existing, options);
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
  const hasher = newHasher(source);
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
      await hashPrefix(file, done, hasher.hash, source.size, options);
    }
    await file.seek(done, Deno.SeekMode.Start);
    const state = { done, hasher, fetched: 0 };
    await fetchRest(source, file, state, options, temp, label);
    fetched = state.fetched;
    done = state.done;
    if (done !== source.size) {
      throw new LlamaPackError(
        "COPY", // TODO(#11): DOWNLOAD
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
      "COPY", // TODO(#11): DOWNLOAD
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

interface FetchState {
  done: number;
  hasher: { hash: Hash };
  fetched: number;
}

/** Fetches from `state.done` to the end, retrying dropped connections from where they stopped. */
async function fetchRest(
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
          "IO", // TODO(#11): HUB
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

/** Errors worth another attempt: dropped connections, stalls, 408/429/5xx. */
function retryable(err: unknown): boolean {
  if (err instanceof HubHttpError) {
    return err.status === 408 || err.status === 429 || err.status >= 500;
  }
  // hubFetch's "cannot reach the hub" keeps fetch's TypeError as its cause.
  if (err instanceof LlamaPackError) return err.cause instanceof TypeError;
  return err instanceof TypeError || err instanceof StallError ||
    (err instanceof Error && /connection|reset|closed|EOF|body/i.test(err.message));
}

class StallError extends Error {}

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
    const res = await openResolved(source, state.done, options.fetch, signal, label);
    if (state.done > 0 && res.status === 200) {
      // The server ignored Range: start the file over.
      await file.truncate(0);
      await file.seek(0, Deno.SeekMode.Start);
      state.done = 0;
      state.hasher.hash = newHasher(source).hash;
    }
    const body = res.body;
    if (!body) throw new TypeError("empty body");
    const reader = body.getReader();
    const buf = new Uint8Array(WRITE_BUFFER);
    let filled = 0;
    const flush = async () => {
      if (filled === 0) return;
      const chunk = buf.subarray(0, filled);
      try {
        let off = 0;
        while (off < chunk.length) off += await file.write(chunk.subarray(off));
      } catch (err) {
        throw diskError(err, `cannot write ${temp}`, dirname(temp), state.done);
      }
      state.hasher.hash.update(chunk);
      state.done += filled;
      filled = 0;
    };
    try {
      while (true) {
        const { done, value } = await reader.read();
        if (done) break;
        poke();
        if (state.done + filled + value.length > source.size) {
          throw new LlamaPackError(
            "COPY", // TODO(#11): DOWNLOAD
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
      // Keep what arrived intact, then let the caller resume after it.
      await flush();
      reader.cancel().catch(() => {});
      if (stall.signal.aborted && !options.signal?.aborted) throw stall.signal.reason;
      throw err;
    }
    await flush();
  } finally {
    clearTimeout(timer);
  }
}

/**
 * GETs the resolve URL from byte `from`, following redirects by hand, and
 * returns the response carrying the bytes after checking what the hub said.
 */
async function openResolved(
  source: DownloadSource,
  from: number,
  fetchHub: typeof fetch,
  signal: AbortSignal,
  label: string,
): Promise<Response> {
  let url = source.url;
  for (let hop = 0; hop <= 10; hop++) {
    const headers: Record<string, string> = { "accept-encoding": "identity" };
    if (from > 0) headers.range = `bytes=${from}-`;
    const res = await fetchHub(url, { headers, redirect: "manual", signal });
    checkHubHeaders(res, source, label);
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get("location");
      await res.body?.cancel();
      if (!location) {
        throw new HubHttpError(res.status, undefined, url, "redirect without Location");
      }
      url = new URL(location, url).href;
      continue;
    }
    if (res.status === 206) {
      const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get("content-range") ?? "");
      if (!m || Number(m[1]) !== from || (m[3] !== "*" && Number(m[3]) !== source.size)) {
        await res.body?.cancel();
        throw new LlamaPackError(
          "COPY", // TODO(#11): DOWNLOAD
          `${label}: asked for bytes ${from}- of ${source.size}, got '${
            res.headers.get("content-range")
          }'`,
        );
      }
      return res;
    }
    if (res.status === 200) {
      const length = res.headers.get("content-length");
      if (length !== null && Number(length) !== source.size) {
        await res.body?.cancel();
        throw new LlamaPackError(
          "COPY", // TODO(#11): DOWNLOAD
          `${label}: the server sends ${length} bytes, the listing says ${source.size}`,
        );
      }
      return res;
    }
    await res.body?.cancel();
    throw new HubHttpError(res.status, undefined, url, `unexpected status ${res.status}`);
  }
  throw new HubHttpError(310, undefined, url, "more than 10 redirects");
}

/** `X-Linked-Size`, `X-Linked-Etag` and `X-Repo-Commit` must agree with the listing. */
function checkHubHeaders(res: Response, source: DownloadSource, label: string): void {
  const fail = (what: string) => {
    res.body?.cancel().catch(() => {});
    return new LlamaPackError(
      "COPY", // TODO(#11): DOWNLOAD
      `${label}: the hub's answer disagrees with its listing: ${what}`,
    );
  };
  const size = res.headers.get("x-linked-size");
  if (size !== null && Number(size) !== source.size) {
    throw fail(`X-Linked-Size ${size}, listed ${source.size}`);
  }
  const etag = res.headers.get("x-linked-etag")?.replace(/^W\//, "").replaceAll('"', "");
  if (etag && source.sha256 && /^[0-9a-f]{64}$/i.test(etag) && etag !== source.sha256) {
    throw fail(`X-Linked-Etag ${etag}, listed sha256 ${source.sha256}`);
  }
  const commit = res.headers.get("x-repo-commit");
  if (commit && source.commit && commit.toLowerCase() !== source.commit.toLowerCase()) {
    throw fail(`X-Repo-Commit ${commit}, asked for ${source.commit}`);
  }
}

async function hashPrefix(
  file: Deno.FsFile,
  length: number,
  hash: Hash,
  total: number,
  options: DownloadFileOptions,
): Promise<void> {
  await file.seek(0, Deno.SeekMode.Start);
  const buf = new Uint8Array(READ_BUFFER);
  let done = 0;
  while (done < length) {
    options.signal?.throwIfAborted();
    const n = await file.read(buf.subarray(0, Math.min(buf.length, length - done)));
    if (n === null) break;
    hash.update(buf.subarray(0, n));
    done += n;
    options.onProgress?.({ phase: "rehash", bytesDone: done, totalBytes: total });
  }
}

/** The final name is taken: accept it only when it is the very file (size and hash). */
async function verifyExisting(
  source: DownloadSource,
  dest: string,
  info: Deno.FileInfo,
  options: DownloadFileOptions,
): Promise<string> {
  const label = labelOf(source);
  const refuse = (why: string) =>
    new LlamaPackError(
      "COPY", // TODO(#11): DOWNLOAD
      `${dest} already exists and ${why}: not overwriting it`,
      { hint: "move it away, or pull into another directory with --to" },
    );
  if (!info.isFile) throw refuse("is not a regular file");
  if (info.size !== source.size) {
    throw refuse(`has ${info.size} bytes, ${label} has ${source.size}`);
  }
  const hasher = newHasher(source);
  const file = await Deno.open(dest, { read: true });
  try {
    const buf = new Uint8Array(READ_BUFFER);
    let done = 0;
    while (true) {
      options.signal?.throwIfAborted();
      const n = await file.read(buf);
      if (n === null) break;
      hasher.hash.update(buf.subarray(0, n));
      done += n;
      options.onProgress?.({ phase: "verify", bytesDone: done, totalBytes: source.size });
    }
  } finally {
    file.close();
  }
  const actual = hasher.hash.digest("hex");
  if (actual !== hasher.expected) {
    throw refuse(`differs from ${label} (${hasher.kind} ${actual}, expected ${hasher.expected})`);
  }
  return actual;
}

/** Removes temp files of other versions of the same file (another hash). */
async function removeOtherPartials(dest: string, keep: string): Promise<void> {
  const dir = dirname(dest);
  const prefix = `.${basename(dest)}.`;
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch {
    return;
  }
  for (const e of entries) {
    if (!e.isFile || !e.name.startsWith(prefix) || !isPartialName(e.name)) continue;
    const p = join(dir, e.name);
    if (p !== keep) await Deno.remove(p).catch(() => {});
  }
}

/** Links the verified temp file under its final name (never overwriting), then fsyncs the directory. */
async function moveIntoPlace(temp: string, dest: string, label: string): Promise<void> {
  const taken = () =>
    new LlamaPackError(
      "COPY", // TODO(#11): DOWNLOAD
      `${dest} appeared while ${label} was downloading: not overwriting it; the verified download stays at ${temp}`,
    );
  try {
    await Deno.link(temp, dest);
    await Deno.remove(temp);
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) throw taken();
    // No hard links on this file system: rename, after checking the name is free.
    if (await lstatOrUndefined(dest)) throw taken();
    try {
      await Deno.rename(temp, dest);
    } catch (e) {
      throw diskError(e, `cannot rename ${temp} to ${dest}`, dirname(dest));
    }
  }
  try {
    const dir = await Deno.open(dirname(dest), { read: true });
    try {
      await dir.sync();
    } finally {
      dir.close();
    }
  } catch {
    // Some file systems cannot fsync a directory; the file itself is synced.
  }
}

function diskError(err: unknown, what: string, dir: string, kept?: number): LlamaPackError {
  const code = (err as { code?: unknown })?.code;
  const why = code === "ENOSPC"
    ? `no space left on ${dir}`
    : code === "EDQUOT"
    ? `disk quota exceeded on ${dir}`
    : code === "EROFS"
    ? `${dir} is on a read-only file system`
    : errorMessage(err);
  return new LlamaPackError("IO", `${what}: ${why}`, {
    cause: err,
    ...(kept !== undefined && kept > 0
      ? {
        hint: `${
          formatSize(kept)
        } already downloaded is kept to resume; delete the hidden *.llama-pack-download file to free it`,
      }
      : {}),
  });
}

async function lstatOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.lstat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

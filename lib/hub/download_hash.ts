/**
 * The hashes a download is checked against: SHA-256 (`lfs.oid`) or the git
 * blob id, fed while the bytes stream in, over what an earlier run left, or
 * over a file already in place.
 *
 * @module
 */

import { createHash, type Hash } from "node:crypto";
import { LlamaPackError } from "../errors.ts";
import type { DownloadFileOptions, DownloadSource } from "./download.ts";

const READ_BUFFER = 8 << 20;

/** A running hash and the value it must reach. */
export interface ExpectedHash {
  /** The running hash. */
  hash: Hash;
  /** The expected hex digest. */
  expected: string;
  /** `sha256` or `git blob id`, for messages. */
  kind: string;
}

/**
 * A running hash of the kind the hub listed: SHA-256 for LFS files, else the
 * git blob id (SHA-1 of `blob <size>\0` and the content).
 *
 * @param source The expected size and hash.
 * @returns The hash to feed and what it must reach.
 * @throws {LlamaPackError} `DOWNLOAD` when the hub listed no hash.
 *
 * @example A git blob id
 * ```ts
 * import assert from "node:assert/strict";
 * import { expectedHash } from "./download_hash.ts";
 * const h = expectedHash({ url: "https://hub.test/x", size: 0, gitOid: "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391" });
 * assert(h.hash.digest("hex") === h.expected);
 * ```
 */
export function expectedHash(source: DownloadSource): ExpectedHash {
  if (source.sha256) {
    return { hash: createHash("sha256"), expected: source.sha256.toLowerCase(), kind: "sha256" };
  }
  if (source.gitOid) {
    const hash = createHash("sha1");
    hash.update(`blob ${source.size}\0`);
    return { hash, expected: source.gitOid.toLowerCase(), kind: "git blob id" };
  }
  throw new LlamaPackError(
    "DOWNLOAD",
    `${
      sourceLabel(source)
    }: the hub listed no hash for it; refusing to download a file that cannot be verified`,
  );
}

/**
 * How messages name a download: its label, else the URL's last part.
 *
 * @param source The download.
 * @returns The name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sourceLabel } from "./download_hash.ts";
 * assert(sourceLabel({ url: "https://hub.test/o/m/resolve/c/a%20b.gguf", size: 1 }) === "a b.gguf");
 * ```
 */
export function sourceLabel(source: DownloadSource): string {
  return source.label ?? decodeURIComponent(new URL(source.url).pathname.split("/").pop() ?? "");
}

/**
 * Feeds the first `length` bytes of an open file to a hash (what an earlier
 * run left), reporting `rehash` progress.
 *
 * @param file The open temp file.
 * @param length Bytes to hash.
 * @param hash The running hash.
 * @param total The whole file's size, for progress.
 * @param options Abort signal and progress callback.
 *
 * @example Hashing a prefix
 * ```ts
 * import assert from "node:assert/strict";
 * import { createHash } from "node:crypto";
 * import { hashFilePrefix } from "./download_hash.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await Deno.writeTextFile(`${dir}/f`, "abcdef");
 *   const f = await Deno.open(`${dir}/f`);
 *   const h = createHash("sha256");
 *   await hashFilePrefix(f, 3, h, 6, {});
 *   f.close();
 *   assert(h.digest("hex") === createHash("sha256").update("abc").digest("hex"));
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function hashFilePrefix(
  file: Deno.FsFile,
  length: number,
  hash: Hash,
  total: number,
  options: Pick<DownloadFileOptions, "signal" | "onProgress">,
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

/**
 * The final name is taken: accepts it only when it is the very file (same
 * size and hash), reporting `verify` progress; never touches it.
 *
 * @param source The expected size and hash.
 * @param dest The final path.
 * @param info `lstat` of `dest`.
 * @param options Abort signal and progress callback.
 * @returns The verified hash.
 * @throws {LlamaPackError} `DOWNLOAD` when it is not a regular file or differs.
 *
 * @example A different file is refused
 * ```ts
 * import assert from "node:assert/strict";
 * import { verifyInPlace } from "./download_hash.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await Deno.writeTextFile(`${dir}/m.gguf`, "xyz");
 *   const src = { url: "https://hub.test/m.gguf", size: 3, sha256: "0".repeat(64) };
 *   await assert.rejects(verifyInPlace(src, `${dir}/m.gguf`, await Deno.lstat(`${dir}/m.gguf`), {}), /already exists and differs/);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function verifyInPlace(
  source: DownloadSource,
  dest: string,
  info: Deno.FileInfo,
  options: Pick<DownloadFileOptions, "signal" | "onProgress">,
): Promise<string> {
  const label = sourceLabel(source);
  const refuse = (why: string) =>
    new LlamaPackError(
      "DOWNLOAD",
      `${dest} already exists and ${why}: not overwriting it`,
      { hint: "move it away, or pull into another directory with --to" },
    );
  if (!info.isFile) throw refuse("is not a regular file");
  if (info.size !== source.size) {
    throw refuse(`has ${info.size} bytes, ${label} has ${source.size}`);
  }
  const hasher = expectedHash(source);
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

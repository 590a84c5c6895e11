/**
 * Streaming xxh64 hashing of model files, via the `xxhash-wasm` package. The
 * copy protocol hashes a model while it copies it and hashes the written copy
 * again before it puts it in place; eviction can compare an HDD original with
 * the hash recorded for its SSD copy.
 *
 * @module
 */

import xxhash from "xxhash-wasm";
import { errorMessage, LlamaPackError } from "../errors.ts";

type XXHashApi = Awaited<ReturnType<typeof xxhash>>;

let api: Promise<XXHashApi> | undefined;

function loadApi(): Promise<XXHashApi> {
  api ??= xxhash();
  return api;
}

/** Chunks handed to the WASM hasher at once; 1 MiB stays in CPU caches. */
const FEED_CHUNK = 1 << 20;

/** An xxh64 hash computed piece by piece. */
export interface StreamHasher {
  /**
   * Adds bytes to the hash.
   *
   * @param bytes The next bytes of the input.
   * @returns The same hasher.
   */
  update(bytes: Uint8Array): StreamHasher;
  /**
   * Finishes the hash.
   *
   * @returns The xxh64 of all bytes added, as 16 lowercase hex digits.
   */
  digest(): string;
}

/**
 * Formats a 64-bit hash as 16 lowercase hex digits.
 *
 * @param value The hash as a bigint.
 * @returns The hash as 16 hex digits, zero-padded.
 */
function toHex(value: bigint): string {
  return value.toString(16).padStart(16, "0");
}

/**
 * Creates a streaming xxh64 hasher (seed 0).
 *
 * @returns A hasher whose {@linkcode StreamHasher.digest} gives 16 hex digits.
 *
 * @example Hashing in pieces equals hashing at once
 * ```ts
 * import assert from "node:assert/strict";
 * import { createHasher, hashBytes } from "./hash.ts";
 * const h = await createHasher();
 * h.update(new TextEncoder().encode("llama-"));
 * h.update(new TextEncoder().encode("pack"));
 * assert(h.digest() === await hashBytes(new TextEncoder().encode("llama-pack")));
 * ```
 */
export async function createHasher(): Promise<StreamHasher> {
  const inner = (await loadApi()).create64();
  const hasher: StreamHasher = {
    update(bytes: Uint8Array): StreamHasher {
      for (let at = 0; at < bytes.length; at += FEED_CHUNK) {
        inner.update(bytes.subarray(at, Math.min(bytes.length, at + FEED_CHUNK)));
      }
      return hasher;
    },
    digest(): string {
      return toHex(inner.digest());
    },
  };
  return hasher;
}

/**
 * Hashes bytes in memory.
 *
 * @param bytes The input.
 * @returns The xxh64 (seed 0) as 16 lowercase hex digits.
 *
 * @example The xxh64 of nothing
 * ```ts
 * import assert from "node:assert/strict";
 * import { hashBytes } from "./hash.ts";
 * assert(await hashBytes(new Uint8Array(0)) === "ef46db3751d8e999");
 * ```
 */
export async function hashBytes(bytes: Uint8Array): Promise<string> {
  return (await createHasher()).update(bytes).digest();
}

/** Options of {@linkcode hashFile}. */
export interface HashFileOptions {
  /**
   * Bytes read at once (4 MiB measured fastest from the page cache).
   * @default {4194304} (4 MiB)
   */
  bufferSize?: number;
  /**
   * Stops the hashing; the promise then rejects with the signal's reason.
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * Called after each read with the bytes hashed so far.
   * @default {undefined}
   */
  onProgress?: (bytesDone: number) => void;
}

/** What {@linkcode hashFile} found. */
export interface FileHash {
  /** The xxh64 of the file's bytes, 16 lowercase hex digits. */
  hash: string;
  /** How many bytes were read. */
  size: number;
}

/**
 * Hashes a file by streaming it through large reads. Needs `--allow-read`.
 *
 * @param path The file to hash.
 * @param options Buffer size, abort signal, progress.
 * @returns The hash and the number of bytes read.
 * @throws {LlamaPackError} `IO` when the file cannot be opened or read.
 *
 * @example Hashing a file
 * ```ts
 * import assert from "node:assert/strict";
 * import { hashBytes, hashFile } from "./hash.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const data = new TextEncoder().encode("weights");
 *   await Deno.writeFile(`${dir}/m.gguf`, data);
 *   const { hash, size } = await hashFile(`${dir}/m.gguf`);
 *   assert(size === 7 && hash === await hashBytes(data));
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function hashFile(path: string, options: HashFileOptions = {}): Promise<FileHash> {
  const { bufferSize = 4 << 20, signal, onProgress } = options;
  const hasher = await createHasher();
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (err) {
    throw new LlamaPackError("IO", `cannot open file to hash: ${path}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  // Two buffers: the next read runs on an I/O thread while this one is hashed.
  let bufs = [new Uint8Array(bufferSize), new Uint8Array(bufferSize)] as const;
  let pending: Promise<number | null> | undefined;
  let size = 0;
  try {
    pending = file.read(bufs[0]);
    for (;;) {
      const n = await pending;
      if (n === null) break;
      const chunk = bufs[0].subarray(0, n);
      bufs = [bufs[1], bufs[0]];
      pending = file.read(bufs[0]);
      hasher.update(chunk);
      size += n;
      onProgress?.(size);
      signal?.throwIfAborted();
    }
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new LlamaPackError("IO", `cannot read file to hash: ${path}: ${errorMessage(err)}`, {
      cause: err,
    });
  } finally {
    await pending?.catch(() => null); // a read in flight must end before the close
    file.close();
  }
  return { hash: hasher.digest(), size };
}

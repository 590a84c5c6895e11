/**
 * The steps of the copy protocol (`copy.ts`) that touch the destination
 * side: adopting a file already at the destination after hashing it against
 * its source, putting a verified temp file in place without ever
 * overwriting, creating directories only inside the SSD root, and syncing a
 * directory.
 *
 * @module
 */

import { dirname } from "node:path";
import type { LlamaPackError } from "../errors.ts";
import { hashFile } from "./hash.ts";
import { isInside, lstatOrUndefined } from "./fs_checks.ts";
import {
  checkUnchanged,
  DEFAULT_COPY_BUFFER,
  hashWithProgress,
  type SourceStamp,
} from "./copy_stream.ts";
import type { CopyOptions } from "./copy.ts";

/** Makes the copy's error from a reason. */
export type CopyFail = (why: string, cause?: unknown) => LlamaPackError;

/**
 * Adopts a file already at the destination: it must be a regular file, not
 * the source itself, of the source's size, and hash to what the source
 * hashes to (the source read again, unless its hash is known); the source
 * must not change meanwhile. Needs `--allow-read`.
 *
 * @param srcPath The source.
 * @param destPath The destination that exists.
 * @param existing Its `lstat`.
 * @param stamp The source's stamp.
 * @param options The copy's options (`expectedHash`, buffer, progress).
 * @param fail Makes the copy's error.
 * @returns The hash both have.
 * @throws What `fail` makes when the destination is not a copy of the source.
 *
 * @example Adopting an identical file
 * ```ts
 * import assert from "node:assert/strict";
 * import { LlamaPackError } from "../errors.ts";
 * import { adoptExisting } from "./copy_steps.ts";
 * import { stampOf } from "./copy_stream.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a`, "GGUF");
 * await Deno.writeTextFile(`${dir}/b`, "GGUF");
 * const fail = (why: string) => new LlamaPackError("COPY", why);
 * const hash = await adoptExisting(`${dir}/a`, `${dir}/b`, await Deno.lstat(`${dir}/b`),
 *   await stampOf(`${dir}/a`), { ssdRoot: dir }, fail);
 * assert(hash.length === 16);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function adoptExisting(
  srcPath: string,
  destPath: string,
  existing: Deno.FileInfo,
  stamp: SourceStamp,
  options: CopyOptions,
  fail: CopyFail,
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
    (await hashFile(srcPath, { bufferSize: options.bufferSize ?? DEFAULT_COPY_BUFFER })).hash;
  if (destHash !== srcHash) {
    throw fail("destination exists with different content: refusing to overwrite");
  }
  await checkUnchanged(srcPath, stamp, fail);
  return destHash;
}

/**
 * Puts a verified temp file under its final name: a hard link (atomic, and
 * it fails rather than overwrite), then the temp name removed; where hard
 * links are not supported, a rename after checking the name is free.
 * Needs `--allow-read --allow-write`.
 *
 * @param temp The temp file.
 * @param dest The final name.
 * @param fail Makes the copy's error.
 * @throws What `fail` makes when the destination appeared meanwhile.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LlamaPackError } from "../errors.ts";
 * import { commitTemp } from "./copy_steps.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/t.part`, "GGUF");
 * await commitTemp(`${dir}/t.part`, `${dir}/m.gguf`, (why) => new LlamaPackError("COPY", why));
 * assert(await Deno.readTextFile(`${dir}/m.gguf`) === "GGUF");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function commitTemp(temp: string, dest: string, fail: CopyFail): Promise<void> {
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
 * directory is ever created outside it. Needs `--allow-read --allow-write`.
 *
 * @param root The SSD root.
 * @param dir The directory to create.
 * @param created Receives the directories created, outermost first.
 * @param fail Makes the copy's error.
 * @throws What `fail` makes when `dir` would lie outside the root.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { LlamaPackError } from "../errors.ts";
 * import { ensureDirInside } from "./copy_steps.ts";
 * const dir = await Deno.makeTempDir();
 * const created: string[] = [];
 * await ensureDirInside(dir, `${dir}/a/b`, created, (why) => new LlamaPackError("COPY", why));
 * assert(created.length === 2);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function ensureDirInside(
  root: string,
  dir: string,
  created: string[],
  fail: CopyFail,
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

/**
 * Flushes a directory's entries to disk. Needs `--allow-read`.
 *
 * @param dir The directory.
 *
 * @example
 * ```ts
 * import { syncDir } from "./copy_steps.ts";
 * await syncDir(Deno.cwd());
 * ```
 */
export async function syncDir(dir: string): Promise<void> {
  const f = await Deno.open(dir, { read: true });
  try {
    await f.sync();
  } finally {
    f.close();
  }
}

/**
 * The files of a download on disk: the hidden temp file beside the target,
 * named after the expected hash (`.<name>.<hash16>.llama-pack-download`, never
 * `*.gguf`, skipped by the scanner), what an interrupted run left, and moving
 * a verified download under its final name without ever overwriting.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { basename, dirname, join } from "node:path";
import { lstatOrUndefined } from "../cache/fs_checks.ts";
import { osReason } from "../cache/os_errors.ts";
import { formatSize } from "../core/units.ts";
import { LlamaPackError } from "../errors.ts";
import type { DownloadSource } from "./download.ts";

const TEMP_SUFFIX = ".llama-pack-download";

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
 * import { partialPathFor } from "./download_partials.ts";
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
 * The lock a pull holds on a destination file while it downloads it (in the
 * state directory's `locks/`); `--cleanup` takes it before removing that
 * file's temp file, so it never races a pull starting meanwhile.
 *
 * @param stateDir The state directory.
 * @param dest The final path.
 * @returns The lock file's path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pullLockPath } from "./download_partials.ts";
 * assert.match(pullLockPath("/state", "/hdd/o/m/m.gguf"), /^\/state\/locks\/pull-[0-9a-f]{20}\.lock$/);
 * ```
 */
export function pullLockPath(stateDir: string, dest: string): string {
  const key = createHash("sha1").update(dest).digest("hex").slice(0, 20);
  return join(stateDir, "locks", `pull-${key}.lock`);
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
 * import { isPartialName } from "./download_partials.ts";
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
 * import { partialBytes } from "./download_partials.ts";
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

/**
 * Removes the temp files other versions of the same file left (another
 * expected hash): only names of the download temp pattern, beside `dest`.
 *
 * @param dest The final path.
 * @param keep The temp file to keep (this version's).
 *
 * @example An older version's leftover goes
 * ```ts
 * import assert from "node:assert/strict";
 * import { removeOtherPartials } from "./download_partials.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await Deno.writeTextFile(`${dir}/.m.gguf.aaaaaaaaaaaaaaaa.llama-pack-download`, "old");
 *   await Deno.writeTextFile(`${dir}/.m.gguf.bbbbbbbbbbbbbbbb.llama-pack-download`, "new");
 *   await removeOtherPartials(`${dir}/m.gguf`, `${dir}/.m.gguf.bbbbbbbbbbbbbbbb.llama-pack-download`);
 *   assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [".m.gguf.bbbbbbbbbbbbbbbb.llama-pack-download"]);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function removeOtherPartials(dest: string, keep: string): Promise<void> {
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

/**
 * Links a verified temp file under its final name — a hard link never
 * overwrites — and removes the temp name; on a file system without hard links
 * it renames after checking the name is free. Then fsyncs the directory.
 *
 * @param temp The verified temp file.
 * @param dest The final path.
 * @param label How messages name the file.
 * @throws {LlamaPackError} `DOWNLOAD` when `dest` appeared meanwhile (the temp
 *   file is kept); `IO` when the rename fails.
 *
 * @example Into place, and never over another file
 * ```ts
 * import assert from "node:assert/strict";
 * import { moveIntoPlace } from "./download_partials.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await Deno.writeTextFile(`${dir}/.t`, "a");
 *   await moveIntoPlace(`${dir}/.t`, `${dir}/m.gguf`, "m.gguf");
 *   await Deno.writeTextFile(`${dir}/.t`, "b");
 *   await assert.rejects(moveIntoPlace(`${dir}/.t`, `${dir}/m.gguf`, "m.gguf"), /not overwriting it/);
 *   assert((await Deno.readTextFile(`${dir}/m.gguf`)) === "a");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function moveIntoPlace(temp: string, dest: string, label: string): Promise<void> {
  const taken = () =>
    new LlamaPackError(
      "DOWNLOAD",
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

/**
 * A disk error while downloading, in the words a user needs, saying what is
 * kept to resume.
 *
 * @param err The file-system error.
 * @param what What failed, e.g. `cannot write /hdd/o/m/.m.gguf…`.
 * @param dir The directory to name when the disk is full or read-only.
 * @param kept Bytes already downloaded and kept.
 * @returns An `IO` error.
 *
 * @example A full disk
 * ```ts
 * import assert from "node:assert/strict";
 * import { diskError } from "./download_partials.ts";
 * const e = diskError(Object.assign(new Error("w"), { code: "ENOSPC" }), "cannot write x", "/hdd", 1024);
 * assert(e.message === "cannot write x: no space left on /hdd" && e.hint!.startsWith("1.0 KiB already downloaded"));
 * ```
 */
export function diskError(err: unknown, what: string, dir: string, kept?: number): LlamaPackError {
  return new LlamaPackError("IO", `${what}: ${osReason(err, dir)}`, {
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

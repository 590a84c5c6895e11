/**
 * Small file-system checks the copy and eviction code share: containment of
 * a path in a root, and stat/lstat that answer `undefined` for a missing path.
 *
 * @module
 */

import { isAbsolute, relative, sep } from "node:path";

/**
 * Whether `path` lies strictly inside `root` (both already resolved).
 *
 * @param root The directory.
 * @param path The path to test.
 * @returns `true` when `path` is below `root` (not `root` itself).
 *
 * @example Containment
 * ```ts
 * import assert from "node:assert/strict";
 * import { isInside } from "./fs_checks.ts";
 * assert(isInside("/ssd", "/ssd/llm/x.gguf"));
 * assert(!isInside("/ssd", "/ssd"));
 * assert(!isInside("/ssd", "/ssd2/x.gguf"));
 * ```
 */
export function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== "" && rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

function missing(err: unknown): boolean {
  return err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory;
}

/**
 * `Deno.stat`, or `undefined` when nothing is there. Needs `--allow-read`.
 *
 * @param path The path (symlinks followed).
 * @returns The file info, or `undefined`.
 * @throws Any error other than not-found (e.g. permission denied).
 *
 * @example A missing file
 * ```ts
 * import assert from "node:assert/strict";
 * import { statOrUndefined } from "./fs_checks.ts";
 * assert((await statOrUndefined("/no/such/file")) === undefined);
 * ```
 */
export async function statOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.stat(path);
  } catch (err) {
    if (missing(err)) return undefined;
    throw err;
  }
}

/**
 * `Deno.lstat`, or `undefined` when nothing is there. Needs `--allow-read`.
 *
 * @param path The path (a final symlink is not followed).
 * @returns The file info, or `undefined`.
 * @throws Any error other than not-found (e.g. permission denied).
 *
 * @example A missing file
 * ```ts
 * import assert from "node:assert/strict";
 * import { lstatOrUndefined } from "./fs_checks.ts";
 * assert((await lstatOrUndefined("/no/such/file")) === undefined);
 * ```
 */
export async function lstatOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.lstat(path);
  } catch (err) {
    if (missing(err)) return undefined;
    throw err;
  }
}

/**
 * What the user typed after `-m` (or a cache verb), made ready for the
 * matcher: a path relative to the working directory (`./x.gguf`,
 * `../hdd/x.gguf`) or the home directory (`~/models/x.gguf`) becomes
 * absolute, so it is matched against the model files' full paths. Anything
 * else is left as typed. Pure: the working and home directories are inputs.
 *
 * @module
 */

import { normalize } from "node:path/posix";

/** Where relative paths are relative to. */
export interface QueryPlaces {
  /** The working directory (absolute). */
  cwd: string;
  /** The home directory, for `~/`; `undefined` leaves `~` alone. */
  home: string | undefined;
}

/**
 * Makes a path-like query absolute.
 *
 * @param query The query as typed.
 * @param places The working and home directories.
 * @returns The absolute path for `./`, `../`, `~/`, `.` and `~` queries; the query otherwise.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveModelQuery } from "./model_query.ts";
 * const places = { cwd: "/m/hdd", home: "/home/u" };
 * assert(resolveModelQuery("./llm/x.gguf", places) === "/m/hdd/llm/x.gguf");
 * assert(resolveModelQuery("../ssd/x.gguf", places) === "/m/ssd/x.gguf");
 * assert(resolveModelQuery("~/x.gguf", places) === "/home/u/x.gguf");
 * assert(resolveModelQuery("unsloth/gemma", places) === "unsloth/gemma");
 * ```
 */
export function resolveModelQuery(query: string, places: QueryPlaces): string {
  const q = query.trim();
  if (q === "~" || q.startsWith("~/")) {
    return places.home === undefined ? q : normalize(`${places.home}/${q.slice(1)}`);
  }
  if (q === "." || q === ".." || q.startsWith("./") || q.startsWith("../")) {
    return normalize(`${places.cwd}/${q}`).replace(/(.)\/$/, "$1");
  }
  return q;
}

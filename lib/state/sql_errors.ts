/**
 * SQLite failures in the words a user needs. A full disk under the state
 * directory is an environment problem, not a bug: it becomes a `DISK_FULL`
 * error naming the database and the directory that is full; every other
 * SQLite failure (I/O error, read-only, corrupt, locked) a `STATE` error
 * naming the database file. Both end with exit status 74.
 *
 * @module
 */

import { statfsSync } from "node:fs";
import { dirname } from "node:path";
import { errorMessage, isNoSpaceError, LlamaPackError } from "../errors.ts";

/**
 * Whether a thrown value came from SQLite (`node:sqlite`).
 *
 * @param err Any thrown value.
 * @returns `true` for `ERR_SQLITE_ERROR` errors.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isSqliteError } from "./sql_errors.ts";
 * assert(isSqliteError(Object.assign(new Error("disk I/O error"), { code: "ERR_SQLITE_ERROR" })));
 * assert(!isSqliteError(new TypeError("x")));
 * ```
 */
export function isSqliteError(err: unknown): boolean {
  return err instanceof Error && (err as { code?: unknown }).code === "ERR_SQLITE_ERROR";
}

/** Free bytes on the file system holding `dir`, or `undefined` when unknown. */
function freeBytes(dir: string): number | undefined {
  try {
    const s = statfsSync(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return undefined;
  }
}

/**
 * Turns a failure of the state database into a {@linkcode LlamaPackError}:
 * `DISK_FULL` when SQLite says the disk is full, or the file system holding
 * the database has no free space left (SQLite reports a failed write there as
 * an I/O error too), else `STATE`. A `LlamaPackError` passes unchanged.
 *
 * @param err What SQLite threw.
 * @param dbPath The database file, named in the message.
 * @param doing What was being done, e.g. `write`.
 * @returns The error to throw.
 *
 * @example A full disk and a corrupt file
 * ```ts
 * import assert from "node:assert/strict";
 * import { stateError } from "./sql_errors.ts";
 * const full = stateError(new Error("database or disk is full"), "/st/state.db", "write");
 * assert(full.code === "DISK_FULL" && full.exitCode === 74);
 * assert(full.message.startsWith("no space left on the file system holding /st:"));
 * const bad = stateError(new Error("file is not a database"), "/nonexistent/state.db", "read");
 * assert(bad.code === "STATE");
 * assert(bad.message === "cannot read the state database /nonexistent/state.db: file is not a database");
 * ```
 */
export function stateError(err: unknown, dbPath: string, doing: string): LlamaPackError {
  if (err instanceof LlamaPackError) return err;
  const dir = dirname(dbPath);
  const free = freeBytes(dir);
  if (isNoSpaceError(err) || (free !== undefined && free === 0)) {
    return new LlamaPackError(
      "DISK_FULL",
      `no space left on the file system holding ${dir}: cannot ${doing} the state database ${dbPath}`,
      {
        cause: err,
        hint: `free some space there (or set LLAMA_PACK_STATE_DIR to another disk); ` +
          `nothing was changed`,
      },
    );
  }
  return new LlamaPackError(
    "STATE",
    `cannot ${doing} the state database ${dbPath}: ${errorMessage(err)}`,
    { cause: err },
  );
}

/**
 * One SQLite connection (through `node:sqlite`) with its prepared statements
 * cached by text and read-modify-write run in `BEGIN IMMEDIATE` transactions:
 * the small layer every table module of the state store goes through. A
 * failure of SQLite itself (a full disk, an I/O error, a corrupt file) comes
 * out as a `DISK_FULL` or `STATE` error naming the database file
 * (`sql_errors.ts`), and a failed transaction is rolled back without hiding
 * why it failed.
 *
 * @module
 */

import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";
import { isSqliteError, stateError } from "./sql_errors.ts";

/** What {@linkcode Sql.run} reports. */
export interface RunResult {
  /** Rows changed. */
  changes: number;
  /** The id of the last inserted row. */
  lastInsertRowid: number;
}

/**
 * Runs statements on one connection, preparing each distinct text once.
 *
 * @example Inserting and reading in a transaction
 * ```ts
 * import assert from "node:assert/strict";
 * import { DatabaseSync } from "node:sqlite";
 * import { Sql } from "./sql.ts";
 * const sql = new Sql(new DatabaseSync(":memory:"));
 * sql.db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)");
 * const id = sql.tx(() => sql.run("INSERT INTO t (v) VALUES (?)", "a").lastInsertRowid);
 * assert(sql.get<{ v: string }>("SELECT v FROM t WHERE id = ?", id)?.v === "a");
 * assert(sql.all("SELECT * FROM t").length === 1);
 * sql.db.close();
 * ```
 */
export class Sql {
  /** The connection. */
  readonly db: DatabaseSync;
  /** The database file, named in errors. */
  readonly path: string;
  #statements = new Map<string, StatementSync>();

  /**
   * Wraps an open connection.
   *
   * @param db The connection.
   * @param path The database file, named in errors. @default {":memory:"}
   */
  constructor(db: DatabaseSync, path = ":memory:") {
    this.db = db;
    this.path = path;
  }

  /** SQLite's own failures become `DISK_FULL`/`STATE` errors; anything else passes. */
  #fail(err: unknown, doing: string): unknown {
    return isSqliteError(err) ? stateError(err, this.path, doing) : err;
  }

  /**
   * Runs `fn` in a `BEGIN IMMEDIATE` transaction (the write lock is taken up
   * front, so read-modify-write cannot interleave with another process).
   * Nested calls join the outer transaction; a throw rolls everything back.
   * When SQLite has already rolled back by itself (a full disk), the original
   * failure is what is thrown, never a failed `ROLLBACK`.
   *
   * @param fn The work; its result is returned.
   * @returns What `fn` returned.
   * @throws {LlamaPackError} `DISK_FULL` or `STATE` when SQLite fails; what `fn` throws.
   */
  tx<T>(fn: () => T): T {
    if (this.db.isTransaction) return fn();
    try {
      this.db.exec("BEGIN IMMEDIATE");
    } catch (err) {
      throw this.#fail(err, "write");
    }
    try {
      const out = fn();
      this.db.exec("COMMIT");
      return out;
    } catch (err) {
      if (this.db.isTransaction) {
        try {
          this.db.exec("ROLLBACK");
        } catch {
          // SQLite rolled back by itself, or cannot: the first failure is the one to report.
        }
      }
      throw this.#fail(err, "write");
    }
  }

  /**
   * The prepared statement for `sql`, prepared on first use.
   *
   * @param sql The statement's text.
   * @returns The cached statement.
   */
  prepare(sql: string): StatementSync {
    let st = this.#statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.#statements.set(sql, st);
    }
    return st;
  }

  /**
   * Every row a query returns.
   *
   * @param sql The query.
   * @param params Its parameters.
   * @returns The rows.
   */
  all<T>(sql: string, ...params: SQLInputValue[]): T[] {
    try {
      return this.prepare(sql).all(...params) as T[];
    } catch (err) {
      throw this.#fail(err, "read");
    }
  }

  /**
   * The first row a query returns.
   *
   * @param sql The query.
   * @param params Its parameters.
   * @returns The row, or `undefined`.
   */
  get<T>(sql: string, ...params: SQLInputValue[]): T | undefined {
    try {
      return this.prepare(sql).get(...params) as T | undefined;
    } catch (err) {
      throw this.#fail(err, "read");
    }
  }

  /**
   * Runs a statement that changes rows.
   *
   * @param sql The statement.
   * @param params Its parameters.
   * @returns Rows changed and the last inserted id.
   */
  run(sql: string, ...params: SQLInputValue[]): RunResult {
    try {
      const r = this.prepare(sql).run(...params);
      return { changes: Number(r.changes), lastInsertRowid: Number(r.lastInsertRowid) };
    } catch (err) {
      throw this.#fail(err, "write");
    }
  }
}

/**
 * The `SET` part of a progress update shared by the copy-job and download
 * tables: `updated_at` always, then each of `state`, `bytes_done` and
 * `message` that is given.
 *
 * @param now The moment, unix seconds.
 * @param fields The columns that changed (`undefined`: unchanged).
 * @returns The assignments and their parameters, in order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { progressSets } from "./sql.ts";
 * const { sets, params } = progressSets(5, { state: "done", message: "ok" });
 * assert.equal(sets.join(", "), "updated_at = ?, state = ?, message = ?");
 * assert.deepEqual(params, [5, "done", "ok"]);
 * ```
 */
export function progressSets(
  now: number,
  fields: { state?: string; bytes_done?: number; message?: string | null },
): { sets: string[]; params: SQLInputValue[] } {
  const sets: string[] = ["updated_at = ?"];
  const params: SQLInputValue[] = [now];
  for (const k of ["state", "bytes_done", "message"] as const) {
    if (fields[k] !== undefined) {
      sets.push(`${k} = ?`);
      params.push(fields[k]);
    }
  }
  return { sets, params };
}

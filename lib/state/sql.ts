/**
 * One SQLite connection (through `node:sqlite`) with its prepared statements
 * cached by text and read-modify-write run in `BEGIN IMMEDIATE` transactions:
 * the small layer every table module of the state store goes through.
 *
 * @module
 */

import type { DatabaseSync, SQLInputValue, StatementSync } from "node:sqlite";

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
  #statements = new Map<string, StatementSync>();

  /**
   * Wraps an open connection.
   *
   * @param db The connection.
   */
  constructor(db: DatabaseSync) {
    this.db = db;
  }

  /**
   * Runs `fn` in a `BEGIN IMMEDIATE` transaction (the write lock is taken up
   * front, so read-modify-write cannot interleave with another process).
   * Nested calls join the outer transaction; a throw rolls everything back.
   *
   * @param fn The work; its result is returned.
   * @returns What `fn` returned.
   */
  tx<T>(fn: () => T): T {
    if (this.db.isTransaction) return fn();
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const out = fn();
      this.db.exec("COMMIT");
      return out;
    } catch (err) {
      this.db.exec("ROLLBACK");
      throw err;
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
    return this.prepare(sql).all(...params) as T[];
  }

  /**
   * The first row a query returns.
   *
   * @param sql The query.
   * @param params Its parameters.
   * @returns The row, or `undefined`.
   */
  get<T>(sql: string, ...params: SQLInputValue[]): T | undefined {
    return this.prepare(sql).get(...params) as T | undefined;
  }

  /**
   * Runs a statement that changes rows.
   *
   * @param sql The statement.
   * @param params Its parameters.
   * @returns Rows changed and the last inserted id.
   */
  run(sql: string, ...params: SQLInputValue[]): RunResult {
    const r = this.prepare(sql).run(...params);
    return { changes: Number(r.changes), lastInsertRowid: Number(r.lastInsertRowid) };
  }
}

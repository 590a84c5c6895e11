/**
 * The `serves` table: the `llama-pack --serve` processes running now, keyed
 * by the address they listen on, so that `-m` can refuse a port one holds,
 * `--status` can tell whose servers are whose, and a new `--serve` can find
 * the servers a dead one left behind.
 *
 * @module
 */

import type { ServeRow } from "../core/records.ts";
import type { Sql } from "./sql.ts";

/**
 * Records, lists and forgets `--serve` processes.
 *
 * @example Recording a --serve
 * ```ts
 * import assert from "node:assert/strict";
 * import { DatabaseSync } from "node:sqlite";
 * import { migrateSchema } from "./schema.ts";
 * import { Sql } from "./sql.ts";
 * import { ServeTable } from "./serves.ts";
 * const sql = new Sql(new DatabaseSync(":memory:"));
 * migrateSchema(sql, ":memory:");
 * const serves = new ServeTable(sql);
 * serves.add({ host: "127.0.0.1", port: 8080, pid: 42, start_time: "1", cmdline: "llama-pack", started_at: 0 });
 * assert(serves.all()[0]?.pid === 42);
 * serves.remove("127.0.0.1", 8080, 42);
 * assert(serves.all().length === 0);
 * sql.db.close();
 * ```
 */
export class ServeTable {
  readonly #sql: Sql;

  /**
   * Works on the tables of a migrated database.
   *
   * @param sql The connection.
   */
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /**
   * Records a `--serve` (replacing any row for the same address).
   *
   * @param row The process.
   */
  add(row: ServeRow): void {
    this.#sql.run(
      `INSERT OR REPLACE INTO serves (host, port, pid, start_time, cmdline, started_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
      row.host,
      row.port,
      row.pid,
      row.start_time,
      row.cmdline,
      row.started_at,
    );
  }

  /**
   * The recorded `--serve` processes.
   *
   * @returns Every row, by port.
   */
  all(): ServeRow[] {
    return this.#sql.all<ServeRow>("SELECT * FROM serves ORDER BY port, host");
  }

  /**
   * Forgets a `--serve`, only if the row still names that process.
   *
   * @param host Its host.
   * @param port Its port.
   * @param pid Its pid.
   */
  remove(host: string, port: number, pid: number): void {
    this.#sql.run("DELETE FROM serves WHERE host = ? AND port = ? AND pid = ?", host, port, pid);
  }
}

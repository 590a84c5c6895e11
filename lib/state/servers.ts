/**
 * The `servers` table: the servers llama-pack started and has not yet seen
 * stop, keyed by host and port (`lib/server/records.ts` checks them against
 * the live processes).
 *
 * @module
 */

import type { ServerRow } from "../core/records.ts";
import type { Sql } from "./sql.ts";

/**
 * Records, lists and forgets started servers.
 *
 * @example Recording a server
 * ```ts
 * import assert from "node:assert/strict";
 * import { DatabaseSync } from "node:sqlite";
 * import { migrateSchema } from "./schema.ts";
 * import { Sql } from "./sql.ts";
 * import { ServerTable } from "./servers.ts";
 * const sql = new Sql(new DatabaseSync(":memory:"));
 * migrateSchema(sql, ":memory:");
 * const servers = new ServerTable(sql);
 * servers.addServer({ host: "127.0.0.1", port: 8080, pid: 4242, start_time: "1", cmdline: '["llama-server"]', model_id: "gemma", model_path: "/h/gemma.gguf", tier: "hdd", log_path: "/tmp/log", started_at: 1000, use_id: null });
 * assert(servers.servers()[0]?.pid === 4242);
 * servers.removeServer("127.0.0.1", 8080);
 * assert(servers.servers().length === 0);
 * sql.db.close();
 * ```
 */
export class ServerTable {
  /** The connection. */
  readonly sql: Sql;

  /**
   * Works on the tables of a migrated database.
   *
   * @param sql The connection.
   */
  constructor(sql: Sql) {
    this.sql = sql;
  }

  /**
   * Records a server llama-pack started (replacing any row for the same host and port).
   *
   * @param row The server.
   */
  addServer(row: ServerRow): void {
    this.sql.run(
      `INSERT OR REPLACE INTO servers (host, port, pid, start_time, cmdline, model_id, model_path, tier, log_path, started_at, use_id, owner_pid)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      row.host,
      row.port,
      row.pid,
      row.start_time,
      row.cmdline,
      row.model_id,
      row.model_path,
      row.tier,
      row.log_path,
      row.started_at,
      row.use_id,
      row.owner_pid ?? null,
    );
  }

  /**
   * The recorded servers.
   *
   * @returns Every row, by port.
   */
  servers(): ServerRow[] {
    return this.sql.all<ServerRow>("SELECT * FROM servers ORDER BY port, host");
  }

  /**
   * Forgets a server.
   *
   * @param host Its host.
   * @param port Its port.
   */
  removeServer(host: string, port: number): void {
    this.sql.run("DELETE FROM servers WHERE host = ? AND port = ?", host, port);
  }
}

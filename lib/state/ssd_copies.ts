/**
 * The `ssd_copies` table: the SSD copies whose content was verified against
 * their permanent original while copying. Only a copy recorded here may ever
 * be deleted by eviction.
 *
 * @module
 */

import type { SsdCopyRow } from "../core/records.ts";
import type { Sql } from "./sql.ts";

/**
 * Records, lists and forgets verified SSD copies.
 *
 * @example Recording a verified copy
 * ```ts
 * import assert from "node:assert/strict";
 * import { DatabaseSync } from "node:sqlite";
 * import { migrateSchema } from "./schema.ts";
 * import { Sql } from "./sql.ts";
 * import { SsdCopyTable } from "./ssd_copies.ts";
 * const sql = new Sql(new DatabaseSync(":memory:"));
 * migrateSchema(sql, ":memory:");
 * const copies = new SsdCopyTable(sql);
 * copies.addSsdCopy({ ssd_path: "/s/m.gguf", model_id: "m", hdd_path: "/h/m.gguf", size: 10, hash: "ab", verified_at: 2 });
 * assert(copies.ssdCopies("m").length === 1);
 * copies.removeSsdCopy("/s/m.gguf");
 * assert(copies.ssdCopies().length === 0);
 * sql.db.close();
 * ```
 */
export class SsdCopyTable {
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
   * Marks an SSD copy verified.
   *
   * @param row The copy.
   */
  addSsdCopy(row: SsdCopyRow): void {
    this.sql.run(
      "INSERT OR REPLACE INTO ssd_copies (ssd_path, model_id, hdd_path, size, hash, verified_at) VALUES (?, ?, ?, ?, ?, ?)",
      row.ssd_path,
      row.model_id,
      row.hdd_path,
      row.size,
      row.hash,
      row.verified_at,
    );
  }

  /**
   * The verified SSD copies.
   *
   * @param modelId The model; omit for all.
   * @returns The rows.
   */
  ssdCopies(modelId?: string): SsdCopyRow[] {
    return modelId === undefined
      ? this.sql.all<SsdCopyRow>("SELECT * FROM ssd_copies ORDER BY ssd_path")
      : this.sql.all<SsdCopyRow>(
        "SELECT * FROM ssd_copies WHERE model_id = ? ORDER BY ssd_path",
        modelId,
      );
  }

  /**
   * Forgets a verified copy (after it was deleted).
   *
   * @param ssdPath The copy's path.
   */
  removeSsdCopy(ssdPath: string): void {
    this.sql.run("DELETE FROM ssd_copies WHERE ssd_path = ?", ssdPath);
  }
}

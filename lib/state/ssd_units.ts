/**
 * The `ssd_units` table: one row per model copy on the SSD, the unit of
 * copying and eviction (every file of the model — shards and projectors — in
 * one JSON list). A unit is written `copying` before its first file is put in
 * place, becomes `verified` in one statement when the last one is, and is
 * marked `evicting` before its first file is deleted. Only a verified unit
 * may be served or evicted; the others are cleaned up (`lib/cache/units.ts`).
 *
 * @module
 */

import type { SsdCopyRow, SsdUnitRow, UnitFile } from "../core/records.ts";
import type { Sql } from "./sql.ts";

interface StoredUnit extends Omit<SsdUnitRow, "files"> {
  files: string;
}

function parse(row: StoredUnit): SsdUnitRow {
  let files: UnitFile[] = [];
  try {
    const value: unknown = JSON.parse(row.files);
    if (Array.isArray(value)) files = value as UnitFile[];
  } catch {
    // a damaged row: no files, so nothing of it is served or deleted
  }
  return { ...row, files };
}

/**
 * Records, reads and forgets SSD copy units.
 *
 * @example A unit from copying to verified
 * ```ts
 * import assert from "node:assert/strict";
 * import { DatabaseSync } from "node:sqlite";
 * import { migrateSchema } from "./schema.ts";
 * import { Sql } from "./sql.ts";
 * import { SsdUnitTable } from "./ssd_units.ts";
 * const sql = new Sql(new DatabaseSync(":memory:"));
 * migrateSchema(sql, ":memory:");
 * const units = new SsdUnitTable(sql);
 * const file = { ssd_path: "/s/m.gguf", src_path: "/h/m.gguf", src_root: "/h", rel: "m.gguf", role: "model", size: 10, hash: null, src: null, ssd: null };
 * units.putUnit({ model_id: "m", state: "copying", ssd_root: "/s", files: [file], owner_pid: 1, owner_start: "1", verified_at: null, updated_at: 1 });
 * assert(units.ssdCopies().length === 0);
 * units.updateUnit("m", (u) => ({ ...u, state: "verified", files: u.files.map((f) => ({ ...f, hash: "ab" })) }));
 * assert(units.ssdCopies("m")[0]?.hash === "ab");
 * units.removeUnit("m");
 * assert(units.units().length === 0);
 * sql.db.close();
 * ```
 */
export class SsdUnitTable {
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
   * The units, in any state.
   *
   * @param modelId The model; omit for all.
   * @returns The rows, by model.
   */
  units(modelId?: string): SsdUnitRow[] {
    const rows = modelId === undefined
      ? this.sql.all<StoredUnit>("SELECT * FROM ssd_units ORDER BY model_id")
      : this.sql.all<StoredUnit>("SELECT * FROM ssd_units WHERE model_id = ?", modelId);
    return rows.map(parse);
  }

  /**
   * Writes a unit (replacing the model's row, if any).
   *
   * @param row The unit.
   */
  putUnit(row: SsdUnitRow): void {
    this.sql.run(
      `INSERT OR REPLACE INTO ssd_units (model_id, state, ssd_root, files, owner_pid, owner_start, verified_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      row.model_id,
      row.state,
      row.ssd_root,
      JSON.stringify(row.files),
      row.owner_pid,
      row.owner_start,
      row.verified_at,
      row.updated_at,
    );
  }

  /**
   * Changes a unit in one transaction: `change` gets the current row and
   * returns the new one, or `undefined` to remove it. Nothing happens when
   * the model has no unit.
   *
   * @param modelId The model.
   * @param change The change.
   * @returns The row written, or `undefined`.
   */
  updateUnit(
    modelId: string,
    change: (row: SsdUnitRow) => SsdUnitRow | undefined,
  ): SsdUnitRow | undefined {
    return this.sql.tx(() => {
      const [row] = this.units(modelId);
      if (row === undefined) return undefined;
      const next = change(row);
      if (next === undefined) this.removeUnit(modelId);
      else this.putUnit(next);
      return next;
    });
  }

  /**
   * Forgets a unit.
   *
   * @param modelId The model.
   */
  removeUnit(modelId: string): void {
    this.sql.run("DELETE FROM ssd_units WHERE model_id = ?", modelId);
  }

  /**
   * The files of verified units, one row each (a flat view for readers).
   *
   * @param modelId The model; omit for all.
   * @returns The rows, by SSD path.
   */
  ssdCopies(modelId?: string): SsdCopyRow[] {
    return this.units(modelId)
      .filter((u) => u.state === "verified")
      .flatMap((u) =>
        u.files.map((f) => ({
          ssd_path: f.ssd_path,
          model_id: u.model_id,
          hdd_path: f.src_path,
          size: f.size,
          hash: f.hash ?? "",
          verified_at: u.verified_at ?? 0,
        }))
      )
      .sort((a, b) => (a.ssd_path < b.ssd_path ? -1 : a.ssd_path > b.ssd_path ? 1 : 0));
  }
}

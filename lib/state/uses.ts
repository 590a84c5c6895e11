/**
 * The `uses` table: one row per load of a model — when, from which tier, on
 * which port, how long it took to become ready and how long it ran. Ranks
 * and the admission policy are computed from these rows.
 *
 * @module
 */

import type { UseRow } from "../core/records.ts";
import type { Sql } from "./sql.ts";

/** A new use to record. */
export interface NewUse {
  /** The model's id. */
  modelId: string;
  /** When the load started (unix seconds). */
  at: number;
  /** The tier it loaded from. */
  tier?: string;
  /** The port it served on. */
  port?: number;
  /** Seconds from spawn to ready. */
  readySeconds?: number;
  /** How long it ran (seconds). */
  duration?: number;
}

/**
 * Records and reads the uses of models.
 *
 * @example Recording a use and its duration
 * ```ts
 * import assert from "node:assert/strict";
 * import { DatabaseSync } from "node:sqlite";
 * import { migrateSchema } from "./schema.ts";
 * import { Sql } from "./sql.ts";
 * import { UseTable } from "./uses.ts";
 * const sql = new Sql(new DatabaseSync(":memory:"));
 * migrateSchema(sql, ":memory:");
 * const uses = new UseTable(sql);
 * const id = uses.recordUse({ modelId: "gemma", at: 1000, tier: "hdd" });
 * uses.finishUse(id, { duration: 60 });
 * assert(uses.uses("gemma")[0]?.duration === 60);
 * sql.db.close();
 * ```
 */
export class UseTable {
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
   * Records one load of a model.
   *
   * @param use What was loaded, when and how.
   * @returns The new row's id.
   */
  recordUse(use: NewUse): number {
    return this.sql.run(
      "INSERT INTO uses (model_id, at, duration, port, tier, ready_seconds) VALUES (?, ?, ?, ?, ?, ?)",
      use.modelId,
      use.at,
      use.duration ?? null,
      use.port ?? null,
      use.tier ?? null,
      use.readySeconds ?? null,
    ).lastInsertRowid;
  }

  /**
   * Sets the duration (and optionally time-to-ready) of a recorded use.
   *
   * @param id The use's row id.
   * @param fields What became known.
   */
  finishUse(id: number, fields: { duration?: number; readySeconds?: number }): void {
    if (fields.duration !== undefined) {
      this.sql.run("UPDATE uses SET duration = ? WHERE id = ?", fields.duration, id);
    }
    if (fields.readySeconds !== undefined) {
      this.sql.run("UPDATE uses SET ready_seconds = ? WHERE id = ?", fields.readySeconds, id);
    }
  }

  /**
   * The uses of one model (or of all models), oldest first.
   *
   * @param modelId The model; omit for every use.
   * @returns The rows.
   */
  uses(modelId?: string): UseRow[] {
    return modelId === undefined
      ? this.sql.all<UseRow>("SELECT * FROM uses ORDER BY at, id")
      : this.sql.all<UseRow>("SELECT * FROM uses WHERE model_id = ? ORDER BY at, id", modelId);
  }
}

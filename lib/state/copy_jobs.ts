/**
 * The `copy_jobs` table: background and foreground copies to the SSD —
 * queued, copying (with progress), done or failed — for `--status`, `-l` and
 * the copier.
 *
 * @module
 */

import type { SQLInputValue } from "node:sqlite";
import type { CopyJobRow } from "../core/records.ts";
import type { Sql } from "./sql.ts";

/**
 * Queues, updates and lists copy jobs.
 *
 * @example A job from queued to copying
 * ```ts
 * import assert from "node:assert/strict";
 * import { DatabaseSync } from "node:sqlite";
 * import { migrateSchema } from "./schema.ts";
 * import { Sql } from "./sql.ts";
 * import { CopyJobTable } from "./copy_jobs.ts";
 * const sql = new Sql(new DatabaseSync(":memory:"));
 * migrateSchema(sql, ":memory:");
 * const jobs = new CopyJobTable(sql);
 * const id = jobs.addCopyJob("gemma", 100, 10);
 * jobs.updateCopyJob(id, { state: "copying", bytes_done: 50, now: 11 });
 * assert(jobs.copyJobs(["copying"])[0]?.bytes_done === 50);
 * sql.db.close();
 * ```
 */
export class CopyJobTable {
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
   * Queues a copy job.
   *
   * @param modelId The model to copy.
   * @param bytesTotal Its size.
   * @param now The time (unix seconds).
   * @returns The job's id.
   */
  addCopyJob(modelId: string, bytesTotal: number, now: number): number {
    return this.sql.run(
      "INSERT INTO copy_jobs (model_id, state, bytes_total, created_at, updated_at) VALUES (?, 'queued', ?, ?, ?)",
      modelId,
      bytesTotal,
      now,
      now,
    ).lastInsertRowid;
  }

  /**
   * Updates a copy job.
   *
   * @param id The job.
   * @param fields What changed.
   */
  updateCopyJob(
    id: number,
    fields: Partial<Pick<CopyJobRow, "state" | "bytes_done" | "pid" | "message">> & { now: number },
  ): void {
    const sets: string[] = ["updated_at = ?"];
    const params: SQLInputValue[] = [fields.now];
    for (const k of ["state", "bytes_done", "pid", "message"] as const) {
      if (fields[k] !== undefined) {
        sets.push(`${k} = ?`);
        params.push(fields[k] as SQLInputValue);
      }
    }
    params.push(id);
    this.sql.run(`UPDATE copy_jobs SET ${sets.join(", ")} WHERE id = ?`, ...params);
  }

  /**
   * Copy jobs, newest first.
   *
   * @param states Only jobs in these states; omit for all.
   * @returns The rows.
   */
  copyJobs(states?: readonly CopyJobRow["state"][]): CopyJobRow[] {
    const rows = this.sql.all<CopyJobRow>("SELECT * FROM copy_jobs ORDER BY id DESC");
    return states ? rows.filter((r) => states.includes(r.state)) : rows;
  }
}

/**
 * The `copy_jobs` table: background and foreground copies to the SSD —
 * queued, copying (with progress), done or failed — for `--status`, `-l` and
 * the copier. A job is owned from the moment it exists: its row is written
 * with the owner's pid and start time in the same statement, so a dead owner
 * is seen at once (`reapStaleJobs` in `lib/cache/copy_jobs.ts`).
 *
 * @module
 */

import type { CopyJobRow, ProcessOwner } from "../core/records.ts";
import { progressSets, type Sql } from "./sql.ts";

/** A copy job to queue. */
export interface NewCopyJob {
  /** The model to copy. */
  modelId: string;
  /** Its size in bytes. */
  bytesTotal: number;
  /** The time (unix seconds). */
  now: number;
  /** The process that owns the job from now on. */
  owner: ProcessOwner;
}

/** What {@linkcode CopyJobTable.updateCopyJob} may change. */
export type CopyJobUpdate = Partial<Pick<CopyJobRow, "state" | "bytes_done" | "message">> & {
  /** Hands the job to another process. */
  owner?: ProcessOwner;
  /** The time (unix seconds). */
  now: number;
};

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
 * const id = jobs.addCopyJob({ modelId: "gemma", bytesTotal: 100, now: 10, owner: { pid: 42, startTime: 7 } });
 * jobs.updateCopyJob(id, { state: "copying", bytes_done: 50, now: 11 });
 * const [job] = jobs.copyJobs(["copying"]);
 * assert(job?.bytes_done === 50 && job.pid === 42 && job.owner_start === "7");
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
   * Queues a copy job, owned by `job.owner` from this very statement on.
   *
   * @param job The model, its size, the time and the owning process.
   * @returns The job's id.
   */
  addCopyJob(job: NewCopyJob): number {
    return this.sql.run(
      "INSERT INTO copy_jobs (model_id, state, bytes_total, pid, owner_start, created_at, updated_at) VALUES (?, 'queued', ?, ?, ?, ?, ?)",
      job.modelId,
      job.bytesTotal,
      job.owner.pid,
      String(job.owner.startTime),
      job.now,
      job.now,
    ).lastInsertRowid;
  }

  /**
   * Updates a copy job; `owner` hands it to another process.
   *
   * @param id The job.
   * @param fields What changed.
   */
  updateCopyJob(id: number, fields: CopyJobUpdate): void {
    const { sets, params } = progressSets(fields.now, fields);
    if (fields.owner !== undefined) {
      sets.push("pid = ?", "owner_start = ?");
      params.push(fields.owner.pid, String(fields.owner.startTime));
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

/**
 * The `downloads` table: one row per file a `--pull` (or the API's
 * `POST /api/models {hf_path}`) downloads from the Hugging Face hub, for
 * `--status` in another terminal. A row is owned from the moment it exists,
 * as a copy job is: it is written with its owner's pid and start time in the
 * same statement, so a `kill -9`ed download reads as interrupted at once.
 *
 * @module
 */

import type { DownloadRow, ProcessOwner } from "../core/records.ts";
import { progressSets, type Sql } from "./sql.ts";

/**
 * Done rows older than this are removed when a new download starts. Failed
 * rows stay (`--status` shows them a day): their temp file may be kept, and
 * `--cleanup` removes both after `cleanup.partial_days`.
 */
export const FINISHED_DOWNLOAD_SECONDS = 86400;

/** A file about to be downloaded. */
export type NewDownload =
  & Pick<
    DownloadRow,
    | "repo"
    | "revision"
    | "commit_id"
    | "label"
    | "repo_path"
    | "tier"
    | "target_path"
    | "bytes_start"
    | "bytes_total"
  >
  & Partial<Pick<DownloadRow, "content_hash">>
  & {
    /** The `llama-pack` arguments that pull the same files again. */
    pullArgs: readonly string[];
    /** The process that owns the row from now on. */
    owner: ProcessOwner;
    /** The time (unix seconds). */
    now: number;
  };

/** What {@linkcode DownloadTable.update} may change. */
export type DownloadUpdate = Partial<Pick<DownloadRow, "state" | "bytes_done" | "message">> & {
  /** The time (unix seconds). */
  now: number;
};

/**
 * Starts, updates and lists download rows.
 *
 * @example A file from downloading to done
 * ```ts
 * import assert from "node:assert/strict";
 * import { DatabaseSync } from "node:sqlite";
 * import { migrateSchema } from "./schema.ts";
 * import { Sql } from "./sql.ts";
 * import { DownloadTable } from "./downloads.ts";
 * const sql = new Sql(new DatabaseSync(":memory:"));
 * migrateSchema(sql, ":memory:");
 * const downloads = new DownloadTable(sql);
 * const id = downloads.start({ repo: "o/m", revision: "main", commit_id: "c", label: "o/m:Q4_K_M",
 *   repo_path: "m-Q4_K_M.gguf", tier: "hdd", target_path: "/hdd/o/m/m-Q4_K_M.gguf",
 *   bytes_start: 0, bytes_total: 100, pullArgs: ["--pull", "o/m:Q4_K_M"],
 *   owner: { pid: 42, startTime: 7 }, now: 10 });
 * downloads.update(id, { bytes_done: 50, now: 11 });
 * assert(downloads.all(["downloading"])[0]?.bytes_done === 50);
 * downloads.update(id, { state: "done", bytes_done: 100, now: 12 });
 * assert(downloads.all(["downloading"]).length === 0 && downloads.all()[0]?.owner_start === "7");
 * sql.db.close();
 * ```
 */
export class DownloadTable {
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
   * Records a file as downloading, owned by `row.owner` from this very
   * statement on, in one transaction with the removal of the earlier rows of
   * the same final path (the caller holds that file's download lock, so none
   * of them is live) and of done rows older than
   * {@linkcode FINISHED_DOWNLOAD_SECONDS}.
   *
   * @param row The file, where it goes, its size, the owner and the time.
   * @returns The row's id.
   */
  start(row: NewDownload): number {
    return this.#sql.tx(() => {
      this.#sql.run(
        "DELETE FROM downloads WHERE target_path = ? OR (state = 'done' AND updated_at < ?)",
        row.target_path,
        row.now - FINISHED_DOWNLOAD_SECONDS,
      );
      return this.#sql.run(
        `INSERT INTO downloads (repo, revision, commit_id, label, repo_path, tier, target_path,
          state, bytes_start, bytes_done, bytes_total, pid, owner_start, started_at, updated_at,
          pull_args, content_hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, 'downloading', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        row.repo,
        row.revision,
        row.commit_id,
        row.label,
        row.repo_path,
        row.tier,
        row.target_path,
        row.bytes_start,
        row.bytes_start,
        row.bytes_total,
        row.owner.pid,
        String(row.owner.startTime),
        row.now,
        row.now,
        JSON.stringify(row.pullArgs),
        row.content_hash ?? null,
      ).lastInsertRowid;
    });
  }

  /**
   * Updates a row: progress, or how it ended.
   *
   * @param id The row.
   * @param fields What changed.
   */
  update(id: number, fields: DownloadUpdate): void {
    const { sets, params } = progressSets(fields.now, fields);
    params.push(id);
    this.#sql.run(`UPDATE downloads SET ${sets.join(", ")} WHERE id = ?`, ...params);
  }

  /**
   * Download rows, oldest first.
   *
   * @param states Only rows in these states; omit for all.
   * @returns The rows.
   */
  all(states?: readonly DownloadRow["state"][]): DownloadRow[] {
    const rows = this.#sql.all<DownloadRow>("SELECT * FROM downloads ORDER BY id");
    return states ? rows.filter((r) => states.includes(r.state)) : rows;
  }

  /**
   * One row.
   *
   * @param id The row.
   * @returns It, or `undefined` when there is none.
   */
  get(id: number): DownloadRow | undefined {
    return this.#sql.get<DownloadRow>("SELECT * FROM downloads WHERE id = ?", id);
  }

  /**
   * Removes rows (`--cleanup`, once their temp file is gone).
   *
   * @param ids The rows.
   */
  remove(ids: readonly number[]): void {
    this.#sql.tx(() => {
      for (const id of ids) this.#sql.run("DELETE FROM downloads WHERE id = ?", id);
    });
  }
}

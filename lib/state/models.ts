/**
 * The `models` and `files` tables: every model llama-pack knows (including
 * ones whose files are gone, for their history), its per-model settings
 * (stored args, pin, no-cache) and its files on each tier. A scan writes
 * them through `applyScan` (`apply_scan.ts`); copies and evictions add and
 * remove single file rows here.
 *
 * @module
 */

import type { FileRow, ModelRow } from "../core/records.ts";
import type { Sql } from "./sql.ts";

/**
 * Reads and writes models, their settings and their files.
 *
 * @example Storing args and a file of a model
 * ```ts
 * import assert from "node:assert/strict";
 * import { DatabaseSync } from "node:sqlite";
 * import { migrateSchema } from "./schema.ts";
 * import { Sql } from "./sql.ts";
 * import { ModelTable } from "./models.ts";
 * const sql = new Sql(new DatabaseSync(":memory:"));
 * migrateSchema(sql, ":memory:");
 * const models = new ModelTable(sql);
 * models.setStoredArgs("gemma", ["-c", "8192"]);
 * models.addFile({ path: "/h/gemma.gguf", model_id: "gemma", tier: "hdd", root: "/h", rel: "gemma.gguf", role: "model", size: 10, mtime: 1 });
 * assert.deepEqual(models.storedArgs("gemma"), ["-c", "8192"]);
 * assert(models.files("gemma").length === 1);
 * sql.db.close();
 * ```
 */
export class ModelTable {
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
   * All model rows.
   *
   * @returns Every known model, including ones whose files are gone.
   */
  models(): ModelRow[] {
    return this.sql.all<ModelRow>("SELECT * FROM models ORDER BY id");
  }

  /**
   * One model row.
   *
   * @param id The model's id.
   * @returns The row, if known.
   */
  model(id: string): ModelRow | undefined {
    return this.sql.get<ModelRow>("SELECT * FROM models WHERE id = ?", id);
  }

  /**
   * All file rows (of one model, or of all).
   *
   * @param modelId The model; omit for all files.
   * @returns The rows.
   */
  files(modelId?: string): FileRow[] {
    return modelId === undefined
      ? this.sql.all<FileRow>("SELECT * FROM files ORDER BY path")
      : this.sql.all<FileRow>("SELECT * FROM files WHERE model_id = ? ORDER BY path", modelId);
  }

  /**
   * Records one file of a model outside a scan (an SSD copy just made), or
   * replaces the row with the same path and model.
   *
   * @param row The file.
   */
  addFile(row: FileRow): void {
    this.sql.run(
      "INSERT OR REPLACE INTO files (path, model_id, tier, root, rel, role, size, mtime) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      row.path,
      row.model_id,
      row.tier,
      row.root,
      row.rel,
      row.role,
      row.size,
      row.mtime,
    );
  }

  /**
   * Forgets one file of a model outside a scan (an SSD copy just deleted).
   *
   * @param path The file's path.
   * @param modelId The model it belongs to.
   */
  removeFile(path: string, modelId: string): void {
    this.sql.run("DELETE FROM files WHERE path = ? AND model_id = ?", path, modelId);
  }

  /**
   * Stores the args a model always runs with (`--store`); an empty list clears them.
   *
   * @param modelId The model.
   * @param args The args, or `[]` to clear.
   */
  setStoredArgs(modelId: string, args: readonly string[]): void {
    this.#ensureModel(modelId);
    this.sql.run(
      "UPDATE models SET stored_args = ? WHERE id = ?",
      args.length ? JSON.stringify(args) : null,
      modelId,
    );
  }

  /**
   * The stored args of a model.
   *
   * @param modelId The model.
   * @returns The args, `[]` when none are stored.
   */
  storedArgs(modelId: string): string[] {
    const row = this.sql.get<{ stored_args: string | null }>(
      "SELECT stored_args FROM models WHERE id = ?",
      modelId,
    );
    return row?.stored_args ? JSON.parse(row.stored_args) as string[] : [];
  }

  /**
   * Sets a model's pin (never evict) or no-cache (never promote) flag.
   *
   * @param modelId The model.
   * @param flag Which flag.
   * @param value On or off.
   */
  setFlag(modelId: string, flag: "pinned" | "no_cache", value: boolean): void {
    this.#ensureModel(modelId);
    this.sql.run(`UPDATE models SET ${flag} = ? WHERE id = ?`, value ? 1 : 0, modelId);
  }

  #ensureModel(modelId: string): void {
    this.sql.run(
      "INSERT OR IGNORE INTO models (id, name, first_seen, last_seen) VALUES (?, ?, ?, ?)",
      modelId,
      modelId,
      Date.now() / 1000,
      Date.now() / 1000,
    );
  }

  /**
   * Moves the history of a model to a new id (a renamed or moved file).
   *
   * @param from The old id.
   * @param to The new id.
   */
  renameModel(from: string, to: string): void {
    this.sql.tx(() => {
      this.sql.run("UPDATE uses SET model_id = ? WHERE model_id = ?", to, from);
      this.sql.run("UPDATE OR REPLACE ssd_units SET model_id = ? WHERE model_id = ?", to, from);
      this.sql.run("UPDATE copy_jobs SET model_id = ? WHERE model_id = ?", to, from);
      const old = this.sql.get<
        { pinned: number; no_cache: number; stored_args: string | null; first_seen: number }
      >(
        "SELECT pinned, no_cache, stored_args, first_seen FROM models WHERE id = ?",
        from,
      );
      if (old) {
        this.sql.run(
          "UPDATE models SET pinned = max(pinned, ?), no_cache = max(no_cache, ?), stored_args = coalesce(stored_args, ?), first_seen = min(first_seen, ?) WHERE id = ?",
          old.pinned,
          old.no_cache,
          old.stored_args,
          old.first_seen,
          to,
        );
        this.sql.run("DELETE FROM models WHERE id = ?", from);
      }
    });
  }
}

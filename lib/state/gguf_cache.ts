/**
 * The `gguf_cache` table: each GGUF file's header metadata, keyed by path and
 * valid only for the same size and mtime, so a rescan reads only new or
 * changed files.
 *
 * @module
 */

import type { Sql } from "./sql.ts";

/**
 * Reads and writes cached GGUF header metadata.
 *
 * @example Caching a header
 * ```ts
 * import assert from "node:assert/strict";
 * import { DatabaseSync } from "node:sqlite";
 * import { migrateSchema } from "./schema.ts";
 * import { Sql } from "./sql.ts";
 * import { GgufCacheTable } from "./gguf_cache.ts";
 * const sql = new Sql(new DatabaseSync(":memory:"));
 * migrateSchema(sql, ":memory:");
 * const cache = new GgufCacheTable(sql);
 * cache.ggufCacheSet("/a.gguf", 10, 1.5, { arch: "llama" });
 * assert.deepEqual(cache.ggufCacheGet("/a.gguf", 10, 1.5), { arch: "llama" });
 * assert(cache.ggufCacheGet("/a.gguf", 11, 1.5) === undefined);
 * sql.db.close();
 * ```
 */
export class GgufCacheTable {
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
   * Every `gguf_cache` row, for a scan to look headers up in memory.
   *
   * @returns Path, size, mtime and the stored JSON text of each row.
   */
  ggufCacheRows(): { path: string; size: number; mtime: number; info: string }[] {
    return this.sql.all("SELECT path, size, mtime, info FROM gguf_cache");
  }

  /**
   * Cached metadata of a file, valid only for the same size and mtime.
   *
   * @param path The file.
   * @param size Its current size.
   * @param mtime Its current mtime (unix seconds).
   * @returns The cached JSON value, or `undefined`.
   */
  ggufCacheGet(path: string, size: number, mtime: number): unknown {
    const row = this.sql.get<{ info: string }>(
      "SELECT info FROM gguf_cache WHERE path = ? AND size = ? AND mtime = ?",
      path,
      size,
      mtime,
    );
    return row ? JSON.parse(row.info) : undefined;
  }

  /**
   * Caches metadata of a file.
   *
   * @param path The file.
   * @param size Its size.
   * @param mtime Its mtime (unix seconds).
   * @param info Any JSON value.
   */
  ggufCacheSet(path: string, size: number, mtime: number, info: unknown): void {
    this.sql.run(
      "INSERT OR REPLACE INTO gguf_cache (path, size, mtime, info) VALUES (?, ?, ?, ?)",
      path,
      size,
      mtime,
      JSON.stringify(info),
    );
  }
}

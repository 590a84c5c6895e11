/**
 * The state store: one SQLite database (through `node:sqlite`) in the state
 * directory that remembers models and their files, every use, stored args,
 * running servers and copy jobs. All access goes through
 * {@linkcode StateStore}; read-modify-write runs in `BEGIN IMMEDIATE`
 * transactions so concurrent llama-pack processes never lose an update.
 *
 * The store is a thin front over one module per table: `uses.ts`,
 * `models.ts` (models, settings and files), `apply_scan.ts`, `servers.ts`,
 * `gguf_cache.ts`, `serves.ts`, `downloads.ts`, and (through `cache_records.ts`, which it extends)
 * `ssd_units.ts` and `copy_jobs.ts`; the schema and its migrations are in
 * `schema.ts`, statements and transactions in `sql.ts`.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { isNoSpaceError, LlamaPackError } from "../errors.ts";
import { stateError } from "./sql_errors.ts";
import type { FileRow, ModelRow, ScannedModelRecord, ServerRow, UseRow } from "../core/records.ts";
import { migrateSchema } from "./schema.ts";
import { Sql } from "./sql.ts";
import { type NewUse, UseTable } from "./uses.ts";
import { ModelTable } from "./models.ts";
import { applyScan, type ApplyScanOptions, type ApplyScanResult } from "./apply_scan.ts";
import { ServerTable } from "./servers.ts";
import { CacheRecords } from "./cache_records.ts";
import { GgufCacheTable } from "./gguf_cache.ts";
import { ServeTable } from "./serves.ts";
import { DownloadTable } from "./downloads.ts";

export type * from "../core/records.ts";
export { SCHEMA_VERSION } from "./schema.ts";
export type { NewUse } from "./uses.ts";
export type { CopyJobUpdate, NewCopyJob } from "./copy_jobs.ts";
export type { DownloadUpdate, NewDownload } from "./downloads.ts";
export { CacheRecords } from "./cache_records.ts";
export type { ApplyScanOptions, ApplyScanResult } from "./apply_scan.ts";

/** Options of {@linkcode StateStore.open}. */
export interface StateStoreOptions {
  /** Milliseconds to wait for another process's lock. @default 10000 */
  busyTimeoutMs?: number;
}

/**
 * The one gateway to llama-pack's SQLite state. Needs `--allow-read
 * --allow-write` on the state directory.
 *
 * @example Recording and reading uses
 * ```ts
 * import assert from "node:assert/strict";
 * import { StateStore } from "./store.ts";
 * const dir = await Deno.makeTempDir();
 * const store = StateStore.open(dir);
 * store.recordUse({ modelId: "gemma", at: 1000, tier: "hdd" });
 * assert(store.uses("gemma").length === 1);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class StateStore extends CacheRecords {
  /** The underlying database; prefer the methods. */
  readonly db: DatabaseSync;
  /** The state directory. */
  readonly dir: string;
  /** The running `llama-pack --serve` processes. */
  readonly serves: ServeTable;
  /** The files being downloaded from the Hugging Face hub (`--pull`). */
  readonly downloads: DownloadTable;
  readonly #sql: Sql;
  readonly #uses: UseTable;
  readonly #models: ModelTable;
  readonly #servers: ServerTable;
  readonly #ggufCache: GgufCacheTable;

  /** Use {@linkcode StateStore.open}. */
  private constructor(db: DatabaseSync, dir: string, path: string) {
    const sql = new Sql(db, path);
    super(sql);
    this.db = db;
    this.dir = dir;
    this.#sql = sql;
    this.#uses = new UseTable(this.#sql);
    this.#models = new ModelTable(this.#sql);
    this.#servers = new ServerTable(this.#sql);
    this.#ggufCache = new GgufCacheTable(this.#sql);
    this.serves = new ServeTable(this.#sql);
    this.downloads = new DownloadTable(this.#sql);
  }

  /**
   * Opens (creating if needed) the database `state.db` in `dir`, sets WAL and
   * the busy timeout, and applies pending migrations.
   *
   * @param dir The state directory; created if missing.
   * @param options Busy timeout.
   * @returns The open store.
   * @throws {LlamaPackError} `STATE` when the database cannot be opened or is newer than this
   *   build; `DISK_FULL` when its disk is full.
   */
  static open(dir: string, options: StateStoreOptions = {}): StateStore {
    const path = join(dir, "state.db");
    let db: DatabaseSync;
    try {
      mkdirSync(dir, { recursive: true });
      db = new DatabaseSync(path);
    } catch (cause) {
      if (isNoSpaceError(cause)) throw stateError(cause, path, "create");
      throw new LlamaPackError(
        "STATE",
        `cannot open state database in '${dir}': ${(cause as Error).message}`,
        { cause },
      );
    }
    try {
      db.exec(`PRAGMA busy_timeout = ${Math.floor(options.busyTimeoutMs ?? 10000)}`);
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = NORMAL");
      db.exec("PRAGMA foreign_keys = ON");
    } catch (cause) {
      db.close();
      throw stateError(cause, path, "open");
    }
    const store = new StateStore(db, dir, path);
    try {
      migrateSchema(store.#sql, dir);
    } catch (err) {
      db.close();
      throw err;
    }
    return store;
  }

  /**
   * Runs `fn` in a `BEGIN IMMEDIATE` transaction (the write lock is taken up
   * front, so read-modify-write cannot interleave with another process).
   * Nested calls join the outer transaction.
   *
   * @param fn The work; its result is returned.
   * @returns What `fn` returned.
   */
  tx<T>(fn: () => T): T {
    return this.#sql.tx(fn);
  }

  /** Closes the database. */
  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  /**
   * Records one load of a model.
   *
   * @param use What was loaded, when and how.
   * @returns The new row's id.
   */
  recordUse(use: NewUse): number {
    return this.#uses.recordUse(use);
  }

  /**
   * Sets the duration (and optionally time-to-ready) of a recorded use.
   *
   * @param id The use's row id.
   * @param fields What became known.
   */
  finishUse(id: number, fields: { duration?: number; readySeconds?: number }): void {
    this.#uses.finishUse(id, fields);
  }

  /**
   * The uses of one model (or of all models), oldest first.
   *
   * @param modelId The model; omit for every use.
   * @returns The rows.
   */
  uses(modelId?: string): UseRow[] {
    return this.#uses.uses(modelId);
  }

  /**
   * All model rows.
   *
   * @returns Every known model, including ones whose files are gone.
   */
  models(): ModelRow[] {
    return this.#models.models();
  }

  /**
   * One model row.
   *
   * @param id The model's id.
   * @returns The row, if known.
   */
  model(id: string): ModelRow | undefined {
    return this.#models.model(id);
  }

  /**
   * All file rows (of one model, or of all).
   *
   * @param modelId The model; omit for all files.
   * @returns The rows.
   */
  files(modelId?: string): FileRow[] {
    return this.#models.files(modelId);
  }

  /**
   * Records one file of a model outside a scan (an SSD copy just made), or
   * replaces the row with the same path and model.
   *
   * @param row The file.
   */
  addFile(row: FileRow): void {
    this.#models.addFile(row);
  }

  /**
   * Forgets one file of a model outside a scan (an SSD copy just deleted).
   *
   * @param path The file's path.
   * @param modelId The model it belongs to.
   */
  removeFile(path: string, modelId: string): void {
    this.#models.removeFile(path, modelId);
  }

  /**
   * Stores the args a model always runs with (`--store`); an empty list clears them.
   *
   * @param modelId The model.
   * @param args The args, or `[]` to clear.
   */
  setStoredArgs(modelId: string, args: readonly string[]): void {
    this.#models.setStoredArgs(modelId, args);
  }

  /**
   * The stored args of a model.
   *
   * @param modelId The model.
   * @returns The args, `[]` when none are stored.
   */
  storedArgs(modelId: string): string[] {
    return this.#models.storedArgs(modelId);
  }

  /**
   * Sets a model's pin (never evict) or no-cache (never promote) flag.
   *
   * @param modelId The model.
   * @param flag Which flag.
   * @param value On or off.
   */
  setFlag(modelId: string, flag: "pinned" | "no_cache", value: boolean): void {
    this.#models.setFlag(modelId, flag, value);
  }

  /**
   * Moves the history of a model to a new id (a renamed or moved file).
   *
   * @param from The old id.
   * @param to The new id.
   */
  renameModel(from: string, to: string): void {
    this.#models.renameModel(from, to);
  }

  /**
   * Writes one scan's result (see {@linkcode applyScan}): upserts every model
   * found, moves renamed models' history, replaces the file rows, and marks
   * models whose files vanished as gone (or deletes them and their history
   * with `prune`), keeping file rows under `keepPrefixes`.
   *
   * @param models The models found, with their files.
   * @param options Clock, renames, prefixes to keep, and whether to prune.
   * @returns Ids added, renamed, newly gone and pruned.
   */
  applyScan(models: readonly ScannedModelRecord[], options: ApplyScanOptions): ApplyScanResult {
    return applyScan(this.#models, models, options);
  }

  /**
   * Records a server llama-pack started (replacing any row for the same host and port).
   *
   * @param row The server.
   */
  addServer(row: ServerRow): void {
    this.#servers.addServer(row);
  }

  /**
   * The recorded servers.
   *
   * @returns Every row, by port.
   */
  servers(): ServerRow[] {
    return this.#servers.servers();
  }

  /**
   * Forgets a server.
   *
   * @param host Its host.
   * @param port Its port.
   */
  removeServer(host: string, port: number): void {
    this.#servers.removeServer(host, port);
  }

  /**
   * Every `gguf_cache` row, for a scan to look headers up in memory.
   *
   * @returns Path, size, mtime and the stored JSON text of each row.
   */
  ggufCacheRows(): { path: string; size: number; mtime: number; info: string }[] {
    return this.#ggufCache.ggufCacheRows();
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
    return this.#ggufCache.ggufCacheGet(path, size, mtime);
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
    this.#ggufCache.ggufCacheSet(path, size, mtime, info);
  }
}

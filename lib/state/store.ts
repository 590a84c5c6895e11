/**
 * The state store: one SQLite database (through `node:sqlite`) in the state
 * directory that remembers models and their files, every use, stored args,
 * running servers and copy jobs. All access goes through
 * {@linkcode StateStore}; read-modify-write runs in `BEGIN IMMEDIATE`
 * transactions so concurrent llama-pack processes never lose an update.
 *
 * @module
 */

import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { LlamaPackError } from "../errors.ts";

/** Versioned schema migrations; index + 1 is the schema version. Append only. */
const MIGRATIONS: readonly string[] = [
  // 1: the first schema.
  `
  CREATE TABLE models (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    size INTEGER NOT NULL DEFAULT 0,
    fingerprint TEXT,
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    gone INTEGER NOT NULL DEFAULT 0,
    ssd_only INTEGER NOT NULL DEFAULT 0,
    metadata TEXT,
    pinned INTEGER NOT NULL DEFAULT 0,
    no_cache INTEGER NOT NULL DEFAULT 0,
    stored_args TEXT
  );
  CREATE TABLE files (
    path TEXT NOT NULL,
    model_id TEXT NOT NULL,
    tier TEXT NOT NULL CHECK (tier IN ('ssd', 'hdd')),
    root TEXT NOT NULL,
    rel TEXT NOT NULL,
    role TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime REAL NOT NULL,
    PRIMARY KEY (path, model_id)
  );
  CREATE INDEX files_model ON files(model_id);
  CREATE TABLE uses (
    id INTEGER PRIMARY KEY,
    model_id TEXT NOT NULL,
    at REAL NOT NULL,
    duration REAL,
    port INTEGER,
    tier TEXT,
    ready_seconds REAL
  );
  CREATE INDEX uses_model ON uses(model_id, at);
  CREATE TABLE servers (
    host TEXT NOT NULL,
    port INTEGER NOT NULL,
    pid INTEGER NOT NULL,
    start_time TEXT NOT NULL,
    cmdline TEXT NOT NULL,
    model_id TEXT NOT NULL,
    model_path TEXT NOT NULL,
    tier TEXT NOT NULL,
    log_path TEXT NOT NULL,
    started_at REAL NOT NULL,
    use_id INTEGER,
    PRIMARY KEY (host, port)
  );
  CREATE TABLE ssd_copies (
    ssd_path TEXT PRIMARY KEY,
    model_id TEXT NOT NULL,
    hdd_path TEXT NOT NULL,
    size INTEGER NOT NULL,
    hash TEXT NOT NULL,
    verified_at REAL NOT NULL
  );
  CREATE TABLE copy_jobs (
    id INTEGER PRIMARY KEY,
    model_id TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'copying', 'done', 'failed')),
    bytes_done INTEGER NOT NULL DEFAULT 0,
    bytes_total INTEGER NOT NULL DEFAULT 0,
    pid INTEGER,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    message TEXT
  );
  CREATE TABLE gguf_cache (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime REAL NOT NULL,
    info TEXT NOT NULL
  );
  `,
];

/** The schema version this build writes. */
export const SCHEMA_VERSION: number = MIGRATIONS.length;

/** One recorded load of a model. */
export interface UseRow {
  /** Row id. */
  id: number;
  /** The model's id. */
  model_id: string;
  /** When the load started (unix seconds). */
  at: number;
  /** How long the server ran (seconds), when known. */
  duration: number | null;
  /** The port it served on. */
  port: number | null;
  /** The tier it loaded from (`ssd` or `hdd`). */
  tier: string | null;
  /** Seconds from spawn to ready, when known. */
  ready_seconds: number | null;
}

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

/** A running server that llama-pack started. */
export interface ServerRow {
  /** Host it listens on. */
  host: string;
  /** Port it listens on. */
  port: number;
  /** Process id (also its process group id). */
  pid: number;
  /** Process start time from `/proc/<pid>/stat` (guards against PID reuse). */
  start_time: string;
  /** The command line it was started with (NUL-joined). */
  cmdline: string;
  /** The model it serves. */
  model_id: string;
  /** The model file it was given. */
  model_path: string;
  /** The tier it loaded from. */
  tier: string;
  /** Its log file. */
  log_path: string;
  /** When it was started (unix seconds). */
  started_at: number;
  /** The use row this run recorded. */
  use_id: number | null;
}

/** A verified SSD copy. */
export interface SsdCopyRow {
  /** The copy's path on the SSD. */
  ssd_path: string;
  /** The model it belongs to. */
  model_id: string;
  /** The permanent original it was copied from. */
  hdd_path: string;
  /** Size in bytes. */
  size: number;
  /** Content hash (xxh64 hex) computed while copying. */
  hash: string;
  /** When it was verified (unix seconds). */
  verified_at: number;
}

/** A background or foreground copy job. */
export interface CopyJobRow {
  /** Row id. */
  id: number;
  /** The model being copied. */
  model_id: string;
  /** Where it is. */
  state: "queued" | "copying" | "done" | "failed";
  /** Bytes copied so far. */
  bytes_done: number;
  /** Bytes to copy. */
  bytes_total: number;
  /** The copier's pid. */
  pid: number | null;
  /** When it was queued (unix seconds). */
  created_at: number;
  /** Last progress update (unix seconds). */
  updated_at: number;
  /** Why it failed, or what it did. */
  message: string | null;
}

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
export class StateStore {
  /** The underlying database; prefer the methods. */
  readonly db: DatabaseSync;
  /** The state directory. */
  readonly dir: string;

  /** Use {@linkcode StateStore.open}. */
  private constructor(db: DatabaseSync, dir: string) {
    this.db = db;
    this.dir = dir;
  }

  /**
   * Opens (creating if needed) the database `state.db` in `dir`, sets WAL and
   * the busy timeout, and applies pending migrations.
   *
   * @param dir The state directory; created if missing.
   * @param options Busy timeout.
   * @returns The open store.
   * @throws {LlamaPackError} `STATE` when the database cannot be opened or is newer than this build.
   */
  static open(dir: string, options: StateStoreOptions = {}): StateStore {
    let db: DatabaseSync;
    try {
      mkdirSync(dir, { recursive: true });
      db = new DatabaseSync(join(dir, "state.db"));
      db.exec(`PRAGMA busy_timeout = ${Math.floor(options.busyTimeoutMs ?? 10000)}`);
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = NORMAL");
      db.exec("PRAGMA foreign_keys = ON");
    } catch (cause) {
      throw new LlamaPackError(
        "STATE",
        `cannot open state database in '${dir}': ${(cause as Error).message}`,
        { cause },
      );
    }
    const store = new StateStore(db, dir);
    store.#migrate();
    return store;
  }

  #migrate(): void {
    const version = () =>
      Number(
        (this.db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version,
      );
    if (version() > MIGRATIONS.length) {
      throw new LlamaPackError(
        "STATE",
        `state database in '${this.dir}' has schema ${version()}, newer than this llama-pack (${MIGRATIONS.length}): upgrade llama-pack`,
      );
    }
    if (version() === MIGRATIONS.length) return;
    this.tx(() => {
      for (let v = version(); v < MIGRATIONS.length; v++) {
        this.db.exec(MIGRATIONS[v]!);
        this.db.exec(`PRAGMA user_version = ${v + 1}`);
      }
    });
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
    if (this.db.isTransaction) return fn();
    this.db.exec("BEGIN IMMEDIATE");
    try {
      const out = fn();
      this.db.exec("COMMIT");
      return out;
    } catch (err) {
      this.db.exec("ROLLBACK");
      throw err;
    }
  }

  #statements = new Map<string, StatementSync>();

  #prepare(sql: string): StatementSync {
    let st = this.#statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.#statements.set(sql, st);
    }
    return st;
  }

  #all<T>(sql: string, ...params: SQLInputValue[]): T[] {
    return this.#prepare(sql).all(...params) as T[];
  }

  #get<T>(sql: string, ...params: SQLInputValue[]): T | undefined {
    return this.#prepare(sql).get(...params) as T | undefined;
  }

  #run(sql: string, ...params: SQLInputValue[]): { changes: number; lastInsertRowid: number } {
    const r = this.#prepare(sql).run(...params);
    return { changes: Number(r.changes), lastInsertRowid: Number(r.lastInsertRowid) };
  }

  /** Closes the database. */
  close(): void {
    if (this.db.isOpen) this.db.close();
  }

  // ---- uses ----

  /**
   * Records one load of a model.
   *
   * @param use What was loaded, when and how.
   * @returns The new row's id.
   */
  recordUse(use: NewUse): number {
    return this.#run(
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
      this.#run("UPDATE uses SET duration = ? WHERE id = ?", fields.duration, id);
    }
    if (fields.readySeconds !== undefined) {
      this.#run("UPDATE uses SET ready_seconds = ? WHERE id = ?", fields.readySeconds, id);
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
      ? this.#all<UseRow>("SELECT * FROM uses ORDER BY at, id")
      : this.#all<UseRow>("SELECT * FROM uses WHERE model_id = ? ORDER BY at, id", modelId);
  }

  /**
   * Moves the history of a model to a new id (a renamed or moved file).
   *
   * @param from The old id.
   * @param to The new id.
   */
  renameModel(from: string, to: string): void {
    this.tx(() => {
      this.#run("UPDATE uses SET model_id = ? WHERE model_id = ?", to, from);
      this.#run("UPDATE ssd_copies SET model_id = ? WHERE model_id = ?", to, from);
      this.#run("UPDATE copy_jobs SET model_id = ? WHERE model_id = ?", to, from);
      const old = this.#get<
        { pinned: number; no_cache: number; stored_args: string | null; first_seen: number }
      >(
        "SELECT pinned, no_cache, stored_args, first_seen FROM models WHERE id = ?",
        from,
      );
      if (old) {
        this.#run(
          "UPDATE models SET pinned = max(pinned, ?), no_cache = max(no_cache, ?), stored_args = coalesce(stored_args, ?), first_seen = min(first_seen, ?) WHERE id = ?",
          old.pinned,
          old.no_cache,
          old.stored_args,
          old.first_seen,
          to,
        );
        this.#run("DELETE FROM models WHERE id = ?", from);
      }
    });
  }

  // ---- per-model settings ----

  /**
   * Stores the args a model always runs with (`--store`); an empty list clears them.
   *
   * @param modelId The model.
   * @param args The args, or `[]` to clear.
   */
  setStoredArgs(modelId: string, args: readonly string[]): void {
    this.#ensureModel(modelId);
    this.#run(
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
    const row = this.#get<{ stored_args: string | null }>(
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
    this.#run(`UPDATE models SET ${flag} = ? WHERE id = ?`, value ? 1 : 0, modelId);
  }

  #ensureModel(modelId: string): void {
    this.#run(
      "INSERT OR IGNORE INTO models (id, name, first_seen, last_seen) VALUES (?, ?, ?, ?)",
      modelId,
      modelId,
      Date.now() / 1000,
      Date.now() / 1000,
    );
  }

  // ---- models and files ----

  /**
   * All model rows.
   *
   * @returns Every known model, including ones whose files are gone.
   */
  models(): ModelRow[] {
    return this.#all<ModelRow>("SELECT * FROM models ORDER BY id");
  }

  /**
   * One model row.
   *
   * @param id The model's id.
   * @returns The row, if known.
   */
  model(id: string): ModelRow | undefined {
    return this.#get<ModelRow>("SELECT * FROM models WHERE id = ?", id);
  }

  /**
   * All file rows (of one model, or of all).
   *
   * @param modelId The model; omit for all files.
   * @returns The rows.
   */
  files(modelId?: string): FileRow[] {
    return modelId === undefined
      ? this.#all<FileRow>("SELECT * FROM files ORDER BY path")
      : this.#all<FileRow>("SELECT * FROM files WHERE model_id = ? ORDER BY path", modelId);
  }

  // ---- scan results (model library) ----

  /**
   * Writes one scan's result: upserts every model found (new ones get
   * `first_seen = now`), moves renamed models' history, replaces the file
   * rows, and marks models whose files vanished as gone (or deletes them and
   * their history with `prune`). File rows under `keepPrefixes` (directories
   * the scan could not read, e.g. an unmounted HDD) are kept as they were, so
   * their models are not marked gone.
   *
   * @param models The models found, with their files.
   * @param options Clock, renames, prefixes to keep, and whether to prune.
   * @returns Ids added, renamed, newly gone and pruned.
   */
  applyScan(models: readonly ScannedModelRecord[], options: ApplyScanOptions): ApplyScanResult {
    return this.tx(() => {
      // Only changed rows are written, so an unchanged rescan costs one UPDATE.
      const before = new Map(this.models().map((m) => [m.id, m]));
      const added: string[] = [];
      const renameTargets = new Set(Object.values(options.renames));
      const upsert = this.db.prepare(
        `INSERT INTO models (id, name, size, fingerprint, first_seen, last_seen, gone, ssd_only, metadata)
         VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)
         ON CONFLICT(id) DO UPDATE SET name = excluded.name, size = excluded.size,
           fingerprint = excluded.fingerprint, last_seen = excluded.last_seen, gone = 0,
           ssd_only = excluded.ssd_only, metadata = excluded.metadata`,
      );
      for (const m of models) {
        const old = before.get(m.id);
        if (!old && !renameTargets.has(m.id)) added.push(m.id);
        const metadata = JSON.stringify(m.metadata);
        if (
          old && old.name === m.name && old.size === m.size && old.fingerprint === m.fingerprint &&
          old.gone === 0 && old.ssd_only === (m.ssdOnly ? 1 : 0) && old.metadata === metadata
        ) continue;
        upsert.run(
          m.id,
          m.name,
          m.size,
          m.fingerprint,
          options.now,
          options.now,
          m.ssdOnly ? 1 : 0,
          metadata,
        );
      }
      this.#run(
        "UPDATE models SET last_seen = ? WHERE id IN (SELECT value FROM json_each(?))",
        options.now,
        JSON.stringify(models.map((m) => m.id)),
      );
      const renamed: [string, string][] = [];
      for (const [from, to] of Object.entries(options.renames)) {
        if (!before.has(from)) continue;
        this.renameModel(from, to);
        renamed.push([from, to]);
      }
      const keep = options.keepPrefixes.map((p) => (p.endsWith("/") ? p : p + "/"));
      const key = (path: string, modelId: string) => `${path}\0${modelId}`;
      const existing = new Map(this.files().map((f) => [key(f.path, f.model_id), f]));
      const kept = [...existing.values()].filter((f) => keep.some((p) => f.path.startsWith(p)));
      const wanted = new Map<string, FileRow>();
      for (const f of kept) wanted.set(key(f.path, f.model_id), f);
      for (const m of models) {
        for (const f of m.files) wanted.set(key(f.path, m.id), { ...f, model_id: m.id });
      }
      const del = this.db.prepare("DELETE FROM files WHERE path = ? AND model_id = ?");
      for (const [k, f] of existing) if (!wanted.has(k)) del.run(f.path, f.model_id);
      const insert = this.db.prepare(
        "INSERT OR REPLACE INTO files (path, model_id, tier, root, rel, role, size, mtime) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      );
      for (const [k, f] of wanted) {
        const o = existing.get(k);
        if (
          o && o.tier === f.tier && o.root === f.root && o.rel === f.rel && o.role === f.role &&
          o.size === f.size && o.mtime === f.mtime
        ) continue;
        insert.run(f.path, f.model_id, f.tier, f.root, f.rel, f.role, f.size, f.mtime);
      }
      // A model still on an unreadable HDD is not SSD-only.
      this.#run(
        "UPDATE models SET ssd_only = 0 WHERE ssd_only = 1 AND id IN (SELECT model_id FROM files WHERE tier = 'hdd')",
      );
      const found = new Set(models.map((m) => m.id));
      const withFiles = new Set(kept.map((f) => f.model_id));
      const gone: string[] = [];
      for (const m of this.models()) {
        if (found.has(m.id) || withFiles.has(m.id) || m.gone === 1) continue;
        this.#run("UPDATE models SET gone = 1 WHERE id = ?", m.id);
        gone.push(m.id);
      }
      const pruned: string[] = [];
      if (options.prune) {
        for (const m of this.models()) {
          if (m.gone !== 1) continue;
          for (const table of ["uses", "ssd_copies", "copy_jobs"]) {
            this.#run(`DELETE FROM ${table} WHERE model_id = ?`, m.id);
          }
          this.#run("DELETE FROM models WHERE id = ?", m.id);
          pruned.push(m.id);
        }
      }
      return { added, renamed, gone, pruned };
    });
  }

  /**
   * Every `gguf_cache` row, for a scan to look headers up in memory.
   *
   * @returns Path, size, mtime and the stored JSON text of each row.
   */
  ggufCacheRows(): { path: string; size: number; mtime: number; info: string }[] {
    return this.#all("SELECT path, size, mtime, info FROM gguf_cache");
  }

  // ---- servers ----

  /**
   * Records a server llama-pack started (replacing any row for the same host and port).
   *
   * @param row The server.
   */
  addServer(row: ServerRow): void {
    this.#run(
      `INSERT OR REPLACE INTO servers (host, port, pid, start_time, cmdline, model_id, model_path, tier, log_path, started_at, use_id)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
    );
  }

  /**
   * The recorded servers.
   *
   * @returns Every row, by port.
   */
  servers(): ServerRow[] {
    return this.#all<ServerRow>("SELECT * FROM servers ORDER BY port, host");
  }

  /**
   * Forgets a server.
   *
   * @param host Its host.
   * @param port Its port.
   */
  removeServer(host: string, port: number): void {
    this.#run("DELETE FROM servers WHERE host = ? AND port = ?", host, port);
  }

  // ---- SSD copies ----

  /**
   * Marks an SSD copy verified.
   *
   * @param row The copy.
   */
  addSsdCopy(row: SsdCopyRow): void {
    this.#run(
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
      ? this.#all<SsdCopyRow>("SELECT * FROM ssd_copies ORDER BY ssd_path")
      : this.#all<SsdCopyRow>(
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
    this.#run("DELETE FROM ssd_copies WHERE ssd_path = ?", ssdPath);
  }

  /**
   * Records one file of a model outside a scan (an SSD copy just made), or
   * replaces the row with the same path and model.
   *
   * @param row The file.
   */
  addFile(row: FileRow): void {
    this.#run(
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
    this.#run("DELETE FROM files WHERE path = ? AND model_id = ?", path, modelId);
  }

  // ---- copy jobs ----

  /**
   * Queues a copy job.
   *
   * @param modelId The model to copy.
   * @param bytesTotal Its size.
   * @param now The time (unix seconds).
   * @returns The job's id.
   */
  addCopyJob(modelId: string, bytesTotal: number, now: number): number {
    return this.#run(
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
    this.#run(`UPDATE copy_jobs SET ${sets.join(", ")} WHERE id = ?`, ...params);
  }

  /**
   * Copy jobs, newest first.
   *
   * @param states Only jobs in these states; omit for all.
   * @returns The rows.
   */
  copyJobs(states?: readonly CopyJobRow["state"][]): CopyJobRow[] {
    const rows = this.#all<CopyJobRow>("SELECT * FROM copy_jobs ORDER BY id DESC");
    return states ? rows.filter((r) => states.includes(r.state)) : rows;
  }

  // ---- GGUF metadata cache ----

  /**
   * Cached metadata of a file, valid only for the same size and mtime.
   *
   * @param path The file.
   * @param size Its current size.
   * @param mtime Its current mtime (unix seconds).
   * @returns The cached JSON value, or `undefined`.
   */
  ggufCacheGet(path: string, size: number, mtime: number): unknown {
    const row = this.#get<{ info: string }>(
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
    this.#run(
      "INSERT OR REPLACE INTO gguf_cache (path, size, mtime, info) VALUES (?, ?, ?, ?)",
      path,
      size,
      mtime,
      JSON.stringify(info),
    );
  }
}

/** A model row. */
export interface ModelRow {
  /** Stable id. */
  id: string;
  /** Display name. */
  name: string;
  /** Total size of its files (bytes). */
  size: number;
  /** Header fingerprint, for following renames. */
  fingerprint: string | null;
  /** First time a scan saw it (unix seconds). */
  first_seen: number;
  /** Last time a scan saw it (unix seconds). */
  last_seen: number;
  /** 1 when its files are gone (stats only). */
  gone: number;
  /** 1 when it exists only on the SSD. */
  ssd_only: number;
  /** GGUF metadata as JSON. */
  metadata: string | null;
  /** 1 = never evict from the SSD. */
  pinned: number;
  /** 1 = never copy to the SSD. */
  no_cache: number;
  /** Stored server args as JSON. */
  stored_args: string | null;
}

/** A file row. */
export interface FileRow {
  /** Absolute path as found under the root (not resolved: Hugging Face snapshots link to hashed blobs, and shards are found beside the first one by name). */
  path: string;
  /** The model it belongs to. */
  model_id: string;
  /** `ssd` or `hdd`. */
  tier: "ssd" | "hdd";
  /** The configured root it was found under. */
  root: string;
  /** Path relative to the root. */
  rel: string;
  /** `model`, `shard` or `mmproj`. */
  role: string;
  /** Size in bytes. */
  size: number;
  /** Modification time (unix seconds). */
  mtime: number;
}

/** A model found by a scan, as {@linkcode StateStore.applyScan} records it. */
export interface ScannedModelRecord {
  /** Stable id. */
  id: string;
  /** Display name. */
  name: string;
  /** Bytes of one copy (weights and projectors). */
  size: number;
  /** Header fingerprint of the first weight file. */
  fingerprint: string;
  /** Found only on the SSD. */
  ssdOnly: boolean;
  /** GGUF metadata and library facts, stored as JSON. */
  metadata: unknown;
  /** Its files on every tier (`model_id` is filled in). */
  files: Omit<FileRow, "model_id">[];
}

/** Options of {@linkcode StateStore.applyScan}. */
export interface ApplyScanOptions {
  /** The scan's time (unix seconds). */
  now: number;
  /** Old id → new id of renamed or moved models. */
  renames: Readonly<Record<string, string>>;
  /** Directories the scan could not read: their file rows are kept. */
  keepPrefixes: readonly string[];
  /** Delete gone models and their history. */
  prune: boolean;
}

/** What {@linkcode StateStore.applyScan} changed. */
export interface ApplyScanResult {
  /** Ids seen for the first time. */
  added: string[];
  /** `[old, new]` ids moved. */
  renamed: [string, string][];
  /** Ids whose files vanished in this scan. */
  gone: string[];
  /** Ids deleted with their history (`prune`). */
  pruned: string[];
}

/**
 * The state database's schema: the migrations that build it, in order, and
 * the code that applies the pending ones when the store is opened.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import type { Sql } from "./sql.ts";

/**
 * One migration: SQL text, or a function for changes SQL cannot express
 * (run inside the same transaction).
 */
type Migration = string | ((sql: Sql) => void);

/**
 * Migration 3: server (and `--serve`) command lines as JSON arrays. They were stored joined
 * with NUL characters, and `node:sqlite` returns TEXT only up to the first
 * NUL, so the pid-reuse guard compared an empty argument list. The old rows'
 * bytes are read whole as BLOBs and rewritten.
 */
function serverArgvAsJson(sql: Sql): void {
  for (const table of ["servers", "serves"]) {
    const rows = sql.all<{ host: string; port: number; raw: Uint8Array | null }>(
      `SELECT host, port, CAST(cmdline AS BLOB) AS raw FROM ${table}`,
    );
    for (const row of rows) {
      const text = new TextDecoder().decode(row.raw ?? new Uint8Array());
      if (text.startsWith("[")) continue; // already JSON
      const argv = text === "" ? [] : text.split("\0");
      sql.run(
        `UPDATE ${table} SET cmdline = ? WHERE host = ? AND port = ?`,
        JSON.stringify(argv),
        row.host,
        row.port,
      );
    }
  }
}

/** Versioned schema migrations; index + 1 is the schema version. Append only. */
const MIGRATIONS: readonly Migration[] = [
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
  // 2: llama-pack --serve: its own processes, and which servers it owns.
  `
  CREATE TABLE serves (
    host TEXT NOT NULL,
    port INTEGER NOT NULL,
    pid INTEGER NOT NULL,
    start_time TEXT NOT NULL,
    cmdline TEXT NOT NULL,
    started_at REAL NOT NULL,
    PRIMARY KEY (host, port)
  );
  ALTER TABLE servers ADD COLUMN owner_pid INTEGER;
  `,
  // 3: server command lines as JSON (see serverArgvAsJson).
  serverArgvAsJson,
  // 4: a copy job's owner is its pid and that process's start time (pid reuse).
  `ALTER TABLE copy_jobs ADD COLUMN owner_start TEXT;`,
  // 5: SSD copies as units: one row per model copy listing every file, with
  // the sources' identities. Old per-file rows become units: a model whose
  // every HDD file was recorded is a verified unit (without identities, so it
  // is re-verified before it is served again); a partly recorded one becomes
  // an unfinished unit without an owner, cleaned up by the next copy.
  `
  CREATE TABLE ssd_units (
    model_id TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('copying', 'verified', 'evicting')),
    ssd_root TEXT NOT NULL,
    files TEXT NOT NULL,
    owner_pid INTEGER,
    owner_start TEXT,
    verified_at REAL,
    updated_at REAL NOT NULL
  );
  INSERT INTO ssd_units (model_id, state, ssd_root, files, verified_at, updated_at)
  SELECT c.model_id,
    CASE WHEN EXISTS (SELECT 1 FROM files h WHERE h.model_id = c.model_id AND h.tier = 'hdd')
      AND NOT EXISTS (SELECT 1 FROM files h WHERE h.model_id = c.model_id AND h.tier = 'hdd'
        AND h.path NOT IN (SELECT x.hdd_path FROM ssd_copies x WHERE x.model_id = c.model_id))
      THEN 'verified' ELSE 'copying' END,
    coalesce((SELECT s.root FROM files s WHERE s.path = c.ssd_path AND s.tier = 'ssd' LIMIT 1), ''),
    json_group_array(json_object(
      'ssd_path', c.ssd_path,
      'src_path', c.hdd_path,
      'src_root', coalesce((SELECT h.root FROM files h WHERE h.path = c.hdd_path LIMIT 1), ''),
      'rel', coalesce((SELECT h.rel FROM files h WHERE h.path = c.hdd_path LIMIT 1), ''),
      'role', coalesce((SELECT h.role FROM files h WHERE h.path = c.hdd_path LIMIT 1), 'model'),
      'size', c.size,
      'hash', c.hash,
      'src', NULL,
      'ssd', NULL)),
    max(c.verified_at),
    max(c.verified_at)
  FROM ssd_copies c GROUP BY c.model_id;
  DROP TABLE ssd_copies;
  `,
  // 6: downloads from the Hugging Face hub (--pull, POST /api/models {hf_path}),
  // one row per file, owned like copy jobs (pid and start time), for --status.
  `
  CREATE TABLE downloads (
    id INTEGER PRIMARY KEY,
    repo TEXT NOT NULL,
    revision TEXT NOT NULL,
    commit_id TEXT NOT NULL,
    label TEXT NOT NULL,
    repo_path TEXT NOT NULL,
    tier TEXT NOT NULL,
    target_path TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('downloading', 'done', 'failed', 'interrupted')),
    bytes_start INTEGER NOT NULL DEFAULT 0,
    bytes_done INTEGER NOT NULL DEFAULT 0,
    bytes_total INTEGER NOT NULL,
    pid INTEGER NOT NULL,
    owner_start TEXT NOT NULL,
    started_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    pull_args TEXT NOT NULL,
    message TEXT
  );
  CREATE INDEX downloads_target ON downloads(target_path);
  `,
  // 7: the hash a download's hidden temp file is named after (its sha256, or
  // its git blob id), so --cleanup finds exactly that file of an abandoned
  // download; NULL on rows written before.
  `
  ALTER TABLE downloads ADD COLUMN content_hash TEXT;
  `,
];

/** The schema version this build writes. */
export const SCHEMA_VERSION: number = MIGRATIONS.length;

/**
 * Applies the migrations the database has not had yet, in one transaction.
 *
 * @param sql The connection.
 * @param dir The state directory, named in errors.
 * @param target The version to migrate to (tests build old databases with it).
 * @throws {LlamaPackError} `STATE` when the database is newer than this build.
 *
 * @example Migrating a new database
 * ```ts
 * import assert from "node:assert/strict";
 * import { DatabaseSync } from "node:sqlite";
 * import { migrateSchema, SCHEMA_VERSION } from "./schema.ts";
 * import { Sql } from "./sql.ts";
 * const sql = new Sql(new DatabaseSync(":memory:"));
 * migrateSchema(sql, ":memory:");
 * assert(sql.get<{ user_version: number }>("PRAGMA user_version")?.user_version === SCHEMA_VERSION);
 * sql.db.close();
 * ```
 */
export function migrateSchema(sql: Sql, dir: string, target: number = MIGRATIONS.length): void {
  const version = () =>
    Number(sql.get<{ user_version: number }>("PRAGMA user_version")?.user_version ?? 0);
  if (version() > MIGRATIONS.length) {
    throw new LlamaPackError(
      "STATE",
      `state database in '${dir}' has schema ${version()}, newer than this llama-pack (${MIGRATIONS.length}): upgrade llama-pack`,
    );
  }
  const to = Math.min(target, MIGRATIONS.length);
  if (version() >= to) return;
  sql.tx(() => {
    for (let v = version(); v < to; v++) {
      const step = MIGRATIONS[v]!;
      if (typeof step === "string") sql.db.exec(step);
      else step(sql);
      sql.db.exec(`PRAGMA user_version = ${v + 1}`);
    }
  });
}

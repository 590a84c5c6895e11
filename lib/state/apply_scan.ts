/**
 * Writes one scan's result into the `models` and `files` tables: new models,
 * renamed ones (their history follows), changed files, and models whose files
 * vanished (marked gone, or deleted with their history when pruning).
 *
 * @module
 */

import type { FileRow, ScannedModelRecord } from "../core/records.ts";
import type { ModelTable } from "./models.ts";

/** Options of {@linkcode applyScan}. */
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

/** What {@linkcode applyScan} changed. */
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

/**
 * Writes one scan's result: upserts every model found (new ones get
 * `first_seen = now`), moves renamed models' history, replaces the file
 * rows, and marks models whose files vanished as gone (or deletes them and
 * their history with `prune`). File rows under `keepPrefixes` (directories
 * the scan could not read, e.g. an unmounted HDD) are kept as they were, so
 * their models are not marked gone. Runs in one transaction.
 *
 * @param table The models and files.
 * @param models The models found, with their files.
 * @param options Clock, renames, prefixes to keep, and whether to prune.
 * @returns Ids added, renamed, newly gone and pruned.
 *
 * @example A model found, then gone
 * ```ts
 * import assert from "node:assert/strict";
 * import { DatabaseSync } from "node:sqlite";
 * import { migrateSchema } from "./schema.ts";
 * import { Sql } from "./sql.ts";
 * import { ModelTable } from "./models.ts";
 * import { applyScan } from "./apply_scan.ts";
 * const sql = new Sql(new DatabaseSync(":memory:"));
 * migrateSchema(sql, ":memory:");
 * const table = new ModelTable(sql);
 * const file = { path: "/h/m.gguf", tier: "hdd" as const, root: "/h", rel: "m.gguf", role: "model", size: 10, mtime: 1 };
 * const m = { id: "m.gguf", name: "m", size: 10, fingerprint: "ab", ssdOnly: false, metadata: {}, files: [file] };
 * const opts = { renames: {}, keepPrefixes: [], prune: false };
 * assert.deepEqual(applyScan(table, [m], { ...opts, now: 1 }).added, ["m.gguf"]);
 * assert.deepEqual(applyScan(table, [], { ...opts, now: 2 }).gone, ["m.gguf"]);
 * sql.db.close();
 * ```
 */
export function applyScan(
  table: ModelTable,
  models: readonly ScannedModelRecord[],
  options: ApplyScanOptions,
): ApplyScanResult {
  const sql = table.sql;
  return sql.tx(() => {
    // Only changed rows are written, so an unchanged rescan costs one UPDATE.
    const before = new Map(table.models().map((m) => [m.id, m]));
    const added: string[] = [];
    const renameTargets = new Set(Object.values(options.renames));
    const upsert = sql.db.prepare(
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
    sql.run(
      "UPDATE models SET last_seen = ? WHERE id IN (SELECT value FROM json_each(?))",
      options.now,
      JSON.stringify(models.map((m) => m.id)),
    );
    const renamed: [string, string][] = [];
    for (const [from, to] of Object.entries(options.renames)) {
      if (!before.has(from)) continue;
      table.renameModel(from, to);
      renamed.push([from, to]);
    }
    const keep = options.keepPrefixes.map((p) => (p.endsWith("/") ? p : p + "/"));
    const key = (path: string, modelId: string) => `${path}\0${modelId}`;
    const existing = new Map(table.files().map((f) => [key(f.path, f.model_id), f]));
    const kept = [...existing.values()].filter((f) => keep.some((p) => f.path.startsWith(p)));
    const wanted = new Map<string, FileRow>();
    for (const f of kept) wanted.set(key(f.path, f.model_id), f);
    for (const m of models) {
      for (const f of m.files) wanted.set(key(f.path, m.id), { ...f, model_id: m.id });
    }
    const del = sql.db.prepare("DELETE FROM files WHERE path = ? AND model_id = ?");
    for (const [k, f] of existing) if (!wanted.has(k)) del.run(f.path, f.model_id);
    const insert = sql.db.prepare(
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
    sql.run(
      "UPDATE models SET ssd_only = 0 WHERE ssd_only = 1 AND id IN (SELECT model_id FROM files WHERE tier = 'hdd')",
    );
    const found = new Set(models.map((m) => m.id));
    const withFiles = new Set(kept.map((f) => f.model_id));
    const gone: string[] = [];
    for (const m of table.models()) {
      if (found.has(m.id) || withFiles.has(m.id) || m.gone === 1) continue;
      sql.run("UPDATE models SET gone = 1 WHERE id = ?", m.id);
      gone.push(m.id);
    }
    const pruned: string[] = [];
    if (options.prune) {
      for (const m of table.models()) {
        if (m.gone !== 1) continue;
        for (const table of ["uses", "copy_jobs"]) {
          sql.run(`DELETE FROM ${table} WHERE model_id = ?`, m.id);
        }
        // An unfinished unit stays until it is cleaned up: it says which SSD files to remove.
        sql.run("DELETE FROM ssd_units WHERE model_id = ? AND state = 'verified'", m.id);
        sql.run("DELETE FROM models WHERE id = ?", m.id);
        pruned.push(m.id);
      }
    }
    return { added, renamed, gone, pruned };
  });
}

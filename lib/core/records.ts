/**
 * The plain records llama-pack keeps about models: the rows of the state
 * store's tables and what a scan hands the store. Types only — no code — so
 * the pure core (the model index, the planners) and the adapters that read
 * and write the rows (`lib/state/`) share one definition.
 *
 * Times are unix seconds; flags stored as SQLite integers are `0` or `1`.
 *
 * @module
 */

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
  /** The command line it was started with, as a JSON array of strings. */
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
  /** The pid of the `llama-pack --serve` that owns it (a {@linkcode ServeRow}); `null` for `-m`. */
  owner_pid?: number | null;
}

/** A running `llama-pack --serve`. */
export interface ServeRow {
  /** Host it listens on. */
  host: string;
  /** Port it listens on. */
  port: number;
  /** Its process id. */
  pid: number;
  /** Its start time from `/proc/<pid>/stat`. */
  start_time: string;
  /** Its command line (as `identityFields` stores it). */
  cmdline: string;
  /** When it started (unix seconds). */
  started_at: number;
}

/**
 * What identifies a file's content without reading it: device, inode, size,
 * mtime and ctime. Every write changes the ctime, and no user tool can set it
 * back (unlike the mtime, which `rsync -t` or `touch -d` restore).
 */
export interface FileIdentity {
  /** The device it lives on. */
  dev: number;
  /** Its inode number. */
  ino: number;
  /** Its size in bytes. */
  size: number;
  /** Its mtime, ms since the epoch. */
  mtimeMs: number;
  /** Its ctime (inode change time), ms since the epoch. */
  ctimeMs: number;
}

/** One file of an SSD copy unit. */
export interface UnitFile {
  /** The copy on the SSD. */
  ssd_path: string;
  /** Its original in the source tier (the HDD). */
  src_path: string;
  /** The root of the source tier the original lies under. */
  src_root: string;
  /** The original's path relative to its tier root, which is also the copy's path under the SSD root. */
  rel: string;
  /** `model`, `shard` or `mmproj`. */
  role: string;
  /** Size in bytes. */
  size: number;
  /** The content's xxh64, once the file is verified (null before). */
  hash: string | null;
  /** The original's identity when the copy was verified (null before, or in rows older than identities). */
  src: FileIdentity | null;
  /**
   * The copy's identity when it was verified: the temp file's device and
   * inode are recorded before it is linked under its final name, so a file
   * there with that inode is provably this copy (null before).
   */
  ssd: FileIdentity | null;
}

/**
 * One model's copy on the SSD, recorded as one unit: every file of its HDD
 * copy (weights, shards, projectors). Only a `verified` unit is ever served,
 * and only when its sources' identities are still the recorded ones; the
 * files of a `copying` or `evicting` unit are never indexed or served, and
 * are cleaned up once its owner is gone.
 */
export interface SsdUnitRow {
  /** The model. */
  model_id: string;
  /** `copying` (files being put in place), `verified` (complete), `evicting` (files being deleted). */
  state: "copying" | "verified" | "evicting";
  /** The SSD root the files live under. */
  ssd_root: string;
  /** The unit's files. */
  files: UnitFile[];
  /** The process copying or evicting it (null when verified, or in migrated rows). */
  owner_pid: number | null;
  /** That process's start time, against pid reuse. */
  owner_start: string | null;
  /** When the whole unit was verified (unix seconds). */
  verified_at: number | null;
  /** Last change (unix seconds). */
  updated_at: number;
}

/** A verified SSD file, one per file of a verified unit (a flat view for readers). */
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
  /** When its unit was verified (unix seconds). */
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
  /** The pid of the process that owns the job (the copier, or who queued it). */
  pid: number | null;
  /** That process's start time (`/proc/<pid>/stat` field 22), against pid reuse; null in old rows. */
  owner_start: string | null;
  /** When it was queued (unix seconds). */
  created_at: number;
  /** Last progress update (unix seconds). */
  updated_at: number;
  /** Why it failed, or what it did. */
  message: string | null;
}

/** One file of a `--pull` (or an API download) from the Hugging Face hub. */
export interface DownloadRow {
  /** Row id. */
  id: number;
  /** The repository, `owner/name`. */
  repo: string;
  /** The revision asked for (branch, tag or commit). */
  revision: string;
  /** The commit it resolved to; every file is fetched at it. */
  commit_id: string;
  /** How messages name the pull, `owner/name:QUANT`. */
  label: string;
  /** The file's path in the repository. */
  repo_path: string;
  /** The target tier's name (`ssd`, `hdd`, `hdd2`, `custom`, …). */
  tier: string;
  /** The file's final path (the bytes go to a hidden temp file beside it until verified). */
  target_path: string;
  /**
   * `downloading`; `done` (in place, verified); `failed` (`message` says why);
   * `interrupted` (stopped by a signal; what arrived is kept to resume).
   */
  state: "downloading" | "done" | "failed" | "interrupted";
  /** Bytes on disk when this run started (an earlier run's part, resumed). */
  bytes_start: number;
  /** Bytes on disk now. */
  bytes_done: number;
  /** The file's size. */
  bytes_total: number;
  /** The pid of the process downloading it. */
  pid: number;
  /** That process's start time (`/proc/<pid>/stat` field 22), against pid reuse. */
  owner_start: string;
  /** When this run started on the file (unix seconds). */
  started_at: number;
  /** Last progress update (unix seconds). */
  updated_at: number;
  /** The `llama-pack` arguments that pull the same files again (JSON array), to resume. */
  pull_args: string;
  /** Why it failed, or what it did. */
  message: string | null;
  /**
   * The expected hash the hidden temp file is named after (sha256, or the git
   * blob id); `null` on rows written before schema 7 (their temp file is not
   * known for sure, so `--cleanup` leaves it).
   */
  content_hash?: string | null;
}

/** A process that owns something (a copy job, a copy in progress): its pid and start time. */
export interface ProcessOwner {
  /** The process id. */
  pid: number;
  /** Its start time in clock ticks after boot (`/proc/<pid>/stat` field 22). */
  startTime: number;
}

/** A model found by a scan, as the state store's `applyScan` records it. */
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

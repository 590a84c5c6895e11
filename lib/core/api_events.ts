/**
 * The events of `GET /api/events`, the live stream of `--serve`'s cache API
 * that a page (the dashboard) follows instead of polling. Types and two
 * small helpers only; `docs/api.md` documents each event with an example.
 *
 * Every event is one SSE message without an `event:` line, so
 * `EventSource.onmessage` sees them all:
 *
 * ```text
 * data: {"type":"copy_progress","data":{"job_id":7,"model_id":"llm/x.gguf",…}}
 * ```
 *
 * `type` says what happened and `data` is its JSON object. Sizes are bytes,
 * durations seconds, speeds bytes per second; field names are snake_case
 * like the REST answers; moments are ISO 8601 UTC strings. On connecting, a client first gets the current
 * picture as ordinary events (`server_status` of each running server,
 * `copy_progress`/`download_progress` of transfers under way, the last
 * `cache_stats`, each active `cache_warning`), then live ones.
 *
 * @module
 */

/** Where a model lives (the guide's `cache_location`). */
export type CacheLocation = "primary" | "secondary" | "custom";

/** A server's state changed: starting, loaded, stopping, stopped. */
export interface ServerStatusData {
  /** The model's id. */
  model_id: string;
  /** Its display name. */
  model_name: string;
  /** The router's word: `loading`, `loaded` or `unloaded`. */
  status: "loading" | "loaded" | "unloaded";
  /** llama-pack's finer state: `waiting`, `starting`, `ready`, `stopping`, `stopped`. */
  state: string;
  /** The port of its server, while one runs. */
  port: number | null;
  /** The tier it loads from (`ssd` or `hdd`), while one runs. */
  tier: string | null;
}

/** Where a copy goes: the SSD (`primary`) or a custom directory (`custom`). */
export type CopyDestination = "primary" | "custom";

/** A verified copy began (after its evictions, if any). */
export interface CopyStartedData {
  /** The copy job's id (`--status` lists it). */
  job_id: number;
  /** The model's id. */
  model_id: string;
  /** Its display name. */
  model_name: string;
  /** Where it goes. */
  destination: CopyDestination;
  /** The directory it goes to. */
  dest_dir: string;
  /** Bytes to copy. */
  bytes_total: number;
  /** Why: `registered` (the API), `refill` (the monitor), with the planner's reason. */
  reason: string;
}

/** A copy moved on (at most every half second). */
export interface CopyProgressData {
  /** The copy job's id. */
  job_id: number;
  /** The model's id. */
  model_id: string;
  /** Its display name. */
  model_name: string;
  /** Where it goes. */
  destination: CopyDestination;
  /** `copy` while copying, `verify` while re-reading the written copy. */
  phase: "copy" | "verify";
  /** Bytes done. */
  bytes_done: number;
  /** Bytes in all. */
  bytes_total: number;
  /** `bytes_done / bytes_total × 100`, one decimal. */
  percent: number;
  /** Current speed. */
  bytes_per_second: number;
  /** Seconds left at that speed, or `null` when unknown. */
  eta_seconds: number | null;
}

/** A copy ended: verified and in place, or failed with nothing partial left under a final name. */
export interface CopyFinishedData {
  /** The copy job's id. */
  job_id: number;
  /** The model's id. */
  model_id: string;
  /** Its display name. */
  model_name: string;
  /** Where it went. */
  destination: CopyDestination;
  /** `done` or `failed`. */
  state: "done" | "failed";
  /** What happened, one line. */
  message: string;
  /** Bytes copied. */
  bytes: number;
  /** Seconds it took. */
  seconds: number;
}

/** An SSD copy was deleted (its original checked first). */
export interface EvictionData {
  /** The model's id. */
  model_id: string;
  /** Its display name. */
  model_name: string;
  /** Bytes freed. */
  bytes: number;
  /** Why: the planner's reason, or `registered secondary`. */
  reason: string;
}

/** A download from the Hugging Face hub began (its room already checked). */
export interface DownloadStartedData {
  /** The download's id (`--status` lists it). */
  download_id: number;
  /** What was asked for, `owner/name[:QUANT]`. */
  hf_path: string;
  /** What is fetched, `owner/name:QUANT`. */
  label: string;
  /** Where it goes. */
  cache_location: CacheLocation;
  /** The directory it goes under. */
  dir: string;
  /** Files in the plan. */
  files: number;
  /** Bytes of every file. */
  bytes_total: number;
  /** Bytes still to fetch (what an interrupted pull left counts as there). */
  bytes_needed: number;
}

/** A download moved on. */
export interface DownloadProgressData {
  /** The download's id. */
  download_id: number;
  /** What is fetched. */
  label: string;
  /** The file being fetched (its path in the repository). */
  path: string;
  /** `download`, `verify` (hashing a file already there) or `rehash` (a resumed part). */
  phase: string;
  /** Bytes of the whole download done. */
  bytes_done: number;
  /** Bytes of the whole download. */
  bytes_total: number;
  /** One decimal. */
  percent: number;
  /** Current speed. */
  bytes_per_second: number;
  /** Seconds left, or `null`. */
  eta_seconds: number | null;
}

/** A download ended: verified, in place and indexed, or failed (a resumable part stays). */
export interface DownloadFinishedData {
  /** The download's id. */
  download_id: number;
  /** What was fetched. */
  label: string;
  /** `done` or `failed`. */
  state: "done" | "failed";
  /** What happened, one line. */
  message: string;
  /** The model the scan made of it, when done. */
  model_id: string | null;
  /** Its display name, when done. */
  model_name: string | null;
  /** Bytes fetched by this run. */
  bytes_fetched: number;
  /** Seconds it took. */
  seconds: number;
}

/** A tier passed `cache_warning_threshold` (`active: true`) or came back under it (`false`). */
export interface CacheWarningData {
  /** `primary`, `secondary` or `custom`. */
  location: CacheLocation;
  /** The tier's directory. */
  path: string;
  /** Raised or cleared. */
  active: boolean;
  /** Its usage now, percent. */
  usage_percent: number;
  /** The threshold, as a fraction. */
  threshold: number;
  /** One line for people. */
  message: string;
}

/** A scan of every tier ended (the monitor's, or after a download). */
export interface ScanData {
  /** GGUF files seen. */
  files: number;
  /** Models indexed. */
  models: number;
  /** Ids of new models. */
  added: string[];
  /** Ids of models whose files are gone. */
  gone: string[];
  /** `[old id, new id]` of moved models. */
  renamed: [string, string][];
  /** Warnings of the scan (unreadable, broken files). */
  warnings: number;
  /** Seconds it took. */
  seconds: number;
}

/** The model list changed (a scan, a registration, a copy or an eviction): fetch `GET /api/models` again. */
export interface ModelsChangedData {
  /** What changed it: `scan`, `registered`, `copied`, `evicted`, `downloaded`, `pinned`, `unpinned`. */
  reason: string;
  /** The models concerned. */
  model_ids: string[];
}

/** One pass of the background monitor ended. */
export interface MonitorPassData {
  /** What started it: `timer`, `refresh` (the API) or `start`. */
  trigger: string;
  /** When it started (ISO 8601, UTC). */
  started_at: string;
  /** Seconds it took. */
  seconds: number;
  /** Copies it queued to refill the SSD. */
  refill: { model_id: string; model_name: string; reason: string }[];
  /** Why it did not refill, when it did not look (a server is loading, refill off). */
  refill_skipped: string | null;
  /** When the next timed pass is due (ISO 8601, UTC). */
  next_at: string;
}

/**
 * A server was started on a model's permanent copy because its verified SSD
 * copy may not be served: stale (its originals changed since it was
 * verified: evictable, copied again by the usual rules) or damaged (its SSD
 * files changed: kept).
 */
export interface CopyPassedOverData {
  /** The model's id. */
  model_id: string;
  /** Its display name. */
  model_name: string;
  /** `stale` or `damaged`. */
  problem: "stale" | "damaged";
  /** What changed, one line. */
  reason: string;
  /** The SSD copy passed over. */
  ssd_path: string | null;
  /** The file the server was started on instead. */
  served_path: string;
  /** The note `--serve` logs (and `-m` prints), one line. */
  message: string;
}

/**
 * Every event of `GET /api/events`: its `type` and the shape of its `data`.
 * `cache_stats` carries the document of `GET /api/cache/stats`.
 */
export interface ApiEventMap {
  /** A server's state changed. */
  server_status: ServerStatusData;
  /** A copy began. */
  copy_started: CopyStartedData;
  /** A copy moved on. */
  copy_progress: CopyProgressData;
  /** A copy ended. */
  copy_finished: CopyFinishedData;
  /** An SSD copy was deleted. */
  eviction: EvictionData;
  /** A download began. */
  download_started: DownloadStartedData;
  /** A download moved on. */
  download_progress: DownloadProgressData;
  /** A download ended. */
  download_finished: DownloadFinishedData;
  /** A tier's warning was raised or cleared. */
  cache_warning: CacheWarningData;
  /** The tiers were measured (the `GET /api/cache/stats` document). */
  cache_stats: Record<string, unknown>;
  /** A scan ended. */
  scan: ScanData;
  /** The model list changed. */
  models_changed: ModelsChangedData;
  /** A monitor pass ended. */
  monitor_pass: MonitorPassData;
  /** A stale or damaged SSD copy was passed over. */
  copy_passed_over: CopyPassedOverData;
}

/** The name of an event. */
export type ApiEventType = keyof ApiEventMap;

/** One event as it goes over the wire. */
export type ApiEvent = { [K in ApiEventType]: { type: K; data: ApiEventMap[K] } }[ApiEventType];

/** Every event type, in the order `docs/api.md` documents them. */
export const API_EVENT_TYPES: readonly ApiEventType[] = [
  "server_status",
  "copy_started",
  "copy_progress",
  "copy_finished",
  "eviction",
  "download_started",
  "download_progress",
  "download_finished",
  "cache_warning",
  "cache_stats",
  "scan",
  "models_changed",
  "monitor_pass",
  "copy_passed_over",
];

/**
 * Makes an event, checking its data's shape at compile time.
 *
 * @param type The event's type.
 * @param data Its data.
 * @returns The event.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { apiEvent } from "./api_events.ts";
 * const e = apiEvent("models_changed", { reason: "scan", model_ids: ["a.gguf"] });
 * assert(e.type === "models_changed" && e.data.model_ids[0] === "a.gguf");
 * ```
 */
export function apiEvent<K extends ApiEventType>(
  type: K,
  data: ApiEventMap[K],
): { type: K; data: ApiEventMap[K] } {
  return { type, data };
}

/**
 * Tells whether a type names an event of `GET /api/events`.
 *
 * @param type Any string.
 * @returns Whether it is one of {@linkcode API_EVENT_TYPES}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isApiEventType } from "./api_events.ts";
 * assert(isApiEventType("copy_progress") && !isApiEventType("model_status"));
 * ```
 */
export function isApiEventType(type: string): type is ApiEventType {
  return (API_EVENT_TYPES as readonly string[]).includes(type);
}

/**
 * The SSE message of an event: one `data:` line with `{"type", "data"}`.
 *
 * @param event The event.
 * @returns The message, ending with the blank line.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { apiEvent, sseMessage } from "./api_events.ts";
 * const text = sseMessage(apiEvent("models_changed", { reason: "scan", model_ids: [] }));
 * assert(text === 'data: {"type":"models_changed","data":{"reason":"scan","model_ids":[]}}\n\n');
 * ```
 */
export function sseMessage(event: { type: string; data: unknown }): string {
  return `data: ${JSON.stringify({ type: event.type, data: event.data })}\n\n`;
}

/**
 * Downloads from the Hugging Face hub as `--status` shows them, from their
 * rows in the state store: percent, speed and ETA from the row's own
 * progress, whether its owner still runs (else it is interrupted, with the
 * command that resumes it), and the arguments that pull the same files
 * again. Pure: the owner check and the clock are arguments.
 *
 * @module
 */

import type { DownloadRow } from "./records.ts";
import { shellQuote } from "./shell_quote.ts";

/** Failed downloads stay in `--status` this long (a day, as finished copy jobs stay). */
export const FAILED_SHOWN_SECONDS = 86400;

/** A downloading row not updated for this long counts the time since as time without bytes. */
export const STALL_SECONDS = 5;

/** One download as `--status` shows it. */
export interface DownloadStatus {
  /** Row id. */
  id: number;
  /** `owner/name:QUANT`. */
  label: string;
  /** `owner/name`. */
  repo: string;
  /** The revision asked for. */
  revision: string;
  /** The commit it is fetched at. */
  commit: string;
  /** The file's path in the repository. */
  file: string;
  /** The target tier's name. */
  tier: string;
  /** The file's final path. */
  target: string;
  /** `downloading`; `interrupted` (its process is gone, or a signal stopped it); `failed`. */
  state: "downloading" | "interrupted" | "failed";
  /** Bytes on disk. */
  bytesDone: number;
  /** The file's size. */
  bytesTotal: number;
  /** Percent done, one decimal. */
  percent: number;
  /** Bytes per second since this run started; `null` when not downloading or not known yet. */
  bytesPerSecond: number | null;
  /** Seconds to go at that speed; `null` when unknown. */
  etaSeconds: number | null;
  /** The owner's pid. */
  pid: number;
  /** Who downloads it: `pid N`, `--serve HOST:PORT (pid N)`, or `pid N, gone`. */
  owner: string;
  /** When this run started on the file (unix seconds). */
  startedAt: number;
  /** Last progress update (unix seconds). */
  updatedAt: number;
  /** Why it failed or stopped. */
  message: string | null;
  /** The command that resumes it (for an interrupted or failed download). */
  resume: string | null;
}

/** What {@linkcode downloadStatus} needs besides the row. */
export interface DownloadFacts {
  /** The owner is the process that wrote the row (same pid and start time) and still runs. */
  ownerAlive: boolean;
  /** What the owner is when it is a `--serve`: `--serve HOST:PORT`. */
  serve?: string | undefined;
  /** The time, unix seconds. */
  now: number;
}

/** What to pull again: `--pull`'s own arguments. */
export interface PullArgsSpec {
  /** `owner/name[:QUANT]`, as asked. */
  ref: string;
  /** The revision asked for; `main` is left out. */
  revision?: string | undefined;
  /** The `--to` value (a tier name or a directory); left out when absent. */
  to?: string | undefined;
  /** `false` for `--no-mmproj`. @default true */
  mmproj?: boolean | undefined;
}

/**
 * The `llama-pack` arguments of a pull, to run it again.
 *
 * @param spec The reference, revision, target and projector choice.
 * @returns E.g. `["--pull", "org/m:Q8_0", "--to", "primary", "--no-mmproj"]`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pullArgs } from "./download_status.ts";
 * assert.deepEqual(pullArgs({ ref: "org/m", revision: "main" }), ["--pull", "org/m"]);
 * assert.deepEqual(pullArgs({ ref: "org/m:Q8_0", revision: "v2", to: "primary", mmproj: false }),
 *   ["--pull", "org/m:Q8_0", "--revision", "v2", "--to", "primary", "--no-mmproj"]);
 * ```
 */
export function pullArgs(spec: PullArgsSpec): string[] {
  return [
    "--pull",
    spec.ref,
    ...(spec.revision === undefined || spec.revision === "main"
      ? []
      : ["--revision", spec.revision]),
    ...(spec.to === undefined ? [] : ["--to", spec.to]),
    ...(spec.mmproj === false ? ["--no-mmproj"] : []),
  ];
}

/** The stored arguments as a command line, or `null` when they cannot be read. */
function resumeCommand(json: string): string | null {
  try {
    const args: unknown = JSON.parse(json);
    if (!Array.isArray(args) || !args.every((a) => typeof a === "string")) return null;
    return ["llama-pack", ...args].map(shellQuote).join(" ");
  } catch {
    return null;
  }
}

/**
 * Whether `--status` shows a row: every download not done, but a failed one
 * only for {@linkcode FAILED_SHOWN_SECONDS}.
 *
 * @param row The row.
 * @param now The time, unix seconds.
 * @returns `true` to show it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shownInStatus } from "./download_status.ts";
 * assert(shownInStatus({ state: "downloading", updated_at: 0 }, 1e9));
 * assert(!shownInStatus({ state: "done", updated_at: 0 }, 0));
 * assert(!shownInStatus({ state: "failed", updated_at: 0 }, 2 * 86400));
 * ```
 */
export function shownInStatus(
  row: Pick<DownloadRow, "state" | "updated_at">,
  now: number,
): boolean {
  if (row.state === "done") return false;
  return row.state !== "failed" || now - row.updated_at < FAILED_SHOWN_SECONDS;
}

/**
 * A download row as `--status` shows it: a `downloading` row whose owner is
 * gone (killed, crashed: pid gone or reused) is interrupted; speed is this
 * run's bytes over its time (up to now when the row has not moved for
 * {@linkcode STALL_SECONDS}), and the ETA what is left at that speed.
 *
 * @param row The row.
 * @param facts Whether its owner runs, whether it is a `--serve`, the time.
 * @returns What to show.
 *
 * @example Half done at 1 MB/s, then its process killed
 * ```ts
 * import assert from "node:assert/strict";
 * import { downloadStatus } from "./download_status.ts";
 * const row = { id: 1, repo: "o/m", revision: "main", commit_id: "c", label: "o/m:Q8_0",
 *   repo_path: "m-Q8_0.gguf", tier: "hdd", target_path: "/hdd/o/m/m-Q8_0.gguf",
 *   state: "downloading" as const, bytes_start: 0, bytes_done: 5e6, bytes_total: 1e7, pid: 42,
 *   owner_start: "7", started_at: 100, updated_at: 105, pull_args: '["--pull","o/m:Q8_0"]', message: null };
 * const live = downloadStatus(row, { ownerAlive: true, now: 105 });
 * assert.deepEqual([live.state, live.percent, live.bytesPerSecond, live.etaSeconds, live.owner],
 *   ["downloading", 50, 1e6, 5, "pid 42"]);
 * const dead = downloadStatus(row, { ownerAlive: false, now: 200 });
 * assert.deepEqual([dead.state, dead.bytesPerSecond, dead.owner, dead.resume],
 *   ["interrupted", null, "pid 42, gone", "llama-pack --pull o/m:Q8_0"]);
 * ```
 */
export function downloadStatus(row: DownloadRow, facts: DownloadFacts): DownloadStatus {
  const running = row.state === "downloading" && facts.ownerAlive;
  const state = running ? "downloading" : row.state === "failed" ? "failed" : "interrupted";
  // A row silent for a while (a stalled connection, retries) slows down with the clock.
  const until = facts.now - row.updated_at > STALL_SECONDS ? facts.now : row.updated_at;
  const elapsed = until - row.started_at;
  const fetched = row.bytes_done - row.bytes_start;
  const speed = running && elapsed > 0 && fetched > 0 ? fetched / elapsed : null;
  const left = Math.max(0, row.bytes_total - row.bytes_done);
  const message = row.state === "downloading" && !running
    ? `its process (pid ${row.pid}) stopped before the file was complete`
    : row.message;
  return {
    id: row.id,
    label: row.label,
    repo: row.repo,
    revision: row.revision,
    commit: row.commit_id,
    file: row.repo_path,
    tier: row.tier,
    target: row.target_path,
    state,
    bytesDone: row.bytes_done,
    bytesTotal: row.bytes_total,
    percent: row.bytes_total > 0 ? Math.floor((row.bytes_done / row.bytes_total) * 1000) / 10 : 100,
    bytesPerSecond: speed,
    etaSeconds: speed === null ? null : left / speed,
    pid: row.pid,
    owner: facts.ownerAlive
      ? facts.serve ? `${facts.serve} (pid ${row.pid})` : `pid ${row.pid}`
      : `pid ${row.pid}, gone`,
    startedAt: row.started_at,
    updatedAt: row.updated_at,
    message,
    resume: running ? null : resumeCommand(row.pull_args),
  };
}

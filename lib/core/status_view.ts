/**
 * Rendering `--status`: running servers, active copy jobs and downloads from
 * the Hugging Face hub, as aligned text or as JSON. Pure.
 *
 * @module
 */

import { formatDuration, formatSize } from "./units.ts";
import { fitColumns, shortenName } from "./fit.ts";
import type { DownloadStatus } from "./download_status.ts";

/** One running server as `--status` shows it. */
export interface ServerStatus {
  /** Port it listens on. */
  port: number;
  /** Host it listens on. */
  host: string;
  /** The model's name. */
  model: string;
  /** The model file it was given. */
  modelPath: string;
  /** Tier it was loaded from. */
  tier: string;
  /** Its pid. */
  pid: number;
  /** Seconds since it was started. */
  uptimeSeconds: number;
  /** Resident memory of its processes, bytes; `null` when unknown. @default null */
  memoryBytes?: number | null;
  /** What its health check says. */
  state: "loading" | "ready" | "unhealthy";
  /** Where to reach it. */
  url: string;
  /** Its log file. */
  log: string;
  /** The `LLAMA_ARG_*` variables it inherited, as one line (shown with `-v`). */
  env?: string;
  /** Who started it when not `-m`: `--serve HOST:PORT`, or `orphan` when that `--serve` is gone. */
  owner?: string;
}

/** A running `llama-pack --serve`. */
export interface ServeStatus {
  /** Where it listens, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** Its pid. */
  pid: number;
  /** Seconds since it started. */
  uptimeSeconds: number;
}

/** One copy job as `--status` shows it. */
export interface CopyStatus {
  /** Job id. */
  id: number;
  /** The model's name. */
  model: string;
  /** `queued` or `copying`. */
  state: string;
  /** Bytes copied. */
  bytesDone: number;
  /** Bytes to copy. */
  bytesTotal: number;
}

/** Everything `--status` reports. */
export interface StatusReport {
  /** Running `--serve` processes. */
  serves?: ServeStatus[];
  /** Running llama-pack servers, by port. */
  servers: ServerStatus[];
  /** Active copy jobs. */
  copies: CopyStatus[];
  /** Downloads running, interrupted, or failed in the last day. @default [] */
  downloads?: DownloadStatus[];
  /** How many stale server records were pruned. */
  pruned: number;
}

/** Options of {@linkcode renderStatus}. */
export interface RenderStatusOptions {
  /** Terminal width: less useful columns go and model names shorten to fit. @default no limit */
  width?: number;
  /** `-v`: each download's repository, commit, final path and times. @default false */
  verbose?: boolean;
  /** The time (unix seconds), for the downloads' times with `verbose`. @default 0 */
  now?: number;
}

/**
 * Aligns a table; at `width`, drops the columns in `dropOrder` first and
 * shortens the flexible (model) column in the middle.
 */
function table(
  header: string[],
  rows: string[][],
  rightAligned: ReadonlySet<number>,
  fit: { flex: number; dropOrder: number[]; width: number | undefined },
): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const { keep, flexWidth } = fitColumns(widths, {
    width: fit.width,
    flex: fit.flex,
    dropOrder: fit.dropOrder,
    minFlex: 28,
  });
  widths[fit.flex] = flexWidth;
  const cut = rows.map((r) => r.map((c, i) => (i === fit.flex ? shortenName(c, flexWidth) : c)));
  const line = (cells: string[]) =>
    keep.map((i) => {
      const c = cells[i] ?? "";
      const w = widths[i] ?? 0;
      return rightAligned.has(i) ? c.padStart(w) : c.padEnd(w);
    }).join("  ").trimEnd();
  return [line(header), ...cut.map(line)];
}

/**
 * Renders the status report as text.
 *
 * @param report What is running.
 * @param options The width to fit.
 * @returns The text, ending with a newline.
 *
 * @example One server
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderStatus } from "./status_view.ts";
 * const text = renderStatus({ pruned: 0, copies: [], servers: [{ port: 8080, host: "127.0.0.1",
 *   model: "Gemma.gguf", modelPath: "/ssd/Gemma.gguf", tier: "ssd", pid: 42, uptimeSeconds: 75,
 *   memoryBytes: 5 * 1024 ** 3, state: "ready", url: "http://127.0.0.1:8080", log: "/s/server-8080.log" }] });
 * assert(text.split("\n")[1] === "8080  127.0.0.1  Gemma.gguf  ssd    42  1m 15s  5.0 GiB  ready");
 * ```
 */
export function renderStatus(report: StatusReport, options: RenderStatusOptions = {}): string {
  const out: string[] = [];
  for (const s of report.serves ?? []) {
    out.push(
      `llama-pack --serve on ${s.url} (pid ${s.pid}, up ${formatDuration(s.uptimeSeconds)})`,
    );
  }
  const owned = report.servers.some((s) => s.owner !== undefined);
  if (report.servers.length === 0) {
    out.push("no llama-pack servers running");
  } else {
    const [head, ...rows] = table(
      ["PORT", "HOST", "MODEL", "TIER", "PID", "UPTIME", "MEM", "STATE", ...(owned ? ["BY"] : [])],
      report.servers.map((s) => [
        // A server on a UNIX socket has no port.
        s.port === 0 ? "-" : String(s.port),
        s.host,
        s.model,
        s.tier,
        String(s.pid),
        formatDuration(s.uptimeSeconds),
        s.memoryBytes === null || s.memoryBytes === undefined ? "?" : formatSize(s.memoryBytes),
        s.state,
        ...(owned ? [s.owner ?? "-m"] : []),
      ]),
      new Set([0, 4, 6]),
      { flex: 2, dropOrder: [1, 4, 3], width: options.width },
    );
    out.push(head!);
    rows.forEach((row, i) => {
      out.push(row);
      const env = report.servers[i]?.env;
      if (env) out.push(`  environment: ${env}`);
    });
  }
  if (report.copies.length > 0) {
    out.push("", "Copies to SSD:");
    out.push(...table(
      ["JOB", "MODEL", "STATE", "PROGRESS"],
      report.copies.map((c) => {
        const pct = c.bytesTotal > 0 ? Math.floor((c.bytesDone / c.bytesTotal) * 100) : 0;
        return [
          String(c.id),
          c.model,
          c.state,
          `${pct}% (${formatSize(c.bytesDone)} of ${formatSize(c.bytesTotal)})`,
        ];
      }),
      new Set([0]),
      { flex: 1, dropOrder: [], width: options.width },
    ));
  }
  out.push(...renderDownloads(report.downloads ?? [], options));
  if (report.pruned > 0) {
    out.push(`(forgot ${report.pruned} stale server record${report.pruned === 1 ? "" : "s"})`);
  }
  return out.join("\n") + "\n";
}

/** The downloads' table, a line saying how each one that is not running ended, and `-v`'s details. */
function renderDownloads(list: readonly DownloadStatus[], options: RenderStatusOptions): string[] {
  if (list.length === 0) return [];
  const out = ["", "Downloads from Hugging Face:"];
  const [head, ...rows] = table(
    ["FILE", "TO", "STATE", "PROGRESS", "SPEED", "ETA", "BY"],
    list.map((d) => [
      `${d.repo}/${d.file}`,
      d.tier,
      d.state,
      `${Math.floor(d.percent)}% (${formatSize(d.bytesDone)} of ${formatSize(d.bytesTotal)})`,
      d.bytesPerSecond === null ? "-" : `${(d.bytesPerSecond / 1e6).toFixed(1)} MB/s`,
      d.etaSeconds === null ? "-" : formatDuration(d.etaSeconds),
      d.owner,
    ]),
    new Set(),
    { flex: 0, dropOrder: [6, 1, 5], width: options.width },
  );
  out.push(head!);
  rows.forEach((row, i) => {
    const d = list[i]!;
    out.push(row);
    if (options.verbose) {
      const ago = (t: number) => formatDuration((options.now ?? 0) - t);
      out.push(
        `  ${d.label} from ${d.repo}@${d.revision} (commit ${
          d.commit.slice(0, 10)
        }) to ${d.target}; ` +
          `started ${ago(d.startedAt)} ago, updated ${ago(d.updatedAt)} ago`,
      );
    }
    if (d.state !== "downloading") {
      const again = d.resume === null
        ? ""
        : `; ${d.state === "failed" ? "to try again" : "to resume"}: ${d.resume}`;
      out.push(`  ${d.state}: ${d.message ?? "no reason recorded"}${again}`);
    }
  });
  return out;
}

/**
 * Renders the status report as JSON for scripts.
 *
 * @param report What is running.
 * @returns Pretty JSON text ending with a newline: `{ serves, servers, copies,
 *   downloads, pruned }` with snake_case keys.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { statusJson } from "./status_view.ts";
 * assert(JSON.parse(statusJson({ servers: [], copies: [], pruned: 1 })).pruned === 1);
 * ```
 */
export function statusJson(report: StatusReport): string {
  return JSON.stringify(
    {
      serves: (report.serves ?? []).map((s) => ({
        url: s.url,
        pid: s.pid,
        uptime_s: Math.round(s.uptimeSeconds),
      })),
      servers: report.servers.map((s) => ({
        port: s.port,
        host: s.host,
        model: s.model,
        model_path: s.modelPath,
        tier: s.tier,
        pid: s.pid,
        uptime_s: Math.round(s.uptimeSeconds),
        memory_bytes: s.memoryBytes ?? null,
        state: s.state,
        url: s.url,
        log: s.log,
        ...(s.env === undefined ? {} : { env: s.env }),
        owner: s.owner ?? null,
      })),
      copies: report.copies.map((c) => ({
        id: c.id,
        model: c.model,
        state: c.state,
        bytes_done: c.bytesDone,
        bytes_total: c.bytesTotal,
      })),
      downloads: (report.downloads ?? []).map((d) => ({
        id: d.id,
        label: d.label,
        repo: d.repo,
        revision: d.revision,
        commit: d.commit,
        file: d.file,
        tier: d.tier,
        target: d.target,
        state: d.state,
        bytes_done: d.bytesDone,
        bytes_total: d.bytesTotal,
        percent: d.percent,
        bytes_per_second: d.bytesPerSecond === null ? null : Math.round(d.bytesPerSecond),
        eta_s: d.etaSeconds === null ? null : Math.round(d.etaSeconds),
        pid: d.pid,
        owner: d.owner,
        started_at: d.startedAt,
        updated_at: d.updatedAt,
        message: d.message,
        resume: d.resume,
      })),
      pruned: report.pruned,
    },
    null,
    2,
  ) + "\n";
}

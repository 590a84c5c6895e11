/**
 * Pure rendering of simulation results: the summary, the `-v` timeline
 * (green hits and finished copies, yellow copies, red evictions, each with the
 * policy's reason) and the `--compare` table. Colour is an option; the CLI
 * decides it (TTY, `NO_COLOR`).
 *
 * @module
 */

import { formatDuration, formatSize } from "../lib/core/units.ts";
import type { SimulationSummary, TimelineEvent } from "./policy_api.ts";
import type { Comparison } from "./simulate.ts";
import type { Workload } from "./workload.ts";

/** Options of the render functions. */
export interface RenderOptions {
  /**
   * Colour the output with ANSI escapes.
   * @default false
   */
  color?: boolean;
}

/** Options of {@linkcode renderTimeline}. */
export interface TimelineOptions extends RenderOptions {
  /**
   * Time shown as `+0d 00:00:00`; events are printed relative to it.
   * @default 0
   */
  origin?: number;
}

const paint = (on: boolean, code: number, text: string) =>
  on ? `\x1b[${code}m${text}\x1b[0m` : text;
const GREEN = 32;
const YELLOW = 33;
const RED = 31;
const DIM = 2;
const BOLD = 1;

function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)}%`;
}

function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const day = Math.floor(s / 86400);
  const hh = String(Math.floor((s % 86400) / 3600)).padStart(2, "0");
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return `+${day}d ${hh}:${mm}:${ss}`;
}

/**
 * Renders the summary of one run.
 *
 * @param summary The run's figures.
 * @param workload The workload it ran (name, description, SSD space, time span).
 * @param options Colour.
 * @returns Lines ending with a newline.
 *
 * @example A summary
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderSummary } from "./report.ts";
 * import { simulate } from "./simulate.ts";
 * const workload = {
 *   name: "demo",
 *   ssdFreeBytes: 50 * 1024 ** 3,
 *   loads: [0, 1, 2, 3].map((d) => ({ at: d * 86400, model: "a", size: 8 * 1024 ** 3, duration: 3600 })),
 * };
 * const text = renderSummary(simulate(workload).summary, workload);
 * assert(text.includes("SSD hits         3 of 4 loads (75.0%)"));
 * ```
 */
export function renderSummary(
  summary: SimulationSummary,
  workload: Workload,
  options: RenderOptions = {},
): string {
  const color = options.color ?? false;
  const first = workload.loads[0]?.at ?? 0;
  const last = workload.loads[workload.loads.length - 1]?.at ?? first;
  const models = new Set(workload.loads.map((l) => l.model)).size;
  const saved = summary.loadSecondsWithoutCache - summary.loadSecondsWithCache;
  const minFree = workload.ssdMinFreeBytes ?? 0;
  const limits = [
    ...(minFree > 0 ? [`${formatSize(minFree)} kept free`] : []),
    ...(workload.ssdLimitBytes === undefined
      ? []
      : [`cache limit ${formatSize(workload.ssdLimitBytes)}`]),
  ];
  const lines = [
    paint(color, BOLD, `simulation: ${workload.name} — policy ${summary.policy}`),
    ...(workload.description ? [`  ${workload.description}`] : []),
    `  ${summary.loads} loads of ${models} model${models === 1 ? "" : "s"} over ${
      formatDuration(last - first)
    }; SSD ${formatSize(workload.ssdFreeBytes)} free${
      limits.length > 0 ? ` (${limits.join(", ")})` : ""
    }`,
    "",
    `  loads            ${summary.loads}`,
    `  SSD hits         ${summary.hits} of ${summary.loads} loads (${
      percent(summary.loads > 0 ? summary.hits / summary.loads : 0)
    })`,
    `  byte hit ratio   ${paint(color, BOLD, percent(summary.byteHitRatio))} of ${
      formatSize(summary.bytesLoaded)
    } loaded`,
    `  load time        ${formatDuration(summary.loadSecondsWithCache)} with the cache, ${
      formatDuration(summary.loadSecondsWithoutCache)
    } without (saves ${formatDuration(saved)})`,
    `  copied to SSD    ${formatSize(summary.bytesCopied)} in ${summary.copies} cop${
      summary.copies === 1 ? "y" : "ies"
    }${summary.idleCopies > 0 ? ` (${summary.idleCopies} while idle)` : ""}`,
    `  evictions        ${summary.evictions} (${summary.evictedBeforeHit} before any hit)`,
    `  final SSD        ${
      summary.finalContents.length === 0 ? "empty" : summary.finalContents
        .map((c) => `${c.model} (${formatSize(c.size)}, ${c.hits} hit${c.hits === 1 ? "" : "s"})`)
        .join(", ")
    }`,
  ];
  return lines.join("\n") + "\n";
}

/**
 * Renders the timeline: one line per event, time relative to `origin`,
 * coloured by kind (green hit/copied, yellow copy, red evict, dim miss).
 *
 * @param events The events, in time order.
 * @param options Colour and time origin.
 * @returns Lines ending with a newline (empty for no events).
 *
 * @example A timeline line
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderTimeline } from "./report.ts";
 * const text = renderTimeline([
 *   { at: 90061, kind: "evict", model: "big", size: 40 * 1024 ** 3, reason: "ranked 0.1/wk" },
 * ], { color: true });
 * assert(text === "+1d 01:01:01  \x1b[31mevict \x1b[0m  big   40.0 GiB  ranked 0.1/wk\n");
 * ```
 */
export function renderTimeline(
  events: readonly TimelineEvent[],
  options: TimelineOptions = {},
): string {
  const color = options.color ?? false;
  const origin = options.origin ?? 0;
  const width = Math.max(0, ...events.map((e) => e.model.length));
  const clocks = events.map((e) => clock(e.at - origin));
  const clockWidth = Math.max(0, ...clocks.map((c) => c.length));
  const codes: Record<TimelineEvent["kind"], number> = {
    hit: GREEN,
    copied: GREEN,
    copy: YELLOW,
    evict: RED,
    miss: DIM,
  };
  return events
    .map((e, i) =>
      `${clocks[i]!.padStart(clockWidth)}  ${paint(color, codes[e.kind], e.kind.padEnd(6))}  ${
        e.model.padEnd(width)
      }  ${formatSize(e.size).padStart(9)}  ${e.reason}`.replace(/\s+$/, "") + "\n"
    )
    .join("");
}

/**
 * Renders the `--compare` table: policy, byte hit ratio, % of the LP upper
 * bound, load time saved and bytes written to the SSD.
 *
 * @param comparison The comparison from `comparePolicies`.
 * @param options Colour (the best online policy in bold).
 * @returns The table, lines ending with a newline.
 *
 * @example A comparison table
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderComparison } from "./report.ts";
 * const text = renderComparison({
 *   workload: "w",
 *   summaries: [],
 *   optimum: undefined,
 *   rows: [{ policy: "LRU", kind: "policy", byteHitRatio: 0.5, ofBound: null, loadSecondsSaved: 90, bytesWritten: 2e9 }],
 * });
 * assert(/^LRU +50\.0% +– +1m 30s +1\.9 GiB$/.test(text.split("\n")[2]!));
 * ```
 */
export function renderComparison(comparison: Comparison, options: RenderOptions = {}): string {
  const color = options.color ?? false;
  const header = ["policy", "byte hits", "% of bound", "load time saved", "written to SSD"];
  const body = comparison.rows.map((r) => [
    r.policy,
    percent(r.byteHitRatio),
    r.ofBound === null ? "–" : percent(r.ofBound),
    formatDuration(r.loadSecondsSaved),
    r.bytesWritten === null ? "–" : formatSize(r.bytesWritten),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const online = comparison.rows.filter((r) => r.kind === "policy");
  const best = online.length > 0 ? Math.max(...online.map((r) => r.byteHitRatio)) : -1;
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  const out = [
    paint(color, BOLD, line(header)),
    widths.map((w) => "-".repeat(w)).join("  "),
  ];
  comparison.rows.forEach((r, i) => {
    const text = line(body[i]!);
    if (r.kind !== "policy") out.push(paint(color, DIM, text));
    else if (r.byteHitRatio === best) out.push(paint(color, BOLD, text));
    else out.push(text);
  });
  return out.join("\n") + "\n";
}

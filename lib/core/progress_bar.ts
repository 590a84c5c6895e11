/**
 * The one-line progress bar of a foreground copy: bytes, percentage, speed
 * and time left. Pure: the command decides where and how often to print it.
 *
 * @module
 */

import { formatDuration, formatSize } from "./units.ts";

/** What the bar shows. */
export interface ProgressFigures {
  /** `copy` or `verify`. */
  phase: "copy" | "verify";
  /** Bytes done. */
  bytesDone: number;
  /** Bytes in total. */
  totalBytes: number;
  /** Current speed, bytes per second. */
  bytesPerSecond: number;
}

/** Options of {@linkcode formatProgress}. */
export interface FormatProgressOptions {
  /**
   * Characters inside the bar's brackets.
   * @default {24}
   */
  barWidth?: number;
}

/**
 * Formats a copy's progress as one line, e.g.
 * `[#########...............]  38%  3.0 GiB / 8.0 GiB  412.3 MB/s  ETA 12s`.
 * Speeds are in MB/s (10^6 bytes), as disks are rated.
 *
 * @param p The figures.
 * @param options The bar width.
 * @returns The line, without a newline.
 *
 * @example Half way through
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatProgress } from "./progress_bar.ts";
 * const line = formatProgress({ phase: "copy", bytesDone: 4 * 1024 ** 3, totalBytes: 8 * 1024 ** 3, bytesPerSecond: 500e6 }, { barWidth: 10 });
 * assert(line === "[#####.....]  50%  4.0 GiB / 8.0 GiB  500.0 MB/s  ETA 9s", line);
 * ```
 */
export function formatProgress(p: ProgressFigures, options: FormatProgressOptions = {}): string {
  const width = options.barWidth ?? 24;
  const frac = p.totalBytes > 0 ? Math.min(1, Math.max(0, p.bytesDone / p.totalBytes)) : 1;
  const filled = Math.floor(frac * width);
  const bar = `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
  const pct = `${Math.floor(frac * 100)}%`.padStart(4);
  const speed = `${(p.bytesPerSecond / 1e6).toFixed(1)} MB/s`;
  if (p.phase === "verify") {
    return `${bar} ${pct}  verifying ${formatSize(p.totalBytes)}  ${speed}`;
  }
  const left = p.totalBytes - p.bytesDone;
  const eta = p.bytesPerSecond > 0 ? `ETA ${formatDuration(left / p.bytesPerSecond)}` : "ETA ?";
  return `${bar} ${pct}  ${formatSize(p.bytesDone)} / ${
    formatSize(p.totalBytes)
  }  ${speed}  ${eta}`;
}

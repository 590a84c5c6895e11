/**
 * Sizes and durations as users type them (`50g`, `1.5g`, `2h`, `3d`) and as
 * llama-pack prints them. Sizes are binary: `1g` = 1024³ bytes, as `df -h`
 * and `ls -lh` count.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
};

/** The largest size accepted: 1 PiB (a typo guard; no model or disk is near it). */
const MAX_SIZE = 1024 ** 5;

/** The longest duration accepted: 100 years (a typo guard). */
const MAX_DURATION = 100 * 365 * 86400;

/** Bytes in one GiB, the unit of every `*_gb` config key. */
export const GIB = 1024 ** 3;

/**
 * Parses a size such as `50g`, `100m`, `1.5g`, `2t` or `4096b` (bytes). A
 * number without a unit is refused: `--check 40` means 40 GiB to people and
 * 40 bytes to a parser, so the user says which.
 *
 * @param text The size as typed.
 * @param where Where the text came from, for the error message (e.g. `--sim-ssd-free`).
 * @returns The size in bytes, rounded down to a whole byte.
 * @throws {LlamaPackError} `BAD_SIZE` when the text is not a size or has no unit.
 *
 * @example Parsing sizes
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSize } from "./units.ts";
 * assert(parseSize("1.5g") === 1.5 * 1024 ** 3);
 * assert(parseSize("100M") === 100 * 1024 ** 2);
 * ```
 */
export function parseSize(text: string, where = "size"): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (m && m[2] === "") {
    const n = m[1]!;
    throw new LlamaPackError(
      "BAD_SIZE",
      `${where}: size '${text.trim()}' needs a unit: ${n}g (GiB), ${n}m (MiB), ${n}t (TiB) or ${n}b (bytes)`,
    );
  }
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) {
    throw new LlamaPackError(
      "BAD_SIZE",
      `${where}: cannot parse size '${text}' (use e.g. 50g, 100m, 1.5g, 2t)`,
    );
  }
  const value = Math.floor(Number(m[1]) * unit);
  if (!Number.isFinite(value) || value > MAX_SIZE) {
    throw new LlamaPackError("BAD_SIZE", `${where}: size '${text}' is too large (at most 1024t)`);
  }
  return value;
}

/**
 * Formats bytes for people: `512 B`, `8.0 MiB`, `40.0 GiB`, `1.20 TiB`.
 *
 * @param bytes A byte count (negative counts keep their sign).
 * @returns The size with one decimal (two for TiB).
 *
 * @example Formatting sizes
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatSize } from "./units.ts";
 * assert(formatSize(40 * 1024 ** 3) === "40.0 GiB");
 * assert(formatSize(512) === "512 B");
 * ```
 */
export function formatSize(bytes: number): string {
  const sign = bytes < 0 ? "-" : "";
  const b = Math.abs(bytes);
  if (b < 1024) return `${sign}${b} B`;
  if (b < 1024 ** 2) return `${sign}${(b / 1024).toFixed(1)} KiB`;
  if (b < 1024 ** 3) return `${sign}${(b / 1024 ** 2).toFixed(1)} MiB`;
  if (b < 1024 ** 4) return `${sign}${(b / 1024 ** 3).toFixed(1)} GiB`;
  return `${sign}${(b / 1024 ** 4).toFixed(2)} TiB`;
}

const DURATION_UNITS: Record<string, number> = {
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
  w: 7 * 86400,
};

/**
 * Parses a duration such as `30s`, `15m`, `2h`, `1.5d` or `1w`.
 *
 * @param text The duration as typed; a bare number is seconds.
 * @param where Where the text came from, for the error message.
 * @returns The duration in seconds.
 * @throws {LlamaPackError} `BAD_DURATION` when the text is not a duration.
 *
 * @example Parsing durations
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseDuration } from "./units.ts";
 * assert(parseDuration("2h") === 7200);
 * assert(parseDuration("1w") === 604800);
 * ```
 */
export function parseDuration(text: string, where = "duration"): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*([smhdw]?)\s*$/.exec(text);
  if (!m) {
    throw new LlamaPackError(
      "BAD_DURATION",
      `${where}: cannot parse duration '${text}' (use e.g. 30s, 15m, 2h, 1d, 1w)`,
    );
  }
  const seconds = Number(m[1]) * DURATION_UNITS[m[2] || "s"]!;
  if (!(seconds <= MAX_DURATION)) {
    throw new LlamaPackError(
      "BAD_DURATION",
      `${where}: duration '${text}' is too long (at most 100 years)`,
    );
  }
  return seconds;
}

/**
 * Formats seconds for people: `45s`, `12m`, `12m 00s`, `3h 05m`, `2d 04h`.
 *
 * @param seconds A duration in seconds.
 * @returns The duration in at most two units.
 *
 * @example Formatting durations
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatDuration } from "./units.ts";
 * assert(formatDuration(3 * 3600 + 5 * 60) === "3h 05m");
 * assert(formatDuration(42) === "42s");
 * ```
 */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  if (s < 86400) {
    return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  }
  return `${Math.floor(s / 86400)}d ${String(Math.floor((s % 86400) / 3600)).padStart(2, "0")}h`;
}

/**
 * Formats an elapsed time: tenths of a second under a minute, else as
 * {@linkcode formatDuration}.
 *
 * @param seconds Elapsed seconds.
 * @returns E.g. `4.2s`, `3m 05s`.
 *
 * @example Formatting elapsed times
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatElapsed } from "./units.ts";
 * assert.equal(formatElapsed(4.2), "4.2s");
 * assert.equal(formatElapsed(185), "3m 05s");
 * ```
 */
export function formatElapsed(seconds: number): string {
  return seconds < 60 ? `${seconds.toFixed(1)}s` : formatDuration(seconds);
}

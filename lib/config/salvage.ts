/**
 * What is still usable in a config with errors, for the commands that need
 * only the state (`--status`, `-k`, `--killall`, `--logs`): a typo must not
 * keep a user from seeing or stopping a running server. Every top-level key
 * with an error is dropped (its default applies; `ssd_path` and `hdd_path`
 * become `~/models/ssd` and `~/models/hdd`); a file that cannot be read as
 * JSONC at all gives the defaults. Pure.
 *
 * @module
 */

import { parseJsonc } from "./jsonc.ts";
import { type ConfigProblem, parseConfig, type ParseConfigOptions } from "./parse.ts";
import type { Config } from "./config.ts";

/** What {@linkcode salvageConfig} keeps. */
export interface SalvagedConfig {
  /** The config from the keys without errors (and defaults for the rest). */
  config: Config;
  /** The top-level keys dropped, in file order (`(syntax)` when nothing could be read). */
  dropped: string[];
  /** The problems of the original text. */
  problems: ConfigProblem[];
}

/**
 * Builds a config from the valid part of a config text.
 *
 * @param text The config text.
 * @param path Its path (for messages).
 * @param options As {@linkcode parseConfig}.
 * @returns The config and what was dropped.
 *
 * @example A typo costs only its own key
 * ```ts
 * import assert from "node:assert/strict";
 * import { salvageConfig } from "./salvage.ts";
 * const s = salvageConfig(`{"default_port": 9000, "ssd_min_fre_gb": 3}`, "c.json");
 * assert(s.config.default_port === 9000);
 * assert.deepEqual(s.dropped, ["ssd_min_fre_gb"]);
 * ```
 */
export function salvageConfig(
  text: string,
  path: string,
  options: ParseConfigOptions = {},
): SalvagedConfig {
  const first = parseConfig(text, path, options);
  if (first.config) return { config: first.config, dropped: [], problems: first.problems };
  // The two required keys get their documented defaults when they are the problem.
  const required: Record<string, string> = {
    ssd_path: '"~/models/ssd"',
    hdd_path: '"~/models/hdd"',
  };
  const fallback = Object.entries(required).map(([k, v]) => `"${k}": ${v}`).join(", ");
  const defaults = () => parseConfig(`{${fallback}}`, path, options).config!;
  const { root } = parseJsonc(text);
  if (!root || root.type !== "object") {
    return { config: defaults(), dropped: ["(syntax)"], problems: first.problems };
  }
  const bad = new Set(
    first.problems.filter((p) => p.severity === "error").map((p) => p.key.split(".")[0]!),
  );
  const kept: string[] = [];
  const dropped: string[] = [];
  for (const prop of root.children ?? []) {
    const [k, v] = prop.children ?? [];
    if (!k || !v) continue;
    const key = String(k.value);
    if (bad.has(key)) dropped.push(key);
    else kept.push(`${JSON.stringify(key)}: ${text.slice(v.offset, v.offset + v.length)}`);
  }
  for (const [k, v] of Object.entries(required)) {
    if (!kept.some((line) => line.startsWith(`"${k}":`))) kept.push(`"${k}": ${v}`);
  }
  const second = parseConfig(`{${kept.join(",\n")}}`, path, options);
  return { config: second.config ?? defaults(), dropped, problems: first.problems };
}

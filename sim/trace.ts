/**
 * Trace files: JSON Lines of loads, one object a line,
 * `{"t": seconds, "model": "name", "size": bytes, "duration": seconds}`
 * (`duration` optional; `size` optional when a lookup knows the model).
 * Blank lines are skipped; other keys are ignored.
 *
 * @module
 */

import { LlamaPackError } from "../lib/errors.ts";
import { type Load, sortLoads } from "./workload.ts";

/** Options of {@linkcode parseTrace}. */
export interface ParseTraceOptions {
  /**
   * Where the text came from, for error messages (`file:line`).
   * @default "trace"
   */
  source?: string;
  /**
   * Run duration in seconds for lines without `duration`.
   * @default 3600
   */
  defaultDuration?: number;
  /**
   * Gives the size in bytes of a model whose line has no `size`.
   * @default a lookup that knows no model
   */
  resolveSize?: (model: string) => number | undefined;
}

function describe(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/**
 * Parses a JSON Lines trace into loads.
 *
 * @param text The file's content.
 * @param options Error label, default duration, size lookup.
 * @returns The loads sorted by time (ties in file order).
 * @throws {LlamaPackError} `BAD_PATTERN` naming `file:line` and the key, e.g.
 *   `trace.jsonl:3: key 't': expected seconds ≥ 0, got "noon"`.
 *
 * @example Parsing a trace
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseTrace } from "./trace.ts";
 * const loads = parseTrace(
 *   '{"t": 60, "model": "b", "size": 1000}\n{"t": 0, "model": "a", "size": 5, "duration": 30}\n',
 * );
 * assert(loads[0]!.model === "a" && loads[0]!.duration === 30);
 * assert(loads[1]!.duration === 3600);
 * ```
 */
export function parseTrace(text: string, options: ParseTraceOptions = {}): Load[] {
  const source = options.source ?? "trace";
  const defaultDuration = options.defaultDuration ?? 3600;
  const resolveSize = options.resolveSize ?? (() => undefined);
  const loads: Load[] = [];
  const sizes = new Map<string, { size: number; line: number }>();
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "") continue;
    const where = `${source}:${i + 1}`;
    const fail = (message: string): never => {
      throw new LlamaPackError("BAD_PATTERN", `${where}: ${message}`);
    };
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      fail(`not valid JSON (${err instanceof Error ? err.message : String(err)})`);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      fail(`expected an object like {"t": 0, "model": "name", "size": 1073741824}`);
    }
    const record = value as Record<string, unknown>;
    const number = (key: string, what: string, positive: boolean): number | undefined => {
      const v = record[key];
      if (v === undefined) return undefined;
      if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || (positive && v === 0)) {
        fail(`key '${key}': expected ${what}, got ${describe(v)}`);
      }
      return v as number;
    };
    const at = number("t", "seconds ≥ 0", false);
    if (at === undefined) fail(`key 't' is missing (seconds since the trace start)`);
    const model = record["model"];
    if (model === undefined) fail(`key 'model' is missing`);
    if (typeof model !== "string" || model.trim() === "") {
      fail(`key 'model': expected a model name, got ${describe(model)}`);
    }
    const name = (model as string).trim();
    let size = number("size", "bytes > 0", true);
    if (size === undefined) {
      size = resolveSize(name);
      if (size === undefined) fail(`key 'size' is missing and model '${name}' is not indexed`);
    }
    const seen = sizes.get(name);
    if (seen !== undefined && seen.size !== size) {
      fail(`key 'size': model '${name}' had size ${seen.size} on line ${seen.line}, now ${size}`);
    }
    sizes.set(name, { size: size!, line: i + 1 });
    const duration = number("duration", "seconds ≥ 0", false) ?? defaultDuration;
    loads.push({ at: at!, model: name, size: size!, duration });
  }
  return sortLoads(loads);
}

/**
 * Writes loads as a JSON Lines trace that {@linkcode parseTrace} reads back.
 *
 * @param loads The loads.
 * @returns One JSON object a line, ending with a newline (empty for no loads).
 *
 * @example Round trip
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatTrace, parseTrace } from "./trace.ts";
 * const loads = [{ at: 0, model: "a", size: 5, duration: 30 }];
 * assert(formatTrace(loads) === '{"t":0,"model":"a","size":5,"duration":30}\n');
 * assert(parseTrace(formatTrace(loads))[0]!.duration === 30);
 * ```
 */
export function formatTrace(loads: readonly Load[]): string {
  return loads
    .map((l) =>
      JSON.stringify({ t: l.at, model: l.model, size: l.size, duration: l.duration }) + "\n"
    )
    .join("");
}

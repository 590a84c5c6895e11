/**
 * Reading values out of a parsed config tree while collecting problems
 * (pure): the typed getters every config section uses (`str`, `num`,
 * `bool`, unknown-key checks), each problem kept with its line and column.
 * `parse.ts` runs the sections; each section lives in its own
 * `parse_<section>.ts`.
 *
 * @module
 */

import type { JsoncNode as Node } from "./jsonc.ts";
import { propertyValue } from "./jsonc.ts";
import { didYouMean } from "../core/words.ts";

/** One problem found in a config file. */
export interface ConfigProblem {
  /** `"error"` fails the command; `"warning"` is printed and the command goes on. */
  severity: "error" | "warning";
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  column: number;
  /** The key path, e.g. `cache.min_uses`. */
  key: string;
  /** What is wrong. */
  message: string;
}

/** Bounds a number must respect. */
export interface NumberCheck {
  /** Smallest allowed value. */
  min?: number;
  /** Largest allowed value. */
  max?: number;
  /** Must be an integer. */
  integer?: boolean;
  /** Must be strictly greater than this. */
  above?: number;
}

/**
 * The 1-based line and column of an offset in a text.
 *
 * @param text The text.
 * @param offset A character offset.
 * @returns Line and column.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lineCol } from "./reader.ts";
 * assert.deepEqual(lineCol("ab\ncd", 4), { line: 2, column: 2 });
 * ```
 */
export function lineCol(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, column: offset - last };
}

/**
 * Describes a config value for a message: `a string "x"`, `the number 3`, `an array`.
 *
 * @param n The value's node.
 * @returns A short phrase.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describeNode } from "./reader.ts";
 * assert(describeNode({ type: "number", offset: 0, length: 1, value: 3 }) === "the number 3");
 * ```
 */
export function describeNode(n: Node): string {
  if (n.type === "string") return `a string ${JSON.stringify(n.value)}`;
  if (n.type === "number") return `the number ${n.value}`;
  if (n.type === "boolean") return `${n.value}`;
  if (n.type === "null") return "null";
  return `an ${n.type}`;
}

/**
 * Collects problems against one config text and reads typed values out of
 * its tree. Getters never throw: a bad value adds an error and returns the
 * default.
 *
 * @example Reading a number with a bound
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJsonc } from "./jsonc.ts";
 * import { ConfigReader } from "./reader.ts";
 * const text = `{"port": 0}`;
 * const r = new ConfigReader(text);
 * const port = r.num(parseJsonc(text).root!, "port", "", 8080, { min: 1 });
 * assert(port === 0 && r.problems[0]?.message === "must be at least 1, got 0");
 * ```
 */
export class ConfigReader {
  /** The config text (for positions). */
  readonly text: string;
  /** Every problem found so far. */
  readonly problems: ConfigProblem[] = [];

  /**
   * Reads against one text.
   *
   * @param text The config text.
   */
  constructor(text: string) {
    this.text = text;
  }

  /**
   * Records a problem at a node (or at the start of the text).
   *
   * @param severity Error or warning.
   * @param node Where; the text's start when absent.
   * @param key The key path.
   * @param message What is wrong.
   */
  add(
    severity: ConfigProblem["severity"],
    node: Node | undefined,
    key: string,
    message: string,
  ): void {
    this.problems.push({ severity, ...lineCol(this.text, node ? node.offset : 0), key, message });
  }

  /**
   * Whether any error (not warning) was recorded.
   *
   * @returns `true` when the config is invalid.
   */
  hasErrors(): boolean {
    return this.problems.some((p) => p.severity === "error");
  }

  /**
   * Reports keys of `obj` that are not `known` (with a did-you-mean) and keys given twice.
   *
   * @param obj An object node.
   * @param known The allowed keys.
   * @param prefix The key path prefix, e.g. `cache.`.
   */
  checkUnknown(obj: Node, known: readonly string[], prefix: string): void {
    const seen = new Set<string>();
    for (const prop of obj.children ?? []) {
      const k = prop.children?.[0];
      const name = String(k?.value);
      if (seen.has(name)) {
        this.add("error", k, prefix + name, "given twice (the later one would win)");
      }
      seen.add(name);
      if (!known.includes(name)) {
        const hint = didYouMean(name, known);
        this.add(
          "error",
          k,
          prefix + name,
          `unknown key${hint ? ` (did you mean '${prefix}${hint}'?)` : ""}`,
        );
      }
    }
  }

  /**
   * A non-empty string; missing is an error unless there is a default.
   *
   * @param parent The object node.
   * @param key The key.
   * @param prefix The key path prefix.
   * @param def The default.
   * @returns The value, or the default.
   */
  str(parent: Node, key: string, prefix: string, def?: string): string | undefined {
    const n = propertyValue(parent, key);
    if (!n) {
      if (def === undefined) this.add("error", parent, prefix + key, "missing (required)");
      return def;
    }
    if (n.type !== "string" || String(n.value).trim() === "") {
      this.add("error", n, prefix + key, "must be a non-empty string");
      return def;
    }
    return String(n.value);
  }

  /**
   * A number within bounds; missing gives the default.
   *
   * @param parent The object node.
   * @param key The key.
   * @param prefix The key path prefix.
   * @param def The default.
   * @param check The bounds.
   * @returns The value (even when out of bounds: an error is recorded), or the default.
   */
  num(
    parent: Node,
    key: string,
    prefix: string,
    def: number | undefined,
    check: NumberCheck = {},
  ): number | undefined {
    const n = propertyValue(parent, key);
    if (!n) return def;
    if (n.type !== "number") {
      this.add("error", n, prefix + key, `must be a number, got ${describeNode(n)}`);
      return def;
    }
    const v = Number(n.value);
    const problem = numberProblem(v, check);
    if (problem) this.add("error", n, prefix + key, problem);
    return v;
  }

  /**
   * A boolean; missing gives the default.
   *
   * @param parent The object node.
   * @param key The key.
   * @param prefix The key path prefix.
   * @param def The default.
   * @returns The value, or the default.
   */
  bool(parent: Node, key: string, prefix: string, def: boolean): boolean {
    const n = propertyValue(parent, key);
    if (!n) return def;
    if (n.type !== "boolean") {
      this.add("error", n, prefix + key, `must be true or false, got ${describeNode(n)}`);
      return def;
    }
    return Boolean(n.value);
  }
}

/**
 * What is wrong with a number, if anything.
 *
 * @param v The number.
 * @param check The bounds.
 * @returns The problem, or `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { numberProblem } from "./reader.ts";
 * assert(numberProblem(2.5, { integer: true }) === "must be a whole number, got 2.5");
 * assert(numberProblem(3, { min: 1 }) === undefined);
 * ```
 */
export function numberProblem(v: number, check: NumberCheck): string | undefined {
  if (check.integer && !Number.isInteger(v)) return `must be a whole number, got ${v}`;
  if (check.min !== undefined && v < check.min) return `must be at least ${check.min}, got ${v}`;
  if (check.above !== undefined && v <= check.above) {
    return `must be greater than ${check.above}, got ${v}`;
  }
  if (check.max !== undefined && v > check.max) return `must be at most ${check.max}, got ${v}`;
  return undefined;
}

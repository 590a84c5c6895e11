/**
 * A small JSONC reader (JSON with `//` and `/* *\/` comments and trailing
 * commas) that keeps every value's offset, so config problems can be
 * reported as `FILE:LINE:COL`. Pure; written for the config file, where it
 * replaces an npm package whose import alone cost ~40 ms of start-up.
 * Objects and arrays nest at most {@linkcode MAX_JSONC_DEPTH} deep: deeper
 * text is a syntax error at the bracket that goes too deep, never a stack
 * overflow.
 *
 * @module
 */

/** How deep objects and arrays may nest (a config needs 3 levels). */
export const MAX_JSONC_DEPTH = 64;

/** One value of the tree, with where it starts in the text. */
export interface JsoncNode {
  /** What it is; `property` is a key/value pair of an object. */
  type: "object" | "array" | "property" | "string" | "number" | "boolean" | "null";
  /** Offset of its first character. */
  offset: number;
  /** Its length in characters. */
  length: number;
  /** The value, for strings, numbers, booleans and null. */
  value?: unknown;
  /** Object properties, array items, or a property's `[key, value]`. */
  children?: JsoncNode[];
}

/** A syntax error. */
export interface JsoncError {
  /** What is wrong, e.g. `comma expected`. */
  message: string;
  /** Where (offset into the text). */
  offset: number;
}

/** The result of {@linkcode parseJsonc}. */
export interface JsoncResult {
  /** The tree, when the text is valid. */
  root: JsoncNode | undefined;
  /** The first syntax error, if any. */
  error: JsoncError | undefined;
}

class Fail extends Error {
  constructor(readonly at: number, message: string) {
    super(message);
  }
}

/**
 * Parses JSONC text into a tree with offsets.
 *
 * @param text The text.
 * @returns The tree, or the first syntax error.
 *
 * @example Comments, trailing commas and offsets
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJsonc, propertyValue } from "./jsonc.ts";
 * const { root } = parseJsonc(`{ // hi\n  "port": 8080,\n}`);
 * const port = propertyValue(root!, "port");
 * assert.equal(port?.value, 8080);
 * assert.equal(port?.offset, 18);
 * assert.equal(parseJsonc(`{"a": 1 "b": 2}`).error?.message, "comma expected");
 * assert.equal(parseJsonc("[".repeat(100_000)).error?.offset, 64);
 * ```
 */
export function parseJsonc(text: string): JsoncResult {
  let i = 0;
  let depth = 0;
  const skip = () => {
    for (;;) {
      const c = text[i];
      if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\uFEFF") i++;
      else if (c === "/" && text[i + 1] === "/") {
        while (i < text.length && text[i] !== "\n") i++;
      } else if (c === "/" && text[i + 1] === "*") {
        const end = text.indexOf("*/", i + 2);
        if (end < 0) throw new Fail(i, "unexpected end of comment");
        i = end + 2;
      } else return;
    }
  };
  const str = (): JsoncNode => {
    const start = i;
    i++; // opening quote
    for (;;) {
      const c = text[i];
      if (c === undefined || c === "\n") throw new Fail(start, "unexpected end of string");
      if (c === "\\") i += 2;
      else if (c === '"') break;
      else i++;
    }
    i++;
    let value: unknown;
    try {
      value = JSON.parse(text.slice(start, i));
    } catch {
      throw new Fail(start, "invalid escape character");
    }
    return { type: "string", offset: start, length: i - start, value };
  };
  const value = (): JsoncNode => {
    skip();
    const start = i;
    const c = text[i];
    if (c === undefined) throw new Fail(i, "value expected");
    if (c === "{") return object();
    if (c === "[") return array();
    if (c === '"') return str();
    const word = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(
      text.slice(i, i + 400),
    )?.[0];
    if (!word) throw new Fail(i, /[\d-]/.test(c) ? "invalid number format" : "value expected");
    i += word.length;
    if (/[A-Za-z0-9_$]/.test(text[i] ?? "")) throw new Fail(start, "value expected");
    const base = { offset: start, length: word.length };
    if (word === "true" || word === "false") {
      return { type: "boolean", ...base, value: word === "true" };
    }
    if (word === "null") return { type: "null", ...base, value: null };
    return { type: "number", ...base, value: Number(word) };
  };
  const list = (close: string, item: () => JsoncNode, closeName: string): JsoncNode[] => {
    if (++depth > MAX_JSONC_DEPTH) {
      throw new Fail(i, `nested too deeply (more than ${MAX_JSONC_DEPTH} levels)`);
    }
    const items: JsoncNode[] = [];
    i++;
    for (;;) {
      skip();
      if (text[i] === close) {
        i++;
        depth--;
        return items;
      }
      if (text[i] === undefined) throw new Fail(i, `${closeName} expected`);
      items.push(item());
      skip();
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === close) continue;
      throw new Fail(i, text[i] === undefined ? `${closeName} expected` : "comma expected");
    }
  };
  const object = (): JsoncNode => {
    const start = i;
    const children = list("}", () => {
      if (text[i] !== '"') throw new Fail(i, "property name expected");
      const key = str();
      skip();
      if (text[i] !== ":") throw new Fail(i, "colon expected");
      i++;
      const v = value();
      return {
        type: "property",
        offset: key.offset,
        length: v.offset + v.length - key.offset,
        children: [key, v],
      };
    }, "closing brace");
    return { type: "object", offset: start, length: i - start, children };
  };
  const array = (): JsoncNode => {
    const start = i;
    const children = list("]", value, "closing bracket");
    return { type: "array", offset: start, length: i - start, children };
  };
  try {
    const root = value();
    skip();
    if (i < text.length) throw new Fail(i, "end of file expected");
    return { root, error: undefined };
  } catch (err) {
    if (err instanceof Fail) {
      return { root: undefined, error: { message: err.message, offset: err.at } };
    }
    throw err;
  }
}

/**
 * The value of an object's property (the last one, if a key is repeated).
 *
 * @param node An object node.
 * @param key The property name.
 * @returns The value node, or `undefined`.
 *
 * @example Finding a property
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJsonc, propertyValue } from "./jsonc.ts";
 * assert.equal(propertyValue(parseJsonc(`{"a": [1]}`).root!, "a")?.type, "array");
 * ```
 */
export function propertyValue(node: JsoncNode, key: string): JsoncNode | undefined {
  if (node.type !== "object") return undefined;
  let found: JsoncNode | undefined;
  for (const p of node.children ?? []) if (p.children?.[0]?.value === key) found = p.children[1];
  return found;
}

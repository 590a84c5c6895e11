/**
 * The config's `serve` section (for `llama-pack --serve`) and its `aliases`
 * map, validated with positions (pure).
 *
 * @module
 */

import { type JsoncNode as Node, propertyValue } from "./jsonc.ts";
import { type ConfigReader, describeNode } from "./reader.ts";
import { apiKeyProblem, parseListen, parsePortRange } from "../core/listen.ts";
import { parseDuration } from "../core/units.ts";
import type { ServeSettings } from "./config.ts";

const SERVE_KEYS = [
  "listen",
  "max_running",
  "idle_unload",
  "child_ports",
  "load_timeout",
  "monitor_interval_s",
  "api_keys",
] as const;

/** Keys shorter than this are accepted with a warning. */
const SHORT_KEY = 16;

/**
 * The `serve` section's defaults.
 *
 * @returns A fresh settings object.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultServeSettings } from "./parse_serve.ts";
 * assert(defaultServeSettings().listen.port === 8080);
 * ```
 */
export function defaultServeSettings(): ServeSettings {
  return {
    listen: { host: "127.0.0.1", port: 8080 },
    max_running: 1,
    idle_unload_s: undefined,
    child_ports: { first: 8100, last: 8199 },
    load_timeout_s: "adaptive",
    monitor_interval_s: 300,
    api_keys: [],
  };
}

/** A duration given as a string (`30m`, `never`) or as seconds. */
function duration(
  r: ConfigReader,
  node: Node | undefined,
  key: string,
  words: readonly string[],
): number | string | undefined {
  if (!node) return undefined;
  if (node.type === "number") {
    const v = Number(node.value);
    if (!(v > 0)) r.add("error", node, key, `must be greater than 0 seconds, got ${v}`);
    return v;
  }
  if (node.type === "string") {
    const text = String(node.value).trim();
    if (words.includes(text)) return text;
    try {
      const v = parseDuration(text, key);
      if (v <= 0) r.add("error", node, key, `must be longer than 0, got '${text}'`);
      return v;
    } catch {
      r.add(
        "error",
        node,
        key,
        `'${text}' is not a duration (e.g. 90s, 30m, 2h) or ${words.join("/")}`,
      );
      return undefined;
    }
  }
  r.add("error", node, key, `must be a duration such as "30m", got ${describeNode(node)}`);
  return undefined;
}

/**
 * Reads the `serve` section.
 *
 * @param r The reader collecting problems.
 * @param root The config's root object.
 * @returns The settings (defaults where absent or invalid).
 *
 * @example Reading a listen address and a key
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJsonc } from "./jsonc.ts";
 * import { ConfigReader } from "./reader.ts";
 * import { parseServeSection } from "./parse_serve.ts";
 * const text = `{"serve": {"listen": "0.0.0.0:9000", "api_keys": ["a-long-enough-secret"]}}`;
 * const r = new ConfigReader(text);
 * const s = parseServeSection(r, parseJsonc(text).root!);
 * assert(s.listen.host === "0.0.0.0" && s.api_keys.length === 1 && r.problems.length === 0);
 * ```
 */
export function parseServeSection(r: ConfigReader, root: Node): ServeSettings {
  const s = defaultServeSettings();
  const node = propertyValue(root, "serve");
  if (!node) return s;
  if (node.type !== "object") {
    r.add("error", node, "serve", `must be an object, got ${describeNode(node)}`);
    return s;
  }
  r.checkUnknown(node, SERVE_KEYS, "serve.");
  const p = "serve.";

  const listenText = r.str(node, "listen", p, "127.0.0.1:8080")!;
  const listen = parseListen(listenText);
  if (typeof listen === "string") {
    r.add("error", propertyValue(node, "listen"), p + "listen", listen);
  } else s.listen = listen;

  s.max_running = r.num(node, "max_running", p, 1, { min: 1, integer: true })!;

  const idle = duration(r, propertyValue(node, "idle_unload"), p + "idle_unload", ["never"]);
  s.idle_unload_s = typeof idle === "number" ? idle : undefined;

  const portsNode = propertyValue(node, "child_ports");
  if (portsNode) {
    const text = portsNode.type === "string"
      ? String(portsNode.value)
      : portsNode.type === "array" && portsNode.children?.length === 2 &&
          portsNode.children.every((c) => c.type === "number")
      ? `${portsNode.children[0]!.value}-${portsNode.children[1]!.value}`
      : undefined;
    const range = text === undefined
      ? `must be a range "FIRST-LAST" or [FIRST, LAST], got ${describeNode(portsNode)}`
      : parsePortRange(text);
    if (typeof range === "string") r.add("error", portsNode, p + "child_ports", range);
    else {
      s.child_ports = range;
      if (s.listen.port >= range.first && s.listen.port <= range.last) {
        r.add(
          "error",
          portsNode,
          p + "child_ports",
          `${text} contains the listen port ${s.listen.port}`,
        );
      }
    }
  } else if (s.listen.port >= 8100 && s.listen.port <= 8199) {
    r.add(
      "error",
      propertyValue(node, "listen"),
      p + "listen",
      `port ${s.listen.port} lies in the default child_ports 8100-8199: set serve.child_ports`,
    );
  }
  const timeout = duration(r, propertyValue(node, "load_timeout"), p + "load_timeout", [
    "adaptive",
  ]);
  s.load_timeout_s = typeof timeout === "number" ? timeout : "adaptive";

  s.monitor_interval_s = r.num(node, "monitor_interval_s", p, 300, { above: 0 })!;

  const keysNode = propertyValue(node, "api_keys");
  if (keysNode) {
    if (keysNode.type !== "array") {
      r.add(
        "error",
        keysNode,
        p + "api_keys",
        `must be a list of strings, got ${describeNode(keysNode)}`,
      );
    } else {
      keysNode.children!.forEach((c, i) => {
        const key = `${p}api_keys[${i}]`;
        if (c.type !== "string") {
          r.add("error", c, key, `must be a string, got ${describeNode(c)}`);
          return;
        }
        const value = String(c.value);
        const problem = apiKeyProblem(value);
        // The key itself is never repeated in a message.
        if (problem) return r.add("error", c, key, problem);
        if (s.api_keys.includes(value)) {
          return r.add("warning", c, key, "the same key is listed twice");
        }
        if (value.length < SHORT_KEY) {
          r.add("warning", c, key, `is shorter than ${SHORT_KEY} characters: easy to guess`);
        }
        s.api_keys.push(value);
      });
    }
  }
  return s;
}

/**
 * Reads the `aliases` map: short names for models, `{"coder": "qwen3-coder-30b"}`;
 * each value is a model query resolved like `-m`.
 *
 * @param r The reader collecting problems.
 * @param root The config's root object.
 * @returns Alias → model query.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJsonc } from "./jsonc.ts";
 * import { ConfigReader } from "./reader.ts";
 * import { parseAliases } from "./parse_serve.ts";
 * const text = `{"aliases": {"coder": "qwen3-coder"}}`;
 * assert(parseAliases(new ConfigReader(text), parseJsonc(text).root!).coder === "qwen3-coder");
 * ```
 */
export function parseAliases(r: ConfigReader, root: Node): Record<string, string> {
  const out: Record<string, string> = {};
  const node = propertyValue(root, "aliases");
  if (!node) return out;
  if (node.type !== "object") {
    r.add(
      "error",
      node,
      "aliases",
      `must be an object {"alias": "model"}, got ${describeNode(node)}`,
    );
    return out;
  }
  for (const prop of node.children ?? []) {
    const k = prop.children?.[0];
    const v = prop.children?.[1];
    const name = String(k?.value);
    const key = `aliases.${name}`;
    if (name.trim() === "" || /\s/.test(name)) {
      r.add("error", k, key, "an alias must be one word without spaces");
      continue;
    }
    if (Object.hasOwn(out, name)) {
      r.add("error", k, key, "given twice (the later one would win)");
      continue;
    }
    if (!v || v.type !== "string" || String(v.value).trim() === "") {
      r.add("error", v, key, "must name a model (a non-empty string)");
      continue;
    }
    out[name] = String(v.value);
  }
  return out;
}

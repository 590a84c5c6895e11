/**
 * Parsing and validating config text (pure): JSONC (comments and trailing
 * commas allowed) read into a typed {@linkcode Config}, with every problem
 * reported at once as `PATH:LINE:COL: key: problem`.
 *
 * @module
 */

import { type JsoncNode as Node, parseJsonc, propertyValue } from "./jsonc.ts";
import { isAbsolute, relative, resolve } from "node:path";
import { type Env, expandHome } from "./paths.ts";
import { DEFAULT_SIMULATIONS, type SimulationPreset } from "../core/sim_presets.ts";
import { SERVER_ADAPTERS } from "../server/adapter.ts";
import { didYouMean, splitWords } from "../core/words.ts";
import type { CacheSettings, Config } from "./config.ts";
import { describe, readCleanup, readStores } from "./parse_sections.ts";

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

/** The result of {@linkcode parseConfig}. */
export interface ParsedConfig {
  /** The config, when there are no errors. */
  config: Config | undefined;
  /** Every error and warning, in file order. */
  problems: ConfigProblem[];
}

/** Options of {@linkcode parseConfig}. */
export interface ParseConfigOptions {
  /** The environment used for `~` expansion. @default {} */
  env?: Env;
  /** Tells whether a directory exists; missing ones become warnings. @default no check */
  dirExists?: (path: string) => boolean;
  /** Resolves symlinks in a path (identity when it does not exist). @default identity */
  realPath?: (path: string) => string;
}

const TOP_KEYS = [
  "ssd_path",
  "hdd_path",
  "ssd_min_free_gb",
  "ssd_limit_gb",
  "cache",
  "global_llama_args",
  "server_type",
  "server_binary",
  "default_host",
  "default_port",
  "ready_timeout_s",
  "cache_warning_threshold",
  "hdd_read_mbps",
  "ssd_write_mbps",
  "simulations",
  "stores",
  "cleanup",
] as const;
const CACHE_KEYS = ["min_uses", "window_days", "auto", "adaptive"] as const;
const PRESET_KEYS = ["description", "pattern", "ssd_free_gb"] as const;

function lineCol(text: string, offset: number): { line: number; column: number } {
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
 * Parses and validates config text. Never throws for bad content: every
 * problem comes back in `problems`, and `config` is set only when there is no
 * error.
 *
 * @param text The file's text.
 * @param path The file's path, used in messages by {@linkcode formatProblem}.
 * @param options Environment and directory check.
 * @returns The config (if valid) and every problem found.
 *
 * @example Reporting problems with positions
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseConfig } from "./parse.ts";
 * const r = parseConfig(`{"ssd_path": "/s", "hdd_path": "/h", "ssd_min_free_gb": -1}`, "c.json");
 * assert(r.config === undefined);
 * assert(r.problems[0]?.key === "ssd_min_free_gb");
 * ```
 */
export function parseConfig(
  text: string,
  path: string,
  options: ParseConfigOptions = {},
): ParsedConfig {
  void path;
  const env = options.env ?? {};
  const problems: ConfigProblem[] = [];
  const at = (node: Node | undefined, fallback = 0) => lineCol(text, node ? node.offset : fallback);
  const add = (
    severity: ConfigProblem["severity"],
    node: Node | undefined,
    key: string,
    message: string,
  ) => problems.push({ severity, ...at(node), key, message });

  const { root, error } = parseJsonc(text);
  if (error) {
    problems.push({
      severity: "error",
      ...lineCol(text, error.offset),
      key: "(syntax)",
      message: `syntax error: ${error.message}`,
    });
    return { config: undefined, problems };
  }
  if (!root || root.type !== "object") {
    add("error", root, "(top)", "the config must be a JSON object");
    return { config: undefined, problems };
  }

  const keyNode = (parent: Node, key: string) => propertyValue(parent, key);
  const checkUnknown = (obj: Node, known: readonly string[], prefix: string) => {
    const seen = new Set<string>();
    for (const prop of obj.children ?? []) {
      const k = prop.children?.[0];
      const name = String(k?.value);
      if (seen.has(name)) add("error", k, prefix + name, "given twice (the later one would win)");
      seen.add(name);
      if (!known.includes(name)) {
        const hint = didYouMean(name, known);
        add(
          "error",
          k,
          prefix + name,
          `unknown key${hint ? ` (did you mean '${prefix}${hint}'?)` : ""}`,
        );
      }
    }
  };
  checkUnknown(root, TOP_KEYS, "");

  const str = (parent: Node, key: string, prefix: string, def?: string): string | undefined => {
    const n = keyNode(parent, key);
    if (!n) {
      if (def === undefined) add("error", parent, prefix + key, "missing (required)");
      return def;
    }
    if (n.type !== "string" || String(n.value).trim() === "") {
      add("error", n, prefix + key, "must be a non-empty string");
      return def;
    }
    return String(n.value);
  };
  const num = (
    parent: Node,
    key: string,
    prefix: string,
    def: number | undefined,
    check: { min?: number; max?: number; integer?: boolean; above?: number } = {},
  ): number | undefined => {
    const n = keyNode(parent, key);
    if (!n) return def;
    if (n.type !== "number") {
      add("error", n, prefix + key, `must be a number, got ${describe(n)}`);
      return def;
    }
    const v = Number(n.value);
    if (check.integer && !Number.isInteger(v)) {
      add("error", n, prefix + key, `must be a whole number, got ${v}`);
    } else if (check.min !== undefined && v < check.min) {
      add("error", n, prefix + key, `must be at least ${check.min}, got ${v}`);
    } else if (check.above !== undefined && v <= check.above) {
      add("error", n, prefix + key, `must be greater than ${check.above}, got ${v}`);
    } else if (check.max !== undefined && v > check.max) {
      add("error", n, prefix + key, `must be at most ${check.max}, got ${v}`);
    }
    return v;
  };
  const bool = (parent: Node, key: string, prefix: string, def: boolean): boolean => {
    const n = keyNode(parent, key);
    if (!n) return def;
    if (n.type !== "boolean") {
      add("error", n, prefix + key, `must be true or false, got ${describe(n)}`);
      return def;
    }
    return Boolean(n.value);
  };
  const dirCheck = (p: string, node: Node | undefined, key: string) => {
    if (options.dirExists && !options.dirExists(p)) {
      add("warning", node, key, `directory '${p}' does not exist (llama-pack will not create it)`);
    }
  };

  const ssdRaw = str(root, "ssd_path", "");
  const ssd_path = ssdRaw === undefined ? "" : expandHome(ssdRaw, env);
  if (ssdRaw !== undefined) dirCheck(ssd_path, keyNode(root, "ssd_path"), "ssd_path");

  const hdd_path: string[] = [];
  const hddNode = keyNode(root, "hdd_path");
  if (!hddNode) add("error", root, "hdd_path", "missing (required)");
  else if (hddNode.type === "string" && String(hddNode.value).trim() !== "") {
    hdd_path.push(expandHome(String(hddNode.value), env));
    dirCheck(hdd_path[0]!, hddNode, "hdd_path");
  } else if (hddNode.type === "array" && (hddNode.children?.length ?? 0) > 0) {
    hddNode.children!.forEach((c, i) => {
      if (c.type !== "string" || String(c.value).trim() === "") {
        add("error", c, `hdd_path[${i}]`, "must be a non-empty string");
      } else {
        const p = expandHome(String(c.value), env);
        hdd_path.push(p);
        dirCheck(p, c, `hdd_path[${i}]`);
      }
    });
  } else {
    add("error", hddNode, "hdd_path", "must be a path or a non-empty list of paths");
  }
  if (ssdRaw !== undefined) {
    // The tiers must be separate trees: llama-pack writes inside ssd_path and
    // never inside hdd_path, and a copy must never be its own original.
    const real = options.realPath ?? ((p: string) => p);
    const ssdReal = resolve(real(ssd_path));
    hdd_path.forEach((h, i) => {
      const key = hddNode?.type === "array" ? `hdd_path[${i}]` : "hdd_path";
      const node = hddNode?.type === "array" ? hddNode.children?.[i] : hddNode;
      const hReal = resolve(real(h));
      if (hReal === ssdReal) {
        add("error", node, key, `is the same directory as ssd_path ('${h}')`);
      } else if (isBelow(ssdReal, hReal)) {
        add(
          "error",
          node,
          key,
          `'${h}' lies inside ssd_path: the tiers must be separate directories`,
        );
      } else if (isBelow(hReal, ssdReal)) {
        add("error", node, key, `'${h}' contains ssd_path: the tiers must be separate directories`);
      }
    });
  }

  const ssd_min_free_gb = num(root, "ssd_min_free_gb", "", 20, { min: 0 })!;
  const ssd_limit_gb = num(root, "ssd_limit_gb", "", undefined, { above: 0 });

  const cache: CacheSettings = { min_uses: 1, window_days: 7, auto: true, adaptive: true };
  const cacheNode = keyNode(root, "cache");
  if (cacheNode) {
    if (cacheNode.type !== "object") {
      add("error", cacheNode, "cache", `must be an object, got ${describe(cacheNode)}`);
    } else {
      checkUnknown(cacheNode, CACHE_KEYS, "cache.");
      cache.min_uses = num(cacheNode, "min_uses", "cache.", 1, { min: 1, integer: true })!;
      cache.window_days = num(cacheNode, "window_days", "cache.", 7, { above: 0 })!;
      cache.auto = bool(cacheNode, "auto", "cache.", true);
      cache.adaptive = bool(cacheNode, "adaptive", "cache.", true);
    }
  }

  let global_llama_args: string[] = [];
  const gla = keyNode(root, "global_llama_args");
  if (gla) {
    if (gla.type === "string") global_llama_args = splitWords(String(gla.value));
    else if (gla.type === "array") {
      gla.children!.forEach((c, i) => {
        if (c.type !== "string" && c.type !== "number") {
          add("error", c, `global_llama_args[${i}]`, `must be a string, got ${describe(c)}`);
        } else global_llama_args.push(String(c.value));
      });
    } else {
      add(
        "error",
        gla,
        "global_llama_args",
        `must be a list of strings or one string, got ${describe(gla)}`,
      );
    }
  }

  const server_type = str(root, "server_type", "", "llama-server")!;
  if (!Object.hasOwn(SERVER_ADAPTERS, server_type)) {
    add(
      "error",
      keyNode(root, "server_type"),
      "server_type",
      `unknown server type '${server_type}' (known: ${Object.keys(SERVER_ADAPTERS).join(", ")})`,
    );
  }
  const server_binary = expandHome(str(root, "server_binary", "", "llama-server")!, env);
  const default_host = str(root, "default_host", "", "127.0.0.1")!;
  const default_port = num(root, "default_port", "", 8080, { min: 1, max: 65535, integer: true })!;
  const ready_timeout_s = num(root, "ready_timeout_s", "", 600, { above: 0 })!;
  const cache_warning_threshold = num(root, "cache_warning_threshold", "", 0.9, {
    above: 0,
    max: 1,
  })!;
  const hdd_read_mbps = num(root, "hdd_read_mbps", "", 150, { above: 0 })!;
  const ssd_write_mbps = num(root, "ssd_write_mbps", "", 500, { above: 0 })!;

  const simulations: Record<string, SimulationPreset> = {};
  const simNode = keyNode(root, "simulations");
  if (!simNode) Object.assign(simulations, DEFAULT_SIMULATIONS);
  else if (simNode.type !== "object") {
    add("error", simNode, "simulations", `must be an object, got ${describe(simNode)}`);
  } else {
    for (const prop of simNode.children ?? []) {
      const name = String(prop.children?.[0]?.value);
      const val = prop.children?.[1];
      const key = `simulations.${name}`;
      if (/[=;]/.test(name)) {
        add("error", prop.children?.[0], key, "preset names may not contain '=' or ';'");
        continue;
      }
      if (!val || val.type !== "object") {
        add("error", val, key, "must be an object {description, pattern, ssd_free_gb}");
        continue;
      }
      checkUnknown(val, PRESET_KEYS, key + ".");
      const description = str(val, "description", key + ".", "") ?? "";
      const pattern = str(val, "pattern", key + ".");
      const ssd_free_gb = num(val, "ssd_free_gb", key + ".", undefined, { min: 0 });
      if (ssd_free_gb === undefined && !keyNode(val, "ssd_free_gb")) {
        add("error", val, key + ".ssd_free_gb", "missing (required)");
      }
      if (pattern !== undefined && ssd_free_gb !== undefined) {
        simulations[name] = { description, pattern, ssd_free_gb };
      }
    }
  }

  const sections = { add, checkUnknown, num, dirCheck, keyNode };
  const stores = readStores(keyNode(root, "stores"), sections, env);
  const cleanup = readCleanup(keyNode(root, "cleanup"), sections);

  problems.sort((a, b) => a.line - b.line || a.column - b.column);
  if (problems.some((p) => p.severity === "error")) return { config: undefined, problems };
  const config: Config = {
    ssd_path,
    hdd_path,
    ssd_min_free_gb,
    cache,
    global_llama_args,
    server_type,
    server_binary,
    default_host,
    default_port,
    ready_timeout_s,
    cache_warning_threshold,
    hdd_read_mbps,
    ssd_write_mbps,
    simulations,
    stores,
    cleanup,
  };
  if (ssd_limit_gb !== undefined) config.ssd_limit_gb = ssd_limit_gb;
  return { config, problems };
}

function isBelow(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== "" && rel !== ".." && !rel.startsWith("../") && !isAbsolute(rel);
}

/**
 * Formats one problem as `PATH:LINE:COL: key: problem`.
 *
 * @param path The config file's path.
 * @param p The problem.
 * @returns One line.
 *
 * @example Formatting a problem
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatProblem } from "./parse.ts";
 * const line = formatProblem("c.json", { severity: "error", line: 3, column: 5, key: "default_port", message: "must be a number" });
 * assert(line === "c.json:3:5: default_port: must be a number");
 * ```
 */
export function formatProblem(path: string, p: ConfigProblem): string {
  return `${path}:${p.line}:${p.column}: ${p.key}: ${p.message}`;
}

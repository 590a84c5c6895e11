/**
 * Parsing and validating config text (pure): JSONC (comments and trailing
 * commas allowed) read into a typed {@linkcode Config}, with every problem
 * reported at once as `PATH:LINE:COL: key: problem`. Each section has its own
 * module: tiers (`parse_tiers.ts`), simulations (`parse_simulations.ts`),
 * `stores` and `cleanup` (`parse_sections.ts`), `serve` and `aliases`
 * (`parse_serve.ts`); the typed getters are in `reader.ts`.
 *
 * @module
 */

import { type JsoncNode as Node, parseJsonc, propertyValue } from "./jsonc.ts";
import type { Env } from "./paths.ts";
import { expandHome } from "./paths.ts";
import { SERVER_ADAPTERS } from "../server/adapter.ts";
import { splitWords } from "../core/words.ts";
import type { CacheSettings, Config } from "./config.ts";
import { type ConfigProblem, ConfigReader, describeNode, lineCol } from "./reader.ts";
import { parseTiers } from "./parse_tiers.ts";
import { parseSimulations } from "./parse_simulations.ts";
import { parseAliases, parseServeSection } from "./parse_serve.ts";
import { readCleanup, readStores, type SectionReader } from "./parse_sections.ts";

export type { ConfigProblem } from "./reader.ts";

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
  "custom_paths",
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
  "aliases",
  "serve",
] as const;
const CACHE_KEYS = ["min_uses", "window_days", "auto", "adaptive"] as const;

function parseCache(r: ConfigReader, root: Node): CacheSettings {
  const cache: CacheSettings = { min_uses: 1, window_days: 7, auto: true, adaptive: true };
  const cacheNode = propertyValue(root, "cache");
  if (!cacheNode) return cache;
  if (cacheNode.type !== "object") {
    r.add("error", cacheNode, "cache", `must be an object, got ${describeNode(cacheNode)}`);
    return cache;
  }
  r.checkUnknown(cacheNode, CACHE_KEYS, "cache.");
  cache.min_uses = r.num(cacheNode, "min_uses", "cache.", 1, { min: 1, integer: true })!;
  cache.window_days = r.num(cacheNode, "window_days", "cache.", 7, { above: 0 })!;
  cache.auto = r.bool(cacheNode, "auto", "cache.", true);
  cache.adaptive = r.bool(cacheNode, "adaptive", "cache.", true);
  return cache;
}

function parseGlobalArgs(r: ConfigReader, root: Node): string[] {
  const out: string[] = [];
  const gla = propertyValue(root, "global_llama_args");
  if (!gla) return out;
  if (gla.type === "string") return splitWords(String(gla.value));
  if (gla.type === "array") {
    gla.children!.forEach((c, i) => {
      if (c.type !== "string" && c.type !== "number") {
        r.add("error", c, `global_llama_args[${i}]`, `must be a string, got ${describeNode(c)}`);
      } else out.push(String(c.value));
    });
    return out;
  }
  r.add(
    "error",
    gla,
    "global_llama_args",
    `must be a list of strings or one string, got ${describeNode(gla)}`,
  );
  return out;
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
  const { root, error } = parseJsonc(text);
  if (error) {
    return {
      config: undefined,
      problems: [{
        severity: "error",
        ...lineCol(text, error.offset),
        key: "(syntax)",
        message: `syntax error: ${error.message}`,
      }],
    };
  }
  const r = new ConfigReader(text);
  if (!root || root.type !== "object") {
    r.add("error", root, "(top)", "the config must be a JSON object");
    return { config: undefined, problems: r.problems };
  }
  r.checkUnknown(root, TOP_KEYS, "");

  const { ssd_path, hdd_path, custom_paths } = parseTiers(r, root, {
    env,
    ...(options.dirExists ? { dirExists: options.dirExists } : {}),
    ...(options.realPath ? { realPath: options.realPath } : {}),
  });
  const ssd_min_free_gb = r.num(root, "ssd_min_free_gb", "", 20, { min: 0 })!;
  const ssd_limit_gb = r.num(root, "ssd_limit_gb", "", undefined, { above: 0 });
  const cache = parseCache(r, root);
  const global_llama_args = parseGlobalArgs(r, root);

  const server_type = r.str(root, "server_type", "", "llama-server")!;
  if (!Object.hasOwn(SERVER_ADAPTERS, server_type)) {
    r.add(
      "error",
      propertyValue(root, "server_type"),
      "server_type",
      `unknown server type '${server_type}' (known: ${Object.keys(SERVER_ADAPTERS).join(", ")})`,
    );
  }
  const server_binary = expandHome(r.str(root, "server_binary", "", "llama-server")!, env);
  const default_host = r.str(root, "default_host", "", "127.0.0.1")!;
  const default_port = r.num(root, "default_port", "", 8080, {
    min: 1,
    max: 65535,
    integer: true,
  })!;
  const ready_timeout_s = r.num(root, "ready_timeout_s", "", 600, { above: 0 })!;
  const cache_warning_threshold = r.num(root, "cache_warning_threshold", "", 0.9, {
    above: 0,
    max: 1,
  })!;
  const hdd_read_mbps = r.num(root, "hdd_read_mbps", "", 150, { above: 0 })!;
  const ssd_write_mbps = r.num(root, "ssd_write_mbps", "", 500, { above: 0 })!;
  const simulations = parseSimulations(r, root);
  const sections: SectionReader = {
    add: (severity, node, key, message) => r.add(severity, node, key, message),
    checkUnknown: (obj, known, prefix) => r.checkUnknown(obj, known, prefix),
    num: (parent, key, prefix, def, check) => r.num(parent, key, prefix, def, check),
    dirCheck: (p, node, key) => {
      if (options.dirExists && !options.dirExists(p)) {
        r.add(
          "warning",
          node,
          key,
          `directory '${p}' does not exist (llama-pack will not create it)`,
        );
      }
    },
    keyNode: propertyValue,
  };
  const stores = readStores(propertyValue(root, "stores"), sections, env);
  const cleanup = readCleanup(propertyValue(root, "cleanup"), sections);
  const aliases = parseAliases(r, root);
  const serve = parseServeSection(r, root);

  const problems = r.problems.sort((a, b) => a.line - b.line || a.column - b.column);
  if (r.hasErrors()) return { config: undefined, problems };
  const config: Config = {
    ssd_path,
    hdd_path,
    custom_paths,
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
    aliases,
    serve,
  };
  if (ssd_limit_gb !== undefined) config.ssd_limit_gb = ssd_limit_gb;
  return { config, problems };
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

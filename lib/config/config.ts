/**
 * The config file: JSONC (comments and trailing commas allowed) read into a
 * typed {@linkcode Config}. Parsing and validation are pure
 * ({@linkcode parseConfig}); {@linkcode loadConfig} and
 * {@linkcode writeDefaultConfig} are the thin file adapters.
 *
 * Every problem is reported at once as `PATH:LINE:COL: key: problem`.
 *
 * @module
 */

import { type JsoncNode as Node, parseJsonc, propertyValue } from "./jsonc.ts";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { LlamaPackError } from "../errors.ts";
import { type Env, expandHome } from "./paths.ts";
import { DEFAULT_SIMULATIONS, type SimulationPreset } from "../core/sim_presets.ts";
import { SERVER_ADAPTERS } from "../server/adapter.ts";

export type { SimulationPreset };

/** When a model is copied to the SSD. */
export interface CacheSettings {
  /**
   * Uses within the window before a model is copied at all (into free room;
   * displacing other copies takes more evidence, see `lib/adapt.ts`). Set 3
   * for the original tool's "3+ uses within 7 days". @default 1
   */
  min_uses: number;
  /** The window, in days. @default 7 */
  window_days: number;
  /** Copy hot models in the background after a load. @default true */
  auto: boolean;
  /**
   * Choose the policy profile (memory length, eviction evidence) from how
   * models are used, with shadow caches; `false` always uses `steady`. @default true
   */
  adaptive: boolean;
}

/** The validated config. Paths are `~`-expanded; `hdd_path` is always a list. */
export interface Config {
  /** The fast tier that holds cached copies. */
  ssd_path: string;
  /** The permanent tier(s). */
  hdd_path: string[];
  /** Free space always kept on the SSD, in GiB. @default 20 */
  ssd_min_free_gb: number;
  /** Most the cached copies may use on the SSD, in GiB. @default unlimited */
  ssd_limit_gb?: number;
  /** The admission rule. */
  cache: CacheSettings;
  /** Arguments passed to every server. @default [] */
  global_llama_args: string[];
  /** Which server adapter starts models. @default "llama-server" */
  server_type: string;
  /** The server executable (a name on PATH or a path). @default "llama-server" */
  server_binary: string;
  /** Host servers listen on. @default "127.0.0.1" */
  default_host: string;
  /** Port servers listen on. @default 8080 */
  default_port: number;
  /** Seconds to wait for a detached server to become ready. @default 600 */
  ready_timeout_s: number;
  /** Usage fraction above which a tier is warned about. @default 0.9 */
  cache_warning_threshold: number;
  /** HDD read speed for simulations, MB/s. @default 150 */
  hdd_read_mbps: number;
  /** SSD write speed for simulations, MB/s. @default 500 */
  ssd_write_mbps: number;
  /** Named simulation presets for `--simulate NAME`. */
  simulations: Record<string, SimulationPreset>;
}

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
] as const;
const CACHE_KEYS = ["min_uses", "window_days", "auto", "adaptive"] as const;
const PRESET_KEYS = ["description", "pattern", "ssd_free_gb"] as const;

/**
 * The text written on first run: every key, commented.
 *
 * @param env The environment, for the example paths under `$HOME`.
 * @returns JSONC text that {@linkcode parseConfig} accepts.
 *
 * @example The default config parses
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfigText, parseConfig } from "./config.ts";
 * const { config } = parseConfig(defaultConfigText({ HOME: "/h" }), "c.json", { env: { HOME: "/h" } });
 * assert(config?.cache.min_uses === 1);
 * ```
 */
export function defaultConfigText(env: Env): string {
  const presets = JSON.stringify(DEFAULT_SIMULATIONS, null, 2).replaceAll("\n", "\n  ");
  void env;
  return `// llama-pack config (JSONC: comments and trailing commas are fine).
// Edit the two paths below, then run: llama-pack --update
{
  // The fast SSD directory where cached copies live. llama-pack creates,
  // verifies and deletes copies only inside this directory.
  "ssd_path": "~/models/ssd",

  // Where your models permanently live (a big HDD): one path or a list.
  // llama-pack never writes to or deletes anything here.
  "hdd_path": "~/models/hdd",

  // Always keep this much free on the SSD (GiB).
  "ssd_min_free_gb": 20,

  // Optional: never let cached copies use more than this much of the SSD (GiB).
  // "ssd_limit_gb": 200,

  // When is a model worth copying to the SSD? A model is copied into free
  // room after min_uses loads within window_days; to displace other copies it
  // must be used more and be worth more than what it displaces.
  "cache": {
    "min_uses": 1, // loads ... (3 = the original "3+ uses within 7 days")
    "window_days": 7, // ... within this many days
    "auto": true, // copy in the background after a load
    "adaptive": true // pick the policy profile that fits how you switch models
  },

  // Arguments passed to every server, e.g. ["-ngl", "99", "-fa", "on"].
  "global_llama_args": [],

  // The server to run: its type and its executable (a name on PATH or a path).
  "server_type": "llama-server",
  "server_binary": "llama-server",
  "default_host": "127.0.0.1",
  "default_port": 8080,

  // Seconds to wait for a detached server (-d) to load before giving up.
  "ready_timeout_s": 600,

  // Warn when a tier is fuller than this fraction.
  "cache_warning_threshold": 0.9,

  // Disk speeds the simulator assumes (MB/s).
  "hdd_read_mbps": 150,
  "ssd_write_mbps": 500,

  // Presets for --simulate NAME: pattern grammar
  //   model[:size]=time/duration[,time[/duration]]...;model2...
  "simulations": ${presets}
}
`;
}

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

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

/**
 * The closest known word to `word`, if one is close enough to be a typo.
 *
 * @param word What the user typed.
 * @param known The words it could have meant.
 * @returns The suggestion, or `undefined`.
 *
 * @example Suggesting a key
 * ```ts
 * import assert from "node:assert/strict";
 * import { didYouMean } from "./config.ts";
 * assert(didYouMean("ssd_pth", ["ssd_path", "hdd_path"]) === "ssd_path");
 * ```
 */
export function didYouMean(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(word.toLowerCase(), k.toLowerCase());
    if (d < bestD || (d === bestD && best !== undefined && k < best)) {
      best = k;
      bestD = d;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/**
 * Splits a command-line string into words, honouring single and double quotes.
 *
 * @param text E.g. `-ngl 99 --alias "my model"`.
 * @returns The words.
 *
 * @example Splitting args
 * ```ts
 * import assert from "node:assert/strict";
 * import { splitWords } from "./config.ts";
 * assert(splitWords(`-c 4096 -a "my model"`).join("|") === "-c|4096|-a|my model");
 * ```
 */
export function splitWords(text: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const m of text.matchAll(re)) out.push(m[1] ?? m[2] ?? m[3]!);
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
 * import { parseConfig } from "./config.ts";
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
  };
  if (ssd_limit_gb !== undefined) config.ssd_limit_gb = ssd_limit_gb;
  return { config, problems };
}

function isBelow(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== "" && rel !== ".." && !rel.startsWith("../") && !isAbsolute(rel);
}

function describe(n: Node): string {
  if (n.type === "string") return `a string ${JSON.stringify(n.value)}`;
  if (n.type === "number") return `the number ${n.value}`;
  if (n.type === "boolean") return `${n.value}`;
  if (n.type === "null") return "null";
  return `an ${n.type}`;
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
 * import { formatProblem } from "./config.ts";
 * const line = formatProblem("c.json", { severity: "error", line: 3, column: 5, key: "default_port", message: "must be a number" });
 * assert(line === "c.json:3:5: default_port: must be a number");
 * ```
 */
export function formatProblem(path: string, p: ConfigProblem): string {
  return `${path}:${p.line}:${p.column}: ${p.key}: ${p.message}`;
}

/** The result of {@linkcode loadConfig}. */
export interface LoadedConfig {
  /** The validated config. */
  config: Config;
  /** Warnings to print (e.g. missing directories), already formatted. */
  warnings: string[];
}

/**
 * Reads and validates the config file. Needs `--allow-read`.
 *
 * @param path The config file's path.
 * @param env The environment, for `~` expansion.
 * @returns The config and its formatted warnings.
 * @throws {LlamaPackError} `CONFIG` with every error, one per line, when invalid;
 *   `IO` when the file cannot be read.
 *
 * @example Loading a config file
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadConfig } from "./config.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/ssd`);
 * await Deno.writeTextFile(`${dir}/c.json`, `{"ssd_path": "${dir}/ssd", "hdd_path": ["${dir}/hdd"],}`);
 * const { config, warnings } = await loadConfig(`${dir}/c.json`, {});
 * assert(config.hdd_path.length === 1 && warnings.length === 1); // hdd does not exist
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadConfig(path: string, env: Env): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new LlamaPackError("IO", `cannot read config '${path}': ${(cause as Error).message}`, {
      cause,
    });
  }
  const { config, problems } = parseConfig(text, path, {
    env,
    dirExists: (p) => {
      try {
        return Deno.statSync(p).isDirectory;
      } catch {
        return false;
      }
    },
    realPath: (p) => {
      try {
        return Deno.realPathSync(p);
      } catch {
        return p;
      }
    },
  });
  const lines = problems.map((p) => formatProblem(path, p));
  if (!config) {
    const errs = problems.filter((p) => p.severity === "error").map((p) => formatProblem(path, p));
    throw new LlamaPackError("CONFIG", errs.join("\n"), {
      hint: `fix the config with: llama-pack --edit-config`,
    });
  }
  return { config, warnings: lines };
}

/**
 * Writes the commented default config if no file exists at `path`; never
 * overwrites. Creates the parent directory. Needs `--allow-read --allow-write`.
 *
 * @param path Where the config belongs.
 * @param env The environment, for the default's paths.
 * @returns `true` when it wrote the file, `false` when one already existed.
 *
 * @example Writing the default once
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeDefaultConfig } from "./config.ts";
 * const dir = await Deno.makeTempDir();
 * assert(await writeDefaultConfig(`${dir}/lp/config.json`, {}) === true);
 * assert(await writeDefaultConfig(`${dir}/lp/config.json`, {}) === false);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeDefaultConfig(path: string, env: Env): Promise<boolean> {
  await mkdir(dirname(path), { recursive: true });
  try {
    await writeFile(path, defaultConfigText(env), { flag: "wx" });
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === "EEXIST") return false;
    throw new LlamaPackError("IO", `cannot write config '${path}': ${(err as Error).message}`, {
      cause: err,
    });
  }
}

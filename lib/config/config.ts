/**
 * What a config is: the validated {@linkcode Config} llama-pack runs with and
 * the commented default file written on first run. Parsing and validation
 * are in `parse.ts` (`parseConfig` is pure); reading and writing the file in
 * `config_file.ts`.
 *
 * @module
 */

import type { Env } from "./paths.ts";
import type { CleanupSettings } from "../core/cleanup.ts";
import type { StoreKind } from "../core/stores.ts";
import { DEFAULT_SIMULATIONS, type SimulationPreset } from "../core/sim_presets.ts";
import type { ListenAddress, PortRange } from "../core/listen.ts";

export type { CleanupSettings, SimulationPreset };

/** One store's setting: on (its default folders), off, or a directory. */
export type StoreSetting = boolean | string;

/** How `llama-pack --serve` runs (the config's `serve` section). */
export interface ServeSettings {
  /** Where it listens. @default 127.0.0.1:8080 */
  listen: ListenAddress;
  /** Most servers running at once; more waits for the least recently used idle one. @default 1 */
  max_running: number;
  /** Seconds after which an idle server is stopped; `undefined` = never. @default never */
  idle_unload_s: number | undefined;
  /** The ports its servers listen on (on 127.0.0.1). @default 8100-8199 */
  child_ports: PortRange;
  /**
   * How long a load may take: `"adaptive"` (size ÷ the tier's learned read
   * speed, plus slack, extended while the server is alive and loading) or
   * fixed seconds. @default "adaptive"
   */
  load_timeout_s: number | "adaptive";
  /** Seconds between background monitor passes (the cache API). @default 300 */
  monitor_interval_s: number;
  /** Keys accepted as `Authorization: Bearer KEY`; none = no auth. @default [] */
  api_keys: string[];
}

/** When a model is copied to the SSD. */
export interface CacheSettings {
  /**
   * Uses within the window before a model is copied at all (into free room;
   * displacing other copies takes more evidence, see `lib/core/profiles.ts`). Set 3
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
  /**
   * Extra model directories (the cache API's `custom` location): scanned
   * like the HDD, never evicted, written only when the API is asked to copy
   * or download a model into one. @default []
   */
  custom_paths: string[];
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
  /**
   * Which stores of other tools are read (read-only): `true` their default
   * folders when they exist, `false` not at all, a path that directory.
   * @default all true
   */
  stores: Record<StoreKind, StoreSetting>;
  /** The ages `--cleanup` goes by. @default forget_after_days 90, unused_days 30, partial_days 7 */
  cleanup: CleanupSettings;
  /** Short names for models: alias → a model name, resolved like `-m`. @default {} */
  aliases: Record<string, string>;
  /** `--serve` settings. */
  serve: ServeSettings;
}

/**
 * The text written on first run: every key, commented.
 *
 * @param env The environment, for the example paths under `$HOME`.
 * @returns JSONC text that `parseConfig` (`parse.ts`) accepts.
 *
 * @example The default config parses
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultConfigText } from "./config.ts";
 * import { parseConfig } from "./parse.ts";
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

  // Optional: more model directories (a USB disk, a network share): scanned
  // like the HDD, never evicted; written only when you ask --serve's API to
  // copy or download a model into one.
  // "custom_paths": ["/mnt/usb/models"],

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

  // Models other tools keep, used read-only (never written, never deleted):
  // true = their usual folders when they exist, false = ignore, or a path.
  "stores": {
    "huggingface": true, // $HF_HUB_CACHE, $HF_HOME/hub, ~/.cache/huggingface/hub
    "llama_cpp": true, // $LLAMA_CACHE, ~/.cache/llama.cpp (older llama.cpp -hf downloads)
    "lmstudio": true, // ~/.lmstudio/models, ~/.cache/lm-studio/models
    "ollama": true // $OLLAMA_MODELS, ~/.ollama/models, /usr/share/ollama/.ollama/models
  },

  // What --cleanup removes: records of models whose files have been gone this
  // many days, verified SSD copies unused this many days, and the hidden temp
  // files of --pull downloads abandoned this many days.
  "cleanup": {
    "forget_after_days": 90,
    "unused_days": 30,
    "partial_days": 7
  },

  // Short names for models, used by -m and by --serve clients: "alias": "model".
  "aliases": {},

  // llama-pack --serve: one OpenAI-compatible endpoint that starts, swaps and
  // stops servers by the request's "model".
  "serve": {
    "listen": "127.0.0.1:8080", // HOST:PORT; a non-loopback address needs api_keys
    "max_running": 1, // servers at once; a new model waits for the LRU idle one
    "idle_unload": "never", // stop a server idle this long, e.g. "30m"
    "child_ports": "8100-8199", // ports of the servers it starts (on 127.0.0.1)
    "load_timeout": "adaptive", // or fixed, e.g. "10m"
    "monitor_interval_s": 300,
    "api_keys": [] // "Authorization: Bearer KEY"; LLAMA_PACK_API_KEY adds one
  },

  // Presets for --simulate NAME: pattern grammar
  //   model[:size]=time/duration[,time[/duration]]...;model2...
  "simulations": ${presets}
}
`;
}

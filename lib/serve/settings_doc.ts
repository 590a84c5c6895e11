/**
 * The dashboard's Settings tab as the API answers it (`GET /api/settings`):
 * the config as `--serve` read it — tiers, warning threshold, the monitor's
 * interval, the cache policy and `--serve`'s own settings — with the config
 * file's path. Read-only, and never the API keys.
 *
 * @module
 */

import type { Config } from "../config/config.ts";
import { formatListen } from "../core/listen.ts";

/** The answer of `GET /api/settings`. */
export interface SettingsDoc {
  /** The config file `--serve` read (change settings there, then restart it). */
  config_path: string;
  /** The SSD: its path, the most its copies may use (`null` = the disk) and the room kept free. */
  ssd: { path: string; limit_gb: number | null; min_free_gb: number };
  /** The permanent tier's paths. */
  hdd_paths: string[];
  /** Usage fraction above which a tier is warned about (`cache_warning_threshold`). */
  cache_warning_threshold: number;
  /** Seconds between the background monitor's passes (`serve.monitor_interval_s`). */
  monitor_interval_s: number;
  /** The cache policy (`cache`): when a model is copied to the SSD. */
  cache: { auto: boolean; adaptive: boolean; min_uses: number; window_days: number };
  /** `--serve`'s settings (`serve`), without its keys. */
  serve: {
    listen: string;
    max_running: number;
    idle_unload_s: number | null;
    load_timeout_s: number | "adaptive";
    child_ports: string;
    api_key_required: boolean;
  };
}

/**
 * The settings document of a config.
 *
 * @param config The config `--serve` runs with.
 * @param configPath Its file.
 * @param keyRequired Whether the API needs a key.
 * @returns The document.
 *
 * @example No key ever appears in it
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseConfig } from "../config/parse.ts";
 * import { settingsDoc } from "./settings_doc.ts";
 * const { config } = parseConfig(
 *   JSON.stringify({ ssd_path: "/ssd", hdd_path: "/hdd", serve: { api_keys: ["s3cret-key-0123456789"] } }),
 *   "config.json",
 * );
 * assert(config);
 * const doc = settingsDoc(config, "/etc/llama-pack.jsonc", true);
 * assert.equal(doc.monitor_interval_s, 300);
 * assert.equal(doc.serve.listen, "127.0.0.1:8080");
 * assert(!JSON.stringify(doc).includes("s3cret"));
 * ```
 */
export function settingsDoc(config: Config, configPath: string, keyRequired: boolean): SettingsDoc {
  const { cache, serve } = config;
  return {
    config_path: configPath,
    ssd: {
      path: config.ssd_path,
      limit_gb: config.ssd_limit_gb ?? null,
      min_free_gb: config.ssd_min_free_gb,
    },
    hdd_paths: [...config.hdd_path],
    cache_warning_threshold: config.cache_warning_threshold,
    monitor_interval_s: serve.monitor_interval_s,
    cache: {
      auto: cache.auto,
      adaptive: cache.adaptive,
      min_uses: cache.min_uses,
      window_days: cache.window_days,
    },
    serve: {
      listen: formatListen(serve.listen),
      max_running: serve.max_running,
      idle_unload_s: serve.idle_unload_s ?? null,
      load_timeout_s: serve.load_timeout_s,
      child_ports: `${serve.child_ports.first}-${serve.child_ports.last}`,
      api_key_required: keyRequired,
    },
  };
}

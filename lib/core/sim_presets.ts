/**
 * The default simulation presets, written into the default config file under
 * `simulations` and run by `--simulate NAME`. Each uses explicit sizes so it
 * runs without an index.
 *
 * @module
 */

/**
 * A named simulation as the config file stores it. The CLI keeps
 * `ssd_min_free_gb` (default 20) of `ssd_free_gb` free, as the live tool does,
 * so the presets' figures include those 20 GiB.
 */
export interface SimulationPreset {
  /** One line saying what the preset shows. */
  description: string;
  /** The workload in the pattern grammar (see `parsePattern`). */
  pattern: string;
  /** SSD free space in GiB (the cache may use it down to `ssd_min_free_gb`). */
  ssd_free_gb: number;
}

/**
 * The default presets: `simple`, `daily_work`, `rapid_switch`, `cache_pressure`.
 *
 * @example Running a preset
 * ```ts
 * import assert from "node:assert/strict";
 * import { DEFAULT_SIMULATIONS } from "./sim_presets.ts";
 * import { parsePattern } from "../../sim/pattern.ts";
 * import { simulate } from "../../sim/simulate.ts";
 * const preset = DEFAULT_SIMULATIONS["simple"]!;
 * const loads = parsePattern(preset.pattern);
 * const { summary } = simulate({ name: "simple", loads, ssdFreeBytes: preset.ssd_free_gb * 1024 ** 3 });
 * assert(summary.hits > 0);
 * ```
 */
export const DEFAULT_SIMULATIONS: Readonly<Record<string, SimulationPreset>> = Object.freeze({
  simple: {
    description: "one 10 GiB model used once a day for a week: copied after its first use",
    pattern: "test:10g=0s/1h,1d,2d,3d,4d,5d,6d",
    ssd_free_gb: 50,
  },
  daily_work: {
    description:
      "two weeks: a coder every weekday morning, a chat model most evenings, a 70B on Fridays; SSD fits two",
    pattern: "coder:18g=9h/4h,1d9h,2d9h,3d9h,4d9h,7d9h,8d9h,9d9h,10d9h,11d9h;" +
      "chat:8g=20h/1h,1d20h,2d21h,4d20h,5d19h,7d20h,8d20h,9d21h,11d20h,12d19h;" +
      "llama70b:40g=4d14h/2h,11d14h/2h",
    ssd_free_gb: 65,
  },
  rapid_switch: {
    description:
      "an afternoon of switching between four models every 20 minutes, again two days later",
    pattern: "qwen:9g=0s/15m,1h,2h,2d,2d1h,2d2h;" +
      "gemma:6g=20m/15m,1h20m,2h20m,2d20m,2d1h20m,2d2h20m;" +
      "mistral:14g=40m/15m,1h40m,2h40m,2d40m,2d1h40m;" +
      "phi:3g=50m/5m,1h50m,2h50m,2d50m,2d1h50m",
    ssd_free_gb: 45,
  },
  cache_pressure: {
    description:
      "five large models over three weeks compete for an SSD that holds about two of them",
    pattern: "llama70b:40g=0s/3h,1d,2d,3d,8d,9d,15d,16d,17d;" +
      "qwen72b:44g=2h/2h,1d2h,2d2h,7d,8d2h,9d2h,10d,14d2h;" +
      "mixtral:26g=5h/1h,5d,6d,6d5h,7d5h,13d,20d;" +
      "coder32b:20g=10h/4h,1d10h,2d10h,3d10h,4d10h,7d10h,8d10h,9d10h,10d10h,11d10h,14d10h,15d10h,16d10h;" +
      "command-r:35g=4d/2h,11d,18d",
    ssd_free_gb: 110,
  },
});

/**
 * Where `--pull … --to X` puts a model: `secondary` (the default: the first
 * HDD path), `primary` (the SSD), `hddN`, `custom` (the first of
 * `custom_paths`), `customN`, or a directory that is one of the configured
 * tier directories or lies inside one (so the next scan finds the model). The SSD's limits (`ssd_min_free_gb`, `ssd_limit_gb`) apply to
 * anything on the SSD.
 *
 * @module
 */

import { isAbsolute, resolve } from "node:path";
import { isInside } from "../cache/fs_checks.ts";
import type { Config } from "../config/config.ts";
import { LlamaPackError } from "../errors.ts";
import { type Env, expandHome } from "../config/paths.ts";
import { ssdTierOptions } from "../cache/tier_space.ts";
import type { PullTarget } from "./pull.ts";

/** The config keys a pull target depends on. */
export type PullTargetConfig =
  & Pick<
    Config,
    "ssd_path" | "hdd_path" | "ssd_min_free_gb" | "ssd_limit_gb"
  >
  & Partial<Pick<Config, "custom_paths">>;

/** Options of {@linkcode pullTargetFromConfig}. */
export interface PullTargetOptions {
  /**
   * The directory relative paths are resolved against.
   * @default {"/"}
   */
  cwd?: string;
}

function usage(message: string): LlamaPackError {
  return new LlamaPackError("USAGE", `option '--to': ${message}`, {
    hint:
      "use --to primary (the SSD), secondary (the first HDD path), hdd2, …, custom, custom2, … or a configured directory",
  });
}

/**
 * Turns `--to` into a pull target.
 *
 * @param config The config's tier settings.
 * @param to What `--to` said, or `undefined` for the default (`secondary`).
 * @param env The environment (for `~`).
 * @param options The directory relative paths are resolved against.
 * @returns The target directory, its tier's name and kind, and the SSD limits when on the SSD.
 * @throws {LlamaPackError} `USAGE` for an unknown tier or a directory outside
 *   every configured tier; `CONFIG` when no HDD path is configured.
 *
 * @example The default, the SSD and a directory inside the second HDD
 * ```ts
 * import assert from "node:assert/strict";
 * import { pullTargetFromConfig } from "./pull_target.ts";
 * const config = { ssd_path: "/ssd", hdd_path: ["/a", "/b"], ssd_min_free_gb: 20 };
 * assert.deepEqual(pullTargetFromConfig(config, undefined, {}), { dir: "/a", name: "hdd1", kind: "hdd", minFreeBytes: 0 });
 * assert(pullTargetFromConfig(config, "primary", {}).minFreeBytes === 20 * 1024 ** 3);
 * assert(pullTargetFromConfig(config, "/b/hf", {}).name === "hdd2");
 * assert(pullTargetFromConfig({ ...config, custom_paths: ["/usb"] }, "custom", {}).dir === "/usb");
 * ```
 */
export function pullTargetFromConfig(
  config: PullTargetConfig,
  to: string | undefined,
  env: Env,
  options: PullTargetOptions = {},
): PullTarget {
  const hdds = config.hdd_path;
  const hddName = (i: number) => (hdds.length > 1 ? `hdd${i + 1}` : "hdd");
  const ssd = (dir: string): PullTarget => ({ dir, ...ssdTierOptions(config) });
  const hdd = (dir: string, i: number): PullTarget => ({
    dir,
    name: hddName(i),
    kind: "hdd",
    minFreeBytes: 0,
  });
  const spec = to ?? "secondary";
  if (spec === "primary" || spec === "ssd") {
    if (!config.ssd_path) throw usage("no ssd_path is configured");
    return ssd(config.ssd_path);
  }
  if (spec === "secondary" || spec === "hdd") {
    if (hdds.length === 0) {
      throw new LlamaPackError("CONFIG", "hdd_path: no HDD directory is configured to pull into");
    }
    return hdd(hdds[0]!, 0);
  }
  const numbered = /^hdd(\d+)$/.exec(spec);
  if (numbered) {
    const i = Number(numbered[1]) - 1;
    if (i < 0 || i >= hdds.length) {
      throw usage(
        `no tier '${spec}' (have: ${["primary", ...hdds.map((_, j) => hddName(j))].join(", ")})`,
      );
    }
    return hdd(hdds[i]!, i);
  }
  const customs = config.custom_paths ?? [];
  const customName = (i: number) => (customs.length > 1 ? `custom${i + 1}` : "custom");
  const custom = (dir: string, i: number): PullTarget => ({
    dir,
    name: customName(i),
    kind: "hdd",
    minFreeBytes: 0,
  });
  const customNo = /^custom(\d*)$/.exec(spec);
  if (customNo) {
    const i = customNo[1] === "" ? 0 : Number(customNo[1]) - 1;
    if (customs.length === 0) throw usage("no custom_paths are configured");
    if (i < 0 || i >= customs.length) {
      throw usage(`no tier '${spec}' (have: ${customs.map((_, j) => customName(j)).join(", ")})`);
    }
    return custom(customs[i]!, i);
  }
  if (!/^[/.~]/.test(spec)) {
    throw usage(`unknown target '${spec}'`);
  }
  const expanded = expandHome(spec, env);
  const dir = isAbsolute(expanded) ? resolve(expanded) : resolve(options.cwd ?? "/", expanded);
  const within = (root: string) => dir === resolve(root) || isInside(resolve(root), dir);
  if (config.ssd_path && within(config.ssd_path)) return ssd(dir);
  const i = hdds.findIndex(within);
  if (i >= 0) return hdd(dir, i);
  const c = customs.findIndex(within);
  if (c >= 0) return custom(dir, c);
  throw usage(
    `${dir} is not a configured model directory (ssd_path: ${config.ssd_path}; hdd_path: ${
      hdds.join(", ")
    }${
      customs.length ? `; custom_paths: ${customs.join(", ")}` : ""
    }); llama-pack only pulls where its scan finds the model`,
  );
}

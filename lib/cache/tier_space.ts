/**
 * Measuring storage tiers on disk: a tier directory's file-system size and
 * free space (statfs), the bytes of the files under it, and the SSD's
 * capacity picture for the planner ({@linkcode ssdSpace}). The calculations
 * on these measurements are pure and live in `lib/core/tiers.ts`.
 *
 * @module
 */

import { statfs } from "node:fs/promises";
import { join } from "node:path";
import { LlamaPackError } from "../errors.ts";
import { ssdRoomProblem } from "../core/ssd_room.ts";
import type { Config } from "../config/config.ts";
import type { IndexedModel } from "../core/model_index.ts";
import type { SsdSpace } from "../core/cache_policy.ts";
import type { TierInput, TierKind } from "../core/tiers.ts";
import { GIB } from "../core/units.ts";

/** Options of {@linkcode statTier}. */
export interface StatTierOptions {
  /** The tier's name, e.g. `ssd`. */
  name: string;
  /** The tier's kind. */
  kind: TierKind;
  /**
   * The models' byte limit.
   * @default {undefined} (no limit)
   */
  limitBytes?: number;
  /**
   * Bytes that must stay free.
   * @default {0}
   */
  minFreeBytes?: number;
}

/**
 * How the SSD tier is measured, from the config: its name, kind, the room
 * that must stay free (`ssd_min_free_gb`) and the models' limit
 * (`ssd_limit_gb`, when set).
 *
 * @param config The config's SSD keys.
 * @returns The options of {@linkcode statTier} for the SSD.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ssdTierOptions } from "./tier_space.ts";
 * const o = ssdTierOptions({ ssd_min_free_gb: 1 });
 * assert(o.kind === "ssd" && o.minFreeBytes === 2 ** 30 && !("limitBytes" in o));
 * ```
 */
export function ssdTierOptions(
  config: Pick<Config, "ssd_min_free_gb" | "ssd_limit_gb">,
): StatTierOptions & { name: "ssd"; kind: "ssd"; minFreeBytes: number } {
  return {
    name: "ssd",
    kind: "ssd",
    minFreeBytes: Math.round(config.ssd_min_free_gb * GIB),
    ...(config.ssd_limit_gb === undefined
      ? {}
      : { limitBytes: Math.round(config.ssd_limit_gb * GIB) }),
  };
}

/**
 * Measures a tier directory: the file system's size and free space (statfs)
 * and the bytes of the regular files under the directory (a walk that does
 * not follow symlinks). Needs `--allow-read` and `--allow-sys`.
 *
 * @param path The tier's directory.
 * @param options Name, kind, limit and minimum free space.
 * @returns The tier's measurements for `tierStats` (`lib/core/tiers.ts`).
 * @throws {LlamaPackError} `IO` when the directory is missing or cannot be measured.
 *
 * @example Measuring a temp dir
 * ```ts
 * import assert from "node:assert/strict";
 * import { statTier } from "./tier_space.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await Deno.writeFile(`${dir}/m.gguf`, new Uint8Array(1000));
 *   const t = await statTier(dir, { name: "ssd", kind: "ssd" });
 *   assert(t.usedByModels === 1000 && t.diskTotal > 0);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function statTier(path: string, options: StatTierOptions): Promise<TierInput> {
  let fs;
  try {
    const info = await Deno.stat(path);
    if (!info.isDirectory) throw new Error("not a directory");
    fs = await statfs(path);
  } catch (err) {
    throw new LlamaPackError(
      "IO",
      `cannot measure ${options.name} tier ${path}: ${
        err instanceof Error ? err.message : String(err)
      }`,
      { cause: err, hint: `check the ${options.kind}_path setting and that the disk is mounted` },
    );
  }
  const tier: TierInput = {
    name: options.name,
    kind: options.kind,
    path,
    usedByModels: await directoryBytes(path),
    diskTotal: Number(fs.blocks) * Number(fs.bsize),
    diskFree: Number(fs.bavail) * Number(fs.bsize),
    diskUsed: (Number(fs.blocks) - Number(fs.bfree)) * Number(fs.bsize),
    minFreeBytes: options.minFreeBytes ?? 0,
  };
  if (options.limitBytes !== undefined) tier.limitBytes = options.limitBytes;
  return tier;
}

/**
 * Free bytes (for unprivileged users) on the file system holding `path`.
 * Needs `--allow-read` and `--allow-sys`.
 *
 * @param path A directory on the file system.
 * @returns Free bytes.
 * @throws {LlamaPackError} `IO` when the path cannot be measured (missing, not mounted).
 *
 * @example Free space of the temp directory
 * ```ts
 * import assert from "node:assert/strict";
 * import { diskFree } from "./tier_space.ts";
 * assert(await diskFree(Deno.env.get("TMPDIR") ?? "/tmp") > 0);
 * ```
 */
export async function diskFree(path: string): Promise<number> {
  try {
    await Deno.stat(path);
    const fs = await statfs(path);
    return Number(fs.bavail) * Number(fs.bsize);
  } catch (err) {
    throw new LlamaPackError(
      "IO",
      `cannot measure free space of ${path}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}

/**
 * Sums the sizes of the regular files under a directory (not following symlinks).
 *
 * @param dir The directory.
 * @returns Bytes (apparent sizes; unreadable subdirectories count 0).
 *
 * @example An empty directory
 * ```ts
 * import assert from "node:assert/strict";
 * import { directoryBytes } from "./tier_space.ts";
 * const dir = await Deno.makeTempDir();
 * assert(await directoryBytes(dir) === 0);
 * await Deno.remove(dir);
 * ```
 */
export async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory) total += await directoryBytes(p);
    else if (e.isFile) {
      try {
        total += (await Deno.lstat(p)).size;
      } catch {
        // vanished meanwhile
      }
    }
  }
  return total;
}

/**
 * The SSD's capacity picture: free space (statfs), the minimum to keep, the
 * limit, and the bytes the cached copies (not SSD-only models) hold.
 *
 * @param config The config.
 * @param index The model index.
 * @returns The space picture for the planner.
 * @throws {LlamaPackError} `IO` when the SSD directory cannot be measured.
 *
 * @example Measuring a temp SSD
 * ```ts
 * import assert from "node:assert/strict";
 * import { ssdSpace } from "./tier_space.ts";
 * const dir = await Deno.makeTempDir();
 * const s = await ssdSpace({ ssd_path: dir, ssd_min_free_gb: 1 } as never, []);
 * assert(s.minFreeBytes === 1024 ** 3 && s.cacheUsedBytes === 0);
 * await Deno.remove(dir);
 * ```
 */
export async function ssdSpace(
  config: Pick<Config, "ssd_path" | "ssd_min_free_gb" | "ssd_limit_gb">,
  index: readonly IndexedModel[],
): Promise<SsdSpace> {
  const space: SsdSpace = {
    freeBytes: await diskFree(config.ssd_path),
    minFreeBytes: Math.round(config.ssd_min_free_gb * GIB),
    cacheUsedBytes: index
      .filter((m) => m.ssd !== undefined && !m.ssdOnly)
      .reduce((s, m) => s + m.ssd!.size, 0),
  };
  if (config.ssd_limit_gb !== undefined) space.limitBytes = Math.round(config.ssd_limit_gb * GIB);
  return space;
}

/**
 * Says when the SSD can never hold a copy under the config (smaller than
 * `ssd_min_free_gb`, or `ssd_limit_gb: 0`), for `-u`, `--cache-stats` and `-l`.
 *
 * @param config The SSD path and limits.
 * @returns The warning, or `undefined` (also when the SSD cannot be measured).
 *
 * @example A roomy temp directory
 * ```ts
 * import assert from "node:assert/strict";
 * import { ssdRoomWarning } from "./tier_space.ts";
 * assert(await ssdRoomWarning({ ssd_path: "/tmp", ssd_min_free_gb: 0 }) === undefined);
 * ```
 */
export async function ssdRoomWarning(
  config: Pick<Config, "ssd_path" | "ssd_min_free_gb" | "ssd_limit_gb">,
): Promise<string | undefined> {
  let diskTotal: number;
  try {
    const fs = await statfs(config.ssd_path);
    diskTotal = Number(fs.blocks) * Number(fs.bsize);
  } catch {
    return undefined;
  }
  return ssdRoomProblem({
    path: config.ssd_path,
    diskTotal,
    minFreeBytes: Math.round(config.ssd_min_free_gb * GIB),
    ...(config.ssd_limit_gb === undefined
      ? {}
      : { limitBytes: Math.round(config.ssd_limit_gb * GIB) }),
  });
}

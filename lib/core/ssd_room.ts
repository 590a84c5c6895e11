/**
 * Whether the SSD can hold any copy at all under the config: an SSD smaller
 * than `ssd_min_free_gb` (a 3 GiB SSD with the default 20) or
 * `ssd_limit_gb: 0` means nothing is ever cached — said plainly by `-u`,
 * `--cache-stats` and `-l`, naming the key. Pure.
 *
 * @module
 */

import { formatSize, GIB } from "./units.ts";

/** The SSD's size and the config's limits. */
export interface SsdRoomInput {
  /** The SSD directory. */
  path: string;
  /** The file system's size in bytes. */
  diskTotal: number;
  /** `ssd_min_free_gb` in bytes. */
  minFreeBytes: number;
  /** `ssd_limit_gb` in bytes, when set. */
  limitBytes?: number;
}

/**
 * The reason nothing can ever be cached, if there is one.
 *
 * @param input The SSD's size and the limits.
 * @returns One line naming the key to change, or `undefined` when copies can fit.
 *
 * @example A 3 GiB SSD with the default 20 GiB kept free
 * ```ts
 * import assert from "node:assert/strict";
 * import { ssdRoomProblem } from "./ssd_room.ts";
 * const GIB = 1024 ** 3;
 * assert.equal(
 *   ssdRoomProblem({ path: "/ssd", diskTotal: 3 * GIB, minFreeBytes: 20 * GIB }),
 *   "nothing can be cached: the SSD at /ssd holds 3.0 GiB in all, less than the 20.0 GiB " +
 *     "ssd_min_free_gb keeps free; set ssd_min_free_gb below 3 (e.g. 0.3)",
 * );
 * assert(ssdRoomProblem({ path: "/ssd", diskTotal: 500 * GIB, minFreeBytes: 20 * GIB }) === undefined);
 * ```
 */
export function ssdRoomProblem(input: SsdRoomInput): string | undefined {
  if (input.limitBytes !== undefined && input.limitBytes <= 0) {
    return "nothing can be cached: ssd_limit_gb is 0; remove it or raise it";
  }
  if (input.diskTotal > 0 && input.minFreeBytes >= input.diskTotal) {
    const gib = input.diskTotal / GIB;
    const below = gib >= 10 ? Math.floor(gib) : Math.floor(gib * 10) / 10;
    const suggest = Math.max(0, Math.floor(gib)) / 10;
    return `nothing can be cached: the SSD at ${input.path} holds ${
      formatSize(input.diskTotal)
    } in all, less than the ${formatSize(input.minFreeBytes)} ssd_min_free_gb keeps free; ` +
      `set ssd_min_free_gb below ${below} (e.g. ${suggest})`;
  }
  return undefined;
}

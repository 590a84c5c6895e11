/**
 * The command behind --cache-stats, --check and --recommend.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import type { CommandContext } from "./context.ts";

/**
 * Runs --cache-stats, --check and --recommend.
 *
 * @param ctx The command context.
 * @returns The exit status.
 * @throws {LlamaPackError} `NOT_IMPLEMENTED` until this capability lands.
 */
export function cacheStatsCommand(ctx: CommandContext): Promise<number> {
  void ctx;
  return Promise.reject(
    new LlamaPackError(
      "NOT_IMPLEMENTED",
      "--cache-stats, --check and --recommend: not available yet in this version",
    ),
  );
}

/**
 * The command behind --cache, --evict, --pin, --unpin, --no-cache.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import type { CommandContext } from "./context.ts";

/**
 * Runs --cache, --evict, --pin, --unpin, --no-cache.
 *
 * @param ctx The command context.
 * @returns The exit status.
 * @throws {LlamaPackError} `NOT_IMPLEMENTED` until this capability lands.
 */
export function cacheCommand(ctx: CommandContext): Promise<number> {
  void ctx;
  return Promise.reject(
    new LlamaPackError(
      "NOT_IMPLEMENTED",
      "--cache, --evict, --pin, --unpin, --no-cache: not available yet in this version",
    ),
  );
}

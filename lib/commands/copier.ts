/**
 * The command behind the background copier.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import type { CommandContext } from "./context.ts";

/**
 * Runs the background copier.
 *
 * @param ctx The command context.
 * @returns The exit status.
 * @throws {LlamaPackError} `NOT_IMPLEMENTED` until this capability lands.
 */
export function copierCommand(ctx: CommandContext): Promise<number> {
  void ctx;
  return Promise.reject(
    new LlamaPackError(
      "NOT_IMPLEMENTED",
      "the background copier: not available yet in this version",
    ),
  );
}

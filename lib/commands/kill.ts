/**
 * The command behind -k/--kill and --killall.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import type { CommandContext } from "./context.ts";

/**
 * Runs -k/--kill and --killall.
 *
 * @param ctx The command context.
 * @returns The exit status.
 * @throws {LlamaPackError} `NOT_IMPLEMENTED` until this capability lands.
 */
export function killCommand(ctx: CommandContext): Promise<number> {
  void ctx;
  return Promise.reject(
    new LlamaPackError(
      "NOT_IMPLEMENTED",
      "-k/--kill and --killall: not available yet in this version",
    ),
  );
}

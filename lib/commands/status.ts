/**
 * The command behind --status.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import type { CommandContext } from "./context.ts";

/**
 * Runs --status.
 *
 * @param ctx The command context.
 * @returns The exit status.
 * @throws {LlamaPackError} `NOT_IMPLEMENTED` until this capability lands.
 */
export function statusCommand(ctx: CommandContext): Promise<number> {
  void ctx;
  return Promise.reject(
    new LlamaPackError("NOT_IMPLEMENTED", "--status: not available yet in this version"),
  );
}

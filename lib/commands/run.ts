/**
 * The command behind -m/--model.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import type { CommandContext } from "./context.ts";

/**
 * Runs -m/--model.
 *
 * @param ctx The command context.
 * @returns The exit status.
 * @throws {LlamaPackError} `NOT_IMPLEMENTED` until this capability lands.
 */
export function runCommand(ctx: CommandContext): Promise<number> {
  void ctx;
  return Promise.reject(
    new LlamaPackError("NOT_IMPLEMENTED", "-m/--model: not available yet in this version"),
  );
}

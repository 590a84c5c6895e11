/**
 * `--ec/--ce/--edit-config`: opens the config in `$VISUAL`/`$EDITOR` (else
 * `vi`), writing the commented default first when there is none, then
 * validates what the editor saved.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import { loadConfig, writeDefaultConfig } from "../config/config_file.ts";
import { splitWords } from "../core/words.ts";
import type { CommandContext } from "./context.ts";

/**
 * Runs the editor on the config file and validates the result.
 *
 * @param ctx The command context.
 * @returns 0 when the saved config is valid.
 * @throws {LlamaPackError} `EDITOR` when the editor cannot start or fails;
 *   `CONFIG` when the saved config is invalid (every problem listed).
 */
export async function editConfigCommand(ctx: CommandContext): Promise<number> {
  if (await writeDefaultConfig(ctx.configPath, ctx.env)) {
    ctx.err(`wrote a default config to ${ctx.configPath}\n`);
  }
  const editor = ctx.env.VISUAL || ctx.env.EDITOR || "vi";
  const [bin, ...args] = splitWords(editor);
  ctx.debug(1, `running editor: ${editor} ${ctx.configPath}`);
  let status: Deno.CommandStatus;
  try {
    status = await new Deno.Command(bin!, {
      args: [...args, ctx.configPath],
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn().status;
  } catch (cause) {
    throw new LlamaPackError(
      "EDITOR",
      `cannot start editor '${editor}': ${(cause as Error).message}`,
      { cause, hint: "set $EDITOR, e.g. EDITOR=nano" },
    );
  }
  if (!status.success) {
    throw new LlamaPackError("EDITOR", `editor '${editor}' exited with status ${status.code}`);
  }
  const { warnings } = await loadConfig(ctx.configPath, ctx.env);
  for (const w of warnings) ctx.err(`warning: ${w}\n`);
  ctx.out(`config OK: ${ctx.configPath}\n`);
  return 0;
}

/**
 * The commands behind `--completions bash|zsh|fish` (print the script) and
 * the hidden `--complete-models` (print the model names, one per line, and
 * refresh the names file the scripts read).
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import { completionScript } from "../cli/completions.ts";
import { helpText } from "../cli/help.ts";
import { modelLabels } from "../core/model_names.ts";
import { loadIndex } from "../state/load_index.ts";
import { writeModelNames } from "../state/model_names_file.ts";
import type { StateStore } from "../state/store.ts";
import type { CommandContext } from "./context.ts";

/**
 * The names completions offer: every model that still has files, by the label `-m` matches exactly.
 *
 * @param store The state store.
 * @returns The labels, sorted.
 */
export function completionNames(store: StateStore): string[] {
  const live = loadIndex(store).filter((m) => !m.gone && (m.hdd || m.ssd));
  return [...modelLabels(live).values()].sort((a, b) => a.localeCompare(b));
}

/**
 * Runs `--completions` and `--complete-models`.
 *
 * @param ctx The command context.
 * @returns 0.
 */
export async function completionsCommand(ctx: CommandContext): Promise<number> {
  const action = ctx.cmd.action;
  if (action.kind === "completions") {
    ctx.out(completionScript(action.shell, helpText(ctx.configPath)));
    return 0;
  }
  if (action.kind !== "complete-models") {
    throw new LlamaPackError("USAGE", `completions: unexpected ${action.kind}`);
  }
  const names = completionNames(ctx.state());
  await writeModelNames(ctx.stateDir, names).catch(() => undefined);
  ctx.out(names.map((n) => `${n}\n`).join(""));
  return 0;
}

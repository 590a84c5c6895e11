/**
 * The model names file (`<state>/model-names.txt`): one name per line, the
 * labels `-m` matches exactly. Shell completions read it directly, so
 * completing a model name starts no llama-pack. Written after every scan.
 *
 * @module
 */

import { join } from "node:path";

/** The file's name inside the state dir. */
export const MODEL_NAMES_FILE = "model-names.txt";

/**
 * Writes the names (atomically: a temp file renamed over the old one).
 *
 * @param stateDir The state dir (created if missing).
 * @param names The names, in the order to offer them.
 * @returns The file's path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeModelNames } from "./model_names_file.ts";
 * const dir = await Deno.makeTempDir();
 * const path = await writeModelNames(dir, ["a.gguf", "unsloth/b.gguf"]);
 * assert(Deno.readTextFileSync(path) === "a.gguf\nunsloth/b.gguf\n");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeModelNames(stateDir: string, names: readonly string[]): Promise<string> {
  await Deno.mkdir(stateDir, { recursive: true });
  const path = join(stateDir, MODEL_NAMES_FILE);
  const tmp = `${path}.${Deno.pid}.tmp`;
  const clean = names.filter((n) => !n.includes("\n"));
  await Deno.writeTextFile(tmp, clean.map((n) => `${n}\n`).join(""));
  await Deno.rename(tmp, path);
  return path;
}

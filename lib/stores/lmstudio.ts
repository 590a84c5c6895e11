/**
 * Reads LM Studio's model folder (`~/.lmstudio/models`, older installs
 * `~/.cache/lm-studio/models`): `<publisher>/<repo>/<file>.gguf`, the
 * Hugging Face repository layout, with any `mmproj-*.gguf` beside the
 * weights. A model's id is `publisher/repo/file.gguf`. Files imported with
 * `lms import --symbolic-link` are links to files elsewhere; they are
 * followed (only read).
 *
 * Needs `--allow-read`; writes nothing.
 *
 * @module
 */

import { join } from "node:path";
import {
  fileFacts,
  type StoreFile,
  type StoreListing,
  type StoreWarning,
  walkGguf,
} from "./store_listing.ts";

/**
 * Lists the GGUF files of an LM Studio models directory.
 *
 * @param root The models directory.
 * @returns The files in path order, warnings and counters.
 *
 * @example One model with its projector
 * ```ts
 * import assert from "node:assert/strict";
 * import { listLmStudio } from "./lmstudio.ts";
 * import { makeLibrary } from "../../tests/gguf_writer.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await makeLibrary(dir, {
 *     "lmstudio-community/gemma-3-4b-it-GGUF/gemma-3-4b-it-Q4_K_M.gguf": {},
 *     "lmstudio-community/gemma-3-4b-it-GGUF/mmproj-model-f16.gguf": { projector: true },
 *   });
 *   const { files } = await listLmStudio(dir);
 *   assert.deepEqual(files.map((f) => f.modelId), [
 *     "lmstudio-community/gemma-3-4b-it-GGUF/gemma-3-4b-it-Q4_K_M.gguf",
 *     "lmstudio-community/gemma-3-4b-it-GGUF/mmproj-model-f16.gguf",
 *   ]);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export function listLmStudio(root: string): Promise<StoreListing> {
  return Promise.resolve(listSync(root));
}

function listSync(root: string): StoreListing {
  const realDirs = new Map<string, string>();
  const warnings: StoreWarning[] = [];
  const counter = { dirs: 0 };
  const files: StoreFile[] = [];
  const seenReal = new Set<string>();
  for (const p of walkGguf(root, warnings, counter)) {
    const path = join(root, p);
    const facts = fileFacts(path, warnings, "broken link", realDirs);
    if (!facts || seenReal.has(facts.realPath)) continue;
    seenReal.add(facts.realPath);
    files.push({
      kind: "lmstudio",
      root,
      path,
      realPath: facts.realPath,
      rel: `lmstudio/${p}`,
      modelId: p,
      aliases: [],
      size: facts.size,
      mtimeMs: facts.mtimeMs,
    });
  }
  return { files, warnings, dirs: counter.dirs };
}

/**
 * Where the files `--pull` downloads go under the target directory:
 * `<owner>/<name>/<folder in the repository>/…`, the projector beside the
 * model. Pure.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import type { HubChoice, HubFile } from "./hub_files.ts";

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function dirName(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

/** One file to download and where it goes, relative to the target directory. */
export interface PlacedFile extends HubFile {
  /** `model` for shards, `mmproj` for the projector. */
  role: "model" | "mmproj";
  /** Where it goes, relative to the target directory, `/`-separated. */
  localPath: string;
}

/**
 * Places the chosen files under `<owner>/<name>/` in the target directory:
 * model files keep their folder inside the repository; the projector goes
 * beside the model (llama-pack attaches a projector to the models in its
 * directory), keeping its file name.
 *
 * @param repo `owner/name`.
 * @param choice What {@linkcode chooseHubFiles} picked.
 * @returns The files with their local paths, model shards first.
 * @throws {LlamaPackError} `NO_MATCH` when a repository path is unsafe (`..`,
 *   an absolute path, a hidden folder or file, a backslash).
 *
 * @example A projector from a parent folder lands beside the model
 * ```ts
 * import assert from "node:assert/strict";
 * import { placeHubFiles } from "./hub_layout.ts";
 * const placed = placeHubFiles("org/vis", {
 *   model: [{ path: "Q4_K_M/vis-Q4_K_M.gguf", size: 4 }],
 *   projector: { path: "mmproj-F16.gguf", size: 1 }, matchedTag: "Q4_K_M", quant: "Q4_K_M",
 * });
 * assert.deepEqual(placed.map((f) => f.localPath), ["org/vis/Q4_K_M/vis-Q4_K_M.gguf", "org/vis/Q4_K_M/mmproj-F16.gguf"]);
 * ```
 */
export function placeHubFiles(repo: string, choice: HubChoice): PlacedFile[] {
  for (const f of [...choice.model, ...(choice.projector ? [choice.projector] : [])]) {
    const bad = f.path.split("/").find((seg) =>
      seg === "" || seg.startsWith(".") || seg.includes("\\") || seg.includes("\0")
    );
    if (bad !== undefined) {
      throw new LlamaPackError(
        "NO_MATCH",
        `${repo}: refusing the repository path '${f.path}' (empty, hidden or unsafe part '${bad}')`,
      );
    }
  }
  const modelDir = dirName(choice.model[0]!.path);
  const prefix = modelDir === "" ? repo : `${repo}/${modelDir}`;
  const placed: PlacedFile[] = choice.model.map((f) => ({
    ...f,
    role: "model" as const,
    localPath: `${repo}/${f.path}`,
  }));
  if (choice.projector) {
    placed.push({
      ...choice.projector,
      role: "mmproj",
      localPath: `${prefix}/${baseName(choice.projector.path)}`,
    });
  }
  return placed;
}

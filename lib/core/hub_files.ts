/**
 * Which files of a Hugging Face repository `--pull REPO[:QUANT]` downloads,
 * chosen as llama.cpp's `-hf` chooses them (`common/download.cpp`), and where
 * they go under the target directory. Pure: plain data in, plain data out.
 *
 * - The quant tag is matched case-insensitively anywhere in a file's path as
 *   `<tag>` followed by `.` or `-`; without a tag, `Q4_K_M`, then `Q8_0`, then
 *   the first model file. Files whose names contain `mmproj`, `imatrix`,
 *   `mtp-`, `eagle3-`, `dflash-` or `dspark-` are never the model.
 * - A split model (`-00001-of-0000N`) is chosen by its first shard and brings
 *   every shard with the same prefix and count.
 * - A projector is a `.gguf` whose path contains `mmproj` in the model's
 *   directory or an ancestor: the deepest directory wins, then the closest
 *   quant bit-width to the model's.
 * - An explicit tag with no match is an error listing the repository's tags.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";

/** One file of a repository listing. */
export interface HubFile {
  /** Path inside the repository, `/`-separated. */
  path: string;
  /** Size in bytes. */
  size: number;
  /** SHA-256 of the content (`lfs.oid`), for files stored with LFS or Xet. */
  sha256?: string;
  /** Git blob id (SHA-1 of `blob <size>\0<content>`), for files stored in git itself. */
  gitOid?: string;
}

/** `REPO[:QUANT]`, parsed. */
export interface HubRef {
  /** `owner/name`. */
  repo: string;
  /** The quant tag, when one was given. */
  tag: string | undefined;
}

/**
 * Parses `owner/name[:QUANT]` as llama.cpp does: the part after the last `:`
 * is the tag; the repository id has exactly one `/`, and `.`, `-` and `/`
 * only between letters, digits or `_`.
 *
 * @param text What the user typed, e.g. `bartowski/Qwen3-8B-GGUF:Q4_K_M`.
 * @returns The repository and tag.
 * @throws {LlamaPackError} `USAGE` when it is not a repository id.
 *
 * @example A repository with a tag
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseHubRef } from "./hub_files.ts";
 * assert.deepEqual(parseHubRef("unsloth/Qwen3-8B-GGUF:q4_k_m"), { repo: "unsloth/Qwen3-8B-GGUF", tag: "q4_k_m" });
 * assert.deepEqual(parseHubRef("org/model"), { repo: "org/model", tag: undefined });
 * ```
 */
export function parseHubRef(text: string): HubRef {
  const colon = text.lastIndexOf(":");
  const repo = colon >= 0 ? text.slice(0, colon) : text;
  const tag = colon >= 0 ? text.slice(colon + 1) : undefined;
  if (!isRepoId(repo)) {
    throw new LlamaPackError(
      "USAGE",
      `not a Hugging Face repository: '${text}' (expected owner/name[:QUANT], e.g. bartowski/Qwen3-8B-GGUF:Q4_K_M)`,
    );
  }
  if (tag !== undefined && !/^[A-Za-z0-9_.-]+$/.test(tag)) {
    throw new LlamaPackError(
      "USAGE",
      `not a quant tag: '${tag}' in '${text}' (letters, digits, '_', '.', '-'; e.g. Q4_K_M)`,
    );
  }
  return { repo, tag };
}

/** llama.cpp's repository id rule: one `/`, special characters only between word characters. */
function isRepoId(id: string): boolean {
  return id.length <= 256 && /^[A-Za-z0-9_]+(?:[./-][A-Za-z0-9_]+)*$/.test(id) &&
    id.split("/").length === 2;
}

/** A GGUF path split into its model prefix, quant tag and shard position. */
export interface GgufSplitInfo {
  /** The path without `.gguf` and the shard suffix (tag included). */
  prefix: string;
  /** The quant tag in upper case (`Q4_K_M`, `F16`), or `""`. */
  tag: string;
  /** 1-based shard number (1 when not split). */
  index: number;
  /** Shard count (1 when not split). */
  count: number;
}

/**
 * Splits a GGUF path into prefix, tag and shard position, as llama.cpp does.
 *
 * @param path A path ending in `.gguf`.
 * @returns The parts, or `undefined` when the path is not a `.gguf` file.
 *
 * @example The second of three shards
 * ```ts
 * import assert from "node:assert/strict";
 * import { ggufSplitInfo } from "./hub_files.ts";
 * assert.deepEqual(ggufSplitInfo("Q8_0/Big-Q8_0-00002-of-00003.gguf"),
 *   { prefix: "Q8_0/Big-Q8_0", tag: "Q8_0", index: 2, count: 3 });
 * ```
 */
export function ggufSplitInfo(path: string): GgufSplitInfo | undefined {
  if (!path.endsWith(".gguf")) return undefined;
  let prefix = path.slice(0, -".gguf".length);
  let index = 1;
  let count = 1;
  const split = /^(.+)-(\d{5})-of-(\d{5})$/i.exec(prefix);
  if (split) {
    prefix = split[1]!;
    index = Number(split[2]);
    count = Number(split[3]);
  }
  const tag = /[-.]([A-Z0-9_]+)$/i.exec(prefix)?.[1]?.toUpperCase() ?? "";
  return { prefix, tag, index, count };
}

/**
 * The bit-width a quant tag names: the number after its first digit run starts
 * (`Q4_K_M` → 4, `F16` → 16, `IQ2_XXS` → 2), 0 when it has none.
 *
 * @param tag A quant tag.
 * @returns The bits.
 *
 * @example Bits of some tags
 * ```ts
 * import assert from "node:assert/strict";
 * import { tagBits } from "./hub_files.ts";
 * assert.deepEqual(["Q4_K_M", "BF16", "IQ2_XXS", "F32", "MXFP4"].map(tagBits), [4, 16, 2, 32, 4]);
 * ```
 */
export function tagBits(tag: string): number {
  const m = /\d+/.exec(tag);
  return m ? Number(m[0]) : 0;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function dirName(path: string): string {
  const i = path.lastIndexOf("/");
  return i < 0 ? "" : path.slice(0, i);
}

/**
 * Whether a path is a model file in llama.cpp's sense: a `.gguf` whose name
 * is not a projector, an importance matrix or a draft/sidecar model.
 *
 * @param path A repository path.
 * @returns `true` for a model file.
 *
 * @example Models and sidecars
 * ```ts
 * import assert from "node:assert/strict";
 * import { isModelFile } from "./hub_files.ts";
 * assert(isModelFile("Q4/x-Q4_K_M.gguf"));
 * assert(!isModelFile("mmproj-F16.gguf") && !isModelFile("imatrix.gguf") && !isModelFile("x.bin"));
 * ```
 */
export function isModelFile(path: string): boolean {
  if (!path.endsWith(".gguf")) return false;
  const name = baseName(path);
  return !["mmproj", "imatrix", "mtp-", "eagle3-", "dflash-", "dspark-"].some((k) =>
    name.includes(k)
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The quant tags the repository's model files have, in listing order, each once. */
export function repoTags(files: readonly HubFile[]): string[] {
  const tags: string[] = [];
  for (const f of files) {
    if (!isModelFile(f.path)) continue;
    const tag = ggufSplitInfo(f.path)?.tag;
    if (tag && !tags.includes(tag)) tags.push(tag);
  }
  return tags;
}

/** What {@linkcode chooseHubFiles} picked. */
export interface HubChoice {
  /** The model's files: its shards in order (one file when not split). */
  model: HubFile[];
  /** The projector, when the repository has one for the model and it was wanted. */
  projector: HubFile | undefined;
  /** The tag that matched (`Q4_K_M` by default), or `undefined` when the first model file was taken. */
  matchedTag: string | undefined;
  /** The model's own quant tag, from its file name (upper case, may be `""`). */
  quant: string;
}

/** Options of {@linkcode chooseHubFiles}. */
export interface ChooseHubFilesOptions {
  /**
   * The quant tag asked for; without one, `Q4_K_M`, then `Q8_0`, then the first model file.
   * @default {undefined}
   */
  tag?: string | undefined;
  /**
   * Bring the projector (`mmproj*.gguf`) along; `false` is `--no-mmproj`.
   * @default {true}
   */
  mmproj?: boolean;
  /**
   * The repository's name, for error messages.
   * @default {"the repository"}
   */
  repo?: string;
}

/**
 * Chooses the files to download from a repository's listing, as llama.cpp's
 * `-hf REPO[:QUANT]` does.
 *
 * @param files The repository's files, in listing order.
 * @param options The tag, whether to bring a projector, the repository's name.
 * @returns The model's files, the projector, and which tag matched.
 * @throws {LlamaPackError} `NO_MATCH` when no file has the tag (listing the
 *   repository's tags), when the repository has no model file, or when a
 *   split model misses shards.
 *
 * @example The default tag, a split model and its projector
 * ```ts
 * import assert from "node:assert/strict";
 * import { chooseHubFiles } from "./hub_files.ts";
 * const files = [
 *   { path: "x-Q8_0.gguf", size: 8 },
 *   { path: "Q4_K_M/x-Q4_K_M-00001-of-00002.gguf", size: 2 },
 *   { path: "Q4_K_M/x-Q4_K_M-00002-of-00002.gguf", size: 2 },
 *   { path: "mmproj-F16.gguf", size: 1 },
 *   { path: "mmproj-F32.gguf", size: 2 },
 * ];
 * const c = chooseHubFiles(files);
 * assert.deepEqual(c.model.map((f) => f.path), [files[1]!.path, files[2]!.path]);
 * assert(c.projector?.path === "mmproj-F16.gguf" && c.matchedTag === "Q4_K_M");
 * ```
 */
export function chooseHubFiles(
  files: readonly HubFile[],
  options: ChooseHubFilesOptions = {},
): HubChoice {
  const repo = options.repo ?? "the repository";
  const tag = options.tag;
  const firstOfModel = (f: HubFile) => {
    if (!isModelFile(f.path)) return false;
    const s = ggufSplitInfo(f.path)!;
    return s.count <= 1 || s.index === 1;
  };
  let primary: HubFile | undefined;
  let matchedTag: string | undefined;
  for (const t of tag !== undefined ? [tag] : ["Q4_K_M", "Q8_0"]) {
    const re = new RegExp(`${escapeRegExp(t)}[.-]`, "i");
    primary = files.find((f) => firstOfModel(f) && re.test(f.path));
    if (primary) {
      matchedTag = t;
      break;
    }
  }
  if (!primary && tag === undefined) primary = files.find(firstOfModel);
  if (!primary) {
    const tags = repoTags(files);
    const models = files.filter(firstOfModel).map((f) => f.path);
    if (models.length === 0) {
      throw new LlamaPackError("NO_MATCH", `${repo} has no GGUF model file`);
    }
    throw new LlamaPackError(
      "NO_MATCH",
      `${repo} has no model file for tag '${tag}'; ${
        tags.length > 0
          ? `its tags: ${tags.join(", ")}`
          : `its model files: ${models.slice(0, 8).join(", ")}${models.length > 8 ? ", …" : ""}`
      }`,
    );
  }
  const model = shardsOf(files, primary, repo);
  const projector = options.mmproj === false ? undefined : bestProjector(files, primary.path);
  return { model, projector, matchedTag, quant: ggufSplitInfo(primary.path)!.tag };
}

function shardsOf(files: readonly HubFile[], primary: HubFile, repo: string): HubFile[] {
  const info = ggufSplitInfo(primary.path)!;
  if (info.count <= 1) return [primary];
  const shards = files
    .filter((f) => {
      const s = ggufSplitInfo(f.path);
      return s !== undefined && s.count === info.count && s.prefix === info.prefix;
    })
    .sort((a, b) => ggufSplitInfo(a.path)!.index - ggufSplitInfo(b.path)!.index);
  const have = new Set(shards.map((f) => ggufSplitInfo(f.path)!.index));
  const missing = Array.from({ length: info.count }, (_, i) => i + 1).filter((i) => !have.has(i));
  if (missing.length > 0) {
    throw new LlamaPackError(
      "NO_MATCH",
      `${repo}: ${baseName(primary.path)} is split in ${info.count} but shard${
        missing.length === 1 ? "" : "s"
      } ${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} missing from the repository`,
    );
  }
  return shards;
}

/**
 * The projector llama.cpp would take for a model: a `.gguf` whose path
 * contains `mmproj`, in the model's directory or an ancestor; the deepest
 * directory wins, then the closest bit-width, then listing order.
 *
 * @param files The repository's files.
 * @param modelPath The model's (first shard's) path.
 * @returns The projector, or `undefined`.
 *
 * @example The closest bit-width in the deepest directory
 * ```ts
 * import assert from "node:assert/strict";
 * import { bestProjector } from "./hub_files.ts";
 * const files = ["mmproj-F16.gguf", "q8/mmproj-F32.gguf", "q8/mmproj-BF16.gguf"].map((path) => ({ path, size: 1 }));
 * assert(bestProjector(files, "q8/m-Q8_0.gguf")?.path === "q8/mmproj-BF16.gguf");
 * assert(bestProjector(files, "m-Q4_K_M.gguf")?.path === "mmproj-F16.gguf");
 * ```
 */
export function bestProjector(
  files: readonly HubFile[],
  modelPath: string,
): HubFile | undefined {
  const modelDir = dirName(modelPath);
  const modelBits = tagBits(ggufSplitInfo(modelPath)?.tag ?? "");
  let best: { f: HubFile; depth: number; diff: number } | undefined;
  for (const f of files) {
    if (!f.path.endsWith(".gguf") || !f.path.includes("mmproj")) continue;
    const dir = dirName(f.path);
    if (dir !== "" && dir !== modelDir && !modelDir.startsWith(dir + "/")) continue;
    const depth = dir === "" ? 0 : dir.split("/").length;
    const diff = Math.abs(tagBits(ggufSplitInfo(f.path)?.tag ?? "") - modelBits);
    if (!best || depth > best.depth || (depth === best.depth && diff < best.diff)) {
      best = { f, depth, diff };
    }
  }
  return best?.f;
}

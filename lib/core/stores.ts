/**
 * The model stores of other tools as the core sees them: their kinds, how
 * they are named and marked, where their SSD copies go, and how their files
 * are named into model ids (pure). The readers in `lib/stores/` list the
 * files; these functions turn what they find into ids.
 *
 * @module
 */

import { parseShardName } from "./model_names.ts";

/** The model stores of other tools that llama-pack reads. */
export type StoreKind = "huggingface" | "llama_cpp" | "lmstudio" | "ollama";

/** Every store kind, in the order they are scanned and listed. */
export const STORE_KINDS: readonly StoreKind[] = ["huggingface", "llama_cpp", "lmstudio", "ollama"];

/** What each store is called in messages. */
export const STORE_LABELS: Readonly<Record<StoreKind, string>> = {
  huggingface: "Hugging Face cache",
  llama_cpp: "llama.cpp cache",
  lmstudio: "LM Studio",
  ollama: "Ollama",
};

/** The marker `-l` shows in the `hdd` column for a model that lives in a store. */
export const STORE_MARKERS: Readonly<Record<StoreKind, string>> = {
  huggingface: "HF",
  llama_cpp: "LCP",
  lmstudio: "LMS",
  ollama: "OLL",
};

/**
 * The directory under `ssd_path` that holds SSD copies of a store's models
 * (`<ssd_path>/<dir>/…`), also the first part of their relative paths.
 */
export const STORE_SSD_DIRS: Readonly<Record<StoreKind, string>> = {
  huggingface: "huggingface",
  llama_cpp: "llama.cpp",
  lmstudio: "lmstudio",
  ollama: "ollama",
};

/**
 * Whether a string names a store kind.
 *
 * @param value Any value.
 * @returns `true` for `"huggingface"`, `"llama_cpp"`, `"lmstudio"` or `"ollama"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isStoreKind } from "./stores.ts";
 * assert(isStoreKind("ollama") && !isStoreKind("hdd"));
 * ```
 */
export function isStoreKind(value: unknown): value is StoreKind {
  return typeof value === "string" && (STORE_KINDS as readonly string[]).includes(value);
}

/**
 * The repository id of a Hugging Face hub cache folder: `models--org--name` → `org/name`.
 *
 * @param folder A folder name in the hub cache.
 * @returns The repository id, or `undefined` when it is not a model repository folder.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { repoOfFolder } from "./stores.ts";
 * assert(repoOfFolder("models--bartowski--Qwen3-8B-GGUF") === "bartowski/Qwen3-8B-GGUF");
 * assert(repoOfFolder("datasets--x--y") === undefined);
 * ```
 */
export function repoOfFolder(folder: string): string | undefined {
  if (!folder.startsWith("models--") || folder.length <= 8) return undefined;
  return folder.slice(8).replaceAll("--", "/");
}

/**
 * Parses a llama.cpp cache manifest name: `manifest=owner=repo=tag.json`.
 *
 * @param name A file name in llama.cpp's cache.
 * @returns The owner and repo, or `undefined` when it is not a manifest name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseManifestName } from "./stores.ts";
 * assert.deepEqual(parseManifestName("manifest=ggml-org=gemma-3-4b-it-GGUF=Q4_K_M.json"),
 *   { owner: "ggml-org", repo: "gemma-3-4b-it-GGUF" });
 * assert(parseManifestName("ggml-org_x_y.gguf") === undefined);
 * ```
 */
export function parseManifestName(name: string): { owner: string; repo: string } | undefined {
  const m = /^manifest=([^=]+)=([^=]+)=.*\.json$/.exec(name);
  return m ? { owner: m[1]!, repo: m[2]! } : undefined;
}

/**
 * llama.cpp's cache file name for a repository file: `owner_repo_path`
 * with every `/` turned into `_`.
 *
 * @param owner The repository owner.
 * @param repo The repository name.
 * @param path The file's path in the repository.
 * @returns The file name in the cache.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cacheFileName } from "./stores.ts";
 * assert(cacheFileName("unsloth", "Qwen3-GGUF", "Q4_K_M/Qwen3-Q4_K_M.gguf") === "unsloth_Qwen3-GGUF_Q4_K_M_Qwen3-Q4_K_M.gguf");
 * ```
 */
export function cacheFileName(owner: string, repo: string, path: string): string {
  return `${owner}_${repo}_${path}`.replaceAll("/", "_");
}

/**
 * Every shard path of a split model from its first shard's path
 * (`x-00001-of-00003.gguf` → three paths); other paths as they are.
 *
 * @param path A repository path.
 * @returns The shard paths in order, or `[path]`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shardPaths } from "./stores.ts";
 * assert.deepEqual(shardPaths("q/x-00001-of-00002.gguf"), ["q/x-00001-of-00002.gguf", "q/x-00002-of-00002.gguf"]);
 * ```
 */
export function shardPaths(path: string): string[] {
  const slash = path.lastIndexOf("/") + 1;
  const sn = parseShardName(path.slice(slash));
  if (!sn) return [path];
  const pad = (n: number) => String(n).padStart(5, "0");
  const out: string[] = [];
  for (let i = 1; i <= sn.count; i++) {
    out.push(`${path.slice(0, slash)}${sn.prefix}-${pad(i)}-of-${pad(sn.count)}.gguf`);
  }
  return out;
}

/**
 * The name Ollama shows for a manifest path's parts.
 *
 * @param host The registry host directory.
 * @param namespace The namespace directory.
 * @param name The model directory.
 * @param tag The tag file.
 * @returns `name:tag`, `namespace/name:tag` or `host/namespace/name:tag`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ollamaName } from "./stores.ts";
 * assert(ollamaName("registry.ollama.ai", "library", "llama3.2", "3b") === "llama3.2:3b");
 * assert(ollamaName("registry.ollama.ai", "alice", "coder", "latest") === "alice/coder:latest");
 * assert(ollamaName("hf.co", "bartowski", "Qwen3-8B-GGUF", "Q4_K_M") === "hf.co/bartowski/Qwen3-8B-GGUF:Q4_K_M");
 * ```
 */
export function ollamaName(host: string, namespace: string, name: string, tag: string): string {
  if (host !== "registry.ollama.ai") return `${host}/${namespace}/${name}:${tag}`;
  if (namespace !== "library") return `${namespace}/${name}:${tag}`;
  return `${name}:${tag}`;
}

/**
 * The directory of an Ollama model's SSD copy: its name with the tag as a
 * directory level (`llama3.2:3b` → `ollama/llama3.2/3b`).
 *
 * @param name The model's Ollama name.
 * @returns The relative directory.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ollamaRelDir } from "./stores.ts";
 * assert(ollamaRelDir("alice/coder:q8") === "ollama/alice/coder/q8");
 * ```
 */
export function ollamaRelDir(name: string): string {
  return `ollama/${name.replace(/:(?=[^:]*$)/, "/").replaceAll(":", "_")}`;
}

/**
 * The blob file of an Ollama layer digest (`sha256:<hex>` → `sha256-<hex>`).
 *
 * @param digest The digest from a manifest.
 * @returns The blob's file name, or `undefined` for a malformed digest.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { blobName } from "./stores.ts";
 * assert(blobName("sha256:" + "a".repeat(64)) === "sha256-" + "a".repeat(64));
 * assert(blobName("sha256:../../etc/passwd") === undefined);
 * ```
 */
export function blobName(digest: unknown): string | undefined {
  if (typeof digest !== "string") return undefined;
  const m = /^sha256[:-]([0-9a-f]{64})$/.exec(digest);
  return m ? `sha256-${m[1]}` : undefined;
}

/**
 * Counts models among a store's files: weight files that start a model
 * (single files and first shards), projectors left out.
 *
 * @param rels The files' relative paths.
 * @returns The number of models.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { countStoreModels } from "./stores.ts";
 * assert(countStoreModels(["a/x.gguf", "a/mmproj-x.gguf", "b/y-00001-of-00002.gguf", "b/y-00002-of-00002.gguf"]) === 2);
 * ```
 */
export function countStoreModels(rels: readonly string[]): number {
  return rels.filter((rel) => {
    const name = rel.slice(rel.lastIndexOf("/") + 1);
    return !/mmproj/i.test(name) && (parseShardName(name)?.no ?? 1) === 1;
  }).length;
}

/** A store found on disk and how many models it holds. */
export interface FoundStoreCount {
  /** Which store. */
  kind: StoreKind;
  /** Its directory. */
  path: string;
  /** Models in it. */
  models: number;
}

/**
 * The first-run lines naming the stores found and their model counts.
 *
 * @param found The stores that exist.
 * @returns Text ending with a newline (empty when none was found).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderFoundStores } from "./stores.ts";
 * assert(renderFoundStores([{ kind: "ollama", path: "/h/.ollama/models", models: 3 }]) ===
 *   "Found models of other tools (read-only; stores.ollama in the config turns one off):\n" +
 *   "  Ollama              /h/.ollama/models  3 models\n");
 * ```
 */
export function renderFoundStores(found: readonly FoundStoreCount[]): string {
  if (found.length === 0) return "";
  const first = found[0]!.kind;
  const lines = [
    `Found models of other tools (read-only; stores.${first} in the config turns one off):`,
  ];
  const pathWidth = Math.max(...found.map((f) => f.path.length));
  for (const f of found) {
    lines.push(
      `  ${STORE_LABELS[f.kind].padEnd(18)}  ${f.path.padEnd(pathWidth)}  ${f.models} model${
        f.models === 1 ? "" : "s"
      }`,
    );
  }
  return lines.join("\n") + "\n";
}

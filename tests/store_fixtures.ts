/**
 * Builds fake model stores of other tools from real GGUF files (sparse where
 * large), in the layouts those tools write, as `makeLibrary()` specs:
 *
 * - `hfRevisionEntries()` — one more snapshot of a Hugging Face cache
 *   repository (`hfEntries()` in `gguf_writer.ts` writes the one `refs/main` names);
 * - `llamaCppEntries()` — llama.cpp's older flat cache with its manifests;
 * - `ollamaEntries()` — Ollama manifests and `sha256-` blobs.
 *
 * `storeWorld()` lays all four stores out under one directory and returns
 * the environment that points llama-pack at them.
 *
 * @module
 */

import { join } from "node:path";
import { hfEntries, type LibrarySpec, makeLibrary, type WriteGgufOptions } from "./gguf_writer.ts";

/**
 * The snapshot of another revision of a hub cache repository, without
 * touching `refs/main` (its blobs are named after the revision, so they are
 * separate files).
 *
 * @param repo `org/name`.
 * @param files Path in the repository → GGUF options.
 * @param revision The snapshot's commit.
 * @returns Spec entries.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hfRevisionEntries } from "./store_fixtures.ts";
 * const spec = hfRevisionEntries("a/b", { "x.gguf": {} }, "oldrev");
 * assert(!Object.keys(spec).some((k) => k.includes("refs/")));
 * ```
 */
export function hfRevisionEntries(
  repo: string,
  files: Record<string, WriteGgufOptions>,
  revision: string,
): LibrarySpec {
  const spec = hfEntries(repo, files, { revision });
  for (const k of Object.keys(spec)) if (k.includes("/refs/")) delete spec[k];
  return spec;
}

/** One repository in llama.cpp's older cache. */
export interface LlamaCppRepo {
  /** The tag of its manifest (`manifest=owner=repo=<tag>.json`). @default "latest" */
  tag?: string;
  /** Path in the repository → GGUF options; written as `owner_repo_path` with `/` → `_`. */
  files: Record<string, WriteGgufOptions>;
  /** The repository path the manifest names as `ggufFile`. @default the first non-projector file */
  gguf?: string;
  /** The repository path the manifest names as `mmprojFile`. @default none */
  mmproj?: string;
  /** Write no manifest (files left behind without one). @default false */
  noManifest?: boolean;
}

/**
 * The entries of llama.cpp's older cache: files named `owner_repo_path`,
 * an `.etag` beside each, and one manifest per repository.
 *
 * @param repos `owner/repo` → its files and manifest.
 * @returns Spec entries.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { llamaCppEntries } from "./store_fixtures.ts";
 * const spec = llamaCppEntries({ "ggml-org/gemma-GGUF": { tag: "Q4_K_M", files: { "gemma-Q4_K_M.gguf": {} } } });
 * assert("ggml-org_gemma-GGUF_gemma-Q4_K_M.gguf" in spec);
 * assert("manifest=ggml-org=gemma-GGUF=Q4_K_M.json" in spec);
 * ```
 */
export function llamaCppEntries(repos: Record<string, LlamaCppRepo>): LibrarySpec {
  const spec: LibrarySpec = {};
  for (const [id, r] of Object.entries(repos)) {
    const [owner, repo] = id.split("/") as [string, string];
    for (const [path, o] of Object.entries(r.files)) {
      const name = `${owner}_${repo}_${path}`.replaceAll("/", "_");
      spec[name] = o;
      spec[`${name}.etag`] = { kind: "text", content: `"${name.length.toString(16)}-etag"` };
    }
    if (r.noManifest) continue;
    const gguf = r.gguf ?? Object.entries(r.files).find(([, o]) => !o.projector)?.[0];
    const manifest: Record<string, unknown> = {};
    if (gguf) manifest.ggufFile = { rfilename: gguf, lfs: { sha256: "0".repeat(64) } };
    if (r.mmproj) manifest.mmprojFile = { rfilename: r.mmproj, lfs: { sha256: "1".repeat(64) } };
    spec[`manifest=${owner}=${repo}=${r.tag ?? "latest"}.json`] = {
      kind: "text",
      content: JSON.stringify(manifest),
    };
  }
  return spec;
}

/** One model in an Ollama store. */
export interface OllamaModelSpec {
  /** The GGUF model layer. */
  model: WriteGgufOptions;
  /** A projector layer. @default none */
  projector?: WriteGgufOptions;
  /** Use the blobs of this other name (`ollama cp`): same digests, no new files. @default own blobs */
  sameAs?: string;
  /** A manifest with no model layer (a safetensors import). @default false */
  noModelLayer?: boolean;
}

/** A deterministic sha256-like digest for a fixture blob. */
function digestOf(key: string): string {
  let h = 0x811c9dc5;
  let out = "";
  for (let round = 0; out.length < 64; round++) {
    for (const ch of `${key}#${round}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    out += h.toString(16).padStart(8, "0");
  }
  return out.slice(0, 64);
}

/** Splits an Ollama name into manifest path parts. */
function manifestPath(name: string): string {
  const colon = name.lastIndexOf(":");
  const tag = colon >= 0 ? name.slice(colon + 1) : "latest";
  const parts = (colon >= 0 ? name.slice(0, colon) : name).split("/");
  const [host, ns, model] = parts.length === 3
    ? parts
    : parts.length === 2
    ? ["registry.ollama.ai", parts[0], parts[1]]
    : ["registry.ollama.ai", "library", parts[0]];
  return `manifests/${host}/${ns}/${model}/${tag}`;
}

/**
 * The entries of an Ollama models directory: one manifest per name and the
 * blobs its layers name (model, projector, template, params, config).
 *
 * @param models Name (`llama3.2:3b`, `alice/coder:latest`) → its layers.
 * @returns Spec entries.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ollamaEntries } from "./store_fixtures.ts";
 * const spec = ollamaEntries({ "llama3.2:3b": { model: {} } });
 * assert("manifests/registry.ollama.ai/library/llama3.2/3b" in spec);
 * ```
 */
export function ollamaEntries(models: Record<string, OllamaModelSpec>): LibrarySpec {
  const spec: LibrarySpec = {};
  const blob = (key: string, entry: LibrarySpec[string]) => {
    const hex = digestOf(key);
    spec[`blobs/sha256-${hex}`] = entry;
    return `sha256:${hex}`;
  };
  const digests = new Map<string, { model: string; projector?: string }>();
  for (const [name, m] of Object.entries(models)) {
    const own = m.sameAs === undefined ? undefined : digests.get(m.sameAs);
    const model = own?.model ?? blob(`${name}/model`, { ...m.model, name: m.model.name ?? name });
    const projector = own?.projector ??
      (m.projector ? blob(`${name}/projector`, { projector: true, ...m.projector }) : undefined);
    digests.set(name, projector ? { model, projector } : { model });
    const text = (key: string, content: string, mediaType: string) => ({
      mediaType,
      digest: blob(key, { kind: "text", content }),
      size: content.length,
    });
    const layers = [
      ...(m.noModelLayer ? [] : [{
        mediaType: "application/vnd.ollama.image.model",
        digest: model,
        size: m.model.size ?? 1000,
      }]),
      ...(projector
        ? [{ mediaType: "application/vnd.ollama.image.projector", digest: projector, size: 1000 }]
        : []),
      text(`${name}/template`, "{{ .Prompt }}", "application/vnd.ollama.image.template"),
      text(`${name}/params`, '{"stop":["<end>"]}', "application/vnd.ollama.image.params"),
    ];
    const config = text(`${name}/config`, '{"model_format":"gguf"}', "x");
    spec[manifestPath(name)] = {
      kind: "text",
      content: JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.docker.distribution.manifest.v2+json",
        config: { ...config, mediaType: "application/vnd.docker.container.image.v1+json" },
        layers,
      }),
    };
  }
  return spec;
}

/** The four stores of {@linkcode storeWorld}. */
export interface StoreWorld {
  /** The Hugging Face hub cache. */
  hf: string;
  /** llama.cpp's older cache. */
  llamaCpp: string;
  /** LM Studio's models directory (`<home>/.lmstudio/models`). */
  lmStudio: string;
  /** Ollama's models directory. */
  ollama: string;
  /** The variables that point llama-pack at them (`HF_HUB_CACHE`, `LLAMA_CACHE`, `OLLAMA_MODELS`). */
  env: Record<string, string>;
}

/** What {@linkcode storeWorld} puts in each store. */
export interface StoreWorldSpec {
  /** Hub cache entries. @default none */
  hf?: LibrarySpec;
  /** llama.cpp cache entries. @default none */
  llamaCpp?: LibrarySpec;
  /** LM Studio entries (`publisher/repo/file.gguf`). @default none */
  lmStudio?: LibrarySpec;
  /** Ollama entries. @default none */
  ollama?: LibrarySpec;
}

/**
 * Lays out the four stores under `home` where the tools put them (the hub
 * cache under `.cache/huggingface/hub`, llama.cpp's under
 * `.cache/llama.cpp`, LM Studio's under `.lmstudio/models`, Ollama's under
 * `.ollama/models`) and returns the environment pointing at them. A store
 * with no entries is not created.
 *
 * @param home The fake home directory.
 * @param spec Each store's entries.
 * @returns The store directories and the environment.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ollamaEntries, storeWorld } from "./store_fixtures.ts";
 * const home = await Deno.makeTempDir();
 * try {
 *   const w = await storeWorld(home, { ollama: ollamaEntries({ "qwen3:8b": { model: {} } }) });
 *   assert(w.env.OLLAMA_MODELS === w.ollama);
 *   assert((await Deno.stat(`${w.ollama}/manifests`)).isDirectory);
 * } finally {
 *   await Deno.remove(home, { recursive: true });
 * }
 * ```
 */
export async function storeWorld(home: string, spec: StoreWorldSpec): Promise<StoreWorld> {
  const w: StoreWorld = {
    hf: join(home, ".cache", "huggingface", "hub"),
    llamaCpp: join(home, ".cache", "llama.cpp"),
    lmStudio: join(home, ".lmstudio", "models"),
    ollama: join(home, ".ollama", "models"),
    env: {},
  };
  w.env = { HF_HUB_CACHE: w.hf, LLAMA_CACHE: w.llamaCpp, OLLAMA_MODELS: w.ollama };
  if (spec.hf) await makeLibrary(w.hf, spec.hf);
  if (spec.llamaCpp) await makeLibrary(w.llamaCpp, spec.llamaCpp);
  if (spec.lmStudio) await makeLibrary(w.lmStudio, spec.lmStudio);
  if (spec.ollama) await makeLibrary(w.ollama, spec.ollama);
  return w;
}

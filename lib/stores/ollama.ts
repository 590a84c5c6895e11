/**
 * Reads Ollama's model store (`$OLLAMA_MODELS`, `~/.ollama/models`,
 * `/usr/share/ollama/.ollama/models`):
 *
 * ```text
 * manifests/<host>/<namespace>/<name>/<tag>   JSON: {"layers": [{"mediaType", "digest", "size"}, …]}
 * blobs/sha256-<hex>                          the layer whose digest is sha256:<hex>
 * ```
 *
 * The layer with media type `application/vnd.ollama.image.model` is the GGUF
 * file; `application/vnd.ollama.image.projector` layers are its projectors.
 * A model's id is its name as Ollama shows it — `name:tag` for the official
 * library, `namespace/name:tag` for others, `host/namespace/name:tag` for
 * other registries. Tags that share the same blobs are one model: the first
 * name (in name order) is its id, the others its aliases. Manifests without
 * a GGUF model layer (safetensors imports) are skipped.
 *
 * Needs `--allow-read`; writes nothing.
 *
 * @module
 */

import { join } from "node:path";
import { blobName, ollamaName, ollamaRelDir } from "../core/stores.ts";
import {
  fileFacts,
  isWithin,
  readDirSorted,
  type StoreFile,
  type StoreListing,
  type StoreWarning,
} from "./store_listing.ts";

/** The media type of a GGUF model layer. */
export const OLLAMA_MODEL_LAYER = "application/vnd.ollama.image.model";
/** The media type of a multimodal projector layer. */
export const OLLAMA_PROJECTOR_LAYER = "application/vnd.ollama.image.projector";

interface Layer {
  mediaType?: unknown;
  digest?: unknown;
}

/** One manifest that names a GGUF model blob. */
interface Found {
  name: string;
  manifest: string;
  model: string;
  projectors: string[];
}

function readManifests(
  root: string,
  warnings: StoreWarning[],
  counter: { dirs: number },
): Found[] {
  const found: Found[] = [];
  const base = join(root, "manifests");
  const level = (dir: string) => {
    const entries = readDirSorted(dir, warnings);
    if (entries) counter.dirs++;
    return (entries ?? []).filter((e) => !e.name.startsWith("."));
  };
  for (const host of level(base)) {
    if (!host.isDirectory) continue;
    for (const ns of level(join(base, host.name))) {
      if (!ns.isDirectory) continue;
      for (const model of level(join(base, host.name, ns.name))) {
        if (!model.isDirectory) continue;
        const modelDir = join(base, host.name, ns.name, model.name);
        for (const tag of level(modelDir)) {
          if (!tag.isFile) continue;
          const manifest = join(modelDir, tag.name);
          let layers: Layer[];
          try {
            const j = JSON.parse(Deno.readTextFileSync(manifest)) as { layers?: unknown };
            if (!Array.isArray(j.layers)) throw new Error("no layers");
            layers = j.layers as Layer[];
          } catch (err) {
            warnings.push({
              kind: "unreadable",
              path: manifest,
              message: `${manifest}: not an Ollama manifest: ${
                err instanceof Error ? err.message : String(err)
              } (skipped)`,
            });
            continue;
          }
          const modelLayer = layers.find((l) => l?.mediaType === OLLAMA_MODEL_LAYER);
          if (!modelLayer) continue; // not a GGUF model (e.g. safetensors tensors)
          const blob = blobName(modelLayer.digest);
          if (!blob) {
            warnings.push({
              kind: "unreadable",
              path: manifest,
              message: `${manifest}: model layer has no valid sha256 digest (skipped)`,
            });
            continue;
          }
          const projectors = layers
            .filter((l) => l?.mediaType === OLLAMA_PROJECTOR_LAYER)
            .map((l) => blobName(l.digest))
            .filter((b): b is string => b !== undefined);
          found.push({
            name: ollamaName(host.name, ns.name, model.name, tag.name),
            manifest,
            model: blob,
            projectors,
          });
        }
      }
    }
  }
  return found;
}

/**
 * Lists the GGUF blobs of an Ollama models directory as models.
 *
 * @param root The models directory (holding `manifests/` and `blobs/`).
 * @returns The model and projector blobs by model name, warnings and counters.
 *
 * @example A model and its projector
 * ```ts
 * import assert from "node:assert/strict";
 * import { listOllama } from "./ollama.ts";
 * import { ollamaEntries } from "../../tests/store_fixtures.ts";
 * import { makeLibrary } from "../../tests/gguf_writer.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await makeLibrary(dir, ollamaEntries({ "gemma3:4b": { model: {}, projector: { projector: true } } }));
 *   const { files } = await listOllama(dir);
 *   assert.deepEqual(files.map((f) => f.rel), ["ollama/gemma3/4b/model.gguf", "ollama/gemma3/4b/mmproj.gguf"]);
 *   assert(files[0]?.modelId === "gemma3:4b");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export function listOllama(root: string): Promise<StoreListing> {
  return Promise.resolve(listSync(root));
}

function listSync(root: string): StoreListing {
  const realDirs = new Map<string, string>();
  const warnings: StoreWarning[] = [];
  const counter = { dirs: 0 };
  const files: StoreFile[] = [];
  const found = readManifests(root, warnings, counter);
  let realRoot: string;
  try {
    realRoot = Deno.realPathSync(root);
  } catch {
    return { files, warnings, dirs: counter.dirs };
  }
  // Tags with the same blobs are one model.
  const groups = new Map<string, Found[]>();
  for (const f of found) {
    const key = [f.model, ...f.projectors].join("+");
    const g = groups.get(key);
    if (g) g.push(f);
    else groups.set(key, [f]);
  }
  const facts = new Map<string, ReturnType<typeof fileFacts>>();
  const blob = (name: string, manifest: string) => {
    if (!facts.has(name)) {
      const path = join(root, "blobs", name);
      const f = fileFacts(path, warnings, `missing blob (named by ${manifest})`, realDirs);
      if (f && !isWithin(f.realPath, realRoot)) {
        warnings.push({
          kind: "outside",
          path,
          message: `${path}: links outside the Ollama store, to ${f.realPath} (not followed)`,
        });
        facts.set(name, undefined);
      } else facts.set(name, f);
    }
    return facts.get(name);
  };
  const models = [...groups.values()]
    .map((g) => g.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)))
    .sort((a, b) => (a[0]!.name < b[0]!.name ? -1 : 1));
  const seenReal = new Set<string>();
  for (const g of models) {
    const first = g[0]!;
    const model = blob(first.model, first.manifest);
    if (!model || seenReal.has(model.realPath)) continue;
    seenReal.add(model.realPath);
    const dir = ollamaRelDir(first.name);
    const aliases = g.slice(1).map((f) => f.name);
    const file = (name: string, f: NonNullable<typeof model>, rel: string): StoreFile => ({
      kind: "ollama",
      root,
      path: join(root, "blobs", name),
      realPath: f.realPath,
      rel,
      modelId: first.name,
      aliases,
      size: f.size,
      mtimeMs: f.mtimeMs,
    });
    files.push(file(first.model, model, `${dir}/model.gguf`));
    let n = 0;
    for (const p of first.projectors) {
      const pf = blob(p, first.manifest);
      if (!pf) continue;
      n++;
      files.push(file(p, pf, `${dir}/mmproj${n > 1 ? `-${n}` : ""}.gguf`));
    }
  }
  return { files, warnings, dirs: counter.dirs };
}

/**
 * Reads llama.cpp's older download cache (`$LLAMA_CACHE`, else
 * `~/.cache/llama.cpp`), where `-hf` and `-mu` put files before llama.cpp
 * moved to the Hugging Face cache. One flat directory:
 *
 * ```text
 * <owner>_<repo>_<file>.gguf                 the model ('/' in the file's repo path became '_')
 * <owner>_<repo>_<file>.gguf.etag            its ETag (or .json with url/etag in older builds)
 * manifest=<owner>=<repo>=<tag>.json         {"ggufFile": {"rfilename": …}, "mmprojFile": {"rfilename": …}}
 * ```
 *
 * A file a manifest (or a `.json` sidecar's `url`) explains gets the id
 * `owner/repo/<file>` and is grouped with its repository's projector; any
 * other file is a model of its own named by its file name. Subdirectories
 * (llama.cpp's RPC tensor cache) are not models and are skipped.
 *
 * Needs `--allow-read`; writes nothing.
 *
 * @module
 */

import { join } from "node:path";
import { cacheFileName, parseManifestName, shardPaths } from "../core/stores.ts";
import { parseShardName } from "../core/model_names.ts";
import {
  fileFacts,
  isGgufName,
  readDirSorted,
  type StoreFile,
  type StoreListing,
  type StoreWarning,
} from "./store_listing.ts";

/** One `owner/repo` a manifest names, and the repository paths it lists. */
interface ManifestRepo {
  owner: string;
  repo: string;
  /** Repository paths named by the manifest (first shard and projector). */
  paths: string[];
}

function readManifest(path: string, name: { owner: string; repo: string }): ManifestRepo {
  const paths: string[] = [];
  try {
    const j = JSON.parse(Deno.readTextFileSync(path)) as Record<string, unknown>;
    for (const key of ["ggufFile", "mmprojFile"]) {
      const f = j[key] as { rfilename?: unknown } | undefined;
      if (typeof f?.rfilename === "string") paths.push(...shardPaths(f.rfilename));
    }
  } catch {
    // An unreadable manifest still names its repository.
  }
  return { ...name, paths };
}

/** `owner/repo/path` from an older sidecar's `url` (`…/<owner>/<repo>/resolve/<rev>/<path>`). */
function sidecarSource(path: string): string | undefined {
  try {
    const j = JSON.parse(Deno.readTextFileSync(`${path}.json`)) as { url?: unknown };
    if (typeof j.url !== "string") return undefined;
    const m = /\/([^/]+)\/([^/]+)\/resolve\/[^/]+\/(.+?)(?:\?.*)?$/.exec(new URL(j.url).pathname);
    return m ? `${m[1]}/${m[2]}/${decodeURIComponent(m[3]!)}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Lists the GGUF files of a llama.cpp cache directory.
 *
 * @param root The cache directory.
 * @returns The files in name order, warnings and counters.
 *
 * @example A file explained by its manifest
 * ```ts
 * import assert from "node:assert/strict";
 * import { listLlamaCpp } from "./llama_cpp.ts";
 * import { makeLibrary } from "../../tests/gguf_writer.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await makeLibrary(dir, {
 *     "ggml-org_gemma-3-4b-it-GGUF_gemma-3-4b-it-Q4_K_M.gguf": {},
 *     "manifest=ggml-org=gemma-3-4b-it-GGUF=Q4_K_M.json": { kind: "text",
 *       content: JSON.stringify({ ggufFile: { rfilename: "gemma-3-4b-it-Q4_K_M.gguf" } }) },
 *   });
 *   const { files } = await listLlamaCpp(dir);
 *   assert(files[0]?.modelId === "ggml-org/gemma-3-4b-it-GGUF/gemma-3-4b-it-Q4_K_M.gguf");
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export function listLlamaCpp(root: string): Promise<StoreListing> {
  return Promise.resolve(listSync(root));
}

function listSync(root: string): StoreListing {
  const realDirs = new Map<string, string>();
  const warnings: StoreWarning[] = [];
  const files: StoreFile[] = [];
  const entries = readDirSorted(root, warnings);
  if (!entries) return { files, warnings, dirs: 0 };
  const repos: ManifestRepo[] = [];
  for (const e of entries) {
    const name = parseManifestName(e.name);
    if (name && e.isFile) repos.push(readManifest(join(root, e.name), name));
  }
  // "a_b_c_x.gguf" could be a/b_c's or a_b/c's: try longer prefixes first.
  const prefixes = repos
    .map((r) => ({ r, prefix: cacheFileName(r.owner, r.repo, "") }))
    .sort((a, b) => b.prefix.length - a.prefix.length);
  const seenReal = new Set<string>();
  for (const e of entries) {
    if (e.name.startsWith(".") || !isGgufName(e.name) || e.isDirectory) continue;
    const path = join(root, e.name);
    const facts = fileFacts(path, warnings, "broken link", realDirs);
    if (!facts || seenReal.has(facts.realPath)) continue;
    seenReal.add(facts.realPath);
    let id: string | undefined;
    // The manifest that names this very file wins, else the longest prefix.
    const named = prefixes.flatMap((p) => {
      if (!e.name.startsWith(p.prefix)) return [];
      const rest = e.name.slice(p.prefix.length);
      const path = p.r.paths.find((x) => x.replaceAll("/", "_") === rest);
      return [{ r: p.r, path: path ?? rest, exact: path !== undefined }];
    }).sort((a, b) => Number(b.exact) - Number(a.exact))[0];
    if (named) {
      id = `${named.r.owner}/${named.r.repo}/${named.path}`;
    } else {
      id = sidecarSource(path);
    }
    let rel: string;
    if (id !== undefined) {
      rel = `llama.cpp/${id}`;
    } else {
      // A file nothing explains: a model of its own, its shards beside it.
      id = e.name;
      const group = parseShardName(e.name)?.prefix ?? e.name.replace(/\.gguf$/i, "");
      rel = `llama.cpp/${group}/${e.name}`;
    }
    files.push({
      kind: "llama_cpp",
      root,
      path,
      realPath: facts.realPath,
      rel,
      modelId: id,
      aliases: [],
      size: facts.size,
      mtimeMs: facts.mtimeMs,
    });
  }
  return { files, warnings, dirs: 1 };
}

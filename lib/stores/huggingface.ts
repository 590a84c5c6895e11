/**
 * Reads the Hugging Face hub cache (`hf download`, `huggingface_hub`, and
 * llama.cpp's `-hf` since it moved there):
 *
 * ```text
 * <hub>/models--<org>--<repo>/
 *   blobs/<etag>                          the bytes (sha256 of the file for LFS files)
 *   refs/main                             the commit `main` pointed at when downloaded
 *   snapshots/<commit>/<path in repo>     relative symlinks into ../../blobs/ (copies on Windows)
 * ```
 *
 * A model's id is `org/repo/<path in repo>`. The files of the revision
 * `refs/main` names are taken; another revision's file only when no file at
 * that path is in `main`'s snapshot (it holds the only copy), newest snapshot
 * first. A snapshot link must resolve inside the hub cache; an `.incomplete`
 * blob (a download in progress) is never linked, so it is never seen.
 *
 * Needs `--allow-read`; writes nothing.
 *
 * @module
 */

import { join } from "node:path";
import { repoOfFolder } from "../core/stores.ts";
import {
  fileFacts,
  isWithin,
  readDirSorted,
  type StoreFile,
  type StoreListing,
  type StoreWarning,
  walkGguf,
} from "./store_listing.ts";

function readRef(path: string): string | undefined {
  try {
    const text = Deno.readTextFileSync(path).trim();
    return /^[0-9A-Za-z._-]+$/.test(text) ? text : undefined;
  } catch {
    return undefined;
  }
}

function mtimeOf(path: string): number {
  try {
    return Deno.statSync(path).mtime?.getTime() ?? 0;
  } catch {
    return 0;
  }
}

/**
 * Lists the GGUF files of a hub cache directory.
 *
 * @param root The hub cache directory (e.g. `~/.cache/huggingface/hub`).
 * @returns The files (repository folders in name order, `main` first), warnings and counters.
 *
 * @example A repository with one model
 * ```ts
 * import assert from "node:assert/strict";
 * import { listHuggingFace } from "./huggingface.ts";
 * import { hfEntries, makeLibrary } from "../../tests/gguf_writer.ts";
 * const hub = await Deno.makeTempDir();
 * try {
 *   await makeLibrary(hub, hfEntries("bartowski/Qwen3-8B-GGUF", { "Qwen3-8B-Q4_K_M.gguf": {} }));
 *   const { files } = await listHuggingFace(hub);
 *   assert(files[0]?.modelId === "bartowski/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf");
 *   assert(files[0]?.rel === "huggingface/bartowski/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf");
 * } finally {
 *   await Deno.remove(hub, { recursive: true });
 * }
 * ```
 */
export function listHuggingFace(root: string): Promise<StoreListing> {
  return Promise.resolve(listSync(root));
}

function listSync(root: string): StoreListing {
  const realDirs = new Map<string, string>();
  const warnings: StoreWarning[] = [];
  const counter = { dirs: 0 };
  const files: StoreFile[] = [];
  const entries = readDirSorted(root, warnings);
  if (!entries) return { files, warnings, dirs: 0 };
  counter.dirs++;
  let realRoot: string;
  try {
    realRoot = Deno.realPathSync(root);
  } catch {
    return { files, warnings, dirs: counter.dirs };
  }
  const seenReal = new Set<string>();
  for (const e of entries) {
    const repo = repoOfFolder(e.name);
    if (!repo || !e.isDirectory) continue;
    const repoDir = join(root, e.name);
    const main = readRef(join(repoDir, "refs", "main"));
    const snaps = readDirSorted(join(repoDir, "snapshots"), warnings);
    if (!snaps) continue;
    counter.dirs++;
    const revs = snaps.filter((s) => s.isDirectory).map((s) => ({
      name: s.name,
      mtime: mtimeOf(join(repoDir, "snapshots", s.name)),
    }));
    // main first, then the newest snapshots.
    revs.sort((a, b) =>
      Number(b.name === main) - Number(a.name === main) || b.mtime - a.mtime ||
      (a.name < b.name ? -1 : 1)
    );
    const taken = new Set<string>();
    for (const rev of revs) {
      const snapDir = join(repoDir, "snapshots", rev.name);
      const paths = walkGguf(snapDir, warnings, counter);
      for (const p of paths) {
        if (taken.has(p)) continue; // a newer or main revision has this file
        const path = join(snapDir, p);
        const facts = fileFacts(
          path,
          warnings,
          "broken link: its blob is missing (an interrupted or removed download)",
          realDirs,
        );
        if (!facts) continue;
        if (!isWithin(facts.realPath, realRoot)) {
          warnings.push({
            kind: "outside",
            path,
            message:
              `${path}: links outside the Hugging Face cache, to ${facts.realPath} (not followed)`,
          });
          continue;
        }
        taken.add(p);
        if (seenReal.has(facts.realPath)) continue;
        seenReal.add(facts.realPath);
        files.push({
          kind: "huggingface",
          root,
          path,
          realPath: facts.realPath,
          rel: `huggingface/${repo}/${p}`,
          modelId: `${repo}/${p}`,
          aliases: [],
          size: facts.size,
          mtimeMs: facts.mtimeMs,
        });
      }
    }
  }
  return { files, warnings, dirs: counter.dirs };
}

/**
 * Where the real llama-server built by `deno task real-server` lives, and how
 * the tests in `tests/real/` find it (or learn why they must skip).
 *
 * @module
 */

import { join } from "node:path";

/** The npm package version whose bundled llama.cpp source is built. */
export const NODE_LLAMA_CPP = "3.22.1";

/** The manifest the build writes last, once everything is in place. */
export const MANIFEST_NAME = "manifest.json";

/** What `deno task real-server` built and wrote. */
export interface RealManifest {
  /** The llama.cpp tag of the source (from the package's `llama.cpp.info.json`). */
  tag: string;
  /** The server's `--version` line. */
  version: string;
  /** The `llama-server` binary. */
  server: string;
  /** The `llama-gguf-split` binary. */
  split: string;
  /** The test models (absolute paths). */
  models: {
    /** A tiny llama model: loads in ~20 ms, generates tokens. */
    plain: string;
    /** The first of two shards of a tiny model. */
    split: string;
    /** A bigger model whose loading (503 phase) can be observed. */
    slow: string;
    /** A GGUF the server refuses to load (unknown architecture). */
    broken: string;
  };
}

/**
 * The cache directory: `LLAMA_PACK_REAL_CACHE`, else
 * `$XDG_CACHE_HOME/llama-pack/real-server-<version>` (`~/.cache` by default).
 *
 * @returns An absolute directory path outside the repo.
 */
export function realCacheDir(): string {
  const given = Deno.env.get("LLAMA_PACK_REAL_CACHE");
  if (given) return given;
  const base = Deno.env.get("XDG_CACHE_HOME") || join(Deno.env.get("HOME") ?? "/tmp", ".cache");
  return join(base, "llama-pack", `real-server-${NODE_LLAMA_CPP}`);
}

/**
 * Writes JSON to a temp sibling and renames it over `path`.
 *
 * @param path The final file.
 * @param value What to write.
 */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.${Deno.pid}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(value, null, 2) + "\n");
  await Deno.rename(tmp, path);
}

/** Either the manifest, or why the real tests cannot run. */
export type RealLookup = { ok: true; manifest: RealManifest } | { ok: false; reason: string };

/**
 * Reads the manifest and checks that its binaries and models still exist.
 *
 * @returns The manifest, or a one-line reason to skip.
 */
export async function findRealServer(): Promise<RealLookup> {
  const path = join(realCacheDir(), MANIFEST_NAME);
  await waitForBackgroundBuild();
  let manifest: RealManifest;
  try {
    manifest = JSON.parse(await Deno.readTextFile(path)) as RealManifest;
  } catch {
    return {
      ok: false,
      reason: `no real llama-server built (${path} missing; run deno task real-server)`,
    };
  }
  for (const file of [manifest.server, manifest.split, ...Object.values(manifest.models)]) {
    try {
      await Deno.stat(file);
    } catch {
      return { ok: false, reason: `${file} is missing (run deno task real-server --force)` };
    }
  }
  return { ok: true, manifest };
}

/** How long the real tests wait for a build `.ci/run` started in the background. */
const BUILD_WAIT_MS = 45 * 60_000;

/**
 * When `.ci/run` builds the real server in the background while the rest of
 * the suite runs, it names the file the build's exit status will be written
 * to in `LLAMA_PACK_REAL_BUILDING`; wait for that file (once per process).
 */
async function waitForBackgroundBuild(): Promise<void> {
  const done = Deno.env.get("LLAMA_PACK_REAL_BUILDING");
  if (!done) return;
  const deadline = Date.now() + BUILD_WAIT_MS;
  let said = false;
  while (Date.now() < deadline) {
    try {
      await Deno.stat(done);
      return;
    } catch { /* still building */ }
    if (!said) {
      console.log("waiting for the real llama-server build that .ci/run started…");
      said = true;
    }
    await new Promise((r) => setTimeout(r, 2000));
  }
}

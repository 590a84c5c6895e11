/**
 * Where other tools keep their models, decided from the config's `stores`
 * section and the environment (both passed in; nothing is read here).
 *
 * | store         | where                                                                                             |
 * | ------------- | ------------------------------------------------------------------------------------------------- |
 * | `huggingface` | `$HF_HUB_CACHE`, `$HUGGINGFACE_HUB_CACHE`, `$HF_HOME/hub`, `$XDG_CACHE_HOME/huggingface/hub`, `~/.cache/huggingface/hub` (the first set) |
 * | `llama_cpp`   | `$LLAMA_CACHE`, `$XDG_CACHE_HOME/llama.cpp`, `~/.cache/llama.cpp` (the first set)                 |
 * | `lmstudio`    | `~/.lmstudio/models` and the older `~/.cache/lm-studio/models`                                    |
 * | `ollama`      | `$OLLAMA_MODELS`, else `~/.ollama/models` and the system service's `/usr/share/ollama/.ollama/models` |
 *
 * The precedence follows each tool's own code (huggingface_hub's and
 * llama.cpp's cache lookup, Ollama's `envconfig.Models`). A store set to
 * `false` is off; a path replaces the defaults; `true` or no setting uses
 * the defaults that exist.
 *
 * @module
 */

import { join } from "node:path";
import { STORE_KINDS, type StoreKind } from "../core/stores.ts";
import { type Env, expandHome } from "../config/paths.ts";
import type { StoreSetting } from "../config/config.ts";

/** The config's `stores` section; a missing key means `true`. */
export type StoreSettings = Readonly<Partial<Record<StoreKind, StoreSetting>>>;

/** One directory to look in for a store's models. */
export interface StoreRoot {
  /** Which store. */
  kind: StoreKind;
  /** The directory (absolute when the environment gives absolute paths). */
  path: string;
  /** `true` when the config names it: a missing directory is then worth a warning. */
  explicit: boolean;
}

/** The Ollama system service's model directory (the Linux installer's `ollama` user). */
export const OLLAMA_SYSTEM_DIR = "/usr/share/ollama/.ollama/models";

function home(env: Env): string {
  return env.HOME || env.USERPROFILE || ".";
}

/** An environment variable as the tools read it: set and not blank, quotes trimmed. */
function envPath(env: Env, name: string): string | undefined {
  const v = env[name]?.trim().replace(/^["']|["']$/g, "");
  return v ? expandHome(v, env) : undefined;
}

/**
 * The default directories of one store, most specific first.
 *
 * @param kind The store.
 * @param env The environment.
 * @returns The directories to look in (they may not exist).
 *
 * @example The Hugging Face cache follows HF_HOME
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultStorePaths } from "./store_roots.ts";
 * assert.deepEqual(defaultStorePaths("huggingface", { HOME: "/h", HF_HOME: "/data/hf" }), ["/data/hf/hub"]);
 * assert.deepEqual(defaultStorePaths("huggingface", { HOME: "/h" }), ["/h/.cache/huggingface/hub"]);
 * assert.deepEqual(defaultStorePaths("ollama", { HOME: "/h" }),
 *   ["/h/.ollama/models", "/usr/share/ollama/.ollama/models"]);
 * ```
 */
export function defaultStorePaths(kind: StoreKind, env: Env): string[] {
  const cache = envPath(env, "XDG_CACHE_HOME") ?? join(home(env), ".cache");
  switch (kind) {
    case "huggingface": {
      const hfHome = envPath(env, "HF_HOME");
      return [
        envPath(env, "HF_HUB_CACHE") ?? envPath(env, "HUGGINGFACE_HUB_CACHE") ??
          (hfHome ? join(hfHome, "hub") : join(cache, "huggingface", "hub")),
      ];
    }
    case "llama_cpp":
      return [envPath(env, "LLAMA_CACHE") ?? join(cache, "llama.cpp")];
    case "lmstudio":
      return [
        join(home(env), ".lmstudio", "models"),
        join(home(env), ".cache", "lm-studio", "models"),
      ];
    case "ollama": {
      const set = envPath(env, "OLLAMA_MODELS");
      // Ollama uses OLLAMA_MODELS instead of its default when it is set; the
      // system service keeps its own directory unless the variable moved it.
      return set ? [set] : [join(home(env), ".ollama", "models"), OLLAMA_SYSTEM_DIR];
    }
  }
}

/**
 * The directories to scan for each store that is on: a configured path as
 * given, otherwise the defaults. The caller keeps the ones that exist.
 *
 * @param settings The config's `stores` section.
 * @param env The environment.
 * @returns One entry per directory, in {@linkcode STORE_KINDS} order, without repeats.
 *
 * @example Switching stores off and pointing one elsewhere
 * ```ts
 * import assert from "node:assert/strict";
 * import { storeRoots } from "./store_roots.ts";
 * const roots = storeRoots({ huggingface: false, ollama: "/srv/ollama", lmstudio: false }, { HOME: "/h" });
 * assert.deepEqual(roots, [
 *   { kind: "llama_cpp", path: "/h/.cache/llama.cpp", explicit: false },
 *   { kind: "ollama", path: "/srv/ollama", explicit: true },
 * ]);
 * ```
 */
export function storeRoots(settings: StoreSettings, env: Env): StoreRoot[] {
  const out: StoreRoot[] = [];
  const seen = new Set<string>();
  for (const kind of STORE_KINDS) {
    const s = settings[kind] ?? true;
    if (s === false) continue;
    const explicit = typeof s === "string";
    const paths = explicit ? [expandHome(s, env)] : defaultStorePaths(kind, env);
    for (const path of paths) {
      if (seen.has(path)) continue;
      seen.add(path);
      out.push({ kind, path, explicit });
    }
  }
  return out;
}

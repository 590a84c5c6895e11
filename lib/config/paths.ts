/**
 * Where llama-pack keeps its config and state, decided from the environment
 * (passed in, never read here) so tests can point both at temp dirs.
 *
 * @module
 */

import { join } from "node:path";

/** The environment variables llama-pack looks at, as a plain record. */
export type Env = Readonly<Record<string, string | undefined>>;

function home(env: Env): string {
  const h = env.HOME ?? env.USERPROFILE;
  if (!h) return ".";
  return h;
}

/**
 * The config file path: `$LLAMA_PACK_CONFIG`, else
 * `$XDG_CONFIG_HOME/llama-pack/config.json`, else
 * `~/.config/llama-pack/config.json`.
 *
 * @param env The environment, e.g. `Deno.env.toObject()`.
 * @returns An absolute (or `~`-expanded) path.
 *
 * @example Choosing the config path
 * ```ts
 * import assert from "node:assert/strict";
 * import { configPath } from "./paths.ts";
 * assert(configPath({ HOME: "/home/ann" }) === "/home/ann/.config/llama-pack/config.json");
 * assert(configPath({ LLAMA_PACK_CONFIG: "/tmp/c.json", HOME: "/h" }) === "/tmp/c.json");
 * ```
 */
export function configPath(env: Env): string {
  if (env.LLAMA_PACK_CONFIG) return expandHome(env.LLAMA_PACK_CONFIG, env);
  const base = env.XDG_CONFIG_HOME || join(home(env), ".config");
  return join(base, "llama-pack", "config.json");
}

/**
 * The state directory: `$LLAMA_PACK_STATE_DIR`, else
 * `$XDG_STATE_HOME/llama-pack`, else `~/.local/state/llama-pack`.
 *
 * @param env The environment, e.g. `Deno.env.toObject()`.
 * @returns The directory that holds the database and server logs.
 *
 * @example Choosing the state dir
 * ```ts
 * import assert from "node:assert/strict";
 * import { stateDir } from "./paths.ts";
 * assert(stateDir({ HOME: "/home/ann" }) === "/home/ann/.local/state/llama-pack");
 * assert(stateDir({ XDG_STATE_HOME: "/s", HOME: "/h" }) === "/s/llama-pack");
 * ```
 */
export function stateDir(env: Env): string {
  if (env.LLAMA_PACK_STATE_DIR) return expandHome(env.LLAMA_PACK_STATE_DIR, env);
  const base = env.XDG_STATE_HOME || join(home(env), ".local", "state");
  return join(base, "llama-pack");
}

/**
 * Expands a leading `~` or `~/` to the home directory.
 *
 * @param path A path as a user typed it.
 * @param env The environment that holds `HOME`.
 * @returns The path with `~` replaced.
 *
 * @example Expanding ~
 * ```ts
 * import assert from "node:assert/strict";
 * import { expandHome } from "./paths.ts";
 * assert(expandHome("~/models", { HOME: "/home/ann" }) === "/home/ann/models");
 * assert(expandHome("/abs", { HOME: "/home/ann" }) === "/abs");
 * ```
 */
export function expandHome(path: string, env: Env): string {
  if (path === "~") return home(env);
  if (path.startsWith("~/")) return join(home(env), path.slice(2));
  return path;
}

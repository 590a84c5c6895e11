/**
 * The flags of the configured server binary, learned from its own `--help`
 * and cached in the state directory by the binary's path, size and mtime (so
 * `--help` runs once per binary version). When the binary cannot be run or
 * its help has no flags, the adapter's built-in table is used instead.
 *
 * @module
 */

import { join } from "node:path";
import type { FlagSpec } from "./adapter.ts";
import { type HelpFlag, parseServerHelp } from "./help_flags.ts";
import { resolveBinary } from "./spawn_server.ts";

/** A server's flags and where they came from. */
export interface ServerFlags {
  /** Every flag, with spellings, value, env variables and removal notes. */
  readonly flags: readonly HelpFlag[];
  /** `"help"` when learned from the binary, `"built-in"` for the fallback table. */
  readonly source: "help" | "built-in";
}

/** The cache file's shape. */
interface FlagCache {
  binary: string;
  size: number;
  mtime: number;
  flags: HelpFlag[];
}

/** The cache file in the state directory. */
export const FLAG_CACHE_FILE = "server-flags.json";

/** Fewer flags than this means the help was not llama-server's. */
const MIN_FLAGS = 20;

/** Keeps what only the built-in table knows (repeatable flags, optional values). */
function withBuiltIn(flags: HelpFlag[], builtIn: readonly FlagSpec[]): HelpFlag[] {
  const index = new Map<string, FlagSpec>();
  for (const spec of builtIn) for (const name of spec.names) index.set(name, spec);
  return flags.map((f) => {
    const known = f.names.map((n) => index.get(n)).find((s) => s !== undefined);
    if (known === undefined) return f;
    return {
      ...f,
      ...(known.repeatable ? { repeatable: true } : {}),
      ...(known.value === "optional" && f.value !== "none"
        ? { value: "optional" as const, ...(known.choices ? { choices: known.choices } : {}) }
        : {}),
    };
  });
}

/**
 * The flags of `binary`: from the cache when its path, size and mtime match,
 * else from running `binary --help` (then cached), else `builtIn`.
 *
 * @param binary The server binary (a path, or a name on PATH).
 * @param stateDir Where the cache file lives.
 * @param builtIn The adapter's own table, the fallback.
 * @returns The flags and their source.
 *
 * @example A binary that does not exist falls back to the built-in table
 * ```ts
 * import assert from "node:assert/strict";
 * import { learnServerFlags } from "./learned_flags.ts";
 * const dir = await Deno.makeTempDir();
 * const r = await learnServerFlags("/nonexistent/llama-server", dir, [{ names: ["-c"], value: "required" }]);
 * assert(r.source === "built-in" && r.flags.length === 1);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function learnServerFlags(
  binary: string,
  stateDir: string,
  builtIn: readonly FlagSpec[],
): Promise<ServerFlags> {
  const fallback: ServerFlags = { flags: builtIn, source: "built-in" };
  const resolved = resolveBinary(binary);
  if (resolved === undefined) return fallback;
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(resolved);
  } catch {
    return fallback;
  }
  const key = { binary: resolved, size: info.size, mtime: info.mtime?.getTime() ?? 0 };
  const cachePath = join(stateDir, FLAG_CACHE_FILE);
  try {
    const cached = JSON.parse(await Deno.readTextFile(cachePath)) as FlagCache;
    if (cached.binary === key.binary && cached.size === key.size && cached.mtime === key.mtime) {
      return { flags: withBuiltIn(cached.flags, builtIn), source: "help" };
    }
  } catch {
    // no cache yet, or unreadable: learn again
  }
  let text: string;
  try {
    const out = await new Deno.Command(resolved, {
      args: ["--help"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      // llama-server reads LLAMA_ARG_* even for --help: keep them out.
      env: Object.fromEntries(
        Object.entries(Deno.env.toObject()).filter(([k]) => !k.startsWith("LLAMA_ARG_")),
      ),
      clearEnv: true,
    }).output();
    text = new TextDecoder().decode(out.stdout) + "\n" + new TextDecoder().decode(out.stderr);
  } catch {
    return fallback;
  }
  const flags = parseServerHelp(text);
  if (flags.length < MIN_FLAGS) return fallback;
  try {
    await Deno.mkdir(stateDir, { recursive: true });
    const tmp = `${cachePath}.${Deno.pid}.tmp`;
    await Deno.writeTextFile(tmp, JSON.stringify({ ...key, flags } satisfies FlagCache));
    await Deno.rename(tmp, cachePath);
  } catch {
    // a cache that cannot be written only costs a --help next time
  }
  return { flags: withBuiltIn(flags, builtIn), source: "help" };
}

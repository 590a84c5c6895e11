/**
 * The adapter for llama.cpp's `llama-server`: its flags and their aliases,
 * how to build its command line and how to read its `/health` endpoint.
 *
 * The flags are learned from the configured binary's own `--help`
 * (`learned_flags.ts`); the built-in table (`llama_server_flags.ts`,
 * generated from a real llama-server's `--help`) is the fallback.
 *
 * @module
 */

import type { FlagSpec, HealthState, ServerAdapter, ServerLaunch } from "./adapter.ts";
import { checkServerArgs, type ReservedFlag } from "./check_args.ts";
import { isSocketHost, socketUrl } from "./endpoint.ts";
import { learnServerFlags } from "./learned_flags.ts";
import { LLAMA_SERVER_FLAGS, REMOVED_FLAGS } from "./llama_server_flags.ts";
import { mergeArgs } from "./merge_args.ts";

export { LLAMA_SERVER_FLAGS, REMOVED_FLAGS } from "./llama_server_flags.ts";

/** Flags llama-pack sets itself, with what to use instead. */
const RESERVED: readonly ReservedFlag[] = [
  { key: "-m", what: "the model", instead: "name it with llama-pack -m/--model" },
  { key: "--host", what: "the host", instead: "use llama-pack --host before --" },
  { key: "--port", what: "the port", instead: "use llama-pack -p/--port before --" },
];

/**
 * Checks one layer of user args (see {@linkcode checkServerArgs}).
 *
 * @param args The args.
 * @param label Where they come from.
 * @param flags The server's flags (learned from the binary, else the built-in table).
 * @returns Warnings about flags llama-pack does not know.
 * @throws {LlamaPackError} `USAGE` for a flag without its value, a bare
 *   argument, or a flag llama-pack sets itself.
 */
function checkLayer(args: readonly string[], label: string, flags: readonly FlagSpec[]): string[] {
  return checkServerArgs(args, flags, {
    label,
    reserved: RESERVED,
    server: "llama-server",
    ownFlags: ["-n", "-d", "-v", "-p", "-k", "-l", "-u", "-h"],
  });
}

/** The host to connect to for a listen address (wildcards become loopback). */
function connectHost(host: string): string {
  const first = host.split(",")[0]?.trim() ?? host;
  if (first === "" || first === "0.0.0.0") return "127.0.0.1";
  if (first === "::" || first === "[::]") return "[::1]";
  if (first.includes(":") && !first.startsWith("[")) return `[${first}]`;
  return first;
}

/**
 * The llama.cpp `llama-server` adapter.
 *
 * The command line is `-m <model> [--mmproj <file>] --host H --port P`
 * followed by the user's layers, merged flag-aware (see
 * {@linkcode mergeArgs}). `-m/--model`, `--host` and `--port` are set by
 * llama-pack only: passing them in any layer is a `USAGE` error telling the
 * user to use llama-pack's own `-m`, `--host` or `-p`; a flag missing its
 * value or a bare word is a `USAGE` error naming the layer. A user `--mmproj`
 * replaces the detected projector; `--alias` (the model's friendly name, so
 * `/v1/models` shows a name rather than a path) is passed unless a layer sets
 * `-a/--alias`.
 *
 * @example Building a command line
 * ```ts
 * import assert from "node:assert/strict";
 * import { llamaServerAdapter } from "./llama_server.ts";
 * const argv = llamaServerAdapter.buildArgv({
 *   modelPath: "/ssd/gemma.gguf",
 *   host: "127.0.0.1",
 *   port: 8080,
 *   layers: [
 *     { label: "global_llama_args", args: ["--ctx-size", "4096", "--jinja"] },
 *     { label: "-- args", args: ["-c", "8192"] },
 *   ],
 * });
 * assert(argv.join(" ") === "-m /ssd/gemma.gguf --host 127.0.0.1 --port 8080 -c 8192 --jinja");
 * ```
 */
export const llamaServerAdapter: ServerAdapter = {
  name: "llama-server",
  flagAliases: LLAMA_SERVER_FLAGS,
  removedFlags: REMOVED_FLAGS,
  learnFlags: (binary, cacheDir) => learnServerFlags(binary, cacheDir, LLAMA_SERVER_FLAGS),
  buildArgv(launch: ServerLaunch): string[] {
    const flags = launch.flags ?? LLAMA_SERVER_FLAGS;
    for (const layer of launch.layers) checkLayer(layer.args, layer.label, flags);
    const base = ["-m", launch.modelPath];
    if (launch.mmprojPath !== undefined) base.push("--mmproj", launch.mmprojPath);
    // On a UNIX socket (a --host ending in .sock) the port means nothing.
    base.push("--host", launch.host);
    if (!isSocketHost(launch.host)) base.push("--port", String(launch.port));
    if (launch.alias !== undefined) base.push("--alias", launch.alias);
    return mergeArgs([base, ...launch.layers.map((l) => l.args)], flags);
  },
  checkArgs(args: readonly string[], label: string, flags?: readonly FlagSpec[]): string[] {
    return checkLayer(args, label, flags ?? LLAMA_SERVER_FLAGS);
  },
  healthUrl(host: string, port: number): string {
    if (isSocketHost(host)) return socketUrl(host, "/health");
    return `http://${connectHost(host)}:${port}/health`;
  },
  interpretHealth(status: number, _body: string): HealthState {
    if (status === 200) return "ready";
    if (status === 503) return "loading";
    return "unhealthy";
  },
};

/**
 * The interface every inference server llama-pack can launch implements, and
 * the registry that picks one by the config's `server_type`.
 *
 * Adding a server is one new file exporting a {@linkcode ServerAdapter} plus
 * one line in {@linkcode SERVER_ADAPTERS}.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import type { ServerFlags } from "./learned_flags.ts";
import { llamaServerAdapter } from "./llama_server.ts";

/**
 * One flag of a server, with every spelling that means the same thing.
 *
 * Spellings of a boolean flag and its negation (`--jinja`, `--no-jinja`)
 * belong to one group, so a later one replaces an earlier one.
 */
export interface FlagSpec {
  /** Every spelling, e.g. `["-c", "--ctx-size"]`. The first one names the group. */
  readonly names: readonly string[];
  /**
   * Whether the flag takes a value: `"none"` (boolean), `"required"` (the
   * next argument is always its value) or `"optional"` (the next argument is
   * its value only when it is one of {@linkcode FlagSpec.choices}).
   */
  readonly value: "none" | "required" | "optional";
  /**
   * How many arguments a `"required"` flag takes (e.g. 2 for
   * `--control-vector-layer-range START END`).
   *
   * @default {1}
   */
  readonly arity?: number;
  /** The values an `"optional"` flag accepts, e.g. `["on", "off", "auto"]`. */
  readonly choices?: readonly string[];
  /**
   * Whether the flag may appear several times in one layer of args (e.g.
   * `--lora a --lora b`). A later layer still replaces all of them.
   */
  readonly repeatable?: boolean;
}

/** One source of server args, in the order they are merged (later wins). */
export interface ArgLayer {
  /** Where the args come from, for error messages, e.g. `"-- args"`. */
  readonly label: string;
  /** The args, as the user wrote them. */
  readonly args: readonly string[];
}

/** What a server needs to be launched. */
export interface ServerLaunch {
  /** The model file (first shard of a split model). */
  readonly modelPath: string;
  /** The multimodal projector file, when the model has one. */
  readonly mmprojPath?: string;
  /** The address to listen on. */
  readonly host: string;
  /** The port to listen on. */
  readonly port: number;
  /** The name the server announces for the model (llama-server's `--alias`); a user layer's wins. */
  readonly alias?: string;
  /** User args, earliest first: global args, stored args, this run's args. */
  readonly layers: readonly ArgLayer[];
  /** The server's flags, when learned from the binary; else the adapter's own table. */
  readonly flags?: readonly FlagSpec[];
}

/** What one answer of the readiness endpoint means. */
export type HealthState = "ready" | "loading" | "unhealthy";

/** An inference server llama-pack knows how to launch and watch. */
export interface ServerAdapter {
  /** The `server_type` name, e.g. `"llama-server"`. */
  readonly name: string;
  /** The server's flags, grouped by meaning (the built-in table). */
  readonly flagAliases: readonly FlagSpec[];
  /** Flags the server no longer accepts, with what replaces each. */
  readonly removedFlags: Readonly<Record<string, string>>;
  /**
   * The flags of a server binary, learned from it where it can tell (cached
   * in `cacheDir`), else {@linkcode ServerAdapter.flagAliases}.
   */
  learnFlags(binary: string, cacheDir: string): Promise<ServerFlags>;
  /**
   * Builds the server's arguments (without the binary).
   *
   * @throws {LlamaPackError} `USAGE` when user args set something llama-pack controls.
   */
  buildArgv(launch: ServerLaunch): string[];
  /**
   * Checks one list of user args before it is used or stored, against
   * `flags` (learned from the binary) or the adapter's own table.
   *
   * @returns Warnings (e.g. flags the adapter does not know), one line each.
   * @throws {LlamaPackError} `USAGE` for args the server cannot take.
   */
  checkArgs(args: readonly string[], label: string, flags?: readonly FlagSpec[]): string[];
  /** The URL polled for readiness. */
  healthUrl(host: string, port: number): string;
  /** Interprets one answer of {@linkcode ServerAdapter.healthUrl}. */
  interpretHealth(status: number, body: string): HealthState;
}

/** Every known server adapter, by `server_type`. */
export const SERVER_ADAPTERS: Readonly<Record<string, ServerAdapter>> = {
  [llamaServerAdapter.name]: llamaServerAdapter,
};

/**
 * Returns the adapter for a `server_type`.
 *
 * @param type The config's `server_type`, e.g. `"llama-server"`.
 * @returns The adapter.
 * @throws {LlamaPackError} `CONFIG` when the type is unknown; the message lists the known ones.
 *
 * @example Picking the llama-server adapter
 * ```ts
 * import assert from "node:assert/strict";
 * import { serverAdapter } from "./adapter.ts";
 * const adapter = serverAdapter("llama-server");
 * assert(adapter.healthUrl("127.0.0.1", 8080) === "http://127.0.0.1:8080/health");
 * ```
 */
export function serverAdapter(type: string): ServerAdapter {
  const adapter = Object.hasOwn(SERVER_ADAPTERS, type) ? SERVER_ADAPTERS[type] : undefined;
  if (adapter === undefined) {
    throw new LlamaPackError(
      "CONFIG",
      `unknown server_type: '${type}' (known: ${Object.keys(SERVER_ADAPTERS).join(", ")})`,
    );
  }
  return adapter;
}

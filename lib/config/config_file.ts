/**
 * The config file on disk: {@linkcode loadConfig} reads and validates it,
 * {@linkcode writeDefaultConfig} writes the commented default on first run
 * (never over an existing file).
 *
 * @module
 */

import { dirname } from "node:path";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { LlamaPackError } from "../errors.ts";
import type { Env } from "./paths.ts";
import { type Config, defaultConfigText } from "./config.ts";
import { formatProblem, parseConfig, type ParseConfigOptions } from "./parse.ts";
import { salvageConfig } from "./salvage.ts";

/** The result of {@linkcode loadConfig}. */
export interface LoadedConfig {
  /** The validated config. */
  config: Config;
  /** Warnings to print (e.g. missing directories), already formatted. */
  warnings: string[];
}

/**
 * Reads and validates the config file. Needs `--allow-read`.
 *
 * @param path The config file's path.
 * @param env The environment, for `~` expansion.
 * @returns The config and its formatted warnings.
 * @throws {LlamaPackError} `CONFIG` with every error, one per line, when invalid;
 *   `IO` when the file cannot be read.
 *
 * @example Loading a config file
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadConfig } from "./config_file.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/ssd`);
 * await Deno.writeTextFile(`${dir}/c.json`, `{"ssd_path": "${dir}/ssd", "hdd_path": ["${dir}/hdd"],}`);
 * const { config, warnings } = await loadConfig(`${dir}/c.json`, {});
 * assert(config.hdd_path.length === 1 && warnings.length === 1); // hdd does not exist
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadConfig(path: string, env: Env): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (cause) {
    throw new LlamaPackError("IO", `cannot read config '${path}': ${(cause as Error).message}`, {
      cause,
    });
  }
  const { config, problems } = parseConfig(text, path, fileChecks(env));
  const lines = problems.map((p) => formatProblem(path, p));
  if (!config) {
    const errs = problems.filter((p) => p.severity === "error").map((p) => formatProblem(path, p));
    throw new LlamaPackError("CONFIG", errs.join("\n"), {
      hint: `fix the config with: llama-pack --edit-config`,
    });
  }
  return { config, warnings: lines };
}

/** The file-system checks config parsing uses (directories exist, real paths). */
function fileChecks(env: Env): ParseConfigOptions {
  return {
    env,
    dirExists: (p) => {
      try {
        return Deno.statSync(p).isDirectory;
      } catch {
        return false;
      }
    },
    realPath: (p) => {
      try {
        return Deno.realPathSync(p);
      } catch {
        return p;
      }
    },
  };
}

/**
 * Reads the config for a command that needs only the state (`--status`,
 * `-k`, `--killall`, `--logs`): a config with errors does not stop it — the
 * keys with errors are left out (their defaults apply) and the problems come
 * back as warnings; a missing config gives the defaults and writes nothing.
 *
 * @param path The config file's path.
 * @param env The environment.
 * @param command The command, for the warning (e.g. `--status`).
 * @returns The usable config and the warnings to print.
 *
 * @example A typo only warns
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadConfigLeniently } from "./config_file.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/c.json`, `{"default_port": 9001, "defualt_host": "x"}`);
 * const { config, warnings } = await loadConfigLeniently(`${dir}/c.json`, {}, "-k");
 * assert(config.default_port === 9001);
 * assert(warnings.at(-1)!.includes("-k goes on without defualt_host"));
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadConfigLeniently(
  path: string,
  env: Env,
  command: string,
): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as { code?: string }).code !== "ENOENT") {
      return {
        config: salvageConfig("{}", path, { env }).config,
        warnings: [`cannot read config '${path}': ${(err as Error).message}; using the defaults`],
      };
    }
    text = "{}";
  }
  const { config, dropped, problems } = salvageConfig(text, path, fileChecks(env));
  if (dropped.length === 0) {
    return {
      config,
      warnings: problems.filter((p) => p.severity === "warning").map((p) => formatProblem(path, p)),
    };
  }
  return {
    config,
    warnings: [
      ...problems.filter((p) => p.severity === "error").map((p) => formatProblem(path, p)),
      `the config has errors; ${command} goes on without ${dropped.join(", ")} ` +
      `(fix it with llama-pack --edit-config)`,
    ],
  };
}

/**
 * Writes the commented default config if no file exists at `path`; never
 * overwrites. Creates the parent directory. Needs `--allow-read --allow-write`.
 *
 * @param path Where the config belongs.
 * @param env The environment, for the default's paths.
 * @returns `true` when it wrote the file, `false` when one already existed.
 *
 * @example Writing the default once
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeDefaultConfig } from "./config_file.ts";
 * const dir = await Deno.makeTempDir();
 * assert(await writeDefaultConfig(`${dir}/lp/config.json`, {}) === true);
 * assert(await writeDefaultConfig(`${dir}/lp/config.json`, {}) === false);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeDefaultConfig(path: string, env: Env): Promise<boolean> {
  await mkdir(dirname(path), { recursive: true });
  try {
    await writeFile(path, defaultConfigText(env), { flag: "wx" });
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === "EEXIST") return false;
    throw new LlamaPackError("IO", `cannot write config '${path}': ${(err as Error).message}`, {
      cause: err,
    });
  }
}

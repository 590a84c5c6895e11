/**
 * The application: turns argv into a command, builds its context and runs
 * it. Returns the exit status and writes through the given output, so tests
 * can run it in-process; `cli.ts` wires it to the real process.
 *
 * @module
 */

import { join } from "node:path";
import { causeChain, errorMessage, isNoSpaceError, LlamaPackError } from "./errors.ts";
import { isSqliteError, stateError } from "./state/sql_errors.ts";
import { parseCliArgs } from "./cli/args.ts";
import type { Config } from "./config/config.ts";
import { loadConfig, loadConfigLeniently, writeDefaultConfig } from "./config/config_file.ts";
import { helpText } from "./cli/help.ts";
import { configPath, type Env, stateDir } from "./config/paths.ts";
import { StateStore } from "./state/store.ts";
import type { Command, CommandContext, Output } from "./commands/context.ts";
import denoJson from "../deno.json" with { type: "json" };

/** What llama-pack says when Deno was started without `--allow-all`. */
export const ALL_PERMISSIONS_NEEDED = "llama-pack needs Deno's --allow-all (-A)";

/** The package version. */
export const VERSION: string = denoJson.version;

/**
 * Commands that need only the state: they run on whatever part of the config
 * is valid (warning about the rest), so a typo never keeps a user from
 * seeing, following or stopping a server; with no config they write none.
 */
const STATE_ONLY: Readonly<Record<string, string>> = {
  status: "--status",
  kill: "-k",
  killall: "--killall",
  logs: "--logs",
  "complete-models": "--complete-models",
};
/** Commands that read neither config nor state. */
const NO_CONFIG = new Set(["completions"]);

/** Thrown by `ctx.config()` after writing the first config: the command ends with exit 0. */
class ConfigCreated extends Error {}

/** How {@linkcode runApp} reaches the outside world. */
export interface AppIo extends Output {
  /** The environment. */
  env: Env;
  /** Whether stdout is a terminal. @default false */
  isTty?: boolean;
  /** The terminal's width, when stdout is a terminal. @default unknown */
  columns?: number;
  /** The clock in unix seconds. @default Date.now()/1000 */
  now?: () => number;
  /** The argv that starts llama-pack again. @default this Deno running cli.ts */
  selfCommand?: string[];
  /**
   * Asks the user a question on the terminal and returns the line typed
   * (`null` at end of input); absent when stdin is not a terminal.
   * @default undefined
   */
  ask?: (question: string) => Promise<string | null>;
}

// Each command is loaded only when it runs, so start-up stays small.
const lazy =
  <K extends string>(load: () => Promise<Record<K, Command>>, name: K): Command => async (ctx) =>
    (await load())[name](ctx);
const run = lazy(() => import("./commands/run.ts"), "runCommand");
const status = lazy(() => import("./commands/status.ts"), "statusCommand");
const kill = lazy(() => import("./commands/kill.ts"), "killCommand");
const list = lazy(() => import("./commands/list.ts"), "listCommand");
const update = lazy(() => import("./commands/update.ts"), "updateCommand");
const simulate = lazy(() => import("./commands/simulate.ts"), "simulateCommand");
const cache = lazy(() => import("./commands/cache.ts"), "cacheCommand");
const cacheStats = lazy(() => import("./commands/cache_stats.ts"), "cacheStatsCommand");
const copier = lazy(() => import("./commands/copier.ts"), "copierCommand");
const editConfig = lazy(() => import("./commands/edit_config.ts"), "editConfigCommand");
const pull = lazy(() => import("./commands/pull.ts"), "pullCommand");
const dupes = lazy(() => import("./commands/dupes.ts"), "dupesCommand");
const cleanup = lazy(() => import("./commands/cleanup.ts"), "cleanupCommand");
const serve = lazy(() => import("./commands/serve.ts"), "serveCommand");
const storedArgs = lazy(() => import("./commands/stored_args.ts"), "storedArgsCommand");
const logs = lazy(() => import("./commands/logs.ts"), "logsCommand");
const completions = lazy(() => import("./commands/completions.ts"), "completionsCommand");

const COMMANDS: Record<string, Command> = {
  run,
  status,
  kill,
  killall: kill,
  list,
  update,
  simulate,
  cache,
  evict: cache,
  pin: cache,
  unpin: cache,
  "no-cache": cache,
  "allow-cache": cache,
  "cache-stats": cacheStats,
  check: cacheStats,
  recommend: cacheStats,
  copier,
  "edit-config": editConfig,
  pull,
  dupes,
  cleanup,
  serve,
  args: storedArgs,
  logs,
  completions,
  "complete-models": completions,
};

/**
 * The argv that starts this llama-pack again: the compiled binary itself, or
 * this Deno running this copy of `cli.ts`.
 *
 * @returns The command and its leading arguments.
 */
function selfCommand(): string[] {
  const exe = Deno.execPath();
  const base = exe.split(/[\\/]/).pop() ?? "";
  if (!/^deno(\.exe)?$/.test(base)) return [exe];
  return [exe, "run", "--allow-all", new URL("../cli.ts", import.meta.url).href];
}

/**
 * Runs llama-pack with `argv` and returns its exit status. Prints errors as
 * one `error: …` line (plus a hint; plus the cause chain with `-v`), never a
 * stack trace for an expected failure.
 *
 * @param argv The arguments after the program name.
 * @param io Output, environment, clock.
 * @returns The exit status.
 *
 * @example Printing the version
 * ```ts
 * import assert from "node:assert/strict";
 * import { runApp } from "./app.ts";
 * let out = "";
 * const code = await runApp(["--version"], { env: {}, out: (t) => out += t, err: () => {} });
 * assert(code === 0 && out.startsWith("llama-pack "));
 * ```
 */
export async function runApp(argv: readonly string[], io: AppIo): Promise<number> {
  const env = io.env;
  const cfgPath = configPath(env);
  let verbose = argv.filter((a) => a === "--verbose" || /^-v+$/.test(a)).length;
  let store: StateStore | undefined;
  try {
    const cmd = parseCliArgs(argv);
    verbose = cmd.verbose;
    if (cmd.action.kind === "help") {
      io.out(helpText(cfgPath));
      return 0;
    }
    if (cmd.action.kind === "version") {
      io.out(`llama-pack ${VERSION}\n`);
      return 0;
    }
    const isTty = io.isTty ?? false;
    let config: Config | undefined;
    const ctx: CommandContext = {
      cmd,
      env,
      configPath: cfgPath,
      stateDir: stateDir(env),
      color: isTty && !cmd.noColor && !env.NO_COLOR,
      isTty,
      columns: fitWidth(env, isTty, io.columns),
      now: io.now ?? (() => Date.now() / 1000),
      out: io.out,
      err: io.err,
      debug: (level, text) => {
        if (cmd.verbose >= level) io.err(text.endsWith("\n") ? text : text + "\n");
      },
      selfCommand: io.selfCommand ?? selfCommand(),
      ask: io.ask,
      config: async () => {
        if (config) return config;
        const stateOnly = STATE_ONLY[cmd.action.kind];
        if (stateOnly !== undefined) {
          const loaded = await loadConfigLeniently(cfgPath, env, stateOnly);
          for (const w of loaded.warnings) io.err(`warning: ${w}\n`);
          config = loaded.config;
          return config;
        }
        // The detached copier never writes a default config: a config that is
        // gone (its directory removed while a copy was queued) ends the job.
        if (cmd.action.kind === "copier" && !(await fileExists(cfgPath))) {
          throw new LlamaPackError(
            "CONFIG",
            `background copier: the config ${cfgPath} is gone; not copying`,
          );
        }
        if (await writeDefaultConfig(cfgPath, env)) {
          // Models other tools already keep are usable at once: name them, and
          // let the first --update index them.
          const found = await storesFound(env);
          const indexNow = cmd.action.kind === "update" && found.length > 0;
          const { renderFoundStores } = await import("./core/stores.ts");
          io.out(
            `Created a default config at ${cfgPath}\n${renderFoundStores(found)}` +
              `Edit ssd_path, hdd_path and server_binary (llama-pack --edit-config), ${
                indexNow
                  ? "then run llama-pack --update again. Indexing the stores now:\n"
                  : "then run: llama-pack --update\n"
              }`,
          );
          if (!indexNow) throw new ConfigCreated();
        }
        const loaded = await loadConfig(cfgPath, env);
        for (const w of loaded.warnings) io.err(`warning: ${w}\n`);
        config = loaded.config;
        return config;
      },
      state: () => store ??= StateStore.open(stateDir(env)),
    };
    const command = COMMANDS[cmd.action.kind];
    if (!command) throw new LlamaPackError("NOT_IMPLEMENTED", `${cmd.action.kind}: not available`);
    // Every command but the editor runs on a valid config: the first run
    // writes the default and stops here; a broken config stops every command
    // but the state-only ones (STATE_ONLY), which go on with a warning.
    if (cmd.action.kind !== "edit-config" && !NO_CONFIG.has(cmd.action.kind)) await ctx.config();
    return await command(ctx);
  } catch (thrown) {
    if (thrown instanceof ConfigCreated) return 0;
    if (thrown instanceof Deno.errors.NotCapable) {
      io.err(`error: ${ALL_PERMISSIONS_NEEDED}\n`);
      io.err("hint: deno run -A cli.ts, or install the command: deno task install\n");
      return 2;
    }
    const err = environmentError(thrown, env);
    if (err instanceof LlamaPackError) {
      io.err(`error: ${err.message}\n`);
      if (err.hint) io.err(`hint: ${err.hint}\n`);
      if (verbose > 0 && err.cause !== undefined) {
        io.err(`caused by: ${causeChain(err.cause).join("\n  caused by: ")}\n`);
      }
      return err.exitCode;
    }
    // A bug, not a user mistake: say so, with the stack only in verbose mode.
    io.err(`error: internal error: ${err instanceof Error ? err.message : String(err)}\n`);
    if (verbose > 0 && err instanceof Error && err.stack) io.err(err.stack + "\n");
    else io.err("hint: run again with -v for details, and please report it\n");
    return 70;
  } finally {
    store?.close();
  }
}

/** The stores of other tools that exist under their default folders, with model counts. */
async function storesFound(env: Env) {
  const { listStores } = await import("./stores/store_scan.ts");
  const { storeRoots } = await import("./stores/store_roots.ts");
  const { stores } = await listStores(storeRoots({}, env));
  return stores.map(({ kind, path, models }) => ({ kind, path, models }));
}

/**
 * A full disk or a failing state database that no adapter named is still the
 * environment's failure, not a bug: it becomes a `DISK_FULL`/`STATE` error.
 */
function environmentError(err: unknown, env: Env): unknown {
  if (err instanceof LlamaPackError) return err;
  if (isSqliteError(err)) return stateError(err, join(stateDir(env), "state.db"), "use");
  if (isNoSpaceError(err)) {
    return new LlamaPackError("DISK_FULL", `no space left on a disk: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  return err;
}

/** `$COLUMNS` when it is a sane width, else the terminal's width on a terminal. */
function fitWidth(env: Env, isTty: boolean, columns: number | undefined): number | undefined {
  const fromEnv = Number(env.COLUMNS);
  if (env.COLUMNS !== undefined && Number.isInteger(fromEnv) && fromEnv >= 20) return fromEnv;
  return isTty && columns !== undefined && columns > 0 ? columns : undefined;
}

async function fileExists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

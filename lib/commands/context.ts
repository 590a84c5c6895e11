/**
 * What every command receives: the parsed command line, the environment,
 * output writers, a clock, and lazy access to the config and state store.
 * Commands return an exit status; only `cli.ts` exits.
 *
 * @module
 */

import type { CliCommand } from "../cli/args.ts";
import type { Config } from "../config/config.ts";
import type { Env } from "../config/paths.ts";
import type { StateStore } from "../state/store.ts";

/** Where a command writes for the user. */
export interface Output {
  /** Writes text to stdout as is (add `\n` yourself). */
  out(text: string): void;
  /** Writes text to stderr as is (add `\n` yourself). */
  err(text: string): void;
}

/** Everything a command needs from the outside world. */
export interface CommandContext extends Output {
  /** The parsed command line. */
  cmd: CliCommand;
  /** The environment. */
  env: Env;
  /** The config file's path. */
  configPath: string;
  /** The state directory. */
  stateDir: string;
  /** Whether to colour output (TTY, no NO_COLOR, no --no-color). */
  color: boolean;
  /** Whether stdout is a terminal. */
  isTty: boolean;
  /**
   * The width to fit tables to: `$COLUMNS` when set, else the terminal's
   * width when stdout is a terminal, else `undefined` (no limit: output to a
   * pipe or file keeps whole names).
   */
  columns: number | undefined;
  /** The clock, in unix seconds. */
  now(): number;
  /**
   * The validated config. On first use writes the default config when none
   * exists and ends the command (exit 0) with a message saying what to edit.
   */
  config(): Promise<Config>;
  /** The state store, opened on first use. */
  state(): StateStore;
  /** The argv that starts llama-pack itself again (for detached helpers). */
  selfCommand: string[];
  /** Prints when `cmd.verbose >= level`. */
  debug(level: number, text: string): void;
  /**
   * Asks on the terminal and returns the line typed (`null` at end of
   * input); `undefined` when stdin is not a terminal (never ask then).
   */
  ask: ((question: string) => Promise<string | null>) | undefined;
}

/** A command: does its work and returns the exit status. */
export type Command = (ctx: CommandContext) => Promise<number>;

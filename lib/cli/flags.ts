/**
 * Every flag llama-pack knows: its spellings, its value's name and the
 * action it selects. The parser ({@link ./args.ts}), did-you-mean and the
 * help test read this one table.
 *
 * @module
 */

import type { CliAction } from "./command.ts";

/** One flag: its spellings, its value's name, and the action it selects. */
export interface CliFlagSpec {
  /** Every spelling, the canonical one first. */
  names: readonly string[];
  /** The value's name in help, when the flag takes one. */
  value?: string;
  /** The action the flag selects, if any. */
  action?: CliAction["kind"];
}

/** Every flag llama-pack knows, for parsing, did-you-mean and help tests. */
export const FLAGS: readonly CliFlagSpec[] = [
  { names: ["-m", "--model"], value: "NAME", action: "run" },
  { names: ["-p", "--port"], value: "N" },
  { names: ["--host"], value: "ADDR" },
  { names: ["--store", "--keep"] },
  { names: ["-d", "--detach"] },
  { names: ["--timeout"], value: "DURATION" },
  { names: ["--strict"] },
  { names: ["--serve"], action: "serve" },
  { names: ["--listen"], value: "HOST:PORT" },
  { names: ["-l", "--list"], action: "list" },
  { names: ["--json"] },
  { names: ["--table"] },
  { names: ["-u", "--update"], action: "update" },
  { names: ["--prune"] },
  { names: ["--status", "--stat", "--st"], action: "status" },
  { names: ["--args"], value: "NAME", action: "args" },
  { names: ["--clear-args"], value: "NAME", action: "args" },
  { names: ["--ec", "--ce", "--edit-config"], action: "edit-config" },
  { names: ["-k", "--kill"], action: "kill" },
  { names: ["--killall", "--kall"], action: "killall" },
  { names: ["--logs"], action: "logs" },
  { names: ["-f", "--follow"] },
  { names: ["--simulate"], value: "NAME|PATTERN|FILE", action: "simulate" },
  { names: ["--simulate-history"], action: "simulate" },
  { names: ["--sim-ssd-free"], value: "SIZE" },
  { names: ["--compare"] },
  { names: ["--cache"], value: "NAME", action: "cache" },
  { names: ["--evict"], value: "NAME", action: "evict" },
  { names: ["--pin"], value: "NAME", action: "pin" },
  { names: ["--unpin"], value: "NAME", action: "unpin" },
  { names: ["--no-cache"], value: "NAME", action: "no-cache" },
  { names: ["--allow-cache"], value: "NAME", action: "allow-cache" },
  { names: ["-n", "--dry-run"] },
  { names: ["-y", "--yes"] },
  { names: ["--cache-stats"], action: "cache-stats" },
  { names: ["--check"], value: "SIZE", action: "check" },
  { names: ["--tier"], value: "ssd|hdd|PATH" },
  { names: ["--recommend"], value: "SIZE", action: "recommend" },
  { names: ["--pull"], value: "REPO[:QUANT]", action: "pull" },
  { names: ["--to"], value: "primary|secondary|PATH" },
  { names: ["--revision"], value: "REV" },
  { names: ["--no-mmproj"] },
  { names: ["--dupes"], action: "dupes" },
  { names: ["--verify"] },
  { names: ["--cleanup"], action: "cleanup" },
  { names: ["-v", "--verbose"] },
  { names: ["--no-color"] },
  { names: ["--completions"], value: "bash|zsh|fish", action: "completions" },
  { names: ["--complete-models"], action: "complete-models" },
  { names: ["-h", "--help"], action: "help" },
  { names: ["-V", "--version"], action: "version" },
  { names: ["--run-copier"], value: "JOB" },
];

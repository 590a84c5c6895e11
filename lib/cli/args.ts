/**
 * The command line as a typed value: {@linkcode parseCliArgs} is a pure
 * function from argv to a {@linkcode CliCommand}. It never reads `Deno.args`,
 * prints or exits; bad input throws a `USAGE` {@linkcode LlamaPackError}.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import { parseDuration, parseSize } from "../core/units.ts";
import { didYouMean } from "../core/words.ts";
import { parseHubRef } from "../core/hub_files.ts";
import { parseListen } from "../core/listen.ts";
import type { CliAction, CliCommand } from "./command.ts";
import { type CliFlagSpec, FLAGS } from "./flags.ts";

export type { CliAction, CliCommand } from "./command.ts";
export { type CliFlagSpec, FLAGS } from "./flags.ts";

const BY_NAME = new Map<string, CliFlagSpec>();
for (const f of FLAGS) for (const n of f.names) BY_NAME.set(n, f);

/** The hint printed under a usage error. */
export const USAGE_HINT = "run 'llama-pack --help' for usage";

function usage(message: string): LlamaPackError {
  return new LlamaPackError("USAGE", message, { hint: USAGE_HINT });
}

/**
 * Parses llama-pack's command line.
 *
 * @param argv The arguments after the program name.
 * @returns The typed command.
 * @throws {LlamaPackError} `USAGE` for unknown flags, missing or bad values,
 *   conflicting actions and misplaced options; `BAD_SIZE`/`BAD_DURATION` for bad sizes/durations.
 *
 * @example Loading a model with extra server args
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCliArgs } from "./args.ts";
 * const cmd = parseCliArgs(["-m", "gemma5", "--store", "--", "-c", "8192"]);
 * assert(cmd.action.kind === "run" && cmd.action.store);
 * assert(cmd.passthrough?.join(" ") === "-c 8192");
 * ```
 */
export function parseCliArgs(argv: readonly string[]): CliCommand {
  const seen = new Map<string, { flag: string; value: string | undefined }>();
  const actions: { flag: string; kind: CliAction["kind"] }[] = [];
  let verbose = 0;
  let passthrough: string[] | undefined;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      passthrough = argv.slice(i + 1);
      break;
    }
    if (/^-v+$/.test(arg)) {
      verbose += arg.length - 1;
      continue;
    }
    if (arg === "--verbose") {
      verbose++;
      continue;
    }
    if (!arg.startsWith("-") || arg === "-") {
      throw usage(
        `unexpected argument '${arg}' (options start with '-'; server args go after '--')`,
      );
    }
    let name = arg;
    let inline: string | undefined;
    const eq = arg.indexOf("=");
    if (arg.startsWith("--") && eq > 0) {
      name = arg.slice(0, eq);
      inline = arg.slice(eq + 1);
    }
    const spec = BY_NAME.get(name);
    if (!spec) {
      const hint = didYouMean(name, [...BY_NAME.keys()]);
      throw usage(`unknown option '${name}'${hint ? ` (did you mean '${hint}'?)` : ""}`);
    }
    let value: string | undefined;
    if (spec.value) {
      if (inline !== undefined) value = inline;
      else {
        const next = argv[i + 1];
        if (next === undefined || (next.startsWith("-") && next !== "-" && !/^-\d/.test(next))) {
          throw usage(`option '${name}' needs a value (${spec.value})`);
        }
        value = next;
        i++;
      }
      if (value === "") throw usage(`option '${name}' needs a non-empty value (${spec.value})`);
    } else if (inline !== undefined) {
      throw usage(`option '${name}' takes no value`);
    }
    const key = spec.names[0]!;
    if (seen.has(key)) {
      const prev = seen.get(key)!;
      throw usage(`option '${name}' given twice (first as '${prev.flag}')`);
    }
    seen.set(key, { flag: name, value });
    if (spec.action) actions.push({ flag: name, kind: spec.action });
  }

  if (actions.length > 1) {
    throw usage(
      `conflicting actions: ${
        actions.map((a) => `'${a.flag}'`).join(" and ")
      } (give one at a time)`,
    );
  }
  const has = (n: string) => seen.has(n);
  const val = (n: string) => seen.get(n)?.value;

  let port: number | undefined;
  if (has("-p")) {
    const raw = val("-p")!;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < 1 || n > 65535) {
      throw usage(`option '${seen.get("-p")!.flag}': '${raw}' is not a port number (1-65535)`);
    }
    port = n;
  }
  const host = val("--host");
  if (host !== undefined && /\s/.test(host)) {
    throw usage(`option '--host': '${host}' is not a host address`);
  }

  const kind = actions[0]?.kind;
  let action: CliAction;
  const model = (flag: string) => {
    const q = val(flag)!;
    if (q.trim() === "") throw usage(`option '${seen.get(flag)!.flag}' needs a model name`);
    return q;
  };
  switch (kind) {
    case undefined:
      if (passthrough !== undefined) {
        throw usage("server args after '--' need a model: llama-pack -m NAME -- ARGS");
      }
      action = { kind: "help" };
      break;
    case "run": {
      let timeoutSeconds: number | undefined;
      if (has("--timeout")) {
        timeoutSeconds = parseDuration(val("--timeout")!, "option '--timeout'");
        if (timeoutSeconds <= 0) throw usage("option '--timeout' must be greater than 0");
      }
      action = {
        kind: "run",
        model: model("-m"),
        store: has("--store"),
        detach: has("-d"),
        timeoutSeconds,
        strict: has("--strict"),
      };
      break;
    }
    case "update":
      action = { kind: "update", prune: has("--prune") };
      break;
    case "serve": {
      let listen;
      if (has("--listen")) {
        listen = parseListen(val("--listen")!);
        if (typeof listen === "string") throw usage(`option '--listen': ${listen}`);
      }
      action = { kind: "serve", listen };
      break;
    }
    case "simulate": {
      let ssdFreeBytes: number | undefined;
      if (has("--sim-ssd-free")) {
        ssdFreeBytes = parseSize(val("--sim-ssd-free")!, "option '--sim-ssd-free'");
      }
      const history = has("--simulate-history");
      action = {
        kind: "simulate",
        target: val("--simulate"),
        history,
        ssdFreeBytes,
        compare: has("--compare"),
      };
      break;
    }
    case "cache":
    case "evict":
    case "pin":
    case "unpin":
    case "no-cache":
    case "allow-cache":
      action = { kind, model: model(`--${kind}`) };
      break;
    case "args": {
      const clear = has("--clear-args");
      action = { kind: "args", model: model(clear ? "--clear-args" : "--args"), clear };
      break;
    }
    case "logs":
      action = { kind: "logs", follow: has("-f") };
      break;
    case "completions": {
      const shell = val("--completions")!;
      if (shell !== "bash" && shell !== "zsh" && shell !== "fish") {
        throw usage(
          `option '--completions': '${shell}' is not a shell I write completions for (bash, zsh, fish)`,
        );
      }
      action = { kind: "completions", shell };
      break;
    }
    case "check":
      action = {
        kind: "check",
        sizeBytes: parseSize(val("--check")!, "option '--check'"),
        tier: val("--tier"),
      };
      break;
    case "recommend":
      action = {
        kind: "recommend",
        sizeBytes: parseSize(val("--recommend")!, "option '--recommend'"),
      };
      break;
    case "pull": {
      const ref = val("--pull")!;
      parseHubRef(ref);
      const revision = val("--revision");
      if (revision !== undefined && /\s/.test(revision)) {
        throw usage(`option '--revision': '${revision}' is not a branch, tag or commit`);
      }
      action = { kind: "pull", ref, to: val("--to"), revision, mmproj: !has("--no-mmproj") };
      break;
    }
    case "dupes":
      action = { kind: "dupes", verify: has("--verify") };
      break;
    case "cleanup":
      action = { kind: "cleanup", yes: has("-y") };
      break;
    default:
      action = { kind } as CliAction;
  }
  if (has("--run-copier")) {
    if (actions.length > 0) throw usage("'--run-copier' is internal and takes no other action");
    const id = Number(val("--run-copier"));
    if (!Number.isInteger(id) || id < 1) throw usage("option '--run-copier' needs a job id");
    action = { kind: "copier", jobId: id };
  }

  // Options that only make sense with certain actions.
  const only: [string, CliAction["kind"][]][] = [
    ["--store", ["run"]],
    ["-d", ["run"]],
    ["--timeout", ["run"]],
    ["--strict", ["run"]],
    ["--prune", ["update"]],
    ["--listen", ["serve"]],
    ["--sim-ssd-free", ["simulate"]],
    ["--compare", ["simulate"]],
    ["--tier", ["check"]],
    ["--to", ["pull"]],
    ["--revision", ["pull"]],
    ["--no-mmproj", ["pull"]],
    ["-f", ["logs"]],
    ["-y", ["cache", "cleanup"]],
    ["--table", ["list"]],
    ["-n", [
      "run",
      "cache",
      "evict",
      "pin",
      "unpin",
      "no-cache",
      "allow-cache",
      "args",
      "pull",
      "cleanup",
    ]],
    ["--json", [
      "list",
      "status",
      "cache-stats",
      "check",
      "recommend",
      "simulate",
      "pull",
      "dupes",
    ]],
    ["--verify", ["dupes"]],
    ["-p", ["run", "kill", "logs", "args"]],
    ["--host", ["run", "kill", "logs", "args"]],
  ];
  for (const [flag, kinds] of only) {
    if (has(flag) && !kinds.includes(action.kind)) {
      const used = seen.get(flag)!.flag;
      const need = kinds.map((k) => ACTION_FLAG[k]).join(", ");
      throw usage(`option '${used}' only works with ${need}`);
    }
  }
  if (action.kind === "args" && action.clear && passthrough !== undefined) {
    throw usage("'--clear-args' takes no server args: --args NAME -- ARGS replaces them");
  }
  if (passthrough !== undefined && action.kind !== "run" && action.kind !== "args") {
    throw usage("server args after '--' need a model: llama-pack -m NAME -- ARGS");
  }

  return {
    action,
    port,
    host,
    verbose,
    json: has("--json"),
    table: has("--table"),
    dryRun: has("-n"),
    yes: has("-y"),
    noColor: has("--no-color"),
    passthrough,
  };
}

const ACTION_FLAG: Record<CliAction["kind"], string> = {
  help: "-h",
  version: "--version",
  run: "-m",
  serve: "--serve",
  list: "-l",
  update: "-u",
  status: "--status",
  "edit-config": "--edit-config",
  kill: "-k",
  killall: "--killall",
  simulate: "--simulate",
  cache: "--cache",
  evict: "--evict",
  pin: "--pin",
  unpin: "--unpin",
  "no-cache": "--no-cache",
  "allow-cache": "--allow-cache",
  "cache-stats": "--cache-stats",
  check: "--check",
  args: "--args",
  logs: "--logs",
  completions: "--completions",
  "complete-models": "--complete-models",
  recommend: "--recommend",
  dupes: "--dupes",
  cleanup: "--cleanup",
  copier: "--run-copier",
  pull: "--pull",
};

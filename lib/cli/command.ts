/**
 * What a command line asks for, as a typed value: the one action and the
 * options around it. {@link ./args.ts} builds it; `lib/commands/` runs it.
 *
 * @module
 */

import type { ListenAddress } from "../core/listen.ts";

/** What the user asked llama-pack to do. */
export type CliAction =
  | { kind: "help" }
  | { kind: "version" }
  | {
    kind: "run";
    /** The model query. */
    model: string;
    /** Save this run's `--` args as the model's stored args. */
    store: boolean;
    /** Start in the background and return once ready. */
    detach: boolean;
    /** Ready deadline for `--detach`, seconds. */
    timeoutSeconds: number | undefined;
    /** Fail when the query is ambiguous instead of picking the best match. */
    strict: boolean;
  }
  | {
    kind: "serve";
    /** `--listen`, overriding `serve.listen`. */
    listen: ListenAddress | undefined;
  }
  | { kind: "list" }
  | { kind: "update"; prune: boolean }
  | { kind: "status" }
  | { kind: "edit-config" }
  | { kind: "kill" }
  | { kind: "killall" }
  | {
    kind: "simulate";
    /** A preset name, a pattern (contains `=` or `;`), or a JSON Lines trace file; `undefined` with `history`. */
    target: string | undefined;
    /** Replay the user's own recorded uses. */
    history: boolean;
    /** Override the SSD free space, bytes. */
    ssdFreeBytes: number | undefined;
    /** Compare against reference policies and the offline optimum. */
    compare: boolean;
  }
  | { kind: "cache" | "evict" | "pin" | "unpin" | "no-cache" | "allow-cache"; model: string }
  | { kind: "cache-stats" }
  | {
    kind: "args";
    /** The model query. */
    model: string;
    /** Forget the stored args (`--clear-args`). */
    clear: boolean;
  }
  | {
    kind: "logs";
    /** Keep printing what the server writes until it stops or Ctrl-C. */
    follow: boolean;
  }
  | { kind: "completions"; shell: "bash" | "zsh" | "fish" }
  | { kind: "complete-models" }
  | { kind: "check"; sizeBytes: number; tier: string | undefined }
  | { kind: "recommend"; sizeBytes: number }
  | { kind: "dupes"; /** Hash every copy to confirm (`--verify`). */ verify: boolean }
  | { kind: "cleanup"; /** Remove without asking (`--yes`). */ yes: boolean }
  | { kind: "copier"; jobId: number }
  | {
    kind: "pull";
    /** `owner/name[:QUANT]`, checked by `parseHubRef`. */
    ref: string;
    /** `--to`: `primary`, `secondary`, `hddN` or a configured directory; default `secondary`. */
    to: string | undefined;
    /** `--revision`: branch, tag or commit; default `main`. */
    revision: string | undefined;
    /** Bring the projector along (`--no-mmproj` turns it off). */
    mmproj: boolean;
  };

/** A parsed command line. */
export interface CliCommand {
  /** The one action. */
  action: CliAction;
  /** `-p/--port`, if given. */
  port: number | undefined;
  /** `--host`, if given. */
  host: string | undefined;
  /** How many `-v`. */
  verbose: number;
  /** `--json`: machine-readable output. */
  json: boolean;
  /** `--table`: the compact table view of `-l`. */
  table: boolean;
  /** `-n/--dry-run`: show the plan, change nothing. */
  dryRun: boolean;
  /** `-y/--yes`: do what was asked without asking first (evictions of `--cache`). */
  yes: boolean;
  /** `--no-color`. */
  noColor: boolean;
  /** Args after `--`; `undefined` when there was no `--`. */
  passthrough: string[] | undefined;
}

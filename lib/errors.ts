/**
 * The one error type of llama-pack: every failure carries a code and the exit
 * status the CLI ends with.
 *
 * @module
 */

/**
 * Every failure llama-pack reports, with the exit status the CLI uses for it.
 *
 * - `2` — the user's input is wrong (flags, config, sizes, patterns, names).
 * - `1` — the request was understood but could not be carried out.
 * - `74` — the environment failed: a disk llama-pack writes to is full, or the
 *   state database cannot be opened, read or written. The message names the path.
 */
export const ERROR_CODES = {
  /** Unknown flag, missing value, conflicting actions. */
  USAGE: 2,
  /** The config file is missing a value, has a wrong type or cannot be parsed. */
  CONFIG: 2,
  /** A size such as `50g` could not be parsed. */
  BAD_SIZE: 2,
  /** A duration such as `2h` could not be parsed. */
  BAD_DURATION: 2,
  /** A simulation pattern or trace file is malformed. */
  BAD_PATTERN: 2,
  /** A model query matched nothing. */
  NO_MATCH: 2,
  /** A model query matched several models in strict mode. */
  AMBIGUOUS: 2,
  /** A capability that has not been built yet. */
  NOT_IMPLEMENTED: 2,
  /** The state database could not be opened, migrated, read or written (it names the file). */
  STATE: 74,
  /** A disk llama-pack must write to is full (the message names the path); nothing was changed. */
  DISK_FULL: 74,
  /** A file or directory operation failed. */
  IO: 1,
  /** A model file is not valid GGUF. */
  BAD_GGUF: 1,
  /** A server could not be started, or died while loading. */
  SERVER_START: 1,
  /** A server was stopped by a signal (not a crash) before it was ready. */
  SERVER_STOPPED: 1,
  /** A server did not become ready before the deadline. */
  SERVER_TIMEOUT: 1,
  /** A port is held by a process llama-pack did not start. */
  PORT_BUSY: 1,
  /** No llama-pack server runs where one was expected. */
  NOT_RUNNING: 1,
  /** A copy to the SSD failed (space, permissions, source changed, verify). */
  COPY: 1,
  /** An eviction was refused because it could lose data. */
  UNSAFE: 1,
  /** The model does not fit on the tier asked about. */
  NO_SPACE: 1,
  /** The external editor failed. */
  EDITOR: 1,
  /** The Hugging Face hub refused or failed: a gated repository, a server error, no connection. */
  HUB: 1,
  /** A download does not match what the hub listed (size or hash), or would overwrite a file. */
  DOWNLOAD: 1,
  /** Something that needs the user's yes (evicting copies for `--cache`) got none: no terminal to ask, or a no. */
  NOT_CONFIRMED: 1,
} as const;

/** The name of one failure, e.g. `"CONFIG"`. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** Options of {@linkcode LlamaPackError}. */
export interface LlamaPackErrorOptions {
  /** The error that caused this one; shown with `-v`. */
  cause?: unknown;
  /** A second line for the user, e.g. a usage hint. */
  hint?: string;
}

/**
 * The error llama-pack throws for every failure it expects. Only `cli.ts`
 * prints it (one line, `error: …`) and exits with {@linkcode LlamaPackError.exitCode}.
 *
 * @example Throwing and inspecting an error
 * ```ts
 * import assert from "node:assert/strict";
 * import { LlamaPackError } from "./errors.ts";
 * const err = new LlamaPackError("BAD_SIZE", "cannot parse size: '12x' (use e.g. 50g, 100m)");
 * assert(err.exitCode === 2);
 * assert(err.code === "BAD_SIZE");
 * ```
 */
export class LlamaPackError extends Error {
  /** The failure's code. */
  readonly code: ErrorCode;
  /** A second line for the user, e.g. a usage hint. */
  readonly hint: string | undefined;

  /**
   * Creates the error.
   *
   * @param code The failure's code; it decides the exit status.
   * @param message What failed and where, detail after a colon.
   * @param options Cause and hint.
   */
  constructor(code: ErrorCode, message: string, options: LlamaPackErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "LlamaPackError";
    this.code = code;
    this.hint = options.hint;
  }

  /** The exit status the CLI ends with for this error. */
  get exitCode(): number {
    return ERROR_CODES[this.code];
  }
}

/**
 * Lists the messages of an error's cause chain, outermost first.
 *
 * @param err Any thrown value.
 * @returns One message per link of the chain.
 *
 * @example Reading a cause chain
 * ```ts
 * import assert from "node:assert/strict";
 * import { causeChain, LlamaPackError } from "./errors.ts";
 * const err = new LlamaPackError("IO", "cannot read config", { cause: new Error("EACCES") });
 * assert(causeChain(err).join(" <- ") === "cannot read config <- EACCES");
 * ```
 */
export function causeChain(err: unknown): string[] {
  const out: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 10; depth++) {
    out.push(cur instanceof Error ? cur.message : String(cur));
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  return out;
}

/**
 * The message of any thrown value.
 *
 * @param err Any thrown value.
 * @returns Its message (or its string form).
 *
 * @example Messages of errors and non-errors
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorMessage } from "./errors.ts";
 * assert.equal(errorMessage(new Error("disk full")), "disk full");
 * assert.equal(errorMessage("plain"), "plain");
 * ```
 */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Whether a thrown value says a disk is full: an OS error `ENOSPC` or
 * `EDQUOT`, or SQLite's "database or disk is full".
 *
 * @param err Any thrown value.
 * @returns `true` for out-of-space and over-quota errors.
 *
 * @example Recognising a full disk
 * ```ts
 * import assert from "node:assert/strict";
 * import { isNoSpaceError } from "./errors.ts";
 * assert(isNoSpaceError(Object.assign(new Error("write"), { code: "ENOSPC" })));
 * assert(isNoSpaceError(new Error("database or disk is full")));
 * assert(!isNoSpaceError(new Error("permission denied")));
 * ```
 */
export function isNoSpaceError(err: unknown): boolean {
  for (let cur: unknown = err, depth = 0; cur instanceof Error && depth < 10; depth++) {
    const code = (cur as { code?: unknown }).code;
    if (code === "ENOSPC" || code === "EDQUOT") return true;
    if (/database or disk is full|no space left on device|disk quota exceeded/i.test(cur.message)) {
      return true;
    }
    cur = cur.cause;
  }
  return false;
}

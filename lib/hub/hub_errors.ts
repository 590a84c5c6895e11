/**
 * The hub's refusals: {@linkcode HubHttpError} as the hub's `fetch` throws
 * it, and {@linkcode hubError}, which gives it its context — which
 * repository, revision and file — as one line that says what to do. The
 * token never appears in them.
 *
 * @module
 */

import { errorMessage, LlamaPackError } from "../errors.ts";
import type { HubSettings } from "./hub_client.ts";

/** A refusal from the hub, before it is given its context. */
export class HubHttpError extends Error {
  /** The HTTP status. */
  readonly status: number;
  /** The hub's `X-Error-Code` (`RepoNotFound`, `RevisionNotFound`, `GatedRepo`, `EntryNotFound`). */
  readonly errorCode: string | undefined;
  /** The URL asked for. */
  readonly url: string;

  /**
   * Creates the error.
   *
   * @param status The HTTP status.
   * @param errorCode The hub's `X-Error-Code`.
   * @param url The URL asked for.
   * @param message The hub's `X-Error-Message` or JSON `error`, or the status text.
   */
  constructor(status: number, errorCode: string | undefined, url: string, message: string) {
    super(message);
    this.name = "HubHttpError";
    this.status = status;
    this.errorCode = errorCode;
    this.url = url;
  }
}

/** What was being asked when the hub refused. */
export interface HubErrorContext {
  /** `owner/name`. */
  repo: string;
  /** The revision or commit. */
  revision?: string;
  /** The file, for downloads. */
  path?: string;
}

/**
 * Turns anything a hub call threw into a one-line {@linkcode LlamaPackError}
 * that names the repository and says what to do; the token never appears.
 *
 * @param err What was thrown.
 * @param settings The hub (for its endpoint).
 * @param ctx The repository, revision and file.
 * @returns The error to throw.
 *
 * @example A gated repository without a token
 * ```ts
 * import assert from "node:assert/strict";
 * import { hubError, HubHttpError } from "./hub_errors.ts";
 * const e = hubError(new HubHttpError(401, "GatedRepo", "https://hub.test/o/m/resolve/main/x.gguf", "restricted"),
 *   { endpoint: "https://hub.test" }, { repo: "o/m" });
 * assert(e.message.startsWith("o/m is gated"), e.message);
 * ```
 */
export function hubError(
  err: unknown,
  settings: HubSettings,
  ctx: HubErrorContext,
): LlamaPackError {
  if (err instanceof LlamaPackError) return err;
  if (!(err instanceof HubHttpError)) {
    return new LlamaPackError(
      "HUB",
      `unexpected answer from the hub at ${settings.endpoint} for ${ctx.repo}: ${
        errorMessage(err)
      }`,
      { cause: err },
    );
  }
  const page = `${settings.endpoint}/${ctx.repo}`;
  const tokenHint = settings.token
    ? "HF_TOKEN is set, but the hub did not accept it for this repository"
    : "if it is private, set HF_TOKEN to an access token of an account that can read it";
  switch (err.errorCode) {
    case "RepoNotFound":
      return new LlamaPackError(
        "NO_MATCH",
        `repository ${ctx.repo} not found on ${settings.endpoint}`,
        { cause: err, hint: tokenHint },
      );
    case "RevisionNotFound":
      return new LlamaPackError(
        "NO_MATCH",
        `revision '${ctx.revision}' not found in ${ctx.repo} (a branch, tag or commit)`,
        { cause: err },
      );
    case "EntryNotFound":
      return new LlamaPackError(
        "NO_MATCH",
        `${ctx.path ?? "a file"} not found in ${ctx.repo}@${ctx.revision}`,
        { cause: err },
      );
    case "GatedRepo":
      return gatedError(err, settings, ctx);
  }
  if (err.status === 401 || err.status === 403) {
    if (err.status === 401 && !settings.token && ctx.path === undefined) {
      return new LlamaPackError(
        "NO_MATCH",
        `repository ${ctx.repo} not found on ${settings.endpoint}`,
        { cause: err, hint: tokenHint },
      );
    }
    return gatedError(err, settings, ctx);
  }
  if (err.status === 404) {
    return new LlamaPackError(
      "NO_MATCH",
      ctx.path
        ? `${ctx.path} not found in ${ctx.repo}@${ctx.revision}`
        : `repository ${ctx.repo} not found on ${settings.endpoint}`,
      { cause: err, hint: `see ${page}` },
    );
  }
  return new LlamaPackError(
    "HUB",
    `the hub at ${settings.endpoint} answered ${err.status} for ${ctx.repo}${
      ctx.path ? `/${ctx.path}` : ""
    }: ${err.message}`,
    { cause: err },
  );
}

function gatedError(err: HubHttpError, settings: HubSettings, ctx: HubErrorContext) {
  const page = `${settings.endpoint}/${ctx.repo}`;
  return new LlamaPackError(
    "HUB",
    settings.token
      ? `${ctx.repo} is gated and the hub refused HF_TOKEN (${err.status}): ${err.message}`
      : `${ctx.repo} is gated: the hub needs a token (${err.status})`,
    {
      cause: err,
      hint: settings.token
        ? `request access at ${page} with the account the token belongs to`
        : `accept its terms at ${page}, then set HF_TOKEN to an access token of that account`,
    },
  );
}

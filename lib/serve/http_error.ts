/**
 * Errors of `--serve` as HTTP answers: one error type carrying a status,
 * and one function that turns any thrown value into the OpenAI-style body
 * `{"error": {"message", "type", "code", …}}` that clients (and llama.cpp's
 * own router) use.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import type { GrantError } from "../core/serve_effects.ts";

/** The OpenAI error types llama-pack answers with. */
export type HttpErrorType =
  | "invalid_request_error"
  | "authentication_error"
  | "not_found_error"
  | "server_error"
  | "unavailable_error";

/** An error that knows its HTTP answer. */
export class HttpError extends Error {
  /** The HTTP status. */
  readonly status: number;
  /** The OpenAI error type. */
  readonly type: HttpErrorType;
  /** A machine-readable code, e.g. `model_not_found` (the status when absent). */
  readonly code: string | number;
  /** More fields for the body's `error` object. */
  readonly extra: Record<string, unknown>;

  /**
   * Creates the error.
   *
   * @param status The HTTP status.
   * @param type The OpenAI error type.
   * @param message What went wrong, for a person.
   * @param options A code and extra fields.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { HttpError } from "./http_error.ts";
   * const e = new HttpError(404, "invalid_request_error", "no model 'x'", { code: "model_not_found" });
   * assert(e.status === 404 && e.code === "model_not_found");
   * ```
   */
  constructor(
    status: number,
    type: HttpErrorType,
    message: string,
    options: { code?: string; extra?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "HttpError";
    this.status = status;
    this.type = type;
    this.code = options.code ?? status;
    this.extra = options.extra ?? {};
  }
}

/** HTTP statuses of llama-pack's own error codes, when they reach a handler. */
const STATUS_OF: Partial<Record<LlamaPackError["code"], [number, HttpErrorType]>> = {
  USAGE: [400, "invalid_request_error"],
  NO_MATCH: [404, "invalid_request_error"],
  AMBIGUOUS: [404, "invalid_request_error"],
  SERVER_START: [502, "server_error"],
  SERVER_TIMEOUT: [504, "server_error"],
};

/**
 * The JSON answer for any thrown value: an {@linkcode HttpError} as it says,
 * a `LlamaPackError` by its code, anything else as a 500 without details.
 *
 * @param err What was thrown.
 * @param headers Extra response headers.
 * @returns The response.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errorResponse, HttpError } from "./http_error.ts";
 * const res = errorResponse(new HttpError(401, "authentication_error", "Invalid API key"));
 * assert(res.status === 401);
 * assert((await res.json()).error.type === "authentication_error");
 * ```
 */
export function errorResponse(err: unknown, headers: HeadersInit = {}): Response {
  let status = 500;
  let type: HttpErrorType = "server_error";
  let message = "internal error";
  let code: string | number = 500;
  let extra: Record<string, unknown> = {};
  if (err instanceof HttpError) {
    ({ status, type, message, code, extra } = err);
  } else if (err instanceof LlamaPackError) {
    [status, type] = STATUS_OF[err.code] ?? [500, "server_error"];
    message = err.hint ? `${err.message} (${err.hint})` : err.message;
    code = status;
  }
  return Response.json({ error: { message, type, code, ...extra } }, { status, headers });
}

/**
 * How a request the scheduler refused is answered: a failed load is 502
 * (with the server log's last lines), an unload or a shutdown 503.
 *
 * @param err The scheduler's reason.
 * @param name A model's name from its id.
 * @returns The error to answer with.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { grantErrorToHttp } from "./http_error.ts";
 * assert(grantErrorToHttp({ kind: "shutting-down" }, (id) => id).status === 503);
 * ```
 */
export function grantErrorToHttp(err: GrantError, name: (id: string) => string): HttpError {
  switch (err.kind) {
    case "start-failed":
      return new HttpError(
        502,
        "server_error",
        `${name(err.model)} failed to load: ${err.message}`,
        {
          code: "model_load_failed",
          extra: { model: err.model, log: err.detail?.split("\n") ?? [] },
        },
      );
    case "unloaded":
      return new HttpError(
        503,
        "unavailable_error",
        `${name(err.model)} was unloaded while the request waited`,
        { code: "model_unloaded" },
      );
    case "shutting-down":
      return new HttpError(503, "unavailable_error", "llama-pack --serve is shutting down", {
        code: "shutting_down",
      });
  }
}

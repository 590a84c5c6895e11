/**
 * Reading a proxied request: its body, bounded by a size limit, and the
 * model it names — the JSON body's `model` field, or the `model` form field
 * of a multipart body (parsed by the platform's `Request.formData()`, never
 * by hand). The bytes are kept to be forwarded unchanged.
 *
 * @module
 */

import { HttpError } from "./http_error.ts";

/** The largest request body `--serve` takes by default: 100 MiB (images ride inside chat requests). */
export const MAX_BODY_BYTES = 100 * 1024 * 1024;

/** A request body read for proxying. */
export interface ModelRequest {
  /** The body as received. */
  body: Uint8Array<ArrayBuffer>;
  /** The model it names, if any. */
  model: string | undefined;
}

function tooLarge(limit: number): HttpError {
  return new HttpError(
    413,
    "invalid_request_error",
    `request body is larger than ${Math.round(limit / 1024 / 1024)} MiB`,
  );
}

/**
 * Reads a body, refusing it as soon as it passes `limit` bytes.
 *
 * @param req The request.
 * @param limit The most bytes allowed.
 * @returns The bytes.
 * @throws {HttpError} 413 when the body is too large.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readBody } from "./request_model.ts";
 * const body = await readBody(new Request("http://x/", { method: "POST", body: "abc" }), 10);
 * assert(body.length === 3);
 * ```
 */
export async function readBody(req: Request, limit: number): Promise<Uint8Array<ArrayBuffer>> {
  const declared = Number(req.headers.get("content-length") ?? NaN);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  if (req.body === null) return new Uint8Array();
  if (Number.isFinite(declared)) return new Uint8Array(await req.arrayBuffer());
  const chunks: Uint8Array[] = [];
  let total = 0;
  const reader = req.body.getReader();
  while (true) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw tooLarge(limit);
    }
    chunks.push(value);
  }
  if (chunks.length === 1 && chunks[0]!.buffer instanceof ArrayBuffer) {
    return chunks[0] as Uint8Array<ArrayBuffer>;
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/**
 * Reads a model route's body and the model it names.
 *
 * @param req The request.
 * @param limit The most body bytes allowed.
 * @returns The body and its `model`.
 * @throws {HttpError} 400 for a body that is not valid JSON (or form data), 413 when too large.
 *
 * @example A JSON body and a multipart body
 * ```ts
 * import assert from "node:assert/strict";
 * import { readModelRequest } from "./request_model.ts";
 * const json = new Request("http://x/v1/chat/completions", { method: "POST", body: `{"model":"gemma"}` });
 * assert((await readModelRequest(json, 1e6)).model === "gemma");
 * const form = new FormData();
 * form.set("model", "whisper");
 * const multipart = new Request("http://x/v1/audio/transcriptions", { method: "POST", body: form });
 * assert((await readModelRequest(multipart, 1e6)).model === "whisper");
 * ```
 */
export async function readModelRequest(req: Request, limit: number): Promise<ModelRequest> {
  const body = await readBody(req, limit);
  const type = (req.headers.get("content-type") ?? "").toLowerCase();
  if (type.startsWith("multipart/form-data")) {
    let model: FormDataEntryValue | null;
    try {
      const form = await new Request("http://form/", {
        method: "POST",
        headers: { "content-type": req.headers.get("content-type")! },
        body,
      }).formData();
      model = form.get("model");
    } catch (err) {
      throw new HttpError(400, "invalid_request_error", "the multipart body cannot be read", {
        cause: err,
      });
    }
    return { body, model: typeof model === "string" && model !== "" ? model : undefined };
  }
  if (body.length === 0) return { body, model: undefined };
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(body));
  } catch (err) {
    throw new HttpError(
      400,
      "invalid_request_error",
      `the request body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const model = parsed !== null && typeof parsed === "object"
    ? (parsed as Record<string, unknown>).model
    : undefined;
  if (model !== undefined && typeof model !== "string") {
    throw new HttpError(400, "invalid_request_error", `"model" must be a string`);
  }
  return { body, model: model === "" ? undefined : model };
}

/**
 * The two API routes the dashboard needs beyond the cache API: `GET
 * /api/settings` (the config as `--serve` runs it, for the Settings tab)
 * and `POST /api/models/pin` (the Pin and Unpin buttons: `--pin` and
 * `--unpin`, which the guide's API has no route for; a `models_changed`
 * event tells every open page). Both need the key like the rest of the API.
 *
 * @module
 */

import type { Hono } from "hono";
import { apiEvent } from "../core/api_events.ts";
import type { ServeContext } from "./app.ts";
import { HttpError } from "./http_error.ts";
import { readBody } from "./request_model.ts";
import { settingsDoc } from "./settings_doc.ts";

/** Options of {@linkcode webApiRoutes}. */
export interface WebApiOptions {
  /** The config file `--serve` read, shown on the Settings tab. */
  configPath: string;
  /** Sets a model's pin (as `--pin`/`--unpin`), by id. */
  setPinned: (modelId: string, pinned: boolean) => void;
}

/** A pin request: `{"model_name": NAME, "pinned": true|false}`. */
export interface PinRequest {
  /** The model, named as `-m` would. */
  model_name: string;
  /** Pin (never evicted) or unpin. */
  pinned: boolean;
}

const bad = (message: string) => new HttpError(400, "invalid_request_error", message);

/**
 * Validates a pin request's JSON body.
 *
 * @param text The body.
 * @returns The request.
 * @throws {HttpError} 400 saying which field is wrong.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePinRequest } from "./routes_web_api.ts";
 * assert.deepEqual(parsePinRequest('{"model_name":"gemma","pinned":false}'), {
 *   model_name: "gemma",
 *   pinned: false,
 * });
 * assert.throws(() => parsePinRequest('{"model_name":"gemma","pinned":"yes"}'), /pinned/);
 * ```
 */
export function parsePinRequest(text: string): PinRequest {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw bad('the body is not JSON: send {"model_name": NAME, "pinned": true|false}');
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw bad('the body must be a JSON object: {"model_name": NAME, "pinned": true|false}');
  }
  const { model_name, pinned } = body as Record<string, unknown>;
  if (typeof model_name !== "string" || model_name.trim() === "") {
    throw bad("model_name must be a model's name");
  }
  if (typeof pinned !== "boolean") throw bad("pinned must be true or false");
  return { model_name: model_name.trim(), pinned };
}

/**
 * Adds `GET /api/settings` and `POST /api/models/pin`.
 *
 * @param app The app.
 * @param ctx The serve context (config, keys, model names).
 * @param options The config file's path and how to pin.
 */
export function webApiRoutes(app: Hono, ctx: ServeContext, options: WebApiOptions): void {
  app.get(
    "/api/settings",
    (c) => c.json(settingsDoc(ctx.config, options.configPath, ctx.apiKeys.length > 0)),
  );
  app.post("/api/models/pin", async (c) => {
    const req = parsePinRequest(
      new TextDecoder().decode(await readBody(c.req.raw, ctx.maxBodyBytes)),
    );
    const found = ctx.models.resolve(req.model_name);
    if (!found.ok) {
      throw new HttpError(
        found.reason === "unknown" ? 404 : 400,
        "invalid_request_error",
        found.message,
        { code: found.reason === "unknown" ? "model_not_found" : "model_ambiguous" },
      );
    }
    options.setPinned(found.model.id, req.pinned);
    ctx.models.invalidate();
    // Every open dashboard fetches the list again.
    ctx.events.publish(
      apiEvent("models_changed", {
        reason: req.pinned ? "pinned" : "unpinned",
        model_ids: [found.model.id],
      }),
    );
    return c.json({ model_id: found.model.id, model_name: found.model.name, pinned: req.pinned });
  });
}

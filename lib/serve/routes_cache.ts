/**
 * The cache API of `--serve` (the homelab guide's routes and field names,
 * `docs/api.md`): the tiers' stats, the space check, the recommendation,
 * the model list, registering where a model lives, a monitor pass on
 * demand, and the live events. Handlers parse and validate the request,
 * call the {@linkcode CacheApi} that `lib/commands/serve_cache.ts` wires to
 * the same commands and core as the CLI, and shape the answer. Bad input
 * answers `400 {"error": "…"}` before anything is done.
 *
 * @module
 */

import { Hono } from "hono";
import type { Context } from "hono";
import {
  type ApiEvent,
  apiEvent,
  type CacheLocation,
  isApiEventType,
  sseMessage,
} from "../core/api_events.ts";
import type { ApiModel } from "../core/api_models.ts";
import type { CacheStatsDoc, RecommendDoc, SpaceCheck } from "../core/cache_stats_doc.ts";
import { routerStatus } from "../core/serve_listing.ts";
import type { ModelStatus } from "../core/serve_effects.ts";
import { LlamaPackError } from "../errors.ts";
import type { ServeContext } from "./app.ts";
import { HttpError } from "./http_error.ts";
import { readBody } from "./request_model.ts";

/** What `POST /api/models` asks for, validated. */
export interface RegisterRequest {
  /** The model, matched like `-m` (absent with only `hf_path`). */
  model_name?: string;
  /** Where it should live. */
  cache_location: CacheLocation;
  /** For `custom`: the directory (a custom directory or one inside it). */
  cache_path?: string;
  /** A Hugging Face `owner/name[:QUANT]` to download when there is no such local model. */
  hf_path?: string;
  /** The caller's size estimate, MiB (the real size is used when known). */
  estimated_size_mb?: number;
  /** A copy to the SSD may evict other copies. */
  allow_evict: boolean;
}

/** An answer with its status. */
export interface ApiAnswer {
  /** The HTTP status. */
  status: number;
  /** The JSON body. */
  body: unknown;
}

/** What the cache routes call (implemented in `lib/commands/serve_cache.ts`). */
export interface CacheApi {
  /** The `GET /api/cache/stats` document. */
  stats(): Promise<CacheStatsDoc>;
  /** The space check of a location. */
  check(location: CacheLocation, bytes: number, cachePath: string | undefined): Promise<SpaceCheck>;
  /** Where a model of this size should live. */
  recommend(bytes: number): Promise<RecommendDoc>;
  /** Every indexed model. */
  models(): Promise<ApiModel[]>;
  /** Registers (copies, evicts, downloads) as asked. */
  register(request: RegisterRequest): Promise<ApiAnswer>;
  /** One monitor pass now. */
  refresh(): Promise<Record<string, unknown>>;
  /** The current picture, for a client that connects to `/api/events`. */
  initialEvents(): ApiEvent[];
}

/** An error the cache API answers with `{"error": message, …extra}`. */
export class ApiError extends Error {
  /** The HTTP status. */
  readonly status: number;
  /** More fields of the body. */
  readonly extra: Record<string, unknown>;

  /**
   * Creates the error.
   *
   * @param status The HTTP status.
   * @param message What went wrong.
   * @param extra More fields of the body (figures).
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { ApiError } from "./routes_cache.ts";
   * assert(new ApiError(409, "no room", { available_mb: 3 }).status === 409);
   * ```
   */
  constructor(status: number, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.extra = extra;
  }
}

/** HTTP statuses of llama-pack's error codes in the cache API. */
const STATUS_OF: Partial<Record<LlamaPackError["code"], number>> = {
  USAGE: 400,
  CONFIG: 400,
  BAD_SIZE: 400,
  NO_MATCH: 400,
  AMBIGUOUS: 400,
  NO_SPACE: 409,
  UNSAFE: 409,
  NOT_IMPLEMENTED: 501,
  HUB: 502,
  IO: 503,
};

/**
 * The cache API's JSON answer for any thrown value: `{"error": "…"}`.
 *
 * @param err What was thrown.
 * @returns The response.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { apiErrorResponse, ApiError } from "./routes_cache.ts";
 * const res = apiErrorResponse(new ApiError(400, "bad"));
 * assert(res.status === 400 && (await res.json()).error === "bad");
 * ```
 */
export function apiErrorResponse(err: unknown): Response {
  if (err instanceof ApiError) {
    return Response.json({ error: err.message, ...err.extra }, { status: err.status });
  }
  if (err instanceof HttpError) {
    return Response.json({ error: err.message }, { status: err.status });
  }
  if (err instanceof LlamaPackError) {
    const message = err.hint ? `${err.message} (${err.hint})` : err.message;
    return Response.json({ error: message }, { status: STATUS_OF[err.code] ?? 500 });
  }
  return Response.json({ error: "internal error" }, { status: 500 });
}

const LOCATIONS: readonly CacheLocation[] = ["primary", "secondary", "custom"];

/**
 * Reads a location parameter.
 *
 * @param value The parameter.
 * @param name Its name, for the error.
 * @returns The location.
 * @throws {ApiError} 400 when missing or unknown.
 */
function location(value: unknown, name: string): CacheLocation {
  if (typeof value === "string" && (LOCATIONS as readonly string[]).includes(value)) {
    return value as CacheLocation;
  }
  throw new ApiError(
    400,
    value === undefined || value === null
      ? `${name} is required: primary, secondary or custom`
      : `${name} must be primary, secondary or custom, got ${JSON.stringify(value)}`,
  );
}

/**
 * Reads a size in MiB: a non-negative finite number (a JSON number, or the
 * text of one in a query string).
 *
 * @param value The parameter.
 * @param name Its name, for the error.
 * @returns Bytes.
 * @throws {ApiError} 400 when missing, not a number, negative or absurdly big.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sizeMb } from "./routes_cache.ts";
 * assert(sizeMb("1.5", "x") === 1.5 * 1024 ** 2);
 * assert.throws(() => sizeMb("-1", "x"), /x must be a number of MiB/);
 * ```
 */
export function sizeMb(value: unknown, name: string): number {
  const text = typeof value === "number" ? String(value) : value;
  if (value === undefined || value === null || value === "") {
    throw new ApiError(400, `${name} is required (MiB)`);
  }
  if (
    typeof text !== "string" || !/^(\d+(\.\d*)?|\.\d+)(e\+?\d+)?$/i.test(text.trim()) ||
    !Number.isFinite(Number(text)) || Number(text) > 1024 ** 3
  ) {
    throw new ApiError(
      400,
      `${name} must be a number of MiB, 0 or more, got ${JSON.stringify(value)}`,
    );
  }
  return Math.round(Number(text) * 1024 ** 2);
}

function optionalString(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string" || v.trim() === "") {
    throw new ApiError(400, `${key} must be a non-empty string, got ${JSON.stringify(v)}`);
  }
  return v.trim();
}

/**
 * Validates the body of `POST /api/models`.
 *
 * @param body The parsed JSON.
 * @returns The request.
 * @throws {ApiError} 400 for a wrong type, an unknown location, a bad size, no model named.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { registerRequest } from "./routes_cache.ts";
 * const r = registerRequest({ model_name: "qwen3", cache_location: "primary", cache_path: null });
 * assert(r.model_name === "qwen3" && r.cache_path === undefined && r.allow_evict === false);
 * assert.throws(() => registerRequest({ model_name: "x", cache_location: "tertiary" }), /cache_location must be/);
 * ```
 */
export function registerRequest(body: unknown): RegisterRequest {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new ApiError(400, "the body must be a JSON object");
  }
  const b = body as Record<string, unknown>;
  const out: RegisterRequest = {
    cache_location: location(b.cache_location, "cache_location"),
    allow_evict: false,
  };
  const name = optionalString(b, "model_name");
  const hf = optionalString(b, "hf_path");
  const path = optionalString(b, "cache_path");
  if (name !== undefined) out.model_name = name;
  if (hf !== undefined) out.hf_path = hf;
  if (path !== undefined) out.cache_path = path;
  if (name === undefined && hf === undefined) {
    throw new ApiError(400, "model_name is required (or hf_path, to download)");
  }
  if (b.estimated_size_mb !== undefined && b.estimated_size_mb !== null) {
    out.estimated_size_mb = sizeMb(b.estimated_size_mb, "estimated_size_mb") / 1024 ** 2;
  }
  if (b.allow_evict !== undefined && b.allow_evict !== null) {
    if (typeof b.allow_evict !== "boolean") {
      throw new ApiError(
        400,
        `allow_evict must be true or false, got ${JSON.stringify(b.allow_evict)}`,
      );
    }
    out.allow_evict = b.allow_evict;
  }
  if (path !== undefined && out.cache_location !== "custom") {
    throw new ApiError(400, `cache_path is only for cache_location custom`);
  }
  return out;
}

async function jsonBody(c: Context, limit: number): Promise<unknown> {
  const bytes = await readBody(c.req.raw, limit);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new ApiError(400, "the body is not valid JSON");
  }
}

/** The `server_status` event of a `model_status` the supervisor published. */
function serverStatus(ctx: ServeContext, data: unknown): ApiEvent | undefined {
  const d = data as { model?: unknown; data?: { state?: unknown } } | null;
  if (typeof d?.model !== "string" || typeof d.data?.state !== "string") return undefined;
  const id = d.model;
  const state = d.data.state as ModelStatus;
  const served = ctx.supervisor.served(id);
  const model = ctx.models.index().find((m) => m.id === id);
  return apiEvent("server_status", {
    model_id: id,
    model_name: model?.name ?? id,
    status: routerStatus(state),
    state,
    port: state === "stopped" ? null : served.port ?? null,
    tier: state === "stopped" ? null : served.tier ?? null,
  });
}

/**
 * The cache API's route group, for `createServeApp`'s `extend`.
 *
 * @param api What the routes call.
 * @returns Adds the routes under `/api`, behind the app's key check and body limit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cacheRoutes } from "./routes_cache.ts";
 * assert(typeof cacheRoutes({} as never) === "function");
 * ```
 */
export function cacheRoutes(api: CacheApi): (app: Hono, ctx: ServeContext) => void {
  return (app, ctx) => {
    const r = new Hono();
    r.onError((err) => apiErrorResponse(err));
    const answer = (c: Context, a: ApiAnswer) => c.json(a.body, a.status as 200);

    r.get("/cache/stats", async (c) => c.json(await api.stats()));
    const check = async (c: Context) => {
      const loc = location(c.req.query("cache_location"), "cache_location");
      const bytes = sizeMb(c.req.query("required_space_mb"), "required_space_mb");
      const path = c.req.query("cache_path");
      if (path !== undefined && loc !== "custom") {
        throw new ApiError(400, "cache_path is only for cache_location custom");
      }
      return c.json(await api.check(loc, bytes, path === "" ? undefined : path));
    };
    r.post("/cache/check", check);
    r.get("/cache/check", check);
    r.get("/cache/recommend", async (c) => {
      const bytes = sizeMb(c.req.query("estimated_size_mb"), "estimated_size_mb");
      return c.json(await api.recommend(bytes));
    });
    r.post("/cache/refresh", async (c) => c.json(await api.refresh()));
    r.get("/models", async (c) => c.json(await api.models()));
    r.post("/models", async (c) => {
      const request = registerRequest(await jsonBody(c, ctx.maxBodyBytes));
      return answer(c, await api.register(request));
    });
    r.get("/events", (c) =>
      ctx.events.sse(
        AbortSignal.any([c.req.raw.signal, ctx.stopping]),
        (e) => {
          if (isApiEventType(e.type)) return sseMessage(e);
          if (e.type !== "model_status") return undefined;
          const s = serverStatus(ctx, e.data);
          return s === undefined ? undefined : sseMessage(s);
        },
        {
          initial: [
            ...ctx.supervisor.scheduler.snapshot().flatMap((s) => {
              const e = serverStatus(ctx, { model: s.model, data: { state: s.phase } });
              return e ? [sseMessage(e)] : [];
            }),
            ...api.initialEvents().map(sseMessage),
          ],
        },
      ));
    app.route("/api", r);
  };
}

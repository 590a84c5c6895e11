/**
 * The HTTP app of `--serve`, on Hono: cross-cutting concerns as middleware
 * in one place (API keys, the body limit, the error shape), then the route
 * groups — listing and control in the shapes clients already speak
 * (`routes_models.ts`) and the model routes passed through to a server
 * (`routes_proxy.ts`). Later groups plug in with {@linkcode ServeAppOptions.extend}:
 * the cache API under `/api/…` and the dashboard at `/`.
 *
 * Handlers parse and validate, call the supervisor and the core, and shape
 * the answer; no policy or file logic lives here.
 *
 * @module
 */

import { Hono } from "hono";
import type { Config } from "../config/config.ts";
import { errorResponse, HttpError } from "./http_error.ts";
import type { EventHub } from "./events.ts";
import type { IndexCache } from "./index_cache.ts";
import type { ServeSupervisor } from "./supervisor.ts";
import { modelRoutes } from "./routes_models.ts";
import { proxyRoutes } from "./routes_proxy.ts";

/** Everything the routes use. */
export interface ServeContext {
  /** The config. */
  config: Config;
  /** Runs the servers. */
  supervisor: ServeSupervisor;
  /** Live events. */
  events: EventHub;
  /** The model index and name resolution. */
  models: IndexCache;
  /** The clock, unix seconds. */
  now: () => number;
  /** Accepted API keys (none = no auth). */
  apiKeys: readonly string[];
  /** The largest request body, bytes. */
  maxBodyBytes: number;
  /** llama-pack's version. */
  version: string;
  /** Aborted when `--serve` stops waiting for requests to finish. */
  stopping: AbortSignal;
}

/** Options of {@linkcode createServeApp}. */
export interface ServeAppOptions {
  /**
   * Adds route groups after the built-in ones, behind the same middleware
   * (e.g. `app.route("/api", cacheApi(ctx))`).
   */
  extend?: (app: Hono, ctx: ServeContext) => void;
  /**
   * Paths served without a key besides `/health` (the dashboard's page and
   * files, which hold no data).
   * @default none
   */
  isPublic?: (path: string) => boolean;
}

/** Routes anyone may call without a key. */
const PUBLIC = new Set(["/health", "/v1/health"]);

/** Compares two strings in time that does not depend on where they differ. */
function sameKey(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/**
 * The key a request presents: `Authorization: Bearer KEY` or `X-Api-Key: KEY`.
 *
 * @param headers The request's headers.
 * @returns The key, or `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { presentedKey } from "./app.ts";
 * assert(presentedKey(new Headers({ authorization: "Bearer abc" })) === "abc");
 * assert(presentedKey(new Headers({ "x-api-key": "xyz" })) === "xyz");
 * ```
 */
export function presentedKey(headers: Headers): string | undefined {
  const auth = headers.get("authorization");
  const m = auth ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
  return m?.[1] ?? headers.get("x-api-key") ?? undefined;
}

/**
 * Builds the app.
 *
 * @param ctx What the routes use.
 * @param options Extra route groups.
 * @returns The Hono app; serve it with `Deno.serve(app.fetch)`.
 *
 * @example A key is needed everywhere but /health
 * ```ts
 * import assert from "node:assert/strict";
 * import { createServeApp } from "./app.ts";
 * const app = createServeApp({ apiKeys: ["k-0123456789abcdef"], version: "0" } as never);
 * assert((await app.fetch(new Request("http://x/health"))).status === 200);
 * assert((await app.fetch(new Request("http://x/v1/models"))).status === 401);
 * ```
 */
export function createServeApp(ctx: ServeContext, options: ServeAppOptions = {}): Hono {
  const app = new Hono();
  app.onError((err) => errorResponse(err));
  app.notFound(() => errorResponse(new HttpError(404, "not_found_error", "File Not Found")));
  app.use("*", async (c, next) => {
    if (
      ctx.apiKeys.length > 0 && !PUBLIC.has(c.req.path) && !options.isPublic?.(c.req.path)
    ) {
      const key = presentedKey(c.req.raw.headers);
      if (key === undefined || !ctx.apiKeys.some((k) => sameKey(k, key))) {
        // The key is never logged nor repeated back.
        return errorResponse(
          new HttpError(401, "authentication_error", "Invalid API Key"),
          { "WWW-Authenticate": 'Bearer realm="llama-pack"' },
        );
      }
    }
    const declared = Number(c.req.header("content-length") ?? NaN);
    if (Number.isFinite(declared) && declared > ctx.maxBodyBytes) {
      return errorResponse(
        new HttpError(413, "invalid_request_error", "request body is too large"),
      );
    }
    await next();
  });
  app.get("/health", (c) => c.json({ status: "ok" }));
  app.get("/v1/health", (c) => c.json({ status: "ok" }));
  modelRoutes(app, ctx);
  proxyRoutes(app, ctx);
  options.extend?.(app, ctx);
  return app;
}

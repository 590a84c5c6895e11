/**
 * Listing and control routes of `--serve`, in the shapes clients already
 * speak: `GET /v1/models` and `GET /models` as llama.cpp's router lists them
 * (plus llama-pack's tier, size, rank and quant), `POST /models/load` and
 * `POST /models/unload` (what Open WebUI's llama.cpp connection calls),
 * `GET /models/sse` (router-style status events), `GET /running`
 * (llama-swap's) and `GET /props` (the router's own, or a model's with
 * `?model=`).
 *
 * @module
 */

import type { Hono } from "hono";
import { modelAliases, servableModels } from "../core/serve_names.ts";
import { modelListEntry, statusEvent } from "../core/serve_listing.ts";
import type { ServeContext } from "./app.ts";
import { HttpError } from "./http_error.ts";
import { readBody } from "./request_model.ts";
import { proxyRequest, serveInfo, upstreamSignal } from "./proxy.ts";

/**
 * Resolves a request's model name to a model id, or throws the 404 that
 * names the close candidates.
 *
 * @param ctx The serve context.
 * @param name The request's `model`.
 * @returns The model's id.
 * @throws {HttpError} 400 without a name, 404 for an unknown or ambiguous one.
 */
export function resolveOr404(ctx: ServeContext, name: string | undefined): string {
  if (name === undefined || name.trim() === "") {
    throw new HttpError(400, "invalid_request_error", `the request names no "model"`, {
      code: "model_missing",
      extra: { param: "model" },
    });
  }
  const r = ctx.models.resolve(name);
  if (r.ok) return r.model.id;
  throw new HttpError(404, "invalid_request_error", r.message, {
    code: "model_not_found",
    extra: { param: "model", candidates: r.candidates },
  });
}

async function jsonModelField(req: Request, limit: number): Promise<string | undefined> {
  const body = await readBody(req, limit);
  let parsed: unknown;
  try {
    parsed = body.length === 0 ? {} : JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw new HttpError(400, "invalid_request_error", "the request body is not valid JSON");
  }
  const model = (parsed as Record<string, unknown> | null)?.model;
  if (model !== undefined && typeof model !== "string") {
    throw new HttpError(400, "invalid_request_error", `"model" must be a string`);
  }
  return model;
}

/**
 * Adds the listing and control routes.
 *
 * @param app The app.
 * @param ctx The serve context.
 */
export function modelRoutes(app: Hono, ctx: ServeContext): void {
  const list = () => {
    const now = ctx.now();
    const models = servableModels(ctx.models.index());
    const aliases = modelAliases(models, ctx.config.aliases, now);
    return {
      object: "list",
      data: models.map((m) =>
        modelListEntry(m, ctx.supervisor.served(m.id), aliases.get(m.id) ?? [], now)
      ),
    };
  };
  app.get("/v1/models", (c) => c.json(list()));
  app.get("/models", (c) => c.json(list()));

  app.post("/models/load", async (c) => {
    const id = resolveOr404(ctx, await jsonModelField(c.req.raw, ctx.maxBodyBytes));
    ctx.supervisor.load(id);
    return c.json({ success: true });
  });
  app.post("/models/unload", async (c) => {
    const id = resolveOr404(ctx, await jsonModelField(c.req.raw, ctx.maxBodyBytes));
    ctx.supervisor.unload(id);
    return c.json({ success: true });
  });

  app.get("/models/sse", (c) =>
    ctx.events.sse(
      AbortSignal.any([c.req.raw.signal, ctx.stopping]),
      (e) => e.type === "model_status" ? `data: ${JSON.stringify(e.data)}\n\n` : undefined,
      {
        initial: ctx.supervisor.scheduler.snapshot().map((s) =>
          `data: ${JSON.stringify(statusEvent(s.model, s.phase))}\n\n`
        ),
      },
    ));

  app.get("/running", (c) => c.json({ running: ctx.supervisor.running() }));

  app.get("/props", async (c) => {
    const name = c.req.query("model");
    if (name === undefined || name === "") {
      return c.json({
        role: "router",
        max_instances: ctx.config.serve.max_running,
        models_autoload: true,
        model_alias: "llama-pack",
        model_path: "none",
        default_generation_settings: { params: {}, n_ctx: 0 },
        build_info: `llama-pack ${ctx.version}`,
      });
    }
    const id = resolveOr404(ctx, name);
    const lease = await ctx.supervisor.acquire(id, c.req.raw.signal);
    const { signal, detach } = upstreamSignal(c.req.raw.signal, ctx.stopping);
    return await proxyRequest(c.req.raw, lease, {
      body: null,
      signal,
      onDone: () => {
        detach();
        lease.release();
      },
      ...serveInfo(c.env),
    });
  });
}

/**
 * The model routes of `--serve`: each request names its model (the JSON
 * body's `model`, or the form field of a multipart body); the model's
 * server is started or swapped in as the scheduler decides, and the request
 * passes through to it with its answer streamed back as produced.
 *
 * @module
 */

import type { Hono } from "hono";
import type { ServeContext } from "./app.ts";
import { proxyRequest, serveInfo, upstreamSignal } from "./proxy.ts";
import { readModelRequest } from "./request_model.ts";
import { resolveOr404 } from "./routes_models.ts";

/**
 * The POST routes routed by their `model`: OpenAI's, Anthropic's and
 * llama-server's own (with the spellings llama-server accepts).
 */
export const MODEL_ROUTES: readonly string[] = [
  "/v1/chat/completions",
  "/chat/completions",
  "/v1/completions",
  "/completions",
  "/v1/embeddings",
  "/embeddings",
  "/embedding",
  "/v1/responses",
  "/v1/messages",
  "/v1/messages/count_tokens",
  "/completion",
  "/infill",
  "/rerank",
  "/reranking",
  "/v1/rerank",
  "/v1/reranking",
  "/tokenize",
  "/detokenize",
  "/apply-template",
  "/v1/audio/transcriptions",
  "/v1/audio/speech",
  "/v1/images/generations",
];

/**
 * The model a request without `model` goes to: the only server running (as
 * a lone llama-server would answer), else none.
 *
 * @param ctx The serve context.
 * @returns Its model id, or `undefined`.
 */
function onlyRunning(ctx: ServeContext): string | undefined {
  const running = ctx.supervisor.scheduler.snapshot().filter((e) => e.phase !== "stopping");
  return running.length === 1 ? running[0]!.model : undefined;
}

/**
 * Adds the model routes.
 *
 * @param app The app.
 * @param ctx The serve context.
 */
export function proxyRoutes(app: Hono, ctx: ServeContext): void {
  for (const path of MODEL_ROUTES) {
    app.post(path, async (c) => {
      const req = c.req.raw;
      const { body, model } = await readModelRequest(req, ctx.maxBodyBytes);
      const id = model === undefined
        ? onlyRunning(ctx) ?? resolveOr404(ctx, model)
        : resolveOr404(ctx, model);
      const lease = await ctx.supervisor.acquire(id, req.signal);
      const { signal, detach } = upstreamSignal(req.signal, ctx.stopping);
      return await proxyRequest(req, lease, {
        body,
        signal,
        onDone: () => {
          detach();
          lease.release();
        },
        ...serveInfo(c.env),
      });
    });
  }
}

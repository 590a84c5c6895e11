/**
 * Passing a request through to a server `--serve` started, and its answer
 * back, as produced: the body streams chunk by chunk with no buffering
 * (`X-Accel-Buffering: no` tells a reverse proxy in front to do the same), a
 * client that disconnects cancels the upstream request, and the caller
 * learns exactly once when the exchange is over (to count requests in
 * flight). Hop-by-hop headers and the key (`Authorization`, `X-Api-Key`) are never forwarded.
 *
 * @module
 */

import { HttpError } from "./http_error.ts";

/** Headers that belong to one connection, not to the message (RFC 9110 §7.6.1), and the key. */
const DROP_REQUEST = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "content-length",
  "authorization",
  "x-api-key",
]);
const DROP_RESPONSE = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "trailer",
  "upgrade",
  "content-length",
  "content-encoding",
]);

/** Options of {@linkcode proxyRequest}. */
export interface ProxyOptions {
  /** The body to forward (already read); `null` for none. */
  body: Uint8Array<ArrayBuffer> | null;
  /** Aborts the upstream request (the client left, or `--serve` is stopping). */
  signal: AbortSignal;
  /** Called exactly once when the exchange is over: answered, failed or cancelled. */
  onDone: () => void;
  /**
   * Settles when the answer has been delivered or the client left (Deno's
   * `ServeHandlerInfo.completed`). With it, the upstream body is handed to
   * the platform as is (no per-chunk JavaScript); without it, a thin stream
   * wraps the body to see its end.
   * @default {undefined}
   */
  completed?: Promise<void>;
}

/**
 * Forwards `req` to `http://HOST:PORT` with the same method, path, query
 * and headers (minus hop-by-hop ones and `Authorization`), and streams the
 * answer back unbuffered.
 *
 * @param req The client's request.
 * @param target Where the server listens.
 * @param options Body, signal and the end callback.
 * @returns The response to give the client.
 * @throws {HttpError} 502 when the server cannot be reached.
 *
 * @example Proxying to a small server
 * ```ts
 * import assert from "node:assert/strict";
 * import { proxyRequest } from "./proxy.ts";
 * const up = Deno.serve({ port: 0, onListen() {} }, (r) => new Response(new URL(r.url).pathname));
 * let done = 0;
 * const res = await proxyRequest(new Request("http://front/v1/x?y=1"), { host: "127.0.0.1", port: up.addr.port }, {
 *   body: null, signal: new AbortController().signal, onDone: () => done++,
 * });
 * assert((await res.text()) === "/v1/x" && done === 1);
 * await up.shutdown();
 * ```
 */
export async function proxyRequest(
  req: Request,
  target: { host: string; port: number },
  options: ProxyOptions,
): Promise<Response> {
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    options.onDone();
  };
  const url = new URL(req.url);
  const host = target.host.includes(":") ? `[${target.host}]` : target.host;
  const headers = new Headers();
  for (const [k, v] of req.headers) if (!DROP_REQUEST.has(k)) headers.set(k, v);
  let upstream: Response;
  try {
    upstream = await fetch(`http://${host}:${target.port}${url.pathname}${url.search}`, {
      method: req.method,
      headers,
      body: options.body && options.body.length > 0 ? options.body : null,
      signal: options.signal,
      redirect: "manual",
    });
  } catch (err) {
    finish();
    if (options.signal.aborted) throw options.signal.reason ?? err;
    throw new HttpError(502, "server_error", `the model's server did not answer: ${err}`, {
      cause: err,
    });
  }
  const out = new Headers();
  for (const [k, v] of upstream.headers) if (!DROP_RESPONSE.has(k)) out.set(k, v);
  out.set("X-Accel-Buffering", "no");
  if (upstream.body === null) {
    finish();
    return new Response(null, { status: upstream.status, headers: out });
  }
  if (options.completed) {
    options.completed.then(finish, finish);
    return new Response(upstream.body, {
      status: upstream.status,
      statusText: upstream.statusText,
      headers: out,
    });
  }
  const reader = upstream.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          controller.close();
          finish();
        } else controller.enqueue(value);
      } catch (err) {
        finish();
        controller.error(err);
      }
    },
    async cancel(reason) {
      finish();
      await reader.cancel(reason).catch(() => {});
    },
  }, { highWaterMark: 0 });
  return new Response(body, {
    status: upstream.status,
    statusText: upstream.statusText,
    headers: out,
  });
}

/**
 * The `completed` promise of Deno's serve handler info, when the app was
 * called by `Deno.serve` (Hono hands it to routes as `c.env`).
 *
 * @param env What the app was called with as its second argument.
 * @returns `{ completed }`, or nothing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { serveInfo } from "./proxy.ts";
 * assert(serveInfo(undefined).completed === undefined);
 * assert(serveInfo({ completed: Promise.resolve() }).completed !== undefined);
 * ```
 */
export function serveInfo(env: unknown): { completed?: Promise<void> } {
  const completed = (env as { completed?: unknown } | undefined)?.completed;
  return completed instanceof Promise ? { completed: completed as Promise<void> } : {};
}

/**
 * An abort signal for one upstream request: aborted when the client leaves
 * or `--serve` stops waiting. Cheaper than `AbortSignal.any` on the hot path.
 *
 * @param client The request's signal.
 * @param stopping The serve-wide stop signal.
 * @returns The signal and the function that detaches it (call when done).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { upstreamSignal } from "./proxy.ts";
 * const client = new AbortController();
 * const { signal, detach } = upstreamSignal(client.signal, new AbortController().signal);
 * client.abort();
 * assert(signal.aborted);
 * detach();
 * ```
 */
export function upstreamSignal(
  client: AbortSignal,
  stopping: AbortSignal,
): { signal: AbortSignal; detach: () => void } {
  const ac = new AbortController();
  if (client.aborted || stopping.aborted) ac.abort();
  const abort = () => ac.abort();
  client.addEventListener("abort", abort, { once: true });
  stopping.addEventListener("abort", abort, { once: true });
  return {
    signal: ac.signal,
    detach: () => {
      client.removeEventListener("abort", abort);
      stopping.removeEventListener("abort", abort);
    },
  };
}

/**
 * Where a server listens: a TCP host and port, or a UNIX socket (llama-server
 * listens on a socket when `--host` is a path ending in `.sock`). URLs of a
 * socket server are written `http+unix://<percent-encoded path>/<path>`, and
 * {@linkcode fetchServer} speaks HTTP/1.1 over the socket for them.
 *
 * @module
 */

/**
 * Whether a `--host` value is a UNIX socket path (llama-server's rule: it
 * ends with `.sock`).
 *
 * @param host The host value.
 * @returns `true` for a socket path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isSocketHost } from "./endpoint.ts";
 * assert(isSocketHost("/run/llama.sock") && !isSocketHost("127.0.0.1"));
 * ```
 */
export function isSocketHost(host: string): boolean {
  return host.endsWith(".sock");
}

/**
 * How to name a server's address to the user: the socket path, or `port N`.
 *
 * @param host The host.
 * @param port The port.
 * @returns E.g. `port 8080` or `/run/llama.sock`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { addressLabel } from "./endpoint.ts";
 * assert(addressLabel("127.0.0.1", 8080) === "port 8080");
 * assert(addressLabel("/run/x.sock", 0) === "/run/x.sock");
 * ```
 */
export function addressLabel(host: string, port: number): string {
  return isSocketHost(host) ? host : `port ${port}`;
}

/**
 * The base URL of a socket server, as llama-pack shows and stores it.
 *
 * @param path The socket path.
 * @param rest The URL path, e.g. `/health`.
 * @returns `http+unix://<encoded path><rest>`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { socketUrl } from "./endpoint.ts";
 * assert(socketUrl("/run/x.sock", "/health") === "http+unix://%2Frun%2Fx.sock/health");
 * ```
 */
export function socketUrl(path: string, rest = ""): string {
  return `http+unix://${encodeURIComponent(path)}${rest}`;
}

/**
 * How to show a server URL: `unix:/path` for a socket, the URL otherwise.
 *
 * @param url A URL from {@linkcode socketUrl} or an `http://` one.
 * @returns The text to show.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { displayUrl } from "./endpoint.ts";
 * assert(displayUrl("http+unix://%2Frun%2Fx.sock") === "unix:/run/x.sock");
 * assert(displayUrl("http://127.0.0.1:8080") === "http://127.0.0.1:8080");
 * ```
 */
export function displayUrl(url: string): string {
  const m = /^http\+unix:\/\/([^/]*)(.*)$/.exec(url);
  return m ? `unix:${decodeURIComponent(m[1]!)}${m[2]}` : url;
}

/**
 * `fetch`, also for `http+unix://` URLs (HTTP over the UNIX socket). Either
 * way the connection is closed after the answer (`Connection: close`), so
 * llama-pack's own probes never linger as a server's clients.
 *
 * @param url An `http://` or `http+unix://` URL.
 * @param init Request options (e.g. `signal`).
 * @returns The response.
 *
 * @example A server on a socket
 * ```ts
 * import assert from "node:assert/strict";
 * import { fetchServer, socketUrl } from "./endpoint.ts";
 * const dir = await Deno.makeTempDir();
 * const path = `${dir}/s.sock`;
 * const server = Deno.serve({ path, onListen() {} }, (req) => new Response(new URL(req.url).pathname));
 * assert(await (await fetchServer(socketUrl(path, "/health"))).text() === "/health");
 * await server.shutdown();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function fetchServer(url: string, init: RequestInit = {}): Promise<Response> {
  const m = /^http\+unix:\/\/([^/]*)(.*)$/.exec(url);
  if (!m) {
    // Like the socket requests below, close the connection after the answer: an idle
    // kept-alive probe would hold a stopping llama-server open and count as its client.
    const headers = new Headers(init.headers);
    if (!headers.has("connection")) headers.set("connection", "close");
    return await fetch(url, { ...init, headers });
  }
  return await unixRequest(decodeURIComponent(m[1]!), m[2] || "/", init);
}

/** Joins byte chunks. */
function concat(chunks: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** Decodes a `Transfer-Encoding: chunked` body. */
function unchunk(body: Uint8Array): Uint8Array<ArrayBuffer> {
  const parts: Uint8Array[] = [];
  let i = 0;
  const text = new TextDecoder("latin1");
  while (i < body.length) {
    const eol = body.indexOf(10, i);
    if (eol < 0) break;
    const size = parseInt(text.decode(body.subarray(i, eol)).trim(), 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(body.subarray(eol + 1, eol + 1 + size));
    i = eol + 1 + size + 2;
  }
  return concat(parts);
}

/**
 * One HTTP/1.1 request over a UNIX socket, in origin form (`GET /health`):
 * Deno's own client sends a proxy-style absolute URL there, which
 * llama-server answers with 404.
 */
async function unixRequest(path: string, target: string, init: RequestInit): Promise<Response> {
  const signal = init.signal ?? undefined;
  signal?.throwIfAborted();
  const conn = await Deno.connect({ transport: "unix", path });
  const onAbort = () => conn.close();
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const body = init.body === undefined || init.body === null
      ? new Uint8Array()
      : new Uint8Array(await new Response(init.body).arrayBuffer());
    const head = `${init.method ?? "GET"} ${target} HTTP/1.1\r\nHost: localhost\r\n` +
      `Connection: close\r\nContent-Length: ${body.length}\r\n\r\n`;
    const request = concat([new TextEncoder().encode(head), body]);
    for (let off = 0; off < request.length;) off += await conn.write(request.subarray(off));
    const chunks: Uint8Array[] = [];
    const buf = new Uint8Array(64 * 1024);
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
    const raw = concat(chunks);
    const split = raw.findIndex((_, i) =>
      raw[i] === 13 && raw[i + 1] === 10 && raw[i + 2] === 13 && raw[i + 3] === 10
    );
    if (split < 0) throw new TypeError(`malformed HTTP answer on ${path}`);
    const [status, ...lines] = new TextDecoder().decode(raw.subarray(0, split)).split("\r\n");
    const headers = new Headers();
    for (const line of lines) {
      const colon = line.indexOf(":");
      if (colon > 0) headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
    let payload = raw.slice(split + 4);
    if (/chunked/i.test(headers.get("transfer-encoding") ?? "")) payload = unchunk(payload);
    const code = Number(/^HTTP\/1\.[01] (\d{3})/.exec(status ?? "")?.[1] ?? NaN);
    if (!Number.isInteger(code)) throw new TypeError(`malformed HTTP status on ${path}`);
    headers.delete("transfer-encoding");
    return new Response(code === 204 || code === 304 ? null : payload, { status: code, headers });
  } catch (err) {
    if (signal?.aborted) throw signal.reason;
    throw err;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    try {
      conn.close();
    } catch {
      // closed by an abort
    }
  }
}

/**
 * Whether something accepts connections on a UNIX socket path.
 *
 * @param path The socket path.
 * @returns `true` when a connection succeeds.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { socketInUse } from "./endpoint.ts";
 * assert(!(await socketInUse("/nonexistent/x.sock")));
 * ```
 */
export async function socketInUse(path: string): Promise<boolean> {
  try {
    const conn = await Deno.connect({ transport: "unix", path });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

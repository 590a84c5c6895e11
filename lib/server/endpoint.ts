/**
 * Where a server listens: a TCP host and port, or a UNIX socket (llama-server
 * listens on a socket when `--host` is a path ending in `.sock`). URLs of a
 * socket server are written `http+unix://<percent-encoded path>/<path>`, and
 * {@linkcode fetchServer} speaks HTTP over the socket for them.
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
 * `fetch`, also for `http+unix://` URLs (HTTP over the UNIX socket).
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
  if (!m) return await fetch(url, init);
  const client = Deno.createHttpClient({
    proxy: { transport: "unix", path: decodeURIComponent(m[1]!) },
  });
  try {
    const res = await fetch(`http://localhost${m[2] || "/"}`, { ...init, client });
    // Read the body before the client closes.
    const body = await res.arrayBuffer();
    return new Response(body, { status: res.status, headers: res.headers });
  } finally {
    client.close();
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

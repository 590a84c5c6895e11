/**
 * Addresses `--serve` listens on and the child port range (pure): parsing
 * `HOST:PORT` (IPv6 in brackets), telling loopback addresses apart, and
 * checking an API key's shape.
 *
 * @module
 */

/** Where a server listens. */
export interface ListenAddress {
  /** The host name or address, without brackets, e.g. `127.0.0.1`, `::1`, `0.0.0.0`. */
  host: string;
  /** The TCP port (1-65535). */
  port: number;
}

/**
 * Parses `HOST:PORT`, `[IPV6]:PORT`, `:PORT` (loopback) or `PORT` (loopback).
 *
 * @param text What the user wrote.
 * @returns The address, or a message saying what is wrong.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseListen } from "./listen.ts";
 * assert.deepEqual(parseListen("0.0.0.0:8080"), { host: "0.0.0.0", port: 8080 });
 * assert.deepEqual(parseListen("[::1]:9000"), { host: "::1", port: 9000 });
 * assert.deepEqual(parseListen("8081"), { host: "127.0.0.1", port: 8081 });
 * assert(typeof parseListen("host:99999") === "string");
 * ```
 */
export function parseListen(text: string): ListenAddress | string {
  const t = text.trim();
  let host: string;
  let portText: string;
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(t);
  if (v6) {
    host = v6[1]!;
    portText = v6[2]!;
  } else if (/^\d+$/.test(t)) {
    host = "127.0.0.1";
    portText = t;
  } else {
    const colon = t.lastIndexOf(":");
    if (colon < 0) return `'${text}' is not HOST:PORT (e.g. 127.0.0.1:8080)`;
    host = t.slice(0, colon) || "127.0.0.1";
    portText = t.slice(colon + 1);
    if (host.includes(":")) return `'${text}': write an IPv6 address in brackets, e.g. [::1]:8080`;
  }
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
    return `'${text}': the port must be a number from 1 to 65535`;
  }
  if (/\s/.test(host) || host === "") return `'${text}': '${host}' is not a host address`;
  return { host, port };
}

/**
 * Whether a host only accepts connections from this machine.
 *
 * @param host A host name or address.
 * @returns `true` for `localhost`, `127.x.x.x` and `::1`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isLoopbackHost } from "./listen.ts";
 * assert(isLoopbackHost("127.0.0.1") && isLoopbackHost("::1") && !isLoopbackHost("0.0.0.0"));
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h) ||
    h === "::ffff:127.0.0.1";
}

/**
 * Formats an address as a URL's authority (IPv6 in brackets).
 *
 * @param a The address.
 * @returns E.g. `127.0.0.1:8080` or `[::1]:8080`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatListen } from "./listen.ts";
 * assert(formatListen({ host: "::1", port: 80 }) === "[::1]:80");
 * ```
 */
export function formatListen(a: ListenAddress): string {
  return a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/** An inclusive range of TCP ports. */
export interface PortRange {
  /** First port. */
  first: number;
  /** Last port (≥ first). */
  last: number;
}

/**
 * Parses a port range `FIRST-LAST`.
 *
 * @param text E.g. `8100-8199`.
 * @returns The range, or a message saying what is wrong.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parsePortRange } from "./listen.ts";
 * assert.deepEqual(parsePortRange("8100-8199"), { first: 8100, last: 8199 });
 * assert(typeof parsePortRange("9-1") === "string");
 * ```
 */
export function parsePortRange(text: string): PortRange | string {
  const m = /^\s*(\d+)\s*-\s*(\d+)\s*$/.exec(text);
  if (!m) return `'${text}' is not a port range FIRST-LAST (e.g. 8100-8199)`;
  const first = Number(m[1]);
  const last = Number(m[2]);
  if (first < 1 || last > 65535) return `'${text}': ports go from 1 to 65535`;
  if (last < first) return `'${text}': the last port is below the first`;
  return { first, last };
}

/**
 * What is wrong with an API key, if anything: keys are compared byte for
 * byte against `Authorization: Bearer KEY`, so they must be printable and
 * contain no spaces.
 *
 * @param key The key.
 * @returns The problem, or `undefined`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { apiKeyProblem } from "./listen.ts";
 * assert(apiKeyProblem("s3cret-key-for-home") === undefined);
 * assert(apiKeyProblem("has space") !== undefined);
 * ```
 */
export function apiKeyProblem(key: string): string | undefined {
  if (key === "") return "must not be empty";
  // deno-lint-ignore no-control-regex
  if (/[\s\x00-\x1f\x7f]/.test(key)) return "must not contain spaces or control characters";
  if (!/^[\x21-\x7e]+$/.test(key)) return "must be printable ASCII";
  return undefined;
}

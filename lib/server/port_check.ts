/**
 * Whether a server's port is free before it is started (a bind there would
 * fail). Needs `--allow-net`.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";

/**
 * Whether something listens on `host:port` (a bind there would fail).
 *
 * @param host The address, e.g. `127.0.0.1` or `0.0.0.0`.
 * @param port The port.
 * @returns `true` when the port is taken.
 * @throws {LlamaPackError} `IO` when the check fails for another reason (bad address, permission).
 *
 * @example A port we hold is in use
 * ```ts
 * import assert from "node:assert/strict";
 * import { portInUse } from "./port_check.ts";
 * const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * assert(await portInUse("127.0.0.1", (l.addr as Deno.NetAddr).port));
 * l.close();
 * ```
 */
export function portInUse(host: string, port: number): Promise<boolean> {
  const hostname = host.split(",")[0]?.trim().replace(/^\[|\]$/g, "") || "127.0.0.1";
  try {
    const listener = Deno.listen({ hostname, port });
    listener.close();
    return Promise.resolve(false);
  } catch (err) {
    if (err instanceof Deno.errors.AddrInUse) return Promise.resolve(true);
    return Promise.reject(
      new LlamaPackError("IO", `cannot check port ${port} on ${hostname}`, { cause: err }),
    );
  }
}

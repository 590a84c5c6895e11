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

/**
 * Whether something still listens on `host:port` after a grace period: for a
 * port whose server was just stopped. A process that has exited can hold its
 * sockets a moment longer (its other threads are still being torn down, its
 * pid already reads as dead), so a busy port is asked again until `waitMs`
 * has passed.
 *
 * @param host The address.
 * @param port The port.
 * @param waitMs How long the port may take to come free.
 * @returns `true` when the port is still taken after `waitMs`.
 * @throws {LlamaPackError} `IO` as {@linkcode portInUse}.
 *
 * @example A port closed during the wait is free
 * ```ts
 * import assert from "node:assert/strict";
 * import { portStillInUse } from "./port_check.ts";
 * const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
 * setTimeout(() => l.close(), 50);
 * assert(!(await portStillInUse("127.0.0.1", (l.addr as Deno.NetAddr).port, 2_000)));
 * ```
 */
export async function portStillInUse(host: string, port: number, waitMs: number): Promise<boolean> {
  const deadline = performance.now() + waitMs;
  while (await portInUse(host, port)) {
    if (performance.now() >= deadline) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return false;
}

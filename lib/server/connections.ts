/**
 * What a running server process holds, read from Linux `/proc`: its client
 * connections (after SIGTERM, llama-server stops listening but does not exit
 * until every client with a request in flight has disconnected, so these are
 * the requests it waits for) and the environment it was started with.
 *
 * @module
 */

/**
 * The socket inodes of connected sockets in a `/proc/net/tcp`, `tcp6` or
 * `unix` table.
 *
 * @param text The file's content.
 * @param kind `"tcp"` (also for tcp6) or `"unix"`.
 * @param on Only sockets on this local port (TCP) or bound to this path (UNIX).
 * @returns Inodes of ESTABLISHED TCP sockets, or of CONNECTED UNIX stream sockets.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { connectedInodes } from "./connections.ts";
 * const tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
 *   "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 111 1\n" +
 *   "   1: 0100007F:1F90 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 222 1\n";
 * assert.deepEqual([...connectedInodes(tcp, "tcp", 8080)], [222]);
 * assert.deepEqual([...connectedInodes(tcp, "tcp", 8081)], []);
 * const unix = "Num       RefCount Protocol Flags    Type St Inode Path\n" +
 *   "0000000000000000: 00000002 00000000 00010000 0001 01 333 /tmp/x.sock\n" +
 *   "0000000000000000: 00000003 00000000 00000000 0001 03 444 /tmp/x.sock\n";
 * assert.deepEqual([...connectedInodes(unix, "unix", "/tmp/x.sock")], [444]);
 * ```
 */
export function connectedInodes(
  text: string,
  kind: "tcp" | "unix",
  on: number | string,
): Set<number> {
  const out = new Set<number>();
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (kind === "tcp") {
      // sl local rem st tx:rx tr:when retrnsmt uid timeout inode
      const localPort = parseInt(f[1]?.split(":")[1] ?? "", 16);
      if (f[3] === "01" && localPort === on && f[9] !== undefined) out.add(Number(f[9]));
    } else if (f[5] === "03" && f[7] === on && f[6] !== undefined) {
      // Num RefCount Protocol Flags Type St Inode Path (pipes and socketpairs have no path)
      out.add(Number(f[6]));
    }
  }
  out.delete(0);
  return out;
}

function readOr(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}

/**
 * How many client connections a server process holds open on its address:
 * for a llama-server that stopped listening, the clients whose requests it
 * still serves. 0 when it cannot be told (the process is gone, `/proc`
 * unreadable).
 *
 * @param pid The process.
 * @param on Its port, or its UNIX socket path.
 * @returns The number of connected sockets on that address among its file descriptors.
 *
 * @example A process with no sockets
 * ```ts
 * import assert from "node:assert/strict";
 * import { openConnections } from "./connections.ts";
 * assert(openConnections(2 ** 22 + 5, 8080) === 0);
 * ```
 */
export function openConnections(pid: number, on: number | string): number {
  const sockets = new Set<number>();
  try {
    for (const fd of Deno.readDirSync(`/proc/${pid}/fd`)) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(Deno.readLinkSync(`/proc/${pid}/fd/${fd.name}`));
        if (m) sockets.add(Number(m[1]));
      } catch {
        // closed meanwhile
      }
    }
  } catch {
    return 0;
  }
  if (sockets.size === 0) return 0;
  const connected = new Set<number>([
    ...(typeof on === "number"
      ? [
        ...connectedInodes(readOr(`/proc/${pid}/net/tcp`), "tcp", on),
        ...connectedInodes(readOr(`/proc/${pid}/net/tcp6`), "tcp", on),
      ]
      : connectedInodes(readOr(`/proc/${pid}/net/unix`), "unix", on)),
  ]);
  let n = 0;
  for (const inode of sockets) if (connected.has(inode)) n++;
  return n;
}

/**
 * The environment a process was started with (`/proc/<pid>/environ`).
 *
 * @param pid The process.
 * @returns Its variables; empty when they cannot be read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { processEnv } from "./connections.ts";
 * assert(processEnv(Deno.pid).PATH === Deno.env.get("PATH"));
 * ```
 */
export function processEnv(pid: number): Record<string, string> {
  let raw: string;
  try {
    raw = Deno.readTextFileSync(`/proc/${pid}/environ`);
  } catch {
    return {};
  }
  const env: Record<string, string> = {};
  for (const entry of raw.split("\0")) {
    const eq = entry.indexOf("=");
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

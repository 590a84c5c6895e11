/**
 * What `GET /running` says of a server `--serve` started: its command
 * line, where it is proxied to, the tier it loaded from, when it started
 * and how much memory it holds now (read from `/proc`).
 *
 * @module
 */

import type { RunningEntry } from "../core/serve_listing.ts";
import { shellQuote } from "../core/shell_quote.ts";
import { residentBytes } from "../server/load_signals.ts";
import type { Child } from "./children.ts";

/** The fields of a `/running` entry that come from the server's process. */
export type ChildFacts = Pick<
  RunningEntry,
  "cmd" | "proxy" | "tier" | "started_at" | "memory_bytes"
>;

/**
 * The facts of a server's process, or empty ones before it is spawned.
 *
 * @param child The server, once spawned.
 * @param binary The server executable (`server_binary`), for the command line.
 * @returns Its command line, proxy address, tier, start and memory.
 *
 * @example Before the server is spawned
 * ```ts
 * import assert from "node:assert/strict";
 * import { childFacts } from "./running_entry.ts";
 * assert.deepEqual(childFacts(undefined, "llama-server"), {
 *   cmd: "", proxy: "", tier: "", started_at: null, memory_bytes: null,
 * });
 * ```
 */
export function childFacts(child: Child | undefined, binary: string): ChildFacts {
  if (!child) return { cmd: "", proxy: "", tier: "", started_at: null, memory_bytes: null };
  return {
    cmd: [binary, ...child.argv].map(shellQuote).join(" "),
    proxy: `http://${child.host}:${child.port}`,
    tier: child.tier,
    started_at: new Date(child.startedAt * 1000).toISOString(),
    memory_bytes: residentBytes(child.proc.identity.pid) ?? null,
  };
}

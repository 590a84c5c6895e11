/**
 * `-m` of a model that already runs with the same command line on the same
 * host and port: that server is reused (and the user told so) instead of
 * being stopped and started again — also when it serves the model's other
 * copy (started from the HDD before the SSD copy was made). A reuse loads
 * nothing, so it records no use. A server that does not answer its health
 * check is not reused.
 *
 * @module
 */

import { formatDuration } from "../core/units.ts";
import type { ServerAdapter } from "../server/adapter.ts";
import { probeHealth, waitReady } from "../server/health.ts";
import { addressLabel, displayUrl } from "../server/endpoint.ts";
import { isSameProcess } from "../server/process_identity.ts";
import { cmdlineOf, identityOf, pruneServers } from "../server/records.ts";
import type { StateStore } from "../state/store.ts";
import type { CommandContext } from "./context.ts";

/** What the new server would be. */
export interface WantedServer {
  /** Host and port. */
  host: string;
  /** The port. */
  port: number;
  /** The model's id. */
  modelId: string;
  /** How to name it. */
  label: string;
  /** The binary and its argv. */
  cmdline: readonly string[];
  /** Every file of the model on any tier: a server started from the other tier's copy still counts. */
  modelFiles: readonly string[];
  /** With `-d`: how long to wait for a server that is still loading, ms. */
  waitMs: number | undefined;
}

/**
 * Reuses an identical running server, if there is one.
 *
 * @param ctx The command context.
 * @param store The state store.
 * @param adapter The server adapter (health URL and its meaning).
 * @param want The server `-m` would start.
 * @returns The exit status when a server was reused; `undefined` to start one.
 * @throws {LlamaPackError} `SERVER_TIMEOUT` when a reused server still loading is not ready in time.
 */
export async function reuseRunning(
  ctx: CommandContext,
  store: StateStore,
  adapter: ServerAdapter,
  want: WantedServer,
): Promise<number | undefined> {
  const files = new Set(want.modelFiles);
  const key = (argv: readonly string[]) => argv.map((a) => files.has(a) ? "\0file" : a).join("\0");
  const same = pruneServers(store).live.find((r) =>
    r.host === want.host && r.port === want.port && r.model_id === want.modelId &&
    key(cmdlineOf(r.cmdline)) === key(want.cmdline)
  );
  if (same === undefined || !isSameProcess(identityOf(same))) return undefined;
  const health = adapter.healthUrl(same.host, same.port);
  const interpret = (s: number, b: string) => adapter.interpretHealth(s, b);
  let state = await probeHealth(health, interpret);
  if (state === "unhealthy") {
    ctx.err(
      `the server on ${addressLabel(want.host, want.port)} does not answer its health check: ` +
        "restarting it\n",
    );
    return undefined;
  }
  if (state === "loading" && want.waitMs !== undefined) {
    ctx.err(
      `${want.label} is already loading on ${addressLabel(want.host, want.port)}: waiting for it\n`,
    );
    await waitReady(health, {
      timeoutMs: want.waitMs,
      interpret,
      isAlive: () => isSameProcess(identityOf(same)),
      logPath: same.log_path,
    });
    state = "ready";
  }
  const url = displayUrl(health.replace(/\/health$/, ""));
  const up = formatDuration(Math.max(0, ctx.now() - same.started_at));
  ctx.out(
    `already running: ${url} (${want.label} from ${same.tier}, pid ${same.pid}, up ${up}` +
      `${state === "loading" ? ", still loading" : ""}; same args, nothing restarted)\n` +
      `log: ${same.log_path}\n`,
  );
  ctx.err(
    `hint: llama-pack --logs -f -p ${want.port} follows its log; ` +
      `llama-pack -k -p ${want.port} stops it\n`,
  );
  return 0;
}

/**
 * The command behind `--serve`: one OpenAI-compatible endpoint in the
 * foreground that starts, swaps and stops servers by each request's model.
 * It stops the servers a dead `--serve` left behind, records itself so
 * `-m`, `--status` and the next `--serve` know it, listens (loopback by
 * default; a warning when it listens further without a key), and on Ctrl-C
 * or SIGTERM stops taking requests, lets those in flight finish within the
 * grace period, and stops every server it started.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import { apiEvent } from "../core/api_events.ts";
import { apiKeyProblem, formatListen, isLoopbackHost } from "../core/listen.ts";
import { learnTierSpeeds } from "../core/load_timeout.ts";
import { loadIndex } from "../state/load_index.ts";
import { serverAdapter } from "../server/adapter.ts";
import { readProcessIdentity } from "../server/process_identity.ts";
import { identityFields, pruneServers } from "../server/records.ts";
import { createServeApp } from "../serve/app.ts";
import { EventHub } from "../serve/events.ts";
import { IndexCache } from "../serve/index_cache.ts";
import { stopOrphans } from "../serve/orphans.ts";
import { MAX_BODY_BYTES } from "../serve/request_model.ts";
import { isDashboardPath, webRoutes } from "../serve/routes_web.ts";
import { ServeSupervisor } from "../serve/supervisor.ts";
import { cacheRoutes } from "../serve/routes_cache.ts";
import { maybePromote } from "./promote.ts";
import { startCacheApi } from "./serve_cache.ts";
import { stopGraceMs } from "./server_stop.ts";
import type { CommandContext } from "./context.ts";
import denoJson from "../../deno.json" with { type: "json" };

/** The environment variable that adds an API key. */
const KEY_VAR = "LLAMA_PACK_API_KEY";

/** The keys `--serve` accepts: the config's and `LLAMA_PACK_API_KEY`. */
function apiKeys(ctx: CommandContext, configured: readonly string[]): string[] {
  const keys = [...configured];
  const extra = ctx.env[KEY_VAR];
  if (extra !== undefined && extra !== "") {
    const problem = apiKeyProblem(extra);
    if (problem) throw new LlamaPackError("CONFIG", `${KEY_VAR}: ${problem}`);
    if (!keys.includes(extra)) keys.push(extra);
  }
  return keys;
}

/** The environment children get: ours without the API key. */
function childEnv(ctx: CommandContext): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.env)) if (v !== undefined && k !== KEY_VAR) env[k] = v;
  return env;
}

/**
 * Runs `--serve`.
 *
 * @param ctx The command context.
 * @returns The exit status: 0 after a clean stop, 130 after a forced one.
 * @throws {LlamaPackError} `CONFIG` for a bad `LLAMA_PACK_API_KEY`, `PORT_BUSY` when the address is taken.
 */
export async function serveCommand(ctx: CommandContext): Promise<number> {
  const action = ctx.cmd.action;
  if (action.kind !== "serve") {
    throw new LlamaPackError("USAGE", `serve: unexpected ${action.kind}`);
  }
  const config = await ctx.config();
  const store = ctx.state();
  const adapter = serverAdapter(config.server_type);
  const listen = action.listen ?? config.serve.listen;
  const keys = apiKeys(ctx, config.serve.api_keys);
  const graceMs = stopGraceMs(ctx.env);
  const log = (line: string) => ctx.err(`${line}\n`);

  if (!isLoopbackHost(listen.host) && keys.length === 0) {
    log(
      `warning: listening on ${listen.host} without an API key: anyone who can reach this ` +
        `machine can load models (set serve.api_keys or ${KEY_VAR})`,
    );
  }
  for (const o of await stopOrphans(store, { graceMs, now: ctx.now() })) {
    const name = store.model(o.row.model_id)?.name ?? o.row.model_id;
    log(`stopped ${name} on port ${o.row.port}, left by a --serve that is gone (${o.outcome})`);
  }

  const events = new EventHub();
  const stopping = new AbortController();
  const models = new IndexCache({
    load: () => loadIndex(store),
    aliases: config.aliases,
    now: ctx.now,
  });
  const supervisor = new ServeSupervisor({
    config,
    store,
    stateDir: ctx.stateDir,
    adapter,
    childEnv: childEnv(ctx),
    ownerPid: Deno.pid,
    now: ctx.now,
    graceMs,
    events,
    log,
    passedOver: (data) => {
      log(`note: ${data.message}`);
      events.publish(apiEvent("copy_passed_over", data));
    },
    index: () => models.index(),
    speeds: () => {
      const sizes = new Map(store.models().map((m) => [m.id, m.size]));
      return learnTierSpeeds(
        store.uses().map((u) => ({
          tier: u.tier,
          readySeconds: u.ready_seconds,
          size: sizes.get(u.model_id) ?? 0,
        })),
        { hdd: config.hdd_read_mbps, ssd: config.ssd_write_mbps },
      );
    },
    promote: async (modelId, server) => {
      models.invalidate();
      return await maybePromote(ctx, modelId, server);
    },
  });
  const cache = await startCacheApi({ ctx, events, models, supervisor, log });
  const app = createServeApp({
    config,
    supervisor,
    events,
    models,
    now: ctx.now,
    apiKeys: keys,
    maxBodyBytes: MAX_BODY_BYTES,
    version: denoJson.version,
    stopping: stopping.signal,
  }, {
    extend: (app, c) => {
      cacheRoutes(cache.api)(app, c);
      webRoutes(app, c, {
        configPath: ctx.configPath,
        setPinned: (id, pinned) => store.setFlag(id, "pinned", pinned),
      });
    },
    isPublic: isDashboardPath,
  });

  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve(
      { hostname: listen.host, port: listen.port, onListen: () => {} },
      (req, info) => app.fetch(req, info),
    );
  } catch (err) {
    if (err instanceof Deno.errors.AddrInUse) {
      const held = pruneServers(store).live.find((r) => r.port === listen.port);
      throw new LlamaPackError(
        "PORT_BUSY",
        `cannot listen on ${formatListen(listen)}: the port is in use` +
          (held
            ? ` by llama-pack's server of ${store.model(held.model_id)?.name ?? held.model_id}`
            : ""),
        {
          cause: err,
          hint: held
            ? `stop it with llama-pack -k -p ${listen.port}, or use --listen`
            : "choose another address with --listen or serve.listen",
        },
      );
    }
    throw new LlamaPackError("IO", `cannot listen on ${formatListen(listen)}`, { cause: err });
  }
  const me = readProcessIdentity(Deno.pid);
  const serveRow = me
    ? {
      host: listen.host,
      port: listen.port,
      ...identityFields(me),
      started_at: ctx.now(),
    }
    : undefined;
  if (serveRow) store.serves.add(serveRow);

  const url = `http://${formatListen(listen)}`;
  const count = models.index().filter((m) => !m.gone).length;
  log(
    `llama-pack --serve on ${url}/v1 (${count} model${
      count === 1 ? "" : "s"
    }, max_running ${config.serve.max_running}` +
      `, ${
        keys.length === 0 ? "no API key" : `${keys.length} API key${keys.length === 1 ? "" : "s"}`
      }); Ctrl-C stops it`,
  );
  cache.monitor.start(config.serve.monitor_interval_s);
  const ticker = config.serve.idle_unload_s === undefined
    ? undefined
    : setInterval(() => supervisor.tick(), Math.min(5_000, config.serve.idle_unload_s * 250));

  let forced = false;
  let signalled: () => void = () => {};
  const stopRequested = new Promise<void>((r) => (signalled = r));
  let stopCount = 0;
  const onSignal = (sig: Deno.Signal) => {
    stopCount++;
    if (stopCount === 1) {
      log(
        `\n${sig === "SIGINT" ? "Ctrl-C" : sig}: stopping (in-flight requests get ${
          graceMs / 1000
        }s)…`,
      );
      signalled();
    } else if (stopCount === 2) {
      log("again: stopping every server now");
      forced = true;
      stopping.abort(new Error("forced stop"));
      void supervisor.stopAll(0);
    }
  };
  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM", "SIGHUP"];
  const handlers = signals.map((s) => [s, () => onSignal(s)] as const);
  for (const [s, h] of handlers) Deno.addSignalListener(s, h);
  try {
    await Promise.race([stopRequested, server.finished]);
    if (ticker !== undefined) clearInterval(ticker);
    events.closeStreams();
    await cache.stop();
    supervisor.beginShutdown();
    const grace = setTimeout(() => stopping.abort(new Error("grace period over")), graceMs);
    await server.shutdown();
    clearTimeout(grace);
    await supervisor.stopAll(forced ? 0 : graceMs);
  } finally {
    for (const [s, h] of handlers) Deno.removeSignalListener(s, h);
    try {
      if (serveRow) store.serves.remove(serveRow.host, serveRow.port, serveRow.pid);
    } catch (err) {
      // Everything is stopped: a record left behind names a process that is
      // gone, and whoever reads it next forgets it (liveServes).
      log(
        `warning: cannot forget this --serve's record: ${
          err instanceof Error ? err.message : String(err)
        }`,
      );
    }
  }
  log("stopped");
  return forced ? 130 : 0;
}

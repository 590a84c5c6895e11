/**
 * The command behind -m/--model: find the model, pick its fastest copy, merge
 * the server args, free the port (only from llama-pack's own servers), start
 * the server and record it, then supervise it in the foreground (default,
 * `run_foreground.ts`) or wait for it detached (`-d`, `run_detached.ts`).
 *
 * @module
 */

import { STORE_LABELS } from "../core/stores.ts";
import { basename, join } from "node:path";
import { LlamaPackError } from "../errors.ts";
import { passedOverNote } from "../core/copy_note.ts";
import type { IndexedModel } from "../core/model_index.ts";
import { findRequested } from "./model_arg.ts";
import { serverCommand } from "./server_argv.ts";
import { reuseRunning } from "./run_reuse.ts";
import { shellQuote } from "../core/shell_quote.ts";
import { loadIndex } from "../state/load_index.ts";
import { servedCopy } from "../cache/unit_check.ts";
import { withSsdLock } from "../cache/ssd_lock.ts";
import type { StateStore } from "../state/store.ts";
import { serverAdapter } from "../server/adapter.ts";
import { addressLabel, isSocketHost, socketInUse } from "../server/endpoint.ts";
import { applyingEnv, formatEnv } from "../server/flag_checks.ts";
import { portInUse, portStillInUse } from "../server/port_check.ts";
import { resolveBinary, spawnServer } from "../server/spawn_server.ts";
import { pruneServers, recordHeldServer } from "../server/records.ts";
import { runDetached } from "./run_detached.ts";
import { runForeground, terminalWriter } from "./run_foreground.ts";
import type { Launch } from "./run_launch.ts";
import { describeStop, stopExplained, stopGraceMs } from "./server_stop.ts";
import { liveServes, ownerOf } from "../server/serve_records.ts";
import { formatListen } from "../core/listen.ts";
import type { CommandContext } from "./context.ts";

/**
 * Runs -m/--model.
 *
 * @param ctx The command context.
 * @returns The exit status.
 * @throws {LlamaPackError} `NO_MATCH`/`AMBIGUOUS` for the query, `USAGE` for
 *   server args llama-pack sets itself, `PORT_BUSY` when another program holds
 *   the port, `SERVER_START` when the server dies while loading,
 *   `SERVER_TIMEOUT` when it is not ready in time.
 */
export async function runCommand(ctx: CommandContext): Promise<number> {
  const action = ctx.cmd.action;
  if (action.kind !== "run") {
    throw new LlamaPackError("USAGE", `run: unexpected action ${action.kind}`);
  }
  const config = await ctx.config();
  const store = ctx.state();
  const adapter = serverAdapter(config.server_type);

  // A config alias names its model's query; anything else is the query itself.
  const { model, label, also } = findRequested(ctx, loadIndex(store), action.model, {
    strict: action.strict,
    aliases: config.aliases,
  });
  const alsoText = also.length === 0
    ? ""
    : ` (also matched: ${also.slice(0, 3).map((m) => m.label).join(", ")}${
      also.length > 3 ? `, +${also.length - 3} more` : ""
    })`;
  ctx.err(`model: ${label}${alsoText}\n`);
  for (const m of also) ctx.debug(1, `  also matched ${m.label}: ${m.reason}`);

  const runArgs = ctx.cmd.passthrough ?? [];
  const binary = config.server_binary;
  const host = ctx.cmd.host ?? config.default_host;
  // A server on a UNIX socket has no port: its row says 0.
  const port = isSocketHost(host) ? 0 : ctx.cmd.port ?? config.default_port;
  // The binary's own flags (its --help, cached): a flag it no longer accepts
  // is named before anything is stored or started.
  const flags = await adapter.learnFlags(binary, ctx.stateDir);
  if (action.store) {
    // Checked before anything is saved: a stored arg list must work on its own.
    const warnings = adapter.checkArgs(runArgs, "the args to store", flags.flags);
    // With the binary's own flags an unknown one is an error below, not a warning.
    if (flags.source !== "help") { for (const w of warnings) ctx.err(`warning: ${w}\n`); }
  }
  // The copy to serve from, checked on disk first: a verified SSD copy whose
  // originals changed since it was verified (or whose files changed on the
  // SSD) is not served. Checking the args (the stored ones first) comes with it.
  const choose = async (m: IndexedModel, quiet = false) => {
    const { model: checked, tier, copy, problem } = await servedCopy(m);
    if (problem !== undefined && !quiet) ctx.err(`note: ${passedOverNote(m, problem)}\n`);
    const { argv, commandLine } = serverCommand(checked, {
      config,
      adapter,
      env: ctx.env,
      host,
      port,
      label,
      stored: action.store ? runArgs : model.storedArgs,
      runArgs: action.store ? [] : runArgs,
      flags,
      served: { tier, copy },
    });
    const from = tier === "hdd" && m.store ? STORE_LABELS[m.store] : tier;
    if (!quiet) {
      ctx.debug(
        1,
        `serving from ${from}: ${copy.path}` +
          (tier === "hdd" && checked.ssd !== undefined
            ? " (the SSD copy is not verified or is missing)"
            : ""),
      );
    }
    // Inherited LLAMA_ARG_* variables change what starts: say which apply.
    const env = formatEnv(applyingEnv(ctx.env, flags.flags, argv));
    return { tier, from, copy, argv, commandLine, env };
  };
  const planned = await choose(model);
  if (action.store) {
    if (!ctx.cmd.dryRun) store.setStoredArgs(model.id, runArgs);
    const verb = ctx.cmd.dryRun ? "would store" : "stored";
    ctx.out(
      runArgs.length === 0
        ? `${ctx.cmd.dryRun ? "would clear" : "cleared"} stored args for ${label}\n`
        : `${verb} args for ${label}: ${runArgs.map(shellQuote).join(" ")}\n`,
    );
  }
  if (ctx.cmd.dryRun) {
    ctx.out(`would run (from ${planned.from}): ${planned.commandLine}\n`);
    if (planned.env !== "") ctx.out(`  environment: ${planned.env}\n`);
    return 0;
  }
  if (resolveBinary(binary) === undefined) throw binaryMissing(binary);

  const reused = await reuseRunning(ctx, store, adapter, {
    host,
    port,
    modelId: model.id,
    label,
    cmdline: [binary, ...planned.argv],
    modelFiles: [...(model.hdd?.files ?? []), ...(model.ssd?.files ?? [])].map((f) => f.path),
    waitMs: action.detach ? (action.timeoutSeconds ?? config.ready_timeout_s) * 1000 : undefined,
  });
  if (reused !== undefined) return reused;
  await freeAddress(ctx, store, host, port, adapter.name);

  const logDir = join(ctx.stateDir, "logs");
  await Deno.mkdir(logDir, { recursive: true });
  const logPath = join(logDir, `server-${isSocketHost(host) ? basename(host) : port}.log`);

  // Choosing the copy and recording the server that uses it happen under the
  // SSD lock, which eviction takes too: a copy chosen here is never deleted
  // before the server is recorded (and eviction leaves a loading server's copy alone).
  const { proc, row, tier, from } = await withSsdLock(
    ctx.stateDir,
    `starting ${model.name}`,
    async () => {
      const current = loadIndex(store).find((m) => m.id === model.id) ?? model;
      // Said above: a passed-over SSD copy, the tier chosen then.
      const { tier, from, copy, argv, commandLine, env } = await choose(current, true);
      if (env !== "") ctx.debug(1, `environment: ${env}`);
      ctx.err(`starting ${adapter.name} from ${from}: ${commandLine}\n`);
      const startedAt = ctx.now();
      // The server waits behind its gate until it is recorded: it never runs unrecorded.
      const proc = await spawnServer(binary, argv, {
        logPath,
        foreground: !action.detach,
        terminal: terminalWriter(ctx),
        held: true,
      });
      const row = await recordHeldServer(store, proc, {
        host,
        port,
        model_id: model.id,
        model_path: copy.path,
        tier,
        log_path: logPath,
        started_at: startedAt,
        use_id: null,
      });
      return { proc, row, tier, from };
    },
  );
  await proc.start();
  const launch: Launch = { ctx, store, adapter, proc, row, model, tier, from, logPath };
  return action.detach
    ? await runDetached(launch, (action.timeoutSeconds ?? config.ready_timeout_s) * 1000)
    : await runForeground(launch);
}

/** Stops a llama-pack server holding the address; refuses when another program holds it. */
async function freeAddress(
  ctx: CommandContext,
  store: StateStore,
  host: string,
  port: number,
  serverName: string,
) {
  const socket = isSocketHost(host);
  const where = addressLabel(host, port);
  const { live } = pruneServers(store);
  const serves = liveServes(store);
  const serve = socket ? undefined : serves.find((s) => s.port === port);
  const child = socket ? undefined : live.find((r) => r.port === port && ownerOf(r, serves));
  if (serve || child) {
    const owner = serve ?? ownerOf(child!, serves)!;
    const what = serve
      ? "llama-pack --serve listens there"
      : `llama-pack --serve runs ${store.model(child!.model_id)?.name ?? child!.model_id} there`;
    throw new LlamaPackError(
      "PORT_BUSY",
      `port ${port} is held by llama-pack --serve (pid ${owner.pid}, ${
        formatListen(owner)
      }): ${what}`,
      { hint: "choose another port with -p/--port, or send the request to --serve" },
    );
  }
  const same = live.filter((r) =>
    socket ? r.host === host : !isSocketHost(r.host) && r.port === port
  );
  for (const old of same) {
    const { result, details } = await stopExplained(store, old, {
      graceMs: stopGraceMs(ctx.env),
      now: ctx.now(),
      server: `${serverName} (pid ${old.pid})`,
      notify: (line) => ctx.err(`${where}: ${line}\n`),
    });
    const name = store.model(old.model_id)?.name ?? old.model_id;
    ctx.err(
      `stopped the llama-pack server on ${where} (${name}, pid ${old.pid}): ${
        describeStop(result.outcome, details)
      }\n`,
    );
  }
  // A server just stopped may hold its port a moment after its pid is gone.
  const busy = socket
    ? await socketInUse(host)
    : same.length > 0
    ? await portStillInUse(host, port, 3_000)
    : await portInUse(host, port);
  if (busy) {
    throw new LlamaPackError(
      "PORT_BUSY",
      `${where} is in use by another program (not started by llama-pack)`,
      {
        hint: `choose another ${socket ? "socket path with --host" : "port with -p/--port"}; ` +
          "llama-pack never stops programs it did not start",
      },
    );
  }
  if (socket) await removeStaleSocket(ctx, host);
}

/**
 * llama-server leaves its socket file behind when it exits, and cannot bind
 * the path again while it exists: remove a socket nobody listens on (never
 * any other kind of file).
 */
async function removeStaleSocket(ctx: CommandContext, path: string) {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch {
    return; // nothing there
  }
  if (!info.isSocket) {
    throw new LlamaPackError("USAGE", `--host ${path}: the path exists and is not a socket`, {
      hint: "name a new socket path (ending in .sock)",
    });
  }
  await Deno.remove(path);
  ctx.debug(1, `removed the stale socket ${path} (nothing listened on it)`);
}

/** The error for a server binary that cannot be found, before anything is announced. */
function binaryMissing(binary: string): LlamaPackError {
  return new LlamaPackError(
    "SERVER_START",
    `cannot start server: '${binary}' not found or not executable`,
    { hint: "set server_binary in the config to the llama-server path" },
  );
}

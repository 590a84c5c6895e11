/**
 * The command behind --status/--stat/--st: the running llama-pack servers
 * (checked against `/proc`, stale records pruned, state from the health
 * endpoint, uptime and resident memory), the active copy jobs, and the
 * downloads from the Hugging Face hub (running, or interrupted when their
 * process is gone, with the `--pull` that resumes them).
 *
 * @module
 */

import { serverAdapter } from "../server/adapter.ts";
import { displayUrl } from "../server/endpoint.ts";
import { applyingEnv, formatEnv } from "../server/flag_checks.ts";
import { processEnv } from "../server/connections.ts";
import { cmdlineOf, pruneServers } from "../server/records.ts";
import { ownerAlive, reapStaleJobs } from "../cache/copy_jobs.ts";
import { downloadStatus, shownInStatus } from "../core/download_status.ts";
import { liveServes, ownerOf } from "../server/serve_records.ts";
import { formatListen } from "../core/listen.ts";
import { renderStatus, type ServerStatus, statusJson } from "../core/status_view.ts";
import { modelLabels } from "../core/model_names.ts";
import { probeHealth } from "../server/health.ts";
import { groupResidentBytes } from "../server/process_memory.ts";
import type { CommandContext } from "./context.ts";

/**
 * Runs --status.
 *
 * @param ctx The command context.
 * @returns The exit status (0).
 * @throws {LlamaPackError} `CONFIG` for an unknown `server_type`.
 */
export async function statusCommand(ctx: CommandContext): Promise<number> {
  const config = await ctx.config();
  const store = ctx.state();
  const adapter = serverAdapter(config.server_type);
  const { live, pruned } = pruneServers(store);
  const serves = liveServes(store);
  const names = modelLabels(store.models());
  const now = ctx.now();
  // -v: the LLAMA_ARG_* variables each server inherited (they change what it runs).
  const flags = ctx.cmd.verbose > 0
    ? (await adapter.learnFlags(config.server_binary, ctx.stateDir)).flags
    : undefined;
  const servers = await Promise.all(live.map(async (row): Promise<ServerStatus> => {
    const health = adapter.healthUrl(row.host, row.port);
    const env = flags === undefined
      ? ""
      : formatEnv(applyingEnv(processEnv(row.pid), flags, cmdlineOf(row.cmdline).slice(1)));
    return {
      port: row.port,
      host: row.host,
      model: names.get(row.model_id) ?? row.model_id,
      modelPath: row.model_path,
      tier: row.tier,
      pid: row.pid,
      uptimeSeconds: Math.max(0, now - row.started_at),
      memoryBytes: groupResidentBytes(row.pid) ?? null,
      state: await probeHealth(health, (s, b) => adapter.interpretHealth(s, b)),
      url: displayUrl(health.replace(/\/health$/, "")),
      log: row.log_path,
      ...(env === "" ? {} : { env }),
      ...(row.owner_pid === null || row.owner_pid === undefined ? {} : {
        owner: ownerOf(row, serves) ? `--serve ${formatListen(ownerOf(row, serves)!)}` : "orphan",
      }),
    };
  }));
  // A copier killed with -9 leaves its job "copying": mark such jobs failed first.
  reapStaleJobs(store, now);
  const copies = store.copyJobs(["queued", "copying"]).map((j) => ({
    id: j.id,
    model: names.get(j.model_id) ?? j.model_id,
    state: j.state,
    bytesDone: j.bytes_done,
    bytesTotal: j.bytes_total,
  }));
  // A download is never written here: one whose process is gone reads as interrupted.
  const serveOf = new Map(serves.map((s) => [s.pid, `--serve ${formatListen(s)}`]));
  const downloads = store.downloads.all().filter((r) => shownInStatus(r, now)).map((r) => {
    const alive = ownerAlive(r);
    return downloadStatus(r, {
      ownerAlive: alive,
      serve: alive ? serveOf.get(r.pid) : undefined,
      now,
    });
  });
  const report = {
    serves: serves.map((s) => ({
      url: `http://${formatListen(s)}`,
      pid: s.pid,
      uptimeSeconds: Math.max(0, now - s.started_at),
    })),
    servers,
    copies,
    downloads,
    pruned: pruned.length,
  };
  ctx.out(
    ctx.cmd.json ? statusJson(report) : renderStatus(report, {
      ...(ctx.columns === undefined ? {} : { width: ctx.columns }),
      verbose: ctx.cmd.verbose > 0,
      now,
    }),
  );
  return 0;
}

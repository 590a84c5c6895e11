/**
 * Stopping a server llama-pack started, as llama-swap does it: check that the
 * recorded pid is still the very same process, SIGTERM to its process group,
 * a grace period, then SIGKILL to whatever is left; stopping twice is
 * harmless, and a process llama-pack did not start is never signalled.
 *
 * Needs `--allow-run` (signals) and `--allow-read` (for `/proc`).
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import {
  isDeadState,
  isSameProcess,
  processGroupMembers,
  type ProcessIdentity,
  readProcStat,
} from "./process_identity.ts";

/** What {@linkcode stopServer} did. */
export interface StopResult {
  /**
   * - `not-running` — the process had already exited (or is a zombie); nothing signalled.
   * - `pid-reused` — the pid now belongs to another process; nothing signalled.
   * - `terminated` — it exited after SIGTERM within the grace period.
   * - `killed` — it (or its group) needed SIGKILL after the grace period.
   */
  readonly outcome: "not-running" | "pid-reused" | "terminated" | "killed";
  /** The pid. */
  readonly pid: number;
  /** The signals sent, in order. */
  readonly signals: readonly Deno.Signal[];
  /** How long it took. */
  readonly elapsedMs: number;
}

/** Options of {@linkcode stopServer}. */
export interface StopServerOptions {
  /**
   * How long to wait after SIGTERM before SIGKILL.
   *
   * @default {10000}
   */
  graceMs?: number;
  /**
   * How often to check whether it has exited.
   *
   * @default {25}
   */
  pollMs?: number;
  /**
   * Called once when the process is still running {@linkcode StopServerOptions.noticeMs}
   * after SIGTERM (and SIGKILL is further away than that), e.g. to say why
   * the stop takes long.
   */
  onStillRunning?: (info: { elapsedMs: number; killInMs: number }) => void;
  /**
   * When to call {@linkcode StopServerOptions.onStillRunning}.
   *
   * @default {1000}
   */
  noticeMs?: number;
}

function signal(target: number, sig: Deno.Signal): boolean {
  try {
    Deno.kill(target, sig);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false; // ESRCH: already gone
    throw new LlamaPackError("IO", `cannot send ${sig} to pid ${Math.abs(target)}`, {
      cause: err,
    });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Stops a server llama-pack started: after checking it is still the same
 * process, SIGTERM to its process group, wait up to `graceMs` for the group
 * to exit, then SIGKILL whatever is left of the group. Calling it again
 * afterwards is harmless (`not-running`).
 *
 * @param identity The recorded process.
 * @param options Grace period and poll interval.
 * @returns What happened.
 * @throws {LlamaPackError} `IO` when a signal cannot be sent (e.g. permission).
 *
 * @example Stopping something that already exited
 * ```ts
 * import assert from "node:assert/strict";
 * import { stopServer } from "./stop_server.ts";
 * const r = await stopServer({ pid: 2 ** 22 + 11, startTime: 1, cmdline: ["x"] });
 * assert(r.outcome === "not-running" && r.signals.length === 0);
 * ```
 */
export async function stopServer(
  identity: ProcessIdentity,
  options: StopServerOptions = {},
): Promise<StopResult> {
  const { graceMs = 10_000, pollMs = 25, onStillRunning, noticeMs = 1_000 } = options;
  const started = performance.now();
  const { pid } = identity;
  const done = (outcome: StopResult["outcome"], signals: Deno.Signal[]): StopResult => ({
    outcome,
    pid,
    signals,
    elapsedMs: Math.round(performance.now() - started),
  });
  if (!isSameProcess(identity)) {
    const stat = readProcStat(pid);
    const alive = stat !== undefined && !isDeadState(stat.state);
    return done(alive ? "pid-reused" : "not-running", []);
  }
  // Signal the whole group when the process leads one (it does when we spawned it).
  const leadsGroup = readProcStat(pid)?.pgrp === pid;
  const target = leadsGroup ? -pid : pid;
  const gone = () => {
    const stat = readProcStat(pid);
    const leaderGone = stat === undefined || isDeadState(stat.state) ||
      stat.startTime !== identity.startTime;
    return leaderGone && (!leadsGroup || processGroupMembers(pid).length === 0);
  };
  const signals: Deno.Signal[] = [];
  if (!signal(target, "SIGTERM")) return done("not-running", signals);
  signals.push("SIGTERM");
  const signalled = performance.now();
  const deadline = signalled + graceMs;
  let noticed = onStillRunning === undefined || graceMs <= noticeMs * 1.5;
  while (performance.now() < deadline) {
    if (gone()) return done("terminated", signals);
    if (!noticed && performance.now() - signalled >= noticeMs) {
      noticed = true;
      const now = performance.now();
      onStillRunning!({
        elapsedMs: Math.round(now - signalled),
        killInMs: Math.round(deadline - now),
      });
    }
    await sleep(Math.min(pollMs, Math.max(1, deadline - performance.now())));
  }
  if (gone()) return done("terminated", signals);
  // The pid cannot have been reused while its group still has members.
  if (leadsGroup ? processGroupMembers(pid).length > 0 : isSameProcess(identity)) {
    if (signal(target, "SIGKILL")) signals.push("SIGKILL");
  }
  const killDeadline = performance.now() + 2_000;
  while (!gone() && performance.now() < killDeadline) await sleep(pollMs);
  return done("killed", signals);
}

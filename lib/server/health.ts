/**
 * Waiting for a server to become ready: poll its health URL until it answers
 * "ready", the process dies, or a deadline passes — whichever comes first.
 *
 * Needs `--allow-net` (and `--allow-read` for the log tail).
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import { formatDuration } from "../core/units.ts";
import type { HealthState } from "./adapter.ts";
import { fetchServer } from "./endpoint.ts";

/** One poll of the health URL, as reported to {@linkcode WaitReadyOptions.onTick}. */
export interface HealthTick {
  /** Time since waiting began. */
  readonly elapsedMs: number;
  /** What the server answered, or `"down"` when nothing answered. */
  readonly state: HealthState | "down";
}

/** Options of {@linkcode waitReady}. */
export interface WaitReadyOptions {
  /**
   * How long to wait in total before failing with `SERVER_TIMEOUT`; 2^31 ms
   * or more (e.g. `Infinity`) means no deadline.
   *
   * @default {600000} (10 minutes, for huge models on an HDD)
   */
  timeoutMs?: number;
  /**
   * Longest pause between polls. The first polls come quicker (25 ms,
   * doubling up to this), so a small model is seen ready at once.
   *
   * @default {200}
   */
  intervalMs?: number;
  /**
   * How long one request may take.
   *
   * @default {2000}
   */
  requestTimeoutMs?: number;
  /**
   * Whether the server process still runs; checked before every poll.
   *
   * @default {() => true}
   */
  isAlive?: () => boolean;
  /**
   * Resolves when the server process exits; waiting then fails at once,
   * without waiting for the next poll.
   */
  exited?: Promise<unknown>;
  /**
   * How to read one answer.
   *
   * @default {200 = ready, 503 = loading, anything else = unhealthy}
   */
  interpret?: (status: number, body: string) => HealthState;
  /** Called after every poll (e.g. to update a spinner). */
  onTick?: (tick: HealthTick) => void;
  /** The server's log, whose last lines explain a death. */
  logPath?: string;
  /**
   * How many log lines to show (in the error's hint) when the server died.
   *
   * @default {15}
   */
  logLines?: number;
  /** Aborts the wait (e.g. Ctrl-C); the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** What {@linkcode waitReady} returns once the server is ready. */
export interface ReadyResult {
  /** Time from the start of waiting to the first "ready" answer. */
  readonly elapsedMs: number;
  /** How many requests were made. */
  readonly polls: number;
}

/**
 * The default reading of a health answer: 200 ready, 503 loading.
 *
 * @param status The HTTP status.
 * @param _body The body (unused).
 * @returns The state.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultInterpretHealth } from "./health.ts";
 * assert(defaultInterpretHealth(503, "") === "loading");
 * ```
 */
export function defaultInterpretHealth(status: number, _body: string): HealthState {
  return status === 200 ? "ready" : status === 503 ? "loading" : "unhealthy";
}

/**
 * Reads the last lines of a log file.
 *
 * @param path The file.
 * @param options How many lines.
 * @returns The last non-empty lines, oldest first; empty when the file is missing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readLogTail } from "./health.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/log`, "a\nb\nc\n");
 * assert(readLogTail(`${dir}/log`, { lines: 2 }).join(",") === "b,c");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function readLogTail(path: string, options: { lines?: number } = {}): string[] {
  const { lines = 15 } = options;
  let text: string;
  try {
    const file = Deno.openSync(path, { read: true });
    try {
      const size = file.statSync().size;
      const want = Math.min(size, 64 * 1024);
      file.seekSync(size - want, Deno.SeekMode.Start);
      const buf = new Uint8Array(want);
      let off = 0;
      while (off < want) {
        const n = file.readSync(buf.subarray(off));
        if (n === null || n === 0) break;
        off += n;
      }
      text = new TextDecoder().decode(buf.subarray(0, off));
    } finally {
      file.close();
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
  return text.split("\n").map((l) => l.trimEnd()).filter((l) => l !== "").slice(-lines);
}

class Deadline {}
class Died {}

/**
 * Polls a health URL until the server is ready.
 *
 * One controller owns every timeout: the overall deadline, the death of the
 * process and the caller's `signal` all abort the in-flight request and the
 * pause between polls. A 503 answer means "still loading"; a refused
 * connection means "not listening yet".
 *
 * @param url The health URL, e.g. `http://127.0.0.1:8080/health`.
 * @param options Deadline, interval, liveness check, progress callback.
 * @returns How long it took once the server answered "ready".
 * @throws {LlamaPackError} `SERVER_START` when the process died first (the hint
 *   holds the log's last lines), `SERVER_TIMEOUT` when the deadline passed.
 *
 * @example Waiting for a small HTTP server
 * ```ts
 * import assert from "node:assert/strict";
 * import { waitReady } from "./health.ts";
 * const server = Deno.serve({ port: 0, onListen() {} }, () => Response.json({ status: "ok" }));
 * const r = await waitReady(`http://127.0.0.1:${server.addr.port}/health`, { timeoutMs: 5000 });
 * assert(r.polls === 1);
 * await server.shutdown();
 * ```
 */
export async function waitReady(url: string, options: WaitReadyOptions = {}): Promise<ReadyResult> {
  const {
    timeoutMs = 600_000,
    intervalMs = 200,
    requestTimeoutMs = 2_000,
    isAlive = () => true,
    exited,
    interpret = defaultInterpretHealth,
    onTick,
    logPath,
    logLines = 15,
    signal,
  } = options;
  const started = performance.now();
  const controller = new AbortController();
  // setTimeout cannot wait longer than 2^31-1 ms: beyond that, no deadline.
  const deadlineTimer = timeoutMs < 2 ** 31
    ? setTimeout(() => controller.abort(new Deadline()), timeoutMs)
    : undefined;
  const onOuterAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener("abort", onOuterAbort, { once: true });
  if (signal?.aborted) controller.abort(signal.reason);
  exited?.then(() => controller.abort(new Died()), () => controller.abort(new Died()));

  let polls = 0;
  let wait = Math.min(25, intervalMs);
  let last: HealthState | "down" = "down";
  try {
    while (!controller.signal.aborted) {
      if (!isAlive()) {
        controller.abort(new Died());
        break;
      }
      polls++;
      const state = await probe(url, controller.signal, requestTimeoutMs, interpret);
      const elapsedMs = performance.now() - started;
      // A probe cut short by the deadline says nothing about the server:
      // the timeout reports the last answer it did give.
      if (controller.signal.aborted) break;
      last = state;
      onTick?.({ elapsedMs, state: last });
      if (last === "ready") return { elapsedMs: Math.round(elapsedMs), polls };
      await pause(wait, controller.signal);
      wait = Math.min(wait * 2, intervalMs);
    }
  } finally {
    clearTimeout(deadlineTimer);
    signal?.removeEventListener("abort", onOuterAbort);
  }

  const reason: unknown = controller.signal.reason;
  const elapsed = formatDuration((performance.now() - started) / 1000);
  if (reason instanceof Died) {
    const tail = logPath === undefined ? [] : readLogTail(logPath, { lines: logLines });
    throw new LlamaPackError(
      "SERVER_START",
      `server exited before it was ready (after ${elapsed}): ${url}` +
        (logPath === undefined ? "" : `; log: ${logPath}`),
      tail.length === 0 ? {} : { hint: `last lines of the log:\n  ${tail.join("\n  ")}` },
    );
  }
  if (reason instanceof Deadline) {
    const what = last === "loading"
      ? "still loading (503)"
      : last === "down"
      ? "not answering"
      : "unhealthy";
    throw new LlamaPackError(
      "SERVER_TIMEOUT",
      `server not ready after ${formatDuration(timeoutMs / 1000)}: ${url} is ${what}`,
      { hint: `raise --timeout${logPath === undefined ? "" : `, or read the log: ${logPath}`}` },
    );
  }
  throw reason;
}

async function probe(
  url: string,
  signal: AbortSignal,
  requestTimeoutMs: number,
  interpret: (status: number, body: string) => HealthState,
): Promise<HealthState | "down"> {
  const request = new AbortController();
  const onAbort = () => request.abort();
  signal.addEventListener("abort", onAbort, { once: true });
  const timer = setTimeout(() => request.abort(), requestTimeoutMs);
  try {
    const res = await fetchServer(url, { signal: request.signal });
    const body = await res.text();
    return interpret(res.status, body);
  } catch {
    return "down";
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Asks a server's health URL once, with a short deadline.
 *
 * @param url The health URL.
 * @param interpret What an answer means (the adapter's `interpretHealth`).
 * @param timeoutMs How long to wait for the answer. @default 1500
 * @returns `ready`, `loading` or `unhealthy` (also when nothing answers in time).
 *
 * @example Nothing listens on a closed port
 * ```ts
 * import assert from "node:assert/strict";
 * import { defaultInterpretHealth, probeHealth } from "./health.ts";
 * assert(await probeHealth("http://127.0.0.1:9/health", defaultInterpretHealth) === "unhealthy");
 * ```
 */
export async function probeHealth(
  url: string,
  interpret: (status: number, body: string) => HealthState,
  timeoutMs = 1_500,
): Promise<HealthState> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const res = await fetchServer(url, { signal: controller.signal });
    return interpret(res.status, await res.text());
  } catch {
    return "unhealthy";
  } finally {
    clearTimeout(timer);
  }
}

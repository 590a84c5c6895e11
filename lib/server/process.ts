/**
 * Starting and stopping server processes safely (Linux `/proc` based).
 *
 * A server is spawned in its own process group (session), with its output
 * going to a log file (detached) or to the terminal and the log file
 * (foreground). It is remembered by a {@linkcode ProcessIdentity} — pid,
 * start time and command line — and is only ever signalled after checking
 * that the pid still belongs to that very process, so a reused pid is never
 * signalled. Stopping follows llama-swap: SIGTERM to the process group, a
 * grace period, then SIGKILL; stopping twice is harmless.
 *
 * Needs `--allow-run`, `--allow-read` (for `/proc` and PATH lookup),
 * `--allow-write` (log file) and `--allow-net` (port checks).
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";

/** What identifies a running process beyond its (reusable) pid. */
export interface ProcessIdentity {
  /** The process id (also its process group id when spawned by llama-pack). */
  readonly pid: number;
  /** Field 22 of `/proc/<pid>/stat`: start time in clock ticks after boot. */
  readonly startTime: number;
  /** The command line it was started with: binary, then its arguments. */
  readonly cmdline: readonly string[];
}

/** What `/proc/<pid>/stat` says about a process. */
export interface ProcStat {
  /** The process id. */
  readonly pid: number;
  /** The one-letter state, e.g. `R`, `S`, `Z` (zombie). */
  readonly state: string;
  /** The process group id. */
  readonly pgrp: number;
  /** Start time in clock ticks after boot. */
  readonly startTime: number;
}

/**
 * Parses the text of `/proc/<pid>/stat`. The command name (field 2) may
 * contain spaces and parentheses, so fields are counted after the last `)`.
 *
 * @param text The file's content.
 * @returns The parsed fields, or `undefined` when the text is malformed.
 *
 * @example Parsing a stat line
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseProcStat } from "./process.ts";
 * const line = "42 (llama server) S 1 42 42 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 98765 0 0";
 * const st = parseProcStat(line);
 * assert(st?.state === "S" && st.pgrp === 42 && st.startTime === 98765);
 * ```
 */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(")");
  const pid = Number.parseInt(text, 10);
  if (close < 0 || !Number.isInteger(pid)) return undefined;
  // After ")": field 3 (state) is index 0, field 5 (pgrp) index 2, field 22 index 19.
  const rest = text.slice(close + 2).trim().split(/\s+/);
  const state = rest[0];
  const pgrp = Number(rest[2]);
  const startTime = Number(rest[19]);
  if (state === undefined || !Number.isInteger(pgrp) || !Number.isInteger(startTime)) {
    return undefined;
  }
  return { pid, state, pgrp, startTime };
}

/**
 * Reads `/proc/<pid>/stat`.
 *
 * @param pid The process id.
 * @returns The parsed fields, or `undefined` when no such process exists.
 * @throws {LlamaPackError} `IO` when `/proc` cannot be read for another reason.
 *
 * @example Reading our own stat
 * ```ts
 * import assert from "node:assert/strict";
 * import { readProcStat } from "./process.ts";
 * assert(readProcStat(Deno.pid)?.pid === Deno.pid);
 * ```
 */
export function readProcStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw procError(pid, "stat", err);
  }
}

function readCmdline(pid: number): string[] | undefined {
  try {
    const raw = Deno.readTextFileSync(`/proc/${pid}/cmdline`);
    if (raw === "") return [];
    return (raw.endsWith("\0") ? raw.slice(0, -1) : raw).split("\0");
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw procError(pid, "cmdline", err);
  }
}

function procError(pid: number, file: string, err: unknown): LlamaPackError {
  // Deno grants /proc only to --allow-all; llama-pack reads it so that it
  // never signals a process that merely reuses a recorded pid.
  const capability = err instanceof Deno.errors.NotCapable;
  return new LlamaPackError(
    "IO",
    `cannot read /proc/${pid}/${file}${capability ? ": Deno allows it only with --allow-all" : ""}`,
    {
      cause: err,
      ...(capability
        ? { hint: "run llama-pack with deno run -A (or a binary compiled with -A)" }
        : {}),
    },
  );
}

/** Whether `/proc` state letter means the process is gone (zombie or dead). */
function isDeadState(state: string): boolean {
  return state === "Z" || state === "X" || state === "x";
}

/**
 * Reads the identity of a live process.
 *
 * @param pid The process id.
 * @returns Its identity, or `undefined` when it does not exist or is a zombie.
 *
 * @example Our own identity
 * ```ts
 * import assert from "node:assert/strict";
 * import { readProcessIdentity } from "./process.ts";
 * const me = readProcessIdentity(Deno.pid);
 * assert(me !== undefined && me.startTime > 0);
 * ```
 */
export function readProcessIdentity(pid: number): ProcessIdentity | undefined {
  const stat = readProcStat(pid);
  if (stat === undefined || isDeadState(stat.state)) return undefined;
  const cmdline = readCmdline(pid);
  if (cmdline === undefined) return undefined;
  return { pid, startTime: stat.startTime, cmdline };
}

/** Whether `tail` is a suffix of `all`. */
function endsWith(all: readonly string[], tail: readonly string[]): boolean {
  if (tail.length > all.length) return false;
  const offset = all.length - tail.length;
  return tail.every((t, i) => all[offset + i] === t);
}

/**
 * Whether the process recorded in `identity` is still running: same pid,
 * same start time, not a zombie, and its command line still ends with the
 * recorded arguments (a launcher may `exec` the real binary, so the program
 * name itself may differ).
 *
 * @param identity The recorded identity.
 * @returns `true` only when it is the very same live process.
 *
 * @example A wrong start time is another process
 * ```ts
 * import assert from "node:assert/strict";
 * import { isSameProcess, readProcessIdentity } from "./process.ts";
 * const me = readProcessIdentity(Deno.pid)!;
 * assert(isSameProcess(me));
 * assert(!isSameProcess({ ...me, startTime: me.startTime + 1 }));
 * ```
 */
export function isSameProcess(identity: ProcessIdentity): boolean {
  const stat = readProcStat(identity.pid);
  if (stat === undefined || isDeadState(stat.state)) return false;
  if (stat.startTime !== identity.startTime) return false;
  const cmdline = readCmdline(identity.pid);
  return cmdline !== undefined && endsWith(cmdline, identity.cmdline.slice(1));
}

/**
 * Lists the live (non-zombie) members of a process group by scanning `/proc`.
 *
 * @param pgid The process group id.
 * @returns The pids, ascending.
 *
 * @example A group nobody is in
 * ```ts
 * import assert from "node:assert/strict";
 * import { processGroupMembers } from "./process.ts";
 * assert(processGroupMembers(2 ** 22 + 7).length === 0);
 * ```
 */
export function processGroupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    let stat: ProcStat | undefined;
    try {
      stat = readProcStat(Number(entry.name));
    } catch {
      continue; // vanished or unreadable: not ours to judge
    }
    if (stat !== undefined && stat.pgrp === pgid && !isDeadState(stat.state)) out.push(stat.pid);
  }
  return out.sort((a, b) => a - b);
}

/** Finds an executable: a path as is, a bare name on PATH. */
function resolveBinary(binary: string): string | undefined {
  const isExec = (p: string) => {
    try {
      const info = Deno.statSync(p);
      return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
    } catch {
      return false;
    }
  };
  if (binary.includes("/")) return isExec(binary) ? binary : undefined;
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir === "") continue;
    const candidate = `${dir}/${binary}`;
    if (isExec(candidate)) return candidate;
  }
  return undefined;
}

/** Options of {@linkcode spawnServer}. */
export interface SpawnServerOptions {
  /** Where the server's stdout and stderr go (truncated at start). */
  logPath: string;
  /**
   * Foreground: output goes to {@linkcode SpawnServerOptions.terminal} as well
   * as the log, and the process keeps llama-pack alive until it exits.
   * Otherwise (detached) output goes only to the log and llama-pack may exit
   * while the server keeps running.
   *
   * @default {false}
   */
  foreground?: boolean;
  /**
   * Where foreground output is copied (both of the server's streams).
   *
   * @default {Deno.stderr}
   */
  terminal?: { write(p: Uint8Array): Promise<number> };
  /** Extra environment variables for the server. */
  env?: Record<string, string>;
  /** The server's working directory. @default {the current one} */
  cwd?: string;
}

/** A server process llama-pack started. */
export interface ServerProcess {
  /** Who it is, for later checks. */
  readonly identity: ProcessIdentity;
  /** Resolves when the process has exited (and output is flushed in foreground). */
  readonly exited: Promise<Deno.CommandStatus>;
  /** The exit status once known, else `undefined`. */
  exitStatus(): Deno.CommandStatus | undefined;
  /**
   * Lets llama-pack exit while the server keeps running (detached servers).
   * After this, awaiting {@linkcode ServerProcess.exited} alone no longer
   * keeps the event loop alive.
   */
  unref(): void;
}

/**
 * Starts a server in its own process group.
 *
 * Detached: the binary is started through `sh -c 'exec …' >log 2>&1`, so the
 * pid is the server's own and its output lands in the log file even after
 * llama-pack exits (call {@linkcode ServerProcess.unref} before exiting). Foreground: its output is copied to the terminal and the
 * log file.
 *
 * @param binary The server binary (a path, or a name looked up on PATH).
 * @param args Its arguments.
 * @param options Log path, foreground, environment.
 * @returns The started process.
 * @throws {LlamaPackError} `SERVER_START` when the binary is missing or cannot be started.
 *
 * @example Running a short command in the background
 * ```ts
 * import assert from "node:assert/strict";
 * import { spawnServer } from "./process.ts";
 * const dir = await Deno.makeTempDir();
 * const proc = await spawnServer("sh", ["-c", "echo hello >&2"], { logPath: `${dir}/log` });
 * await proc.exited;
 * assert(Deno.readTextFileSync(`${dir}/log`) === "hello\n");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function spawnServer(
  binary: string,
  args: readonly string[],
  options: SpawnServerOptions,
): Promise<ServerProcess> {
  const { logPath, foreground = false, terminal = Deno.stderr, env, cwd } = options;
  const resolved = resolveBinary(binary);
  if (resolved === undefined) {
    throw new LlamaPackError(
      "SERVER_START",
      `cannot start server: '${binary}' not found or not executable`,
      { hint: "set server_binary in the config to the llama-server path" },
    );
  }
  const cmdline = [binary, ...args];
  let child: Deno.ChildProcess;
  let logFile: Deno.FsFile | undefined;
  try {
    if (foreground) {
      logFile = await Deno.open(logPath, { write: true, create: true, truncate: true });
      child = new Deno.Command(resolved, {
        args: [...args],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        detached: true,
        ...(env === undefined ? {} : { env }),
        ...(cwd === undefined ? {} : { cwd }),
      }).spawn();
    } else {
      child = new Deno.Command("sh", {
        args: ["-c", 'log=$1; shift; exec "$@" >"$log" 2>&1', "sh", logPath, resolved, ...args],
        stdin: "null",
        stdout: "null",
        stderr: "null",
        detached: true,
        ...(env === undefined ? {} : { env }),
        ...(cwd === undefined ? {} : { cwd }),
      }).spawn();
    }
  } catch (err) {
    logFile?.close();
    throw new LlamaPackError("SERVER_START", `cannot start server: ${binary}`, { cause: err });
  }
  let stat: ProcStat | undefined;
  try {
    stat = readProcStat(child.pid);
  } catch (err) {
    // Without its identity the server could not be stopped safely later:
    // stop our own fresh child now rather than leave it running unrecorded.
    child.kill("SIGKILL");
    await child.status;
    logFile?.close();
    throw err;
  }
  const identity: ProcessIdentity = { pid: child.pid, startTime: stat?.startTime ?? -1, cmdline };

  let status: Deno.CommandStatus | undefined;
  let exited: Promise<Deno.CommandStatus>;
  if (foreground && logFile !== undefined) {
    const file = logFile;
    const copies = [child.stdout, child.stderr].map((stream) => copyTo(stream, file, terminal));
    exited = Promise.all([child.status, ...copies]).then(([s]) => {
      file.close();
      return s;
    });
  } else {
    exited = child.status;
  }
  exited = exited.then((s) => (status = s));
  return { identity, exited, exitStatus: () => status, unref: () => child.unref() };
}

async function copyTo(
  stream: ReadableStream<Uint8Array>,
  file: Deno.FsFile,
  terminal: { write(p: Uint8Array): Promise<number> },
): Promise<void> {
  for await (const chunk of stream) {
    await writeAll(file, chunk);
    try {
      await writeAll(terminal, chunk);
    } catch {
      // the terminal went away: keep logging to the file
    }
  }
}

async function writeAll(w: { write(p: Uint8Array): Promise<number> }, data: Uint8Array) {
  let off = 0;
  while (off < data.length) off += await w.write(data.subarray(off));
}

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
 * import { stopServer } from "./process.ts";
 * const r = await stopServer({ pid: 2 ** 22 + 11, startTime: 1, cmdline: ["x"] });
 * assert(r.outcome === "not-running" && r.signals.length === 0);
 * ```
 */
export async function stopServer(
  identity: ProcessIdentity,
  options: StopServerOptions = {},
): Promise<StopResult> {
  const { graceMs = 10_000, pollMs = 25 } = options;
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
  const deadline = performance.now() + graceMs;
  while (performance.now() < deadline) {
    if (gone()) return done("terminated", signals);
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
 * import { portInUse } from "./process.ts";
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

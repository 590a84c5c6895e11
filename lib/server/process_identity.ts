/**
 * Who a process is, read from Linux `/proc`: its state, process group and
 * start time (`/proc/<pid>/stat`) and its command line. A server is
 * remembered by a {@linkcode ProcessIdentity} — pid, start time and command
 * line — and {@linkcode isSameProcess} tells whether a recorded pid still
 * belongs to that very process, so a reused pid is never signalled.
 *
 * Needs `--allow-read` for `/proc` (Deno grants it only with `--allow-all`).
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
 * import { parseProcStat } from "./process_identity.ts";
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
 * import { readProcStat } from "./process_identity.ts";
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

/**
 * Whether a `/proc` state letter means the process is gone (zombie or dead).
 *
 * @param state The one-letter state from {@linkcode ProcStat}.
 * @returns `true` for `Z`, `X` and `x`.
 *
 * @example A zombie is gone, a sleeper is not
 * ```ts
 * import assert from "node:assert/strict";
 * import { isDeadState } from "./process_identity.ts";
 * assert(isDeadState("Z") && !isDeadState("S"));
 * ```
 */
export function isDeadState(state: string): boolean {
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
 * import { readProcessIdentity } from "./process_identity.ts";
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
 * name itself may differ). A recorded command line without arguments proves
 * nothing, so it never matches.
 *
 * @param identity The recorded identity.
 * @returns `true` only when it is the very same live process.
 *
 * @example A wrong start time is another process
 * ```ts
 * import assert from "node:assert/strict";
 * import { isSameProcess, readProcessIdentity } from "./process_identity.ts";
 * const me = readProcessIdentity(Deno.pid)!;
 * assert(isSameProcess(me));
 * assert(!isSameProcess({ ...me, startTime: me.startTime + 1 }));
 * ```
 */
export function isSameProcess(identity: ProcessIdentity): boolean {
  if (identity.cmdline.length < 2) return false;
  const stat = readProcStat(identity.pid);
  if (stat === undefined || isDeadState(stat.state)) return false;
  if (stat.startTime !== identity.startTime) return false;
  // While a process execs (the server's gate, a launcher script, the binary)
  // its command line reads empty or cut short for a moment: the same pid and
  // start time is the same process, so ask again before taking it for a
  // stranger (and forgetting a live server's record). Bounded: a process that
  // really became another program costs one wait of EXEC_RETRIES × 2 ms.
  const tail = identity.cmdline.slice(1);
  let cmdline = readCmdline(identity.pid);
  for (let i = 0; i < EXEC_RETRIES && cmdline !== undefined && !endsWith(cmdline, tail); i++) {
    Atomics.wait(PAUSE, 0, 0, 2);
    const again = readProcStat(identity.pid);
    if (again === undefined || isDeadState(again.state) || again.startTime !== identity.startTime) {
      return false;
    }
    cmdline = readCmdline(identity.pid);
  }
  return cmdline !== undefined && endsWith(cmdline, tail);
}

/** How many times a command line that does not match is read again (2 ms apart). */
const EXEC_RETRIES = 100;
/** A cell to wait on: `Atomics.wait` is a synchronous sleep. */
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/**
 * Lists the live (non-zombie) members of a process group by scanning `/proc`.
 *
 * @param pgid The process group id.
 * @returns The pids, ascending.
 *
 * @example A group nobody is in
 * ```ts
 * import assert from "node:assert/strict";
 * import { processGroupMembers } from "./process_identity.ts";
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

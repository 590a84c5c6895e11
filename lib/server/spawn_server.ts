/**
 * Starting a server process: in its own process group (session), with its
 * output going to a log file (detached) or to the terminal and the log file
 * (foreground), and its {@linkcode ProcessIdentity} read at once so that it
 * can later be stopped safely (`stopServer` in `stop_server.ts`).
 *
 * Every server starts behind a gate: a `sh` that waits for one line on its
 * stdin and then `exec`s the server (same pid, same start time). With
 * `held: true` the caller records the process first and then lets it go
 * with {@linkcode ServerProcess.start}, or stops it with
 * {@linkcode ServerProcess.abort} when recording fails — so a server never
 * runs unrecorded, and if llama-pack dies before the gate opens the `sh`
 * reads end-of-file and exits without starting the server.
 *
 * Needs `--allow-run`, `--allow-read` (for `/proc` and PATH lookup) and
 * `--allow-write` (log file).
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import { type ProcessIdentity, type ProcStat, readProcStat } from "./process_identity.ts";

/**
 * Finds an executable: a path as is, a bare name on PATH.
 *
 * @param binary A path or a bare name.
 * @returns The executable's path, or `undefined` when there is none.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveBinary } from "./spawn_server.ts";
 * assert(resolveBinary("sh") !== undefined && resolveBinary("/nonexistent/x") === undefined);
 * ```
 */
export function resolveBinary(binary: string): string | undefined {
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
  /** Start from an empty environment: `env` is then the whole of it. @default {false} */
  clearEnv?: boolean;
  /** The server's working directory. @default {the current one} */
  cwd?: string;
  /**
   * Keep the server behind its gate until {@linkcode ServerProcess.start}
   * (record it first); otherwise it starts at once.
   *
   * @default {false}
   */
  held?: boolean;
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
  /** Opens the gate of a `held` server: the server program starts now. Harmless twice. */
  start(): Promise<void>;
  /**
   * Stops a `held` server that was never started (SIGKILL to the waiting
   * gate) and waits for it to exit.
   */
  abort(): Promise<void>;
}

/** The gate: wait for "go" on stdin, then exec the server with stdin from /dev/null. */
const GATE = 'IFS= read -r go || exit 97; [ "$go" = go ] || exit 97; ';

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
 * import { spawnServer } from "./spawn_server.ts";
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
  const { logPath, foreground = false, terminal = Deno.stderr, env, cwd, clearEnv } = options;
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
  const common = {
    stdin: "piped",
    detached: true,
    ...(env === undefined ? {} : { env }),
    ...(clearEnv ? { clearEnv } : {}),
    ...(cwd === undefined ? {} : { cwd }),
  } as const;
  try {
    if (foreground) {
      logFile = await Deno.open(logPath, { write: true, create: true, truncate: true });
      child = new Deno.Command("sh", {
        args: ["-c", `${GATE}exec "$@" </dev/null`, "sh", resolved, ...args],
        stdout: "piped",
        stderr: "piped",
        ...common,
      }).spawn();
    } else {
      child = new Deno.Command("sh", {
        args: [
          "-c",
          `log=$1; shift; ${GATE}exec "$@" >"$log" 2>&1 </dev/null`,
          "sh",
          logPath,
          resolved,
          ...args,
        ],
        stdout: "null",
        stderr: "null",
        ...common,
      }).spawn();
    }
  } catch (err) {
    logFile?.close();
    throw new LlamaPackError("SERVER_START", `cannot start server: ${binary}`, { cause: err });
  }
  const gate = child.stdin.getWriter();
  let opened = false;
  const start = async () => {
    if (opened) return;
    opened = true;
    try {
      await gate.write(new TextEncoder().encode("go\n"));
      await gate.close();
    } catch {
      // The gate already exited (killed): `exited` tells the caller.
    }
  };
  const abort = async () => {
    opened = true;
    await gate.close().catch(() => {});
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await exited.catch(() => {});
  };
  let stat: ProcStat | undefined;
  try {
    stat = readProcStat(child.pid);
  } catch (err) {
    // Without its identity the server could not be stopped safely later:
    // stop our own fresh child (still behind its gate) rather than leave it running unrecorded.
    await gate.close().catch(() => {});
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
  if (!options.held) await start();
  return { identity, exited, exitStatus: () => status, unref: () => child.unref(), start, abort };
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

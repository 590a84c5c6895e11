/**
 * Running `llama-pack --serve` in a sandbox for end-to-end tests: start it
 * as a subprocess, wait for its banner, read what it printed, send it
 * signals, and wait for it to end.
 *
 * @module
 */

import type { Sandbox } from "./sandbox.ts";
import { freePort } from "./fixtures/fake_server.ts";

/** A running `--serve`. */
export interface RunningServe {
  /** Its base URL, e.g. `http://127.0.0.1:PORT`. */
  url: string;
  /** Its port. */
  port: number;
  /** Its pid. */
  pid: number;
  /** Everything it printed to stderr so far. */
  stderr(): string;
  /** Waits until its stderr contains `text` (or fails after `timeoutMs`). */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Sends a signal. */
  kill(signal?: Deno.Signal): void;
  /** Waits for it to exit. */
  status: Promise<Deno.CommandStatus>;
  /** SIGTERM, then waits (SIGKILL after 15 s). */
  stop(): Promise<Deno.CommandStatus>;
}

/**
 * Starts `llama-pack --serve` on a free port and waits for its banner.
 *
 * @param sb The sandbox (its config must already hold the `serve` section).
 * @param options Extra CLI args and environment.
 * @returns The running process.
 */
export async function startServe(
  sb: Sandbox,
  options: { args?: string[]; env?: Record<string, string>; port?: number } = {},
): Promise<RunningServe> {
  const port = options.port ?? freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      new URL("../cli.ts", import.meta.url).pathname,
      "--serve",
      ...(options.args?.includes("--listen") ? [] : ["--listen", `127.0.0.1:${port}`]),
      ...(options.args ?? []),
    ],
    env: { ...sb.env, LLAMA_PACK_STOP_GRACE_MS: "1000", ...options.env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    cwd: sb.root,
  }).spawn();
  let text = "";
  const decoder = new TextDecoder();
  const reading = (async () => {
    for await (const chunk of child.stderr) text += decoder.decode(chunk, { stream: true });
  })();
  void child.stdout.cancel();
  const status = child.status.then(async (s) => {
    await reading;
    return s;
  });
  let exited = false;
  void status.then(() => (exited = true));
  const waitFor = async (want: string | RegExp, timeoutMs = 15_000) => {
    const deadline = performance.now() + timeoutMs;
    const has = () => typeof want === "string" ? text.includes(want) : want.test(text);
    while (!has()) {
      if (exited) await reading;
      if (has()) return;
      if (exited || performance.now() > deadline) {
        throw new Error(`--serve never printed ${want}; it printed:\n${text}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const serve: RunningServe = {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid,
    stderr: () => text,
    waitFor,
    kill: (signal = "SIGTERM") => {
      if (!exited) child.kill(signal);
    },
    status,
    stop: async () => {
      if (!exited) child.kill("SIGTERM");
      const timer = setTimeout(() => !exited && child.kill("SIGKILL"), 15_000);
      const s = await status;
      clearTimeout(timer);
      return s;
    },
  };
  try {
    await waitFor("llama-pack --serve on ");
  } catch (err) {
    await serve.stop();
    throw err;
  }
  return serve;
}

/**
 * Reads a whole SSE body into its `data:` payloads.
 *
 * @param res The response.
 * @returns The payloads, in order.
 */
export async function sseData(res: Response): Promise<string[]> {
  const text = await res.text();
  return text.split("\n\n").filter((b) => b.startsWith("data: ")).map((b) => b.slice(6));
}

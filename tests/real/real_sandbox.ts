/**
 * Helpers for the end-to-end tests against the real llama-server built by
 * `deno task real-server`: registering tests only when the build is there
 * (one ignored test naming why otherwise), a sandbox whose `server_binary` is
 * the real server and whose HDD holds the real test models, and small HTTP
 * helpers.
 *
 * @module
 */

import { basename, join } from "node:path";
import { makeSandbox, type Sandbox } from "../sandbox.ts";
import { findRealServer, type RealManifest } from "./real_env.ts";

export type { RealManifest } from "./real_env.ts";

const lookup = await findRealServer();
let announced = false;

/**
 * Registers a test against the real server, or, when it is not built, one
 * ignored test per file whose name says why (the visible skip line).
 *
 * @param name What the test shows.
 * @param fn The test.
 */
export function realTest(
  name: string,
  fn: (real: RealManifest, t: Deno.TestContext) => Promise<void>,
): void {
  if (lookup.ok) {
    const manifest = lookup.manifest;
    Deno.test({ name: `real llama-server: ${name}`, fn: (t) => fn(manifest, t) });
  } else if (!announced) {
    announced = true;
    Deno.test({ name: `real llama-server tests skipped: ${lookup.reason}`, ignore: true, fn() {} });
  }
}

/** Which of the real models to put on the sandbox's HDD. */
export type RealModel = keyof RealManifest["models"];

/** The model files of one real model (a split model has two shards). */
export function modelFiles(real: RealManifest, model: RealModel): string[] {
  const first = real.models[model];
  if (model !== "split") return [first];
  return [first, first.replace("-00001-of-00002.gguf", "-00002-of-00002.gguf")];
}

/**
 * A sandbox whose server is the real llama-server, with the named real
 * models hard-linked (or copied) onto its HDD and indexed by `--update`.
 * Every server is stopped and the sandbox removed after `fn`.
 *
 * @param real The build.
 * @param models The models to put on the HDD.
 * @param fn The test body.
 * @param extra Config keys.
 * @returns What the test body returns.
 */
export async function withRealSandbox<T>(
  real: RealManifest,
  models: RealModel[],
  fn: (sb: Sandbox) => Promise<T>,
  extra: Record<string, unknown> = {},
): Promise<T> {
  // A start that hangs fails in a minute, not in the default ten.
  const sb = await makeSandbox({ server_binary: real.server, ready_timeout_s: 60, ...extra });
  try {
    for (const model of models) {
      for (const file of modelFiles(real, model)) {
        const dest = join(sb.hdd, basename(file));
        await Deno.link(file, dest).catch(() => Deno.copyFile(file, dest));
      }
    }
    const up = await sb.run(["--update"]);
    if (up.code !== 0) throw new Error(`--update failed: ${up.stderr}`);
    return await fn(sb);
  } finally {
    await sb.run(["--killall"], { env: { LLAMA_PACK_STOP_GRACE_MS: "500" } });
    await sb.cleanup();
  }
}

/**
 * GETs a path of a server on loopback and parses the JSON answer.
 *
 * @param port The port.
 * @param path E.g. `/props`.
 * @returns The status and the parsed body.
 */
export async function getJson(
  port: number,
  path: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.json() };
}

/**
 * Asks a server for a completion.
 *
 * @param port The port.
 * @param prompt The prompt.
 * @param nPredict How many tokens to generate.
 * @returns The parsed answer.
 */
export async function complete(
  port: number,
  prompt: string,
  nPredict: number,
): Promise<Record<string, unknown>> {
  const res = await fetch(`http://127.0.0.1:${port}/completion`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      prompt,
      n_predict: nPredict,
      ignore_eos: true,
      temperature: 0,
      seed: 1,
    }),
  });
  if (res.status !== 200) throw new Error(`completion: HTTP ${res.status}: ${await res.text()}`);
  return await res.json();
}

/** Whether a pid is a live (non-zombie) process. */
export function alive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

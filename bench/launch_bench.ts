/**
 * llama-pack's own launch overhead: the time from invoking
 * `llama-pack -m NAME -d` to the moment the server process starts, against
 * launching the same fake llama-server directly. Target: < 100 ms median.
 *
 * The fake server writes its process start time (`performance.timeOrigin`)
 * to `FAKE_LLAMA_STARTED_FILE`, so both paths are measured to the same
 * instant, without polling error.
 *
 * Run as a script for medians and the verdict (exit 1 when over target):
 *
 * ```sh
 * deno run --allow-all bench/launch_bench.ts [--runs 15]
 * ```
 *
 * Set `LLAMA_PACK_BIN=/path/to/llama-pack` to measure a `deno compile`d
 * binary instead of `deno run cli.ts`. Under `deno bench` the same two
 * launches run as a group (fewer iterations, polling for the start file).
 *
 * @module
 */

import { join } from "node:path";
import { makeSandbox, type Sandbox } from "../tests/sandbox.ts";
import { FAKE_LLAMA_SERVER, freePort, seedModels } from "../tests/fixtures/fake_server.ts";
import { spawnServer } from "../lib/server/spawn_server.ts";
import { stopServer } from "../lib/server/stop_server.ts";

const TARGET_MS = 100;
const CLI = new URL("../cli.ts", import.meta.url).pathname;

const nowMs = () => performance.timeOrigin + performance.now();

/** Waits until the fake wrote its start file; returns its process start time. */
async function startedAt(
  file: string,
  launcherDone?: () => boolean,
  timeoutMs = 20_000,
): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    if (launcherDone?.()) {
      try {
        return JSON.parse(await Deno.readTextFile(file)).timeOrigin;
      } catch {
        break;
      }
    }
    try {
      const text = await Deno.readTextFile(file);
      if (text !== "") return JSON.parse(text).timeOrigin;
    } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`the server never started (no ${file})`);
}

/** A sandbox with one model, ready for launches. */
async function setup(): Promise<Sandbox> {
  const sb = await makeSandbox();
  await seedModels(sb, [{ id: "Gemma2-9B-Q5_K.gguf", hdd: ["Gemma2-9B-Q5_K.gguf"] }]);
  return sb;
}

/** One measured launch: ms from invocation to server start, and the cleanup still to do. */
interface Launch {
  ms: number;
  cleanup: () => Promise<void>;
}

/** Launches the fake directly. */
async function launchDirect(sb: Sandbox, n: number): Promise<Launch> {
  const file = join(sb.root, `direct-${n}.json`);
  const port = freePort();
  const t0 = nowMs();
  const proc = await spawnServer(
    FAKE_LLAMA_SERVER,
    ["-m", join(sb.hdd, "Gemma2-9B-Q5_K.gguf"), "--host", "127.0.0.1", "--port", String(port)],
    {
      logPath: join(sb.root, `direct-${n}.log`),
      env: { ...sb.env, FAKE_LLAMA_STARTED_FILE: file },
    },
  );
  const t1 = await startedAt(file);
  return {
    ms: t1 - t0,
    cleanup: async () => {
      await stopServer(proc.identity, { graceMs: 1_000 });
      await proc.exited;
    },
  };
}

/** Launches through `llama-pack -m NAME -d`. */
async function launchViaLlamaPack(sb: Sandbox, n: number): Promise<Launch> {
  const file = join(sb.root, `llp-${n}.json`);
  const port = freePort();
  const bin = Deno.env.get("LLAMA_PACK_BIN");
  const [cmd, args] = bin === undefined
    ? [Deno.execPath(), ["run", "--allow-all", CLI]]
    : [bin, []];
  const t0 = nowMs();
  const child = new Deno.Command(cmd, {
    args: [...args, "-m", "gemma", "-d", "-p", String(port)],
    env: { ...sb.env, FAKE_LLAMA_STARTED_FILE: file },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let exited = false;
  const output = child.output().finally(() => exited = true);
  const t1 = await startedAt(file, () => exited).catch(async (err) => {
    const out = await output;
    throw new Error(`${err.message}: ${new TextDecoder().decode(out.stderr)}`);
  });
  return {
    ms: t1 - t0,
    cleanup: async () => {
      const out = await output;
      if (out.code !== 0) {
        throw new Error(`llama-pack failed: ${new TextDecoder().decode(out.stderr)}`);
      }
      await sb.run(["-k", "-p", String(port)]);
    },
  };
}

/** Runs a launch, cleans up, returns its time. */
async function measure(launch: Promise<Launch>): Promise<number> {
  const l = await launch;
  await l.cleanup();
  return l.ms;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

if (import.meta.main) {
  const i = Deno.args.indexOf("--runs");
  const runs = i >= 0 ? Number(Deno.args[i + 1]) : 15;
  const sb = await setup();
  try {
    await measure(launchDirect(sb, -1)); // warm the module cache for both paths
    await measure(launchViaLlamaPack(sb, -1));
    const direct: number[] = [];
    const viaLlp: number[] = [];
    for (let n = 0; n < runs; n++) {
      direct.push(await measure(launchDirect(sb, n)));
      viaLlp.push(await measure(launchViaLlamaPack(sb, n)));
    }
    const d = median(direct);
    const l = median(viaLlp);
    const overhead = l - d;
    const f = (x: number) => `${x.toFixed(1)} ms`;
    console.log(`runs: ${runs} each (${Deno.env.get("LLAMA_PACK_BIN") ?? "deno run cli.ts"})`);
    console.log(`fake llama-server directly:   median ${f(d)} (min ${f(Math.min(...direct))})`);
    console.log(`llama-pack -m NAME -d:        median ${f(l)} (min ${f(Math.min(...viaLlp))})`);
    console.log(
      `llama-pack overhead (median): ${f(overhead)} — target < ${TARGET_MS} ms: ${
        overhead < TARGET_MS ? "PASS" : "FAIL"
      }`,
    );
    if (overhead >= TARGET_MS) Deno.exitCode = 1;
  } finally {
    await sb.run(["--killall"]);
    await sb.cleanup();
  }
} else {
  // `deno bench`: one shared sandbox, created lazily.
  let sandbox: Promise<Sandbox> | undefined;
  let n = 0;
  const bench = (
    name: string,
    launch: (sb: Sandbox, n: number) => Promise<Launch>,
    baseline: boolean,
  ) =>
    Deno.bench({
      name,
      group: "launch",
      baseline,
      n: 5,
      warmup: 1,
      async fn(b) {
        const sb = await (sandbox ??= setup());
        b.start();
        const l = await launch(sb, n++); // returns once the server process has started
        b.end();
        await l.cleanup();
      },
    });
  bench("fake llama-server directly (to server start)", launchDirect, true);
  bench("llama-pack -m NAME -d (to server start)", launchViaLlamaPack, false);
}

/**
 * What `llama-pack --serve` costs a request, measured on loopback:
 *
 * 1. **Added latency**: small chat completions (1 token) sent one after the
 *    other straight to the model's server and through `--serve`; p50 and p99
 *    of each and of the difference (target: < 1 ms added at p50).
 * 2. **Streaming throughput**: one long SSE completion (20,000 tokens,
 *    produced as fast as the server can) read straight and through
 *    `--serve`, in MB/s (target: ≥ 97% of straight).
 * 3. **Cold start**: from the request for a model no server runs to the
 *    first byte of its answer, through `--serve`, against `-m NAME -d`
 *    followed by the same request.
 *
 * 1 and 2 use the fake llama-server (it answers in microseconds, so the
 * proxy's own cost is what shows); 3 uses the real llama-server built by
 * `deno task real-server` when there is one (its slow test model), else the
 * fake with a 1 s load.
 *
 * ```sh
 * deno run --allow-all bench/serve_bench.ts [--requests 1000] [--runs 5]
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { makeSandbox, type Sandbox } from "../tests/sandbox.ts";
import { freePort, seedModels } from "../tests/fixtures/fake_server.ts";
import { type RunningServe, startServe } from "../tests/serve_fixture.ts";

const arg = (name: string, def: number) => {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Number(Deno.args[i + 1]) : def;
};
const REQUESTS = arg("--requests", 1000);
const RUNS = arg("--runs", 5);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

async function chat(base: string, body: unknown): Promise<void> {
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`status ${res.status}`);
}

/** Latencies (ms) of `n` sequential requests, after a warm-up. */
async function latencies(base: string, n: number): Promise<number[]> {
  const body = {
    model: "Gemma2-9B-Q5_K",
    messages: [{ role: "user", content: "hi" }],
    max_tokens: 1,
  };
  for (let i = 0; i < 50; i++) await chat(base, body);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await chat(base, body);
    out.push(performance.now() - t);
  }
  return out;
}

/** MB/s of one long streamed completion. */
async function throughput(base: string): Promise<{ mbps: number; bytes: number }> {
  const t = performance.now();
  const res = await fetch(`${base}/v1/completions`, {
    method: "POST",
    body: JSON.stringify({
      model: "Gemma2-9B-Q5_K",
      prompt: "x",
      max_tokens: 20_000,
      stream: true,
    }),
  });
  let bytes = 0;
  for await (const chunk of res.body!) bytes += chunk.length;
  return { mbps: bytes / 1e6 / ((performance.now() - t) / 1000), bytes };
}

async function childBase(serve: RunningServe): Promise<string> {
  const running = await (await fetch(`${serve.url}/running`)).json();
  return running.running[0].proxy;
}

/** Time (ms) from a request for a cold model to the first byte of its answer. */
async function firstByte(base: string, model: string): Promise<number> {
  const t = performance.now();
  const res = await fetch(`${base}/completion`, {
    method: "POST",
    body: JSON.stringify({ model, prompt: "a", n_predict: 1, stream: true }),
  });
  const reader = res.body!.getReader();
  await reader.read();
  const ms = performance.now() - t;
  await reader.cancel();
  return ms;
}

async function realBuild(): Promise<{ server: string; model: string } | undefined> {
  const base = join(Deno.env.get("HOME") ?? "/tmp", ".cache", "llama-pack", "real-server-3.22.1");
  try {
    const m = JSON.parse(await Deno.readTextFile(join(base, "manifest.json")));
    await Deno.stat(m.server);
    return { server: m.server, model: m.models.slow };
  } catch {
    return undefined;
  }
}

async function coldStart(): Promise<{ serveMs: number[]; directMs: number[]; what: string }> {
  const real = await realBuild();
  const sb: Sandbox = await makeSandbox();
  const serveMs: number[] = [];
  const directMs: number[] = [];
  try {
    const first = freePort();
    const env: Record<string, string> = real ? {} : { FAKE_LLAMA_LOAD_SECONDS: "1" };
    if (real) await Deno.copyFile(real.model, join(sb.hdd, "cold-F16.gguf"));
    else await seedModels(sb, [{ id: "cold-F16.gguf", hdd: ["cold-F16.gguf"] }]);
    await sb.writeConfig({
      ...(real ? { server_binary: real.server, global_llama_args: ["-c", "512"] } : {}),
      cache: { auto: false },
      serve: { child_ports: `${first}-${first + 20}` },
    });
    if (real) await sb.run(["-u"]);
    for (let i = 0; i < RUNS; i++) {
      const serve = await startServe(sb, { env });
      serveMs.push(await firstByte(serve.url, "cold-F16"));
      await serve.stop();
      const port = freePort();
      const t = performance.now();
      const m = await sb.run(["-m", "cold-F16", "-d", "-p", String(port)], { env });
      if (m.code !== 0) throw new Error(m.stderr);
      await firstByte(`http://127.0.0.1:${port}`, "cold-F16");
      directMs.push(performance.now() - t);
      await sb.run(["--killall"], { env: { LLAMA_PACK_STOP_GRACE_MS: "500" } });
    }
  } finally {
    await sb.run(["--killall"], { env: { LLAMA_PACK_STOP_GRACE_MS: "500" } });
    await sb.cleanup();
  }
  return {
    serveMs,
    directMs,
    what: real ? "real llama-server, 'slow' test model" : "fake llama-server, 1 s load",
  };
}

if (import.meta.main) {
  const sb = await makeSandbox();
  const first = freePort();
  await sb.writeConfig({
    cache: { auto: false },
    serve: { child_ports: `${first}-${first + 20}` },
  });
  await seedModels(sb, [{ id: "Gemma2-9B-Q5_K.gguf", hdd: ["Gemma2-9B-Q5_K.gguf"] }]);
  const serve = await startServe(sb);
  try {
    await chat(serve.url, { model: "Gemma2-9B-Q5_K", max_tokens: 1 });
    const direct = await childBase(serve);
    // The platform's floor: a bare Deno.serve + fetch proxy in its own process.
    const barePort = freePort();
    const bare = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `Deno.serve({ port: ${barePort}, hostname: "127.0.0.1", onListen() {} }, async (req, info) => {
        const r = await fetch("${direct}" + new URL(req.url).pathname, { method: req.method, headers: req.headers, body: await req.arrayBuffer() });
        return new Response(r.body, { status: r.status, headers: r.headers });
      });`,
      ],
      stdout: "null",
      stderr: "null",
    }).spawn();
    await new Promise((r) => setTimeout(r, 1500));
    const bareUrl = `http://127.0.0.1:${barePort}`;
    // Interleave the two paths so drift on a shared machine hits both alike.
    const d: number[] = [];
    const p: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < 4; r++) {
      d.push(...await latencies(direct, REQUESTS / 4));
      b.push(...await latencies(bareUrl, REQUESTS / 4));
      p.push(...await latencies(serve.url, REQUESTS / 4));
    }
    bare.kill();
    await bare.status;
    const row = (name: string, xs: number[]) =>
      `${name.padEnd(22)} p50 ${pct(xs, 50).toFixed(3)} ms   p99 ${pct(xs, 99).toFixed(3)} ms`;
    console.log(`added latency, ${REQUESTS} sequential 1-token chat completions (fake server):`);
    console.log(row("  straight to server", d));
    console.log(row("  bare Deno proxy", b));
    console.log(row("  through --serve", p));
    console.log(
      `  added: p50 ${(pct(p, 50) - pct(d, 50)).toFixed(3)} ms, p99 ${
        (pct(p, 99) - pct(d, 99)).toFixed(3)
      } ms (target < 1 ms at p50); a bare proxy adds p50 ${
        (pct(b, 50) - pct(d, 50)).toFixed(3)
      } ms`,
    );
    const td: number[] = [];
    const tp: number[] = [];
    let bytes = 0;
    for (let i = 0; i < RUNS; i++) {
      const a = await throughput(direct);
      const b = await throughput(serve.url);
      td.push(a.mbps);
      tp.push(b.mbps);
      bytes = b.bytes;
    }
    const ratio = pct(tp, 50) / pct(td, 50);
    console.log(`streaming, ${(bytes / 1e6).toFixed(1)} MB of SSE per run, median of ${RUNS}:`);
    console.log(
      `  straight ${pct(td, 50).toFixed(1)} MB/s, through --serve ${
        pct(tp, 50).toFixed(1)
      } MB/s = ${(100 * ratio).toFixed(1)}% (target ≥ 97%)`,
    );
  } finally {
    await serve.stop();
    await sb.cleanup();
  }
  const cold = await coldStart();
  console.log(`cold model to first byte, median of ${RUNS} (${cold.what}):`);
  console.log(
    `  through --serve ${pct(cold.serveMs, 50).toFixed(0)} ms; -m -d then the request ${
      pct(cold.directMs, 50).toFixed(0)
    } ms`,
  );
}

/**
 * End-to-end tests of `llama-pack --serve` against the fake llama-server:
 * routing by model, swapping under max_running, streaming, listing and
 * control in the router's shapes (Open WebUI's calls), keys, failed loads,
 * client disconnects, -k, -m on its ports, orphans and shutdown.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { makeSandbox, type Sandbox, withStore } from "./sandbox.ts";
import { freePort, pollUntil, seedModels } from "./fixtures/fake_server.ts";
import { type RunningServe, sseData, startServe } from "./serve_fixture.ts";
import { readProcStat } from "../lib/server/process_identity.ts";

const KEY = "test-key-0123456789abcdef";
const alive = (pid: number) => {
  const st = readProcStat(pid);
  return st !== undefined && st.state !== "Z";
};

async function withServe(
  fn: (sb: Sandbox, serve: RunningServe) => Promise<void>,
  options: { serve?: Record<string, unknown>; env?: Record<string, string> } = {},
) {
  const sb = await makeSandbox();
  const first = freePort();
  await sb.writeConfig({
    cache: { auto: false },
    serve: { child_ports: `${first}-${first + 40}`, ...options.serve },
  });
  await seedModels(sb, [
    { id: "Gemma2-9B-Q5_K.gguf", hdd: ["Gemma2-9B-Q5_K.gguf"] },
    { id: "Qwen3-8B-Q4_K_M.gguf", hdd: ["Qwen3-8B-Q4_K_M.gguf"] },
    { id: "Qwen3-14B-Q4_K_M.gguf", hdd: ["Qwen3-14B-Q4_K_M.gguf"] },
  ]);
  let serve: RunningServe | undefined;
  try {
    serve = await startServe(sb, options.env ? { env: options.env } : {});
    await fn(sb, serve);
  } finally {
    await serve?.stop();
    await sb.run(["--killall"], { env: { LLAMA_PACK_STOP_GRACE_MS: "200" } });
    await sb.cleanup();
  }
}

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });

Deno.test("--serve routes by model, swaps under max_running, streams, records uses, stops cleanly", async () => {
  const log = join(await Deno.makeTempDir(), "requests.jsonl");
  await withServe(async (sb, serve) => {
    assertEquals(await (await fetch(`${serve.url}/health`)).json(), { status: "ok" });
    // Every route but /health needs the key, and the key is never forwarded.
    assertEquals((await fetch(`${serve.url}/v1/models`)).status, 401);
    const auth = { authorization: `Bearer ${KEY}` };
    const list = await (await fetch(`${serve.url}/v1/models`, { headers: auth })).json();
    assertEquals(list.object, "list");
    assertEquals(list.data.map((m: { id: string }) => m.id), [
      "Gemma2-9B-Q5_K.gguf",
      "Qwen3-14B-Q4_K_M.gguf",
      "Qwen3-8B-Q4_K_M.gguf",
    ]);
    assertEquals(list.data[0].status.value, "unloaded");
    assertEquals(list.data[0].aliases, ["Gemma2-9B-Q5_K"]);
    assertEquals(list.data[0].tier, "hdd");

    const chat = await post(`${serve.url}/v1/chat/completions`, {
      model: "Gemma2-9B-Q5_K",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 3,
    }, auth);
    assertEquals(chat.status, 200);
    const answer = await chat.json();
    assertEquals(answer.choices[0].message.content, "t0 t1 t2 ");
    // The child answers under the id /v1/models lists (--alias, as llama.cpp's router does).
    assertEquals(answer.model, "Gemma2-9B-Q5_K.gguf");
    const models = await (await fetch(`${serve.url}/models`, { headers: auth })).json();
    const gemma = models.data.find((m: { id: string }) => m.id === "Gemma2-9B-Q5_K.gguf");
    assertEquals(gemma.status.value, "loaded");
    const args: string[] = gemma.status.args;
    assertEquals(args[args.indexOf("--alias") + 1], "Gemma2-9B-Q5_K.gguf");
    assert(typeof gemma.port === "number");

    // A second model swaps the first out (max_running 1), streaming unbuffered.
    const stream = await post(`${serve.url}/v1/chat/completions`, {
      model: "qwen3-8b",
      stream: true,
      max_tokens: 4,
    }, auth);
    assertEquals(stream.status, 200);
    assertEquals(stream.headers.get("content-type"), "text/event-stream");
    assertEquals(stream.headers.get("x-accel-buffering"), "no");
    const chunks = await sseData(stream);
    assertEquals(chunks.at(-1), "[DONE]");
    assertEquals(chunks.length, 6);
    await serve.waitFor("stopping Gemma2-9B-Q5_K.gguf (to make room)");
    const running = await (await fetch(`${serve.url}/running`, { headers: auth })).json();
    assertEquals(running.running.map((r: { model: string }) => r.model), ["Qwen3-8B-Q4_K_M.gguf"]);
    assertEquals(running.running[0].state, "ready");

    // Unknown and ambiguous names: 404 naming the close candidates.
    const unknown = await post(`${serve.url}/v1/completions`, { model: "gemmma" }, auth);
    assertEquals(unknown.status, 404);
    const u = await unknown.json();
    assertEquals(u.error.code, "model_not_found");
    assertEquals(u.error.candidates, ["Gemma2-9B-Q5_K.gguf"]);
    const amb = await (await post(`${serve.url}/v1/completions`, { model: "qwen3" }, auth)).json();
    assertEquals(amb.error.candidates.length, 2);
    const bad = await fetch(`${serve.url}/v1/chat/completions`, {
      method: "POST",
      headers: auth,
      body: "{not json",
    });
    assertEquals(bad.status, 400);

    // Other routes go through too, with the form field of a multipart body.
    const form = new FormData();
    form.set("model", "Qwen3-8B-Q4_K_M");
    form.set("file", new Blob(["x"]), "a.wav");
    const audio = await fetch(`${serve.url}/v1/audio/transcriptions`, {
      method: "POST",
      headers: auth,
      body: form,
    });
    assertEquals((await audio.json()).requested, "Qwen3-8B-Q4_K_M");
    const props = await (await fetch(`${serve.url}/props?model=Qwen3-8B-Q4_K_M`, { headers: auth }))
      .json();
    assertEquals(props.model_path, join(sb.hdd, "Qwen3-8B-Q4_K_M.gguf"));
    assertEquals(
      (await (await fetch(`${serve.url}/props`, { headers: auth })).json()).role,
      "router",
    );

    const requests = (await Deno.readTextFile(log)).trim().split("\n").map((l) => JSON.parse(l));
    assert(requests.length >= 3);
    for (const r of requests) {
      assert(!("authorization" in (r.headers ?? {})), "the key reached a server");
    }

    // --status names --serve and its servers.
    const st = await sb.run(["--status"]);
    assertStringIncludes(st.stdout, `llama-pack --serve on http://127.0.0.1:${serve.port}`);
    assertMatch(st.stdout, /Qwen3-8B-Q4_K_M\.gguf .* ready {2}--serve 127\.0\.0\.1:\d+/);

    // A clean stop: exit 0, nothing left running, every use closed with its duration.
    assertEquals((await serve.stop()).code, 0);
    assertStringIncludes(serve.stderr(), "stopped Qwen3-8B-Q4_K_M.gguf after");
    const state = withStore(
      sb,
      (s) => ({ servers: s.servers(), uses: s.uses(), serves: s.serves.all() }),
    );
    assertEquals(state.servers, []);
    assertEquals(state.serves, []);
    assertEquals(state.uses.map((u) => u.model_id), [
      "Gemma2-9B-Q5_K.gguf",
      "Qwen3-8B-Q4_K_M.gguf",
    ]);
    for (const use of state.uses) {
      assert(use.duration !== null && use.duration >= 0, "duration recorded");
      assert(use.ready_seconds !== null, "load time recorded");
    }
  }, { serve: { api_keys: [KEY] }, env: { FAKE_LLAMA_REQUEST_LOG: log } });
});

Deno.test("--serve speaks Open WebUI's llama.cpp calls: status.value, /models/load, /models/unload, /models/sse", async () => {
  await withServe(async (_sb, serve) => {
    const events = await fetch(`${serve.url}/models/sse`);
    assertEquals(events.headers.get("content-type"), "text/event-stream");
    const reader = events.body!.getReader();
    const status = async (id: string) =>
      (await (await fetch(`${serve.url}/v1/models`)).json()).data.find((m: { id: string }) =>
        m.id === id
      ).status.value;
    assertEquals(
      await post(`${serve.url}/models/load`, { model: "Gemma2-9B-Q5_K.gguf" }).then((r) =>
        r.json()
      ),
      {
        success: true,
      },
    );
    assertEquals(await status("Gemma2-9B-Q5_K.gguf"), "loading");
    let seen = "";
    const decoder = new TextDecoder();
    while (!seen.includes(`"status":"loaded"`)) {
      const { value } = await reader.read();
      seen += decoder.decode(value);
    }
    assertStringIncludes(
      seen,
      `data: {"model":"Gemma2-9B-Q5_K.gguf","event":"model_status","data":{"status":"loading"`,
    );
    assertEquals(await status("Gemma2-9B-Q5_K.gguf"), "loaded");
    assertEquals(
      await post(`${serve.url}/models/unload`, { model: "Gemma2-9B-Q5_K.gguf" }).then((r) =>
        r.json()
      ),
      {
        success: true,
      },
    );
    while (!seen.includes(`"state":"stopped"`)) {
      const { value } = await reader.read();
      seen += decoder.decode(value);
    }
    assertEquals(await status("Gemma2-9B-Q5_K.gguf"), "unloaded");
    assertEquals((await post(`${serve.url}/models/load`, { model: "nope" })).status, 404);
    await reader.cancel();
  }, { env: { FAKE_LLAMA_LOAD_SECONDS: "0.5" } });
});

Deno.test("--serve: concurrent requests share one start; a failed start answers 502 with the log and the next one retries", async () => {
  const flag = join(await Deno.makeTempDir(), "fail");
  await Deno.writeTextFile(flag, "");
  await withServe(async (_sb, serve) => {
    const failed = await post(`${serve.url}/v1/completions`, { model: "Qwen3-14B" });
    assertEquals(failed.status, 502);
    const err = (await failed.json()).error;
    assertEquals(err.code, "model_load_failed");
    assert(err.log.some((l: string) => l.includes("fake failure")), JSON.stringify(err));
    const listed = (await (await fetch(`${serve.url}/v1/models`)).json()).data
      .find((m: { id: string }) => m.id === "Qwen3-14B-Q4_K_M.gguf");
    assertEquals(listed.status.failed, true);
    assertEquals(listed.status.exit_code, 1);

    await Deno.remove(flag);
    const answers = await Promise.all(
      [1, 2, 3].map(() =>
        post(`${serve.url}/v1/completions`, { model: "Qwen3-14B", max_tokens: 1 })
      ),
    );
    assertEquals(answers.map((a) => a.status), [200, 200, 200]);
    await Promise.all(answers.map((a) => a.body?.cancel()));
    assertEquals(serve.stderr().split("loading Qwen3-14B-Q4_K_M.gguf").length - 1, 2, "one retry");
  }, { env: { FAKE_LLAMA_FAIL_IF_EXISTS: flag, FAKE_LLAMA_LOAD_SECONDS: "0.5" } });
});

Deno.test("--serve: a client that disconnects cancels its upstream request; -k is noticed; -m refuses its ports", async () => {
  const log = join(await Deno.makeTempDir(), "requests.jsonl");
  await withServe(async (sb, serve) => {
    const ac = new AbortController();
    const res = await fetch(`${serve.url}/v1/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "Gemma2-9B-Q5_K", stream: true, max_tokens: 200 }),
      signal: ac.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    ac.abort();
    await reader.cancel().catch(() => {});
    assert(
      await pollUntil(() => {
        try {
          return Deno.readTextFileSync(log).includes(`"cancelled":"/v1/chat/completions"`);
        } catch {
          return false;
        }
      }, 5_000),
      "the server never saw the disconnect",
    );
    const running = await (await fetch(`${serve.url}/running`)).json();
    await pollUntil(() => true, 100);
    const child = running.running[0];
    assertEquals(child.in_flight, 0);

    // -m on the port of a server --serve runs, or on --serve's own port: refused.
    const port = Number(child.proxy.split(":").at(-1));
    for (const p of [port, serve.port]) {
      const m = await sb.run(["-m", "qwen3-8b", "-d", "-p", String(p)]);
      assertEquals(m.code, 1);
      assertStringIncludes(
        m.stderr,
        `error: port ${p} is held by llama-pack --serve (pid ${serve.pid}`,
      );
    }

    // -k stops it; --serve notices, and the next request starts it again.
    const k = await sb.run(["-k", "-p", String(port)], {
      env: { LLAMA_PACK_STOP_GRACE_MS: "500" },
    });
    assertEquals(k.code, 0, k.stderr);
    await serve.waitFor("Gemma2-9B-Q5_K.gguf exited");
    const again = await post(`${serve.url}/v1/completions`, {
      model: "Gemma2-9B-Q5_K",
      max_tokens: 1,
    });
    assertEquals(again.status, 200);
    await again.body?.cancel();
  }, { env: { FAKE_LLAMA_REQUEST_LOG: log, FAKE_LLAMA_TOKEN_MS: "30" } });
});

Deno.test("--serve stops the servers a killed --serve left behind, and idle_unload stops idle ones", async () => {
  const sb = await makeSandbox();
  try {
    const first = freePort();
    await sb.writeConfig({
      cache: { auto: false },
      serve: { child_ports: `${first}-${first + 20}`, idle_unload: "2s" },
    });
    await seedModels(sb, [{ id: "Gemma2-9B-Q5_K.gguf", hdd: ["Gemma2-9B-Q5_K.gguf"] }]);
    const a = await startServe(sb);
    const r = await post(`${a.url}/v1/completions`, { model: "gemma", max_tokens: 1 });
    assertEquals(r.status, 200);
    await r.body?.cancel();
    const pid = withStore(sb, (s) => s.servers()[0]!.pid);
    a.kill("SIGKILL");
    await a.status;
    assert(alive(pid), "the child outlives a killed --serve");
    const st = await sb.run(["--status"]);
    assertMatch(st.stdout, /ready {2}orphan/);

    const b = await startServe(sb);
    try {
      assertStringIncludes(b.stderr(), "left by a --serve that is gone");
      assert(await pollUntil(() => !alive(pid), 3_000));
      const r2 = await post(`${b.url}/v1/completions`, { model: "gemma", max_tokens: 1 });
      await r2.body?.cancel();
      await b.waitFor("stopping Gemma2-9B-Q5_K.gguf (idle)", 10_000);
      await b.waitFor("stopped Gemma2-9B-Q5_K.gguf after");
    } finally {
      await b.stop();
    }
  } finally {
    await sb.run(["--killall"], { env: { LLAMA_PACK_STOP_GRACE_MS: "200" } });
    await sb.cleanup();
  }
});

Deno.test("--serve warns when it listens beyond loopback without a key, and refuses a bad LLAMA_PACK_API_KEY", async () => {
  const sb = await makeSandbox();
  try {
    await sb.writeConfig({ serve: { child_ports: "39100-39110" } });
    const bad = await sb.run(["--serve", "--listen", "127.0.0.1:1"], {
      env: { LLAMA_PACK_API_KEY: "has space" },
    });
    assertEquals(bad.code, 2);
    assertEquals(
      bad.stderr,
      "error: LLAMA_PACK_API_KEY: must not contain spaces or control characters\n",
    );
    const port = freePort();
    const open = await startServe(sb, { args: ["--listen", `0.0.0.0:${port}`], port });
    try {
      assertStringIncludes(open.stderr(), "warning: listening on 0.0.0.0 without an API key");
    } finally {
      await open.stop();
    }
    const usage = await sb.run(["--serve", "--listen", "nohost"]);
    assertEquals(usage.code, 2);
    assertStringIncludes(usage.stderr, "error: option '--listen': 'nohost' is not HOST:PORT");
  } finally {
    await sb.cleanup();
  }
});

Deno.test("-m resolves the config's aliases like --serve does", async () => {
  const sb = await makeSandbox({ aliases: { small: "9B" } });
  try {
    await seedModels(sb, [
      { id: "Gemma2-9B-Q5_K.gguf", hdd: ["Gemma2-9B-Q5_K.gguf"] },
      { id: "Gemma2-27B-Q4_K_M.gguf", hdd: ["Gemma2-27B-Q4_K_M.gguf"] },
    ]);
    const r = await sb.run(["-m", "small", "-n"]);
    assertEquals(r.code, 0, r.stderr);
    assertStringIncludes(r.stderr, "model: Gemma2-9B-Q5_K.gguf");
  } finally {
    await sb.cleanup();
  }
});

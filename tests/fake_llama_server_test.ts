/**
 * The fake llama-server behaves like the real one where llama-pack depends on
 * it (see shared/research/llama-server.md).
 */

import { assertEquals, assertStringIncludes } from "./assert.ts";
import { FAKE_LLAMA_SERVER, freePort, writeFakeModel } from "./fixtures/fake_server.ts";

Deno.test("fake llama-server: --version goes to stderr, stdout stays empty", async () => {
  const out = await new Deno.Command(FAKE_LLAMA_SERVER, { args: ["--version"] }).output();
  assertEquals(out.code, 0);
  assertEquals(out.stdout.length, 0);
  assertStringIncludes(
    new TextDecoder().decode(out.stderr),
    "version: 0.1.1-dev (build 10470, commit 34af94cd9)",
  );
});

Deno.test("fake llama-server: --log-file truncates and mirrors stderr; endpoints answer like the real one", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const model = await writeFakeModel(`${dir}/m.gguf`);
    const log = `${dir}/server.log`;
    await Deno.writeTextFile(log, "old content\n");
    const port = freePort();
    const child = new Deno.Command(FAKE_LLAMA_SERVER, {
      args: [
        "-m",
        model,
        "--port",
        String(port),
        "--log-file",
        log,
        "-c",
        "2048",
        "--unknown-flag",
        "-a",
        "mymodel",
      ],
      env: { FAKE_LLAMA_LOAD_SECONDS: "0.3" },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const output = child.output();
    const base = `http://127.0.0.1:${port}`;
    // The port is bound at once and answers 503 while loading, then 200.
    const seen: string[] = [];
    const deadline = performance.now() + 5_000;
    while (performance.now() < deadline && seen.at(-1) !== '200 {"status":"ok"}') {
      try {
        const r = await fetch(`${base}/health`);
        seen.push(`${r.status} ${await r.text()}`);
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    assertEquals(
      seen[0],
      '503 {"error":{"message":"Loading model","type":"unavailable_error","code":503}}',
    );
    assertEquals(seen.at(-1), '200 {"status":"ok"}');
    const props = await (await fetch(`${base}/props`)).json();
    assertEquals(props.model_path, model);
    assertEquals(props.model_alias, "mymodel");
    assertEquals(props.total_slots, 4);
    assertEquals(props.default_generation_settings.n_ctx, 2048);
    assertEquals("argv" in props, false);
    const done = await (await fetch(`${base}/completion`, {
      method: "POST",
      body: JSON.stringify({ prompt: "hi", n_predict: 3 }),
    })).json();
    assertEquals(done.tokens_predicted, 3);
    const models = await (await fetch(`${base}/v1/models`)).json();
    assertEquals(models.data[0].id, "mymodel");
    child.kill("SIGTERM");
    const out = await output;
    assertEquals(out.code, 0);
    assertEquals(out.stdout.length, 0);
    const stderr = new TextDecoder().decode(out.stderr);
    assertStringIncludes(stderr, "cleaning up before exit...");
    assertEquals(await Deno.readTextFile(log), stderr);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fake llama-server: a missing model and a busy port exit 1 with the real messages", async () => {
  const missing = await new Deno.Command(FAKE_LLAMA_SERVER, {
    args: ["-m", "/nonexistent/x.gguf", "--port", String(freePort())],
  }).output();
  assertEquals(missing.code, 1);
  const m = new TextDecoder().decode(missing.stderr);
  assertStringIncludes(
    m,
    "failed to open GGUF file '/nonexistent/x.gguf' (No such file or directory)",
  );
  assertStringIncludes(m, "exiting due to model loading error");

  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  try {
    const busy = await new Deno.Command(FAKE_LLAMA_SERVER, {
      args: ["-m", "/x.gguf", "--port", String(port)],
    })
      .output();
    assertEquals(busy.code, 1);
    const b = new TextDecoder().decode(busy.stderr);
    assertStringIncludes(b, `couldn't bind HTTP server socket, hostname: 127.0.0.1, port: ${port}`);
    assertStringIncludes(b, "exiting due to HTTP server error");
  } finally {
    listener.close();
  }
});

/** Starts the fake on a free port with `env`; resolves once /health answers (any status). */
async function startFake(env: Record<string, string>, extra: string[] = []) {
  const dir = await Deno.makeTempDir();
  const model = await writeFakeModel(`${dir}/m.gguf`);
  const port = freePort();
  const child = new Deno.Command(FAKE_LLAMA_SERVER, {
    args: ["-m", model, "--port", String(port), ...extra],
    env,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let status = 0;
  for (let i = 0; i < 250 && status === 0; i++) {
    status = await fetch(`http://127.0.0.1:${port}/health`).then(
      async (r) => (await r.body?.cancel(), r.status),
      () => 0,
    );
    if (status === 0) await new Promise((r) => setTimeout(r, 20));
  }
  return { child, port, status, dir };
}

Deno.test("fake llama-server: a signal while loading kills it, like the real one (exit 143)", async () => {
  const { child, status, dir } = await startFake({ FAKE_LLAMA_LOAD_SECONDS: "30" });
  try {
    assertEquals(status, 503);
    child.kill("SIGTERM");
    const out = await child.output();
    assertEquals([out.code, out.signal], [143, "SIGTERM"]);
    assertEquals(new TextDecoder().decode(out.stderr).includes("cleaning up"), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fake llama-server: FAKE_LLAMA_WAIT_FOR_CLIENTS keeps it alive after SIGTERM until the client leaves", async () => {
  const { child, port, dir } = await startFake({ FAKE_LLAMA_WAIT_FOR_CLIENTS: "1" });
  try {
    const ac = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/completion`, {
      method: "POST",
      body: JSON.stringify({ prompt: "hi", n_predict: 100000, stream: true }),
      signal: ac.signal,
    });
    const reader = res.body!.getReader();
    assertStringIncludes(new TextDecoder().decode((await reader.read()).value), "data: {");
    const drain = reader.read().then(async function more(): Promise<void> {
      if (!(await reader.read()).done) return more();
    }).catch(() => {});
    child.kill("SIGTERM");
    const exited = child.status.then(() => "exited");
    const after = await Promise.race([
      exited,
      new Promise((r) => setTimeout(() => r("alive"), 700)),
    ]);
    assertEquals(after, "alive");
    // It no longer listens.
    assertEquals(
      await fetch(`http://127.0.0.1:${port}/health`).then(() => "up", () => "refused"),
      "refused",
    );
    ac.abort();
    await drain;
    const st = await child.status;
    assertEquals(st.code, 0);
    await child.stderr.cancel();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fake llama-server: FAKE_LLAMA_STRICT_FLAGS refuses flags the table lacks; --help lists the table", async () => {
  const { parseServerHelp } = await import("../lib/server/help_flags.ts");
  const { LLAMA_SERVER_FLAGS } = await import("../lib/server/llama_server_flags.ts");
  const help = await new Deno.Command(FAKE_LLAMA_SERVER, { args: ["--help"] }).output();
  assertEquals(help.code, 0);
  const learned = parseServerHelp(new TextDecoder().decode(help.stdout));
  assertEquals(learned.map((f) => f.names), LLAMA_SERVER_FLAGS.map((f) => f.names));
  assertEquals(learned.map((f) => f.env), LLAMA_SERVER_FLAGS.map((f) => f.env));
  const dir = await Deno.makeTempDir();
  try {
    const model = await writeFakeModel(`${dir}/m.gguf`);
    const out = await new Deno.Command(FAKE_LLAMA_SERVER, {
      args: ["-m", model, "--port", String(freePort()), "-c", "512", "--no-mmap"],
      env: { FAKE_LLAMA_STRICT_FLAGS: "1" },
    }).output();
    assertEquals(out.code, 1);
    assertStringIncludes(
      new TextDecoder().decode(out.stderr),
      "error: invalid argument: --no-mmap",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

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
    assertEquals(props.argv.includes("--unknown-flag"), true);
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

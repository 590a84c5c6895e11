import { assert, assertEquals, assertRejects, assertStringIncludes } from "../../tests/assert.ts";
import { FAKE_LLAMA_SERVER, freePort, writeFakeModel } from "../../tests/fixtures/fake_server.ts";
import { LlamaPackError } from "../errors.ts";
import { type HealthTick, readLogTail, waitReady } from "./health.ts";
import { type ServerProcess, spawnServer } from "./spawn_server.ts";
import { stopServer } from "./stop_server.ts";

/** Starts the fake in a temp dir with the given env, runs `fn`, cleans up. */
async function withServer(
  env: Record<string, string>,
  fn: (s: { proc: ServerProcess; url: string; log: string; model: string }) => Promise<void>,
  options: { model?: string } = {},
) {
  const dir = await Deno.makeTempDir();
  let proc: ServerProcess | undefined;
  try {
    const model = options.model ?? await writeFakeModel(`${dir}/model.gguf`);
    const port = freePort();
    const log = `${dir}/server.log`;
    proc = await spawnServer(FAKE_LLAMA_SERVER, ["-m", model, "--port", String(port)], {
      logPath: log,
      env,
    });
    await fn({ proc, url: `http://127.0.0.1:${port}/health`, log, model });
  } finally {
    if (proc) {
      await stopServer(proc.identity, { graceMs: 200 });
      await proc.exited;
    }
    await Deno.remove(dir, { recursive: true });
  }
}

/** Polls `url` until it answers `status` (at most 30 s). */
async function untilStatus(url: string, status: number): Promise<void> {
  const deadline = performance.now() + 30_000;
  while (performance.now() < deadline) {
    try {
      const res = await fetch(url);
      await res.body?.cancel();
      if (res.status === status) return;
    } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`${url} never answered ${status}`);
}

Deno.test("waitReady() waits through 503 'Loading model' until 200", async () => {
  await withServer({ FAKE_LLAMA_LOAD_SECONDS: "0.6" }, async ({ proc, url }) => {
    const ticks: HealthTick[] = [];
    const result = await waitReady(url, {
      timeoutMs: 10_000,
      intervalMs: 50,
      isAlive: () => proc.exitStatus() === undefined,
      exited: proc.exited,
      onTick: (t) => ticks.push(t),
    });
    assert(result.elapsedMs >= 500, `ready after ${result.elapsedMs} ms`);
    assert(ticks.some((t) => t.state === "loading"), "saw 503 while loading");
    assertEquals(ticks.at(-1)?.state, "ready");
    assertEquals(result.polls, ticks.length);
  });
});

Deno.test("waitReady() fails at once with the log's last lines when the server dies while loading", async () => {
  await withServer(
    { FAKE_LLAMA_LOAD_SECONDS: "30", FAKE_LLAMA_EXIT_AFTER_SECONDS: "0.3" },
    async ({ proc, url, log }) => {
      const started = performance.now();
      const err = await assertRejects(
        () =>
          waitReady(url, {
            timeoutMs: 20_000,
            intervalMs: 1_000, // the exit must not wait for the next poll
            exited: proc.exited,
            logPath: log,
            logLines: 3,
          }),
        LlamaPackError,
      );
      const took = performance.now() - started;
      assertEquals(err.code, "SERVER_START");
      assertEquals(err.exitCode, 1);
      assertStringIncludes(err.message, `server exited before it was ready`);
      assertStringIncludes(err.message, `log: ${log}`);
      assertEquals(err.hint?.split("\n").length, 4);
      assertEquals(err.hint?.split("\n")[0], "last lines of the log:");
      assertStringIncludes(err.hint ?? "", "exiting due to model loading error");
      assert(took < 3_000, `noticed the exit after ${Math.round(took)} ms`);
    },
  );
});

Deno.test("waitReady() reports a missing model from the log", async () => {
  await withServer({}, async ({ proc, url, log }) => {
    const err = await assertRejects(
      () =>
        waitReady(url, { timeoutMs: 10_000, intervalMs: 50, exited: proc.exited, logPath: log }),
      LlamaPackError,
    );
    assertEquals(err.code, "SERVER_START");
    assertStringIncludes(
      err.hint ?? "",
      "failed to open GGUF file '/nonexistent/model.gguf' (No such file or directory)",
    );
    assertEquals((await proc.exited).code, 1);
  }, { model: "/nonexistent/model.gguf" });
});

Deno.test("waitReady() notices death through isAlive() alone", async () => {
  let alive = true;
  setTimeout(() => alive = false, 100);
  const err = await assertRejects(
    () =>
      waitReady(`http://127.0.0.1:${freePort()}/health`, { intervalMs: 20, isAlive: () => alive }),
    LlamaPackError,
  );
  assertEquals(err.code, "SERVER_START");
});

Deno.test("waitReady() times out with SERVER_TIMEOUT saying what it last saw", async (t) => {
  await t.step("still loading", async () => {
    await withServer({ FAKE_LLAMA_LOAD_SECONDS: "30" }, async ({ proc, url, log }) => {
      // The deadline is about what waitReady saw last, not how long the fake
      // takes to start on a busy machine: wait until it answers 503 first.
      await untilStatus(url, 503);
      const started = performance.now();
      const err = await assertRejects(
        () => waitReady(url, { timeoutMs: 700, intervalMs: 50, exited: proc.exited, logPath: log }),
        LlamaPackError,
      );
      const took = performance.now() - started;
      assertEquals(err.code, "SERVER_TIMEOUT");
      assertStringIncludes(err.message, `${url} is still loading (503)`);
      assertStringIncludes(err.hint ?? "", log);
      assert(took >= 650 && took < 3_000, `timed out after ${Math.round(took)} ms`);
      assertEquals(proc.exitStatus(), undefined, "waiting does not stop the server");
    });
  });
  await t.step("unhealthy", async () => {
    const server = Deno.serve(
      { port: 0, onListen() {} },
      () => new Response("no", { status: 500 }),
    );
    try {
      const err = await assertRejects(
        () =>
          waitReady(`http://127.0.0.1:${server.addr.port}/health`, {
            timeoutMs: 300,
            intervalMs: 50,
          }),
        LlamaPackError,
      );
      assertEquals(err.code, "SERVER_TIMEOUT");
      assertStringIncludes(err.message, "is unhealthy");
    } finally {
      await server.shutdown();
    }
  });
  await t.step("nothing listening", async () => {
    const url = `http://127.0.0.1:${freePort()}/health`;
    const err = await assertRejects(
      () => waitReady(url, { timeoutMs: 300, intervalMs: 50 }),
      LlamaPackError,
    );
    assertStringIncludes(err.message, "is not answering");
  });
});

Deno.test("waitReady() stops at once when the caller aborts", async () => {
  const controller = new AbortController();
  const reason = new Error("interrupted");
  setTimeout(() => controller.abort(reason), 100);
  const started = performance.now();
  const err = await assertRejects(
    () =>
      waitReady(`http://127.0.0.1:${freePort()}/health`, {
        timeoutMs: 10_000,
        intervalMs: 5_000,
        signal: controller.signal,
      }),
  );
  assertEquals(err, reason);
  assert(performance.now() - started < 2_000);
});

Deno.test("readLogTail() returns the last non-empty lines", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/log`;
    await t.step("short file", async () => {
      await Deno.writeTextFile(path, "one\n\ntwo\nthree\n");
      assertEquals(readLogTail(path, { lines: 2 }), ["two", "three"]);
      assertEquals(readLogTail(path), ["one", "two", "three"]);
    });
    await t.step("large file reads only its end", async () => {
      await Deno.writeTextFile(path, "x".repeat(200_000) + "\nlast\n");
      assertEquals(readLogTail(path, { lines: 1 }), ["last"]);
    });
    await t.step("missing file", () => {
      assertEquals(readLogTail(`${dir}/none`), []);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

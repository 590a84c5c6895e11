import { assert, assertEquals, assertRejects, assertStringIncludes } from "../../tests/assert.ts";
import {
  FAKE_LLAMA_SERVER,
  freePort,
  withFake,
  writeFakeModel,
} from "../../tests/fixtures/fake_server.ts";
import { LlamaPackError } from "../errors.ts";
import { waitReady } from "./health.ts";
import { isSameProcess, readProcStat } from "./process_identity.ts";
import { spawnServer } from "./spawn_server.ts";
import { stopServer } from "./stop_server.ts";

Deno.test("spawnServer() starts a detached server logging to a file; stopServer() stops it once", async () => {
  await withFake(async ({ model, start }) => {
    const proc = await start();
    assert(proc.identity.startTime > 0);
    assertEquals(proc.identity.cmdline[0], FAKE_LLAMA_SERVER);
    const url = `http://127.0.0.1:${proc.port}`;
    await waitReady(`${url}/health`, { timeoutMs: 10_000, intervalMs: 50 });
    // Its own process group, and still the same process after the wrapper's exec.
    assertEquals(readProcStat(proc.identity.pid)?.pgrp, proc.identity.pid);
    assert(isSameProcess(proc.identity));
    const props = await (await fetch(`${url}/props`)).json();
    assertEquals(props.model_path, model);
    assertStringIncludes(await Deno.readTextFile(proc.log), "main: model loaded");

    const first = await stopServer(proc.identity, { graceMs: 5_000 });
    assertEquals(first.outcome, "terminated");
    assertEquals(first.signals, ["SIGTERM"]);
    assertEquals((await proc.exited).code, 0);
    assertStringIncludes(await Deno.readTextFile(proc.log), "cleaning up before exit...");
    assert(!isSameProcess(proc.identity));

    const second = await stopServer(proc.identity);
    assertEquals(second.outcome, "not-running");
    assertEquals(second.signals, []);
  });
});

Deno.test("spawnServer() in the foreground copies output to the terminal and the log", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const model = await writeFakeModel(`${dir}/m.gguf`);
    const port = freePort();
    const chunks: Uint8Array[] = [];
    const terminal = {
      write(p: Uint8Array) {
        chunks.push(p.slice());
        return Promise.resolve(p.length);
      },
    };
    const proc = await spawnServer(FAKE_LLAMA_SERVER, ["-m", model, "--port", String(port)], {
      logPath: `${dir}/fg.log`,
      foreground: true,
      terminal,
    });
    try {
      await waitReady(`http://127.0.0.1:${port}/health`, { timeoutMs: 10_000, intervalMs: 50 });
      assertEquals(readProcStat(proc.identity.pid)?.pgrp, proc.identity.pid);
    } finally {
      assertEquals((await stopServer(proc.identity, { graceMs: 3_000 })).outcome, "terminated");
    }
    assertEquals((await proc.exited).code, 0);
    const shown = new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
    const logged = await Deno.readTextFile(`${dir}/fg.log`);
    assertStringIncludes(shown, "main: model loaded");
    assertStringIncludes(shown, "cleaning up before exit...");
    assertEquals(logged, shown);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("spawnServer() fails with SERVER_START when the binary is missing", async () => {
  const err = await assertRejects(
    () => spawnServer("/nonexistent/llama-server", [], { logPath: "/nonexistent/log" }),
    LlamaPackError,
  );
  assertEquals(err.code, "SERVER_START");
  assertEquals(
    err.message,
    "cannot start server: '/nonexistent/llama-server' not found or not executable",
  );
});

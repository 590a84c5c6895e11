import { assert, assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { withFake } from "../../tests/fixtures/fake_server.ts";
import { llamaServerAdapter } from "../server/llama_server.ts";
import type { Child } from "./children.ts";
import { waitChildReady } from "./children.ts";

const budget = { seconds: 0.5, extendSeconds: 0.5, reason: "test" };

function childOf(p: { port: number; log: string } & Child["proc"]): Child {
  return {
    model: { name: "m.gguf" } as Child["model"],
    gen: 1,
    host: "127.0.0.1",
    port: p.port,
    tier: "hdd",
    argv: [],
    proc: p,
    row: {} as Child["row"],
    logPath: p.log,
    startedAt: 0,
  };
}

Deno.test("waitChildReady() extends the budget while a slow load makes progress", async () => {
  await withFake(async ({ start }) => {
    const p = await start({ FAKE_LLAMA_LOAD_SECONDS: "2", FAKE_LLAMA_LOAD_BUSY: "1" });
    const ms = await waitChildReady(
      { adapter: llamaServerAdapter },
      childOf(p),
      budget,
      new AbortController().signal,
    );
    assert(ms >= 1500, `ready after ${ms} ms`);
  });
});

Deno.test("waitChildReady() gives up on a load that stopped making progress, and on a fixed budget", async () => {
  await withFake(async ({ start }) => {
    const p = await start({ FAKE_LLAMA_LOAD_SECONDS: "6" });
    const started = performance.now();
    const err = await waitChildReady(
      { adapter: llamaServerAdapter },
      childOf(p),
      budget,
      new AbortController().signal,
    ).catch((e) => e);
    assertEquals(err.code, "SERVER_TIMEOUT");
    assertStringIncludes(err.message, "stopped making progress");
    assert(performance.now() - started < 5000);
    const q = await start({ FAKE_LLAMA_LOAD_SECONDS: "3", FAKE_LLAMA_LOAD_BUSY: "1" });
    const fixed = await waitChildReady(
      { adapter: llamaServerAdapter },
      childOf(q),
      { seconds: 0.5, extendSeconds: 0, reason: "serve.load_timeout" },
      new AbortController().signal,
    ).catch((e) => e);
    assertEquals(fixed.code, "SERVER_TIMEOUT");
  });
});

import { assert, assertEquals } from "../../tests/assert.ts";
import { HttpError } from "./http_error.ts";
import { proxyRequest } from "./proxy.ts";
import { readBody, readModelRequest } from "./request_model.ts";

Deno.test("proxyRequest() streams chunk by chunk, drops hop-by-hop headers and the key, ends once", async () => {
  let seen: Headers | undefined;
  let cancelled = false;
  const up = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
    seen = req.headers;
    let i = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(c) {
        await new Promise((r) => setTimeout(r, 150));
        if (i++ < 3) c.enqueue(new TextEncoder().encode(`data: ${i}\n\n`));
        else c.close();
      },
      cancel() {
        cancelled = true;
      },
    });
    return new Response(body, {
      headers: { "content-type": "text/event-stream", connection: "keep-alive" },
    });
  });
  try {
    let done = 0;
    const req = new Request("http://front/v1/chat/completions?x=1", {
      method: "POST",
      headers: { authorization: "Bearer secret", "x-api-key": "secret2", "x-custom": "kept" },
    });
    const started = performance.now();
    const res = await proxyRequest(req, { host: "127.0.0.1", port: up.addr.port }, {
      body: new TextEncoder().encode("{}"),
      signal: new AbortController().signal,
      onDone: () => done++,
    });
    assertEquals(res.headers.get("x-accel-buffering"), "no");
    assertEquals(res.headers.get("connection"), null);
    const reader = res.body!.getReader();
    const first = await reader.read();
    // The first chunk arrives as soon as it is produced, not with the whole body.
    assert(performance.now() - started < 400, "buffered");
    assertEquals(new TextDecoder().decode(first.value), "data: 1\n\n");
    assertEquals(seen?.get("authorization"), null);
    assertEquals(seen?.get("x-api-key"), null);
    assertEquals(seen?.get("x-custom"), "kept");
    assertEquals(done, 0);
    // The client leaves: the upstream stream is cancelled, the end counted once.
    await reader.cancel();
    await new Promise((r) => setTimeout(r, 300));
    assert(cancelled, "upstream never saw the cancel");
    assertEquals(done, 1);
  } finally {
    await up.shutdown();
  }
});

Deno.test("proxyRequest() answers 502 when the server is gone", async () => {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  let done = 0;
  const err = await proxyRequest(new Request("http://x/v1/completions"), {
    host: "127.0.0.1",
    port,
  }, {
    body: null,
    signal: new AbortController().signal,
    onDone: () => done++,
  }).catch((e) => e);
  assert(err instanceof HttpError && err.status === 502);
  assertEquals(done, 1);
});

Deno.test("readBody() and readModelRequest() enforce the limit and read the model", async (t) => {
  await t.step("declared too large", async () => {
    const req = new Request("http://x/", {
      method: "POST",
      body: "x".repeat(20),
      headers: { "content-length": "20" },
    });
    const err = await readBody(req, 10).catch((e) => e);
    assertEquals(err.status, 413);
  });
  await t.step("streamed too large", async () => {
    const body = new ReadableStream({
      start(c) {
        c.enqueue(new Uint8Array(8));
        c.enqueue(new Uint8Array(8));
        c.close();
      },
    });
    const err = await readBody(new Request("http://x/", { method: "POST", body }), 10).catch((e) =>
      e
    );
    assertEquals(err.status, 413);
  });
  await t.step("model must be a string", async () => {
    const req = new Request("http://x/", { method: "POST", body: `{"model": 3}` });
    assertEquals((await readModelRequest(req, 100).catch((e) => e)).status, 400);
  });
  await t.step("no body, no model", async () => {
    const req = new Request("http://x/", { method: "POST" });
    assertEquals((await readModelRequest(req, 100)).model, undefined);
  });
});

Deno.test("proxyRequest() with the serve info's completed: the body passes as is, the end comes from completed", async () => {
  const up = Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen() {} },
    () => new Response("abc"),
  );
  try {
    let done = 0;
    let complete = () => {};
    const completed = new Promise<void>((r) => (complete = r));
    const res = await proxyRequest(new Request("http://x/"), {
      host: "127.0.0.1",
      port: up.addr.port,
    }, {
      body: null,
      signal: new AbortController().signal,
      onDone: () => done++,
      completed,
    });
    assertEquals(await res.text(), "abc");
    assertEquals(done, 0);
    complete();
    await completed;
    await Promise.resolve();
    assertEquals(done, 1);
  } finally {
    await up.shutdown();
  }
});

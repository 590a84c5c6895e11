import { assertEquals } from "../../tests/assert.ts";
import { createServeApp, type ServeContext } from "./app.ts";

const KEY = "key-0123456789abcdef";
const ctx = (over: Partial<ServeContext> = {}) =>
  ({
    apiKeys: [KEY],
    maxBodyBytes: 16,
    version: "0",
    ...over,
  }) as ServeContext;

Deno.test("createServeApp(): keys guard every route but /health, in OpenAI's error shape", async (t) => {
  const app = createServeApp(ctx());
  const cases: [string, RequestInit & { path: string }, number][] = [
    ["health is public", { path: "/health" }, 200],
    ["no key", { path: "/v1/models" }, 401],
    ["wrong key", { path: "/v1/models", headers: { authorization: "Bearer nope" } }, 401],
    ["key as a prefix", { path: "/v1/models", headers: { authorization: `Bearer ${KEY}x` } }, 401],
    [
      "unknown route with a key",
      { path: "/nope", headers: { authorization: `Bearer ${KEY}` } },
      404,
    ],
    ["x-api-key", { path: "/nope", headers: { "x-api-key": KEY } }, 404],
    ["body too large", {
      path: "/v1/chat/completions",
      method: "POST",
      body: "x".repeat(32),
      headers: { authorization: `Bearer ${KEY}` },
    }, 413],
  ];
  for (const [name, init, status] of cases) {
    await t.step(name, async () => {
      const res = await app.fetch(new Request(`http://x${init.path}`, init));
      assertEquals(res.status, status);
      if (status !== 200) {
        const body = await res.json();
        assertEquals(typeof body.error.message, "string");
        if (status === 401) {
          assertEquals(body.error.type, "authentication_error");
          assertEquals(res.headers.get("www-authenticate"), 'Bearer realm="llama-pack"');
        }
      } else await res.body?.cancel();
    });
  }
});

Deno.test("createServeApp(): without keys every route is open; extend() adds routes behind the same middleware", async () => {
  const open = createServeApp(ctx({ apiKeys: [] }));
  assertEquals((await open.fetch(new Request("http://x/nope"))).status, 404);
  const app = createServeApp(ctx(), {
    extend: (a) => a.get("/api/ping", (c) => c.json({ pong: true })),
  });
  assertEquals((await app.fetch(new Request("http://x/api/ping"))).status, 401);
  const ok = await app.fetch(
    new Request("http://x/api/ping", { headers: { authorization: `Bearer ${KEY}` } }),
  );
  assertEquals(await ok.json(), { pong: true });
});

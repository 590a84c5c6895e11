import { assert, assertEquals } from "../../tests/assert.ts";
import { apiEvent } from "../core/api_events.ts";
import { LlamaPackError } from "../errors.ts";
import { createServeApp, type ServeContext } from "./app.ts";
import { EventHub } from "./events.ts";
import { ApiError, type CacheApi, cacheRoutes, type RegisterRequest } from "./routes_cache.ts";

const KEY = "key-0123456789abcdef";

/** An app with the cache routes over a fake API that records its calls. */
function fakeApp(over: Partial<CacheApi> = {}) {
  const calls: unknown[][] = [];
  const api: CacheApi = {
    stats: () => Promise.resolve({ threshold: 0.9 } as never),
    check: (loc, bytes, path) => {
      calls.push(["check", loc, bytes, path]);
      return Promise.resolve({ cache_location: loc, fits: true } as never);
    },
    recommend: (bytes) => {
      calls.push(["recommend", bytes]);
      return Promise.resolve({ recommended_cache: "primary" } as never);
    },
    models: () => Promise.resolve([]),
    register: (req: RegisterRequest) => {
      calls.push(["register", req]);
      return Promise.resolve({ status: 202, body: { status: "copying", job_id: 1 } });
    },
    refresh: () => Promise.resolve({ trigger: "refresh" }),
    initialEvents: () => [apiEvent("models_changed", { reason: "scan", model_ids: [] })],
    ...over,
  };
  const events = new EventHub();
  const stopping = new AbortController();
  const ctx = {
    apiKeys: [KEY],
    maxBodyBytes: 1024,
    version: "0",
    events,
    stopping: stopping.signal,
    supervisor: {
      served: () => ({ status: "ready", port: 8101, tier: "ssd" }),
      scheduler: { snapshot: () => [{ model: "m.gguf", phase: "ready", gen: 1, inFlight: 0 }] },
    },
    models: { index: () => [{ id: "m.gguf", name: "M.gguf" }] },
  } as unknown as ServeContext;
  const app = createServeApp(ctx, { extend: cacheRoutes(api) });
  const call = async (method: string, path: string, body?: string, key = KEY) => {
    const res = await app.fetch(
      new Request(`http://x${path}`, {
        method,
        headers: key ? { authorization: `Bearer ${key}` } : {},
        ...(body === undefined ? {} : { body }),
      }),
    );
    return { status: res.status, body: await res.json() };
  };
  return { app, calls, call, events, stopping };
}

Deno.test("cache routes: the same key as --serve guards every one", async () => {
  const { app, call, calls } = fakeApp();
  const check = "/api/cache/check?cache_location=primary&required_space_mb=1";
  const routes: [string, string, string?][] = [
    ["GET", "/api/cache/stats"],
    ["GET", "/api/models"],
    ["GET", "/api/events"],
    ["GET", "/api/cache/recommend?estimated_size_mb=1"],
    ["GET", check],
    ["POST", check],
    ["POST", "/api/cache/refresh"],
    ["POST", "/api/models", `{"model_name": "m", "cache_location": "primary"}`],
  ];
  for (const [method, path, body] of routes) {
    assertEquals((await call(method, path, body, "")).status, 401, `${method} ${path}`);
    assertEquals((await call(method, path, body, "wrong-key")).status, 401, `${method} ${path}`);
  }
  assertEquals(calls, [], "nothing reached the API without the key");
  // X-Api-Key works as well as the bearer token.
  const res = await app.fetch(
    new Request("http://x/api/cache/recommend?estimated_size_mb=1", {
      headers: { "x-api-key": KEY },
    }),
  );
  assertEquals(res.status, 200);
  await res.body?.cancel();
});

Deno.test("cache routes: bad input answers 400 {error} and calls nothing", async (t) => {
  const { call, calls } = fakeApp();
  const cases: [string, string, string, string | undefined, string][] = [
    [
      "no location",
      "POST",
      "/api/cache/check?required_space_mb=5",
      undefined,
      "cache_location is required",
    ],
    [
      "unknown location",
      "GET",
      "/api/cache/check?cache_location=tertiary&required_space_mb=5",
      undefined,
      'cache_location must be primary, secondary or custom, got "tertiary"',
    ],
    [
      "no size",
      "POST",
      "/api/cache/check?cache_location=primary",
      undefined,
      "required_space_mb is required (MiB)",
    ],
    [
      "a word",
      "POST",
      "/api/cache/check?cache_location=primary&required_space_mb=lots",
      undefined,
      'required_space_mb must be a number of MiB, 0 or more, got "lots"',
    ],
    [
      "negative",
      "POST",
      "/api/cache/check?cache_location=primary&required_space_mb=-5",
      undefined,
      'got "-5"',
    ],
    [
      "infinite",
      "GET",
      "/api/cache/recommend?estimated_size_mb=Infinity",
      undefined,
      'got "Infinity"',
    ],
    [
      "cache_path off custom",
      "GET",
      "/api/cache/check?cache_location=primary&required_space_mb=1&cache_path=/x",
      undefined,
      "cache_path is only for cache_location custom",
    ],
    ["bad JSON", "POST", "/api/models", "{nope", "the body is not valid JSON"],
    ["an array", "POST", "/api/models", "[]", "the body must be a JSON object"],
    [
      "no model",
      "POST",
      "/api/models",
      `{"cache_location": "primary"}`,
      "model_name is required (or hf_path, to download)",
    ],
    [
      "model not a string",
      "POST",
      "/api/models",
      `{"model_name": 5, "cache_location": "primary"}`,
      "model_name must be a non-empty string, got 5",
    ],
    [
      "bad location",
      "POST",
      "/api/models",
      `{"model_name": "x", "cache_location": "ssd"}`,
      'cache_location must be primary, secondary or custom, got "ssd"',
    ],
    [
      "negative estimate",
      "POST",
      "/api/models",
      `{"model_name": "x", "cache_location": "primary", "estimated_size_mb": -1}`,
      "estimated_size_mb must be a number of MiB, 0 or more, got -1",
    ],
    [
      "estimate as text",
      "POST",
      "/api/models",
      `{"model_name": "x", "cache_location": "primary", "estimated_size_mb": "big"}`,
      'got "big"',
    ],
    [
      "allow_evict not boolean",
      "POST",
      "/api/models",
      `{"model_name": "x", "cache_location": "primary", "allow_evict": "yes"}`,
      'allow_evict must be true or false, got "yes"',
    ],
  ];
  for (const [name, method, path, body, message] of cases) {
    await t.step(name, async () => {
      const r = await call(method, path, body);
      assertEquals(r.status, 400);
      assertEquals(typeof r.body.error, "string");
      assert(r.body.error.includes(message), `${r.body.error} does not include ${message}`);
    });
  }
  assertEquals(calls, []);
});

Deno.test("cache routes: valid input reaches the API as typed values", async () => {
  const { call, calls } = fakeApp();
  assertEquals(
    (await call("POST", "/api/cache/check?cache_location=primary&required_space_mb=5000")).status,
    200,
  );
  assertEquals(
    (await call(
      "GET",
      "/api/cache/check?cache_location=custom&required_space_mb=0.5&cache_path=/usb",
    )).status,
    200,
  );
  assertEquals((await call("GET", "/api/cache/recommend?estimated_size_mb=1e3")).status, 200);
  const reg = await call(
    "POST",
    "/api/models",
    JSON.stringify({
      model_name: "llama-3-8b",
      hf_path: "o/m",
      cache_location: "custom",
      cache_path: "/usb",
      estimated_size_mb: 14000,
    }),
  );
  assertEquals(reg, { status: 202, body: { status: "copying", job_id: 1 } });
  // The guide's Python client sends None for what it leaves out.
  await call(
    "POST",
    "/api/models",
    JSON.stringify({
      model_name: "x",
      cache_location: "secondary",
      hf_path: null,
      cache_path: null,
    }),
  );
  const MIB = 1024 ** 2;
  assertEquals(calls, [
    ["check", "primary", 5000 * MIB, undefined],
    ["check", "custom", MIB / 2, "/usb"],
    ["recommend", 1000 * MIB],
    ["register", {
      cache_location: "custom",
      allow_evict: false,
      model_name: "llama-3-8b",
      hf_path: "o/m",
      cache_path: "/usb",
      estimated_size_mb: 14000,
    }],
    ["register", { cache_location: "secondary", allow_evict: false, model_name: "x" }],
  ]);
});

Deno.test("cache routes: refusals and failures keep the {error} shape with their figures", async () => {
  const failing = (err: unknown) => () => Promise.reject(err);
  const cases: [unknown, number, Record<string, unknown>][] = [
    [new ApiError(409, "no room", { available_mb: 3 }), 409, { error: "no room", available_mb: 3 }],
    [new LlamaPackError("NO_MATCH", "no model matches 'x'"), 400, {
      error: "no model matches 'x'",
    }],
    [new LlamaPackError("UNSAFE", "refusing", { hint: "unpin" }), 409, {
      error: "refusing (unpin)",
    }],
    [new LlamaPackError("HUB", "the hub said 500"), 502, { error: "the hub said 500" }],
    [new Error("secret detail"), 500, { error: "internal error" }],
  ];
  for (const [err, status, body] of cases) {
    const { call } = fakeApp({ register: failing(err) });
    const r = await call("POST", "/api/models", `{"model_name": "x", "cache_location": "primary"}`);
    assertEquals([r.status, r.body], [status, body]);
  }
});

Deno.test("GET /api/events: the current picture first, then every API event and server status, as {type, data}", async () => {
  const { app, events, stopping } = fakeApp();
  const res = await app.fetch(
    new Request("http://x/api/events", { headers: { authorization: `Bearer ${KEY}` } }),
  );
  assertEquals(res.headers.get("content-type"), "text/event-stream");
  events.publish(
    apiEvent("eviction", { model_id: "a", model_name: "A", bytes: 1, reason: "cold" }),
  );
  events.publish({
    type: "model_status",
    data: { model: "m.gguf", event: "model_status", data: { status: "loaded", state: "ready" } },
  });
  events.publish({ type: "not_an_api_event", data: {} });
  stopping.abort();
  const text = await res.text();
  const messages = text.split("\n\n").filter((m) => m.startsWith("data: ")).map((m) =>
    JSON.parse(m.slice(6))
  );
  assertEquals(messages.map((m) => m.type), [
    "server_status",
    "models_changed",
    "eviction",
    "server_status",
  ]);
  assertEquals(messages[3].data, {
    model_id: "m.gguf",
    model_name: "M.gguf",
    status: "loaded",
    state: "ready",
    port: 8101,
    tier: "ssd",
  });
});

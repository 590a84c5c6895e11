import { assert, assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { createServeApp, type ServeContext } from "./app.ts";
import { isDashboardPath, webRoutes } from "./routes_web.ts";
import { WEB_ASSETS } from "../web/assets.ts";
import { parseConfig } from "../config/parse.ts";

const KEY = "key-0123456789abcdef";
const { config } = parseConfig(
  JSON.stringify({
    ssd_path: "/fast",
    hdd_path: ["/slow", "/slower"],
    ssd_limit_gb: 100,
    cache: { min_uses: 3, auto: false },
    serve: { monitor_interval_s: 120, api_keys: [KEY] },
  }),
  "/home/me/.config/llama-pack/config.jsonc",
);
const pins: [string, boolean][] = [];
const models = {
  resolve: (name: string) =>
    name === "gemma"
      ? { ok: true, model: { id: "llm/gemma.gguf", name: "gemma.gguf" }, via: "name" }
      : { ok: false, reason: "unknown", message: `no model '${name}'`, candidates: [] },
  invalidate: () => {},
};
const published: { type: string; data: unknown }[] = [];
const events = { publish: (e: { type: string; data: unknown }) => void published.push(e) };
const app = createServeApp(
  {
    config,
    models,
    events,
    apiKeys: [KEY],
    maxBodyBytes: 1024,
    version: "0",
  } as unknown as ServeContext,
  {
    extend: (a, ctx) =>
      webRoutes(a, ctx, {
        configPath: "/home/me/.config/llama-pack/config.jsonc",
        setPinned: (id, pinned) => void pins.push([id, pinned]),
      }),
    isPublic: isDashboardPath,
  },
);
const get = (path: string, headers: Record<string, string> = {}) =>
  app.fetch(new Request(`http://x${path}`, { headers }));

Deno.test("webRoutes(): the page and its files are served without a key, the API still needs one", async () => {
  const page = await get("/");
  assertEquals(page.status, 200);
  assertEquals(page.headers.get("content-type"), "text/html; charset=utf-8");
  const csp = page.headers.get("content-security-policy") ?? "";
  assertStringIncludes(csp, "default-src 'self'");
  assertStringIncludes(csp, "script-src 'self'");
  const html = await page.text();
  assertStringIncludes(html, '<script type="module" src="assets/app.js">');
  assert(!/https?:\/\//.test(html), "the page names no outside URL");
  for (
    const path of ["app.js", "style.css", "vendor/preact.js", "vendor/hooks.js", "vendor/htm.js"]
  ) {
    const res = await get(`/assets/${path}`);
    assertEquals(res.status, 200, path);
    assertEquals(res.headers.get("cache-control"), "no-cache");
    assertEquals(await res.text(), WEB_ASSETS[path]!.body);
  }
  assertEquals((await get("/assets/nope.js")).status, 401);
  assertEquals((await get("/assets/nope.js", { authorization: `Bearer ${KEY}` })).status, 404);
  assertEquals((await get("/api/models")).status, 401);
  assertEquals((await get("/assets/../api/models")).status, 401);
});

Deno.test("webRoutes(): gzipped for a browser that accepts it, with its own validator", async () => {
  const plain = await get("/assets/vendor/preact.js");
  const gz = await get("/assets/vendor/preact.js", { "accept-encoding": "gzip, deflate, br" });
  assertEquals(gz.headers.get("content-encoding"), "gzip");
  assertEquals(gz.headers.get("vary"), "Accept-Encoding");
  assert(gz.headers.get("etag") !== plain.headers.get("etag"));
  const bytes = new Uint8Array(await gz.arrayBuffer());
  const body = await new Response(
    new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip")),
  ).text();
  assertEquals(body, await plain.text());
  assert(bytes.length < body.length / 2, `${bytes.length} of ${body.length}`);
  const refused = await get("/assets/app.js", { "accept-encoding": "gzip;q=0, identity" });
  assertEquals(refused.headers.get("content-encoding"), null);
  await refused.body?.cancel();
});

Deno.test("webRoutes(): a file the browser has is answered 304", async () => {
  const first = await get("/assets/app.js");
  const etag = first.headers.get("etag")!;
  await first.body?.cancel();
  const again = await get("/assets/app.js", { "if-none-match": etag });
  assertEquals(again.status, 304);
  assertEquals(await again.text(), "");
});

Deno.test("WEB_ASSETS: every module the page imports is embedded, none from outside", () => {
  for (const [path, asset] of Object.entries(WEB_ASSETS)) {
    if (!path.endsWith(".js")) continue;
    for (const m of asset.body.matchAll(/(?:import|from)\s*["']([^"']+)["']/g)) {
      const spec = m[1]!;
      assert(spec.startsWith("./") || spec.startsWith("../"), `${path} imports ${spec}`);
      const target = new URL(spec, `http://x/assets/${path}`).pathname.slice("/assets/".length);
      assert(target in WEB_ASSETS, `${path} imports ${spec}, which is not embedded`);
    }
  }
});

Deno.test("lib/web/assets.ts is what deno task web generates from lib/web/src/ and npm", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      new URL("../../tools/web_assets.ts", import.meta.url).pathname,
      "--check",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assertEquals(new TextDecoder().decode(out.stderr).trim(), "lib/web/assets.ts is up to date");
  assert(out.success);
});

Deno.test("webRoutes(): GET /api/settings is the config as --serve runs it, behind the key, without it", async () => {
  assertEquals((await get("/api/settings")).status, 401);
  const res = await get("/api/settings", { authorization: `Bearer ${KEY}` });
  assertEquals(res.status, 200);
  const text = await res.text();
  assert(!text.includes(KEY), "the key is never shown");
  const doc = JSON.parse(text);
  assertEquals(doc.config_path, "/home/me/.config/llama-pack/config.jsonc");
  assertEquals(doc.ssd, { path: "/fast", limit_gb: 100, min_free_gb: 20 });
  assertEquals(doc.hdd_paths, ["/slow", "/slower"]);
  assertEquals(doc.cache_warning_threshold, 0.9);
  assertEquals(doc.monitor_interval_s, 120);
  assertEquals(doc.cache, { auto: false, adaptive: true, min_uses: 3, window_days: 7 });
  assertEquals(doc.serve.listen, "127.0.0.1:8080");
  assertEquals(doc.serve.api_key_required, true);
});

Deno.test("webRoutes(): POST /api/models/pin pins and unpins by name; bad bodies are 400s that change nothing", async () => {
  const post = (body: string, key = true) =>
    app.fetch(
      new Request("http://x/api/models/pin", {
        method: "POST",
        headers: key ? { authorization: `Bearer ${KEY}` } : {},
        body,
      }),
    );
  assertEquals((await post('{"model_name":"gemma","pinned":true}', false)).status, 401);
  const pinned = await post('{"model_name":"gemma","pinned":true}');
  assertEquals(pinned.status, 200);
  assertEquals(await pinned.json(), {
    model_id: "llm/gemma.gguf",
    model_name: "gemma.gguf",
    pinned: true,
  });
  assertEquals((await post('{"model_name":"gemma","pinned":false}')).status, 200);
  assertEquals(pins, [["llm/gemma.gguf", true], ["llm/gemma.gguf", false]]);
  assertEquals(published, [
    { type: "models_changed", data: { reason: "pinned", model_ids: ["llm/gemma.gguf"] } },
    { type: "models_changed", data: { reason: "unpinned", model_ids: ["llm/gemma.gguf"] } },
  ]);
  for (
    const [body, status, words] of [
      ["not json", 400, "not JSON"],
      ["[1]", 400, "JSON object"],
      ['{"pinned":true}', 400, "model_name"],
      ['{"model_name":"gemma","pinned":"yes"}', 400, "pinned"],
      ['{"model_name":"nope","pinned":true}', 404, "no model 'nope'"],
    ] as const
  ) {
    const res = await post(body);
    assertEquals(res.status, status, body);
    assertStringIncludes(JSON.stringify(await res.json()), words);
  }
  assertEquals([pins.length, published.length], [2, 2]);
});

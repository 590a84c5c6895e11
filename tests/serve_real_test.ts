/**
 * `llama-pack --serve` against the real llama-server built by
 * `deno task real-server` (issue 13): the same flow as the fake's tests —
 * routing, a completion, streaming, a swap, the listing, a clean stop with
 * its uses recorded. Skips with a visible line when no build is there.
 */

import { join } from "node:path";
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { makeSandbox, withStore } from "./sandbox.ts";
import { freePort } from "./fixtures/fake_server.ts";
import { sseData, startServe } from "./serve_fixture.ts";
import { findRealServer, type RealManifest } from "./real/real_env.ts";

const found = await findRealServer();
const real: RealManifest | string = found.ok ? found.manifest : found.reason;
if (typeof real === "string") console.log(`skipping the real --serve tests: ${real}`);

Deno.test({
  name: "--serve with the real llama-server: route, complete, stream, swap, fail, stop",
  ignore: typeof real === "string",
  async fn() {
    const m = real as RealManifest;
    const sb = await makeSandbox();
    try {
      await Deno.copyFile(m.models.plain, join(sb.hdd, "real-tiny-F16.gguf"));
      await Deno.copyFile(m.models.slow, join(sb.hdd, "real-slow-F16.gguf"));
      await Deno.copyFile(m.models.broken, join(sb.hdd, "real-broken-F16.gguf"));
      const first = freePort();
      await sb.writeConfig({
        server_binary: m.server,
        global_llama_args: ["-c", "512", "-t", "1"],
        cache: { auto: false },
        serve: { child_ports: `${first}-${first + 20}` },
      });
      const scan = await sb.run(["-u"]);
      assertEquals(scan.code, 0, scan.stderr);
      const serve = await startServe(sb);
      try {
        const post = (body: unknown) =>
          fetch(`${serve.url}/v1/chat/completions`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(body),
          });
        const msg = [{ role: "user", content: "hi" }];
        // ignore_eos: random weights may end a reply at once.
        const r = await post({
          model: "real-tiny",
          messages: msg,
          max_tokens: 4,
          ignore_eos: true,
        });
        assertEquals(r.status, 200);
        const body = await r.json();
        assertEquals(body.object, "chat.completion");
        assertEquals(body.model, "real-tiny-F16.gguf"); // the id --serve lists, not "real-tiny" or the path
        assertEquals(body.usage.completion_tokens, 4);

        const s = await post({
          model: "real-tiny-F16",
          messages: msg,
          max_tokens: 4,
          stream: true,
        });
        assertEquals(s.headers.get("content-type"), "text/event-stream");
        const chunks = await sseData(s);
        assertEquals(chunks.at(-1), "[DONE]");
        assert(chunks.length >= 3, chunks.join("\n"));

        // The slow model swaps the tiny one out.
        const slow = await fetch(`${serve.url}/completion`, {
          method: "POST",
          body: JSON.stringify({ model: "real-slow", prompt: "a", n_predict: 2 }),
        });
        assertEquals(slow.status, 200);
        assertEquals((await slow.json()).stop, true);
        await serve.waitFor("stopped real-tiny-F16.gguf");
        const props = await (await fetch(`${serve.url}/props?model=real-slow`)).json();
        assertEquals(props.model_path, join(sb.hdd, "real-slow-F16.gguf"));
        // --serve passes --alias: the real server answers under the id /v1/models lists.
        assertEquals(props.model_alias, "real-slow-F16.gguf");
        const list = await (await fetch(`${serve.url}/v1/models`)).json();
        const status = Object.fromEntries(
          list.data.map((e: { id: string; status: { value: string } }) => [e.id, e.status.value]),
        );
        assertEquals(status["real-slow-F16.gguf"], "loaded");
        assertEquals(status["real-tiny-F16.gguf"], "unloaded");

        // A model the real server refuses: 502 with its log's last lines.
        const broken = await post({ model: "real-broken", messages: msg, max_tokens: 1 });
        assertEquals(broken.status, 502);
        const err = (await broken.json()).error;
        assert(err.log.length > 0, JSON.stringify(err));
        assertStringIncludes(err.message, "real-broken-F16.gguf failed to load");
      } finally {
        assertEquals((await serve.stop()).code, 0);
      }
      const uses = withStore(sb, (st) => st.uses());
      assertEquals(uses.map((u) => u.model_id).sort(), [
        "real-slow-F16.gguf",
        "real-tiny-F16.gguf",
      ]);
      for (const u of uses) assert(u.duration !== null, "duration recorded");
      assertEquals(withStore(sb, (st) => st.servers()), []);
    } finally {
      await sb.run(["--killall"], { env: { LLAMA_PACK_STOP_GRACE_MS: "500" } });
      await sb.cleanup();
    }
  },
});

/**
 * End-to-end against the real llama-server (built by `deno task real-server`):
 * the model's friendly name reaches `/v1/models` through `--alias`; `-m` of a
 * model already running with the same args reuses it; `--logs` and
 * `--logs -f` show the server's own log; `--status` shows its memory; stored
 * args are checked before they are saved.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "../assert.ts";
import { withStore } from "../sandbox.ts";
import { freePort, pollUntil } from "../fixtures/fake_server.ts";
import { getJson, realTest, withRealSandbox } from "./real_sandbox.ts";

realTest("--alias: /v1/models and /props name the model, not its path", async (real) => {
  await withRealSandbox(real, ["plain"], async (sb) => {
    const port = freePort();
    const r = await sb.run(["-m", "tiny", "-d", "-p", String(port)]);
    assertEquals(r.code, 0, r.stderr);
    assertStringIncludes(r.stderr, " --alias real-tiny-F16");
    const models = (await getJson(port, "/v1/models")).body as { data: { id: string }[] };
    assertEquals(models.data.map((m) => m.id), ["real-tiny-F16"]);
    const props = (await getJson(port, "/props")).body as { model_alias: string };
    assertEquals(props.model_alias, "real-tiny-F16");
  });
});

realTest(
  "-m of the running model with the same args reuses it; other args restart it",
  async (real) => {
    await withRealSandbox(real, ["plain"], async (sb) => {
      const port = String(freePort());
      assertEquals((await sb.run(["-m", "tiny", "-d", "-p", port])).code, 0);
      const pid = withStore(sb, (s) => s.servers()[0]!.pid);
      const again = await sb.run(["-m", "tiny", "-d", "-p", port]);
      assertEquals(again.code, 0, again.stderr);
      assertMatch(
        again.stdout,
        /^already running: http:\/\/127\.0\.0\.1:\d+ \(real-tiny-F16\.gguf /,
      );
      assertEquals(withStore(sb, (s) => s.servers()[0]!.pid), pid);
      assertEquals((await getJson(Number(port), "/health")).status, 200);
      const other = await sb.run(["-m", "tiny", "-d", "-p", port, "--", "-c", "256"]);
      assertEquals(other.code, 0, other.stderr);
      assert(withStore(sb, (s) => s.servers()[0]!.pid) !== pid, "restarted with the new args");
      const props = (await getJson(Number(port), "/props")).body as {
        default_generation_settings: { n_ctx: number };
      };
      assertEquals(props.default_generation_settings.n_ctx, 256);
    });
  },
);

realTest("--logs shows llama-server's log; -f follows it until the server stops", async (real) => {
  await withRealSandbox(real, ["plain"], async (sb) => {
    const port = String(freePort());
    assertEquals((await sb.run(["-m", "tiny", "-d", "-p", port])).code, 0);
    const shown = await sb.run(["--logs"]);
    assertEquals(shown.code, 0, shown.stderr);
    assertStringIncludes(shown.stdout, `listening on http://127.0.0.1:${port}`);

    const child = sb.spawn(["--logs", "-f", "-p", port]);
    const dec = new TextDecoder();
    let out = "";
    const reading = (async () => {
      for await (const chunk of child.stdout) out += dec.decode(chunk);
    })();
    assert(await pollUntil(() => out.includes("listening on"), 10_000), out);
    assertEquals((await sb.run(["-k", "-p", port])).code, 0);
    const status = await child.status;
    await reading;
    const err = dec.decode(await new Response(child.stderr).arrayBuffer());
    assertEquals(status.code, 0, err);
    assertStringIncludes(err, `(the server on port ${port} stopped)`);
    // What the server wrote while stopping came through -f.
    assertStringIncludes(out, "cleaning up before exit");
  });
});

realTest("--status shows the real server's uptime and resident memory", async (real) => {
  await withRealSandbox(real, ["plain"], async (sb) => {
    const port = freePort();
    assertEquals((await sb.run(["-m", "tiny", "-d", "-p", String(port)])).code, 0);
    const doc = JSON.parse((await sb.run(["--status", "--json"])).stdout);
    const s = doc.servers[0];
    assert(s.uptime_s >= 0, JSON.stringify(s));
    assert(s.memory_bytes > 1024 * 1024, `resident memory ${s.memory_bytes}`);
  });
});

realTest(
  "--store refuses a dangling flag before saving; the server never sees it",
  async (real) => {
    await withRealSandbox(real, ["plain"], async (sb) => {
      const port = String(freePort());
      const r = await sb.run(["-m", "tiny", "--store", "-d", "-p", port, "--", "-c", "512", "-n"]);
      assertEquals(r.code, 2, r.stderr);
      assertStringIncludes(r.stderr, "error: '-n' in the args to store needs a value");
      assertEquals(withStore(sb, (s) => [s.storedArgs("real-tiny-F16.gguf"), s.servers()]), [
        [],
        [],
      ]);
      const ok = await sb.run(["--args", "tiny", "--", "-c", "512"]);
      assertEquals(ok.code, 0, ok.stderr);
      assertEquals((await sb.run(["-m", "tiny", "-d", "-p", port])).code, 0);
      const props = (await getJson(Number(port), "/props")).body as {
        default_generation_settings: { n_ctx: number };
      };
      assertEquals(props.default_generation_settings.n_ctx, 512);
    });
  },
);

/**
 * End-to-end: the CLI against the real llama-server (built by
 * `deno task real-server`): starting by partial name, readiness, a
 * completion, stored args reaching the server, a split model, status,
 * stopping, promotion to the SSD, a busy port, an unloadable model and
 * Ctrl-C in the foreground.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../assert.ts";
import { withStore } from "../sandbox.ts";
import { freePort, pollUntil } from "../fixtures/fake_server.ts";
import { alive, complete, getJson, realTest, withRealSandbox } from "./real_sandbox.ts";

realTest(
  "-m by partial name -d waits for /health, serves a completion, --status and -k",
  async (real) => {
    await withRealSandbox(real, ["plain", "split"], async (sb) => {
      const port = freePort();
      const r = await sb.run(["-m", "tiny", "-d", "-p", String(port)]);
      assertEquals(r.code, 0, r.stderr);
      assertStringIncludes(r.stderr, "model: real-tiny-F16.gguf");
      assertMatch(
        r.stdout,
        new RegExp(
          `^ready: http://127\\.0\\.0\\.1:${port} \\(real-tiny-F16\\.gguf from hdd, pid \\d+,`,
        ),
      );
      // Ready means ready: /health is 200 at once, and the model generates.
      assertEquals((await getJson(port, "/health")).status, 200);
      const done = await complete(port, "hello world", 8);
      assertEquals(done.tokens_predicted, 8);
      assertEquals(typeof done.content, "string");
      const props = (await getJson(port, "/props")).body;
      assertEquals(props.model_path, join(sb.hdd, "real-tiny-F16.gguf"));

      const st = await sb.run(["--status"]);
      assertMatch(
        st.stdout,
        new RegExp(
          `\\n *${port}  127\\.0\\.0\\.1  real-tiny-F16\\.gguf  hdd +\\d+ +\\d+s +[\\d.]+ MiB {2}ready\\n`,
        ),
      );
      const pid = withStore(sb, (s) => s.servers()[0]!.pid);
      const k = await sb.run(["-k", "-p", String(port)]);
      assertEquals(k.code, 0, k.stderr);
      assertMatch(
        k.stdout,
        new RegExp(`^port ${port}: real-tiny-F16\\.gguf \\(pid ${pid}\\) stopped with SIGTERM in`),
      );
      assert(!alive(pid));
      const log = await Deno.readTextFile(join(sb.state, "logs", `server-${port}.log`));
      assertStringIncludes(log, "cleaning up before exit...");
      assertEquals((await sb.run(["--status"])).stdout, "no llama-pack servers running\n");
    });
  },
);

realTest(
  "--store args reach the server (/props), and a split model loads from its first shard",
  async (real) => {
    await withRealSandbox(real, ["plain", "split"], async (sb) => {
      const port = freePort();
      const stored = await sb.run([
        ...["-m", "tiny", "--store", "-d", "-p", String(port)],
        ...["--", "-c", "512", "-a", "tiny-alias"],
      ]);
      assertEquals(stored.code, 0, stored.stderr);
      assertStringIncludes(
        stored.stdout,
        "stored args for real-tiny-F16.gguf: -c 512 -a tiny-alias\n",
      );
      assertEquals((await sb.run(["-k", "-p", String(port)])).code, 0);
      // The next start applies them by itself.
      const r = await sb.run(["-m", "tiny", "-d", "-p", String(port)]);
      assertEquals(r.code, 0, r.stderr);
      const props = (await getJson(port, "/props")).body;
      assertEquals(props.model_alias, "tiny-alias");
      const settings = props.default_generation_settings as Record<string, unknown>;
      assertEquals(settings.n_ctx, 512);

      const port2 = freePort();
      const s = await sb.run(["-m", "split", "-d", "-p", String(port2)]);
      assertEquals(s.code, 0, s.stderr);
      const first = join(sb.hdd, "real-split-F16-00001-of-00002.gguf");
      assertEquals((await getJson(port2, "/props")).body.model_path, first);
      // Both shards' weights are loaded: the parameter count is the whole model's.
      const models = (await getJson(port2, "/v1/models")).body.data as {
        meta: { n_params: number };
      }[];
      const tiny = (await getJson(port, "/v1/models")).body.data as {
        meta: { n_params: number };
      }[];
      assertEquals(models[0]!.meta.n_params, tiny[0]!.meta.n_params);
      assertEquals((await complete(port2, "the model", 4)).tokens_predicted, 4);

      const pids = withStore(sb, (st) => st.servers().map((x) => x.pid));
      assertEquals(pids.length, 2);
      const all = await sb.run(["--killall"]);
      assertEquals(all.code, 0, all.stderr);
      assertEquals(all.stdout.trimEnd().split("\n").length, 2, all.stdout);
      for (const line of all.stdout.trimEnd().split("\n")) {
        assertMatch(line, /stopped with SIGTERM in/);
      }
      assert(pids.every((p) => !alive(p)));
    });
  },
);

realTest(
  "after a load the copier promotes the model; the next start serves the SSD copy",
  async (real) => {
    await withRealSandbox(real, ["plain"], async (sb) => {
      const port = freePort();
      const r = await sb.run(["-m", "tiny", "-d", "-p", String(port)]);
      assertEquals(r.code, 0, r.stderr);
      assertMatch(
        r.stdout,
        /copying real-tiny-F16\.gguf \([\d.]+ MiB\) to the SSD in the background/,
      );
      const copied = await pollUntil(
        () => withStore(sb, (s) => s.ssdCopies().length === 1),
        30_000,
      );
      assert(copied, "the background copy finished");
      assertEquals((await sb.run(["-k", "-p", String(port)])).code, 0);
      const next = await sb.run(["-m", "tiny", "-d", "-p", String(port)]);
      assertEquals(next.code, 0, next.stderr);
      assertStringIncludes(next.stdout, "from ssd");
      assertEquals(
        (await getJson(port, "/props")).body.model_path,
        join(sb.ssd, "real-tiny-F16.gguf"),
      );
      assertEquals((await complete(port, "hello", 4)).tokens_predicted, 4);
    });
  },
);

realTest(
  "a busy port is refused before starting; an unloadable model fails with its log",
  async (real, t) => {
    await withRealSandbox(real, ["plain", "broken"], async (sb) => {
      await t.step("a port held by another program", async () => {
        const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
        const port = (listener.addr as Deno.NetAddr).port;
        try {
          const r = await sb.run(["-m", "tiny", "-d", "-p", String(port)]);
          assertEquals(r.code, 1, r.stderr);
          assertStringIncludes(r.stderr, `port ${port} is in use by another program`);
          assertEquals(withStore(sb, (s) => s.servers()), []);
        } finally {
          listener.close();
        }
      });
      await t.step(
        "a port held by a llama-server llama-pack did not start is left alone",
        async () => {
          const port = freePort();
          const foreign = new Deno.Command(real.server, {
            args: ["-m", real.models.plain, "--host", "127.0.0.1", "--port", String(port)],
            stdout: "null",
            stderr: "null",
          }).spawn();
          try {
            assert(await pollUntil(() => portTaken(port), 10_000), "the foreign server listens");
            const r = await sb.run(["-m", "tiny", "-d", "-p", String(port)]);
            assertEquals(r.code, 1, r.stderr);
            assertStringIncludes(r.stderr, `port ${port} is in use by another program`);
            const k = await sb.run(["-k", "-p", String(port)]);
            assertEquals(k.code, 1);
            assertStringIncludes(k.stderr, "llama-pack did not start and leaves alone");
            assert(alive(foreign.pid), "the foreign server still runs");
          } finally {
            foreign.kill("SIGKILL");
            await foreign.status;
          }
        },
      );
      await t.step("a model the server refuses to load", async () => {
        const port = freePort();
        const r = await sb.run(["-m", "broken", "-d", "-p", String(port)]);
        assertEquals(r.code, 1, r.stderr);
        assertMatch(
          r.stderr,
          /error: llama-server exited while loading real-broken-F16\.gguf \(exit code 1\); log: /,
        );
        assertStringIncludes(r.stderr, "exiting due to model loading error");
        assertEquals(withStore(sb, (s) => [s.servers(), s.uses()]), [[], []]);
      });
    });
  },
);

realTest("Ctrl-C in the foreground stops the server cleanly and records the use", async (real) => {
  await withRealSandbox(real, ["plain"], async (sb) => {
    const port = freePort();
    const child = sb.spawn(["-m", "tiny", "-p", String(port)]);
    const output = child.output();
    assert(await pollUntil(() => withStore(sb, (s) => s.uses().length === 1), 20_000), "ready");
    const pid = withStore(sb, (s) => s.servers()[0]!.pid);
    assertEquals((await complete(port, "hello", 4)).tokens_predicted, 4);
    child.kill("SIGINT");
    const out = await output;
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 0, stderr);
    assertStringIncludes(stderr, "model loaded"); // the server's own output
    assertStringIncludes(stderr, "Ctrl-C: stopping llama-server");
    assertStringIncludes(stderr, "cleaning up before exit...");
    assertMatch(stderr, /stopped real-tiny-F16\.gguf after \d+s\n$/);
    assert(!alive(pid));
    withStore(sb, (s) => {
      assertEquals(s.servers(), []);
      assert(s.uses()[0]!.duration !== null);
    });
  });
});

function portTaken(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return false;
  } catch {
    return true;
  }
}

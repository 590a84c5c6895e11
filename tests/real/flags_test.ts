/**
 * End-to-end, real llama-server: flags it no longer accepts are named before
 * starting (learned from its own `--help`), inherited `LLAMA_ARG_*`
 * variables are shown, and a missing binary is reported before anything is
 * announced.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../assert.ts";
import { withStore } from "../sandbox.ts";
import { freePort } from "../fixtures/fake_server.ts";
import { getJson, realTest, withRealSandbox } from "./real_sandbox.ts";

realTest(
  "the real server refuses removed flags, so llama-pack names them before starting",
  async (real, t) => {
    await withRealSandbox(real, ["plain"], async (sb) => {
      await t.step("the server itself: exit 1, invalid argument", async () => {
        const out = await new Deno.Command(real.server, {
          args: ["-m", real.models.plain, "--port", String(freePort()), "--no-mmap"],
          stdout: "piped",
          stderr: "piped",
        }).output();
        assertEquals(out.code, 1);
        assertStringIncludes(
          new TextDecoder().decode(out.stderr),
          "error: invalid argument: --no-mmap",
        );
      });
      await t.step("this run's args", async () => {
        const r = await sb.run(["-m", "tiny", "-d", "-p", String(freePort()), "--", "--no-mmap"]);
        assertEquals(r.code, 2, r.stderr);
        assertEquals(
          r.stderr.split("\n")[1],
          `error: ${real.server} does not accept --no-mmap (in the args after --): use --load-mode none instead`,
        );
        assert(!r.stderr.includes("starting llama-server"), r.stderr);
        assertEquals(withStore(sb, (s) => s.servers()), []);
      });
      await t.step("stored args, named with how to fix them", async () => {
        // Stored when the server still accepted --mlock.
        withStore(sb, (s) => s.setStoredArgs("real-tiny-F16.gguf", ["--mlock", "-c", "512"]));
        const r = await sb.run(["-m", "tiny", "-n"]);
        assertEquals(r.code, 2, r.stderr);
        assertStringIncludes(
          r.stderr,
          `error: ${real.server} does not accept --mlock (in the stored args of real-tiny-F16.gguf): use --load-mode mlock instead`,
        );
        assertStringIncludes(r.stderr, "llama-pack -m real-tiny-F16.gguf --store -- ");
      });
      await t.step("global args, and a flag with no known replacement", async () => {
        withStore(sb, (s) => s.setStoredArgs("real-tiny-F16.gguf", []));
        await sb.writeConfig({ global_llama_args: ["--frobnicate", "-c", "512"] });
        const r = await sb.run(["-m", "tiny", "-n"]);
        assertEquals(r.code, 2, r.stderr);
        assertStringIncludes(
          r.stderr,
          `error: ${real.server} does not accept --frobnicate (in global_llama_args)`,
        );
        await sb.writeConfig();
      });
      await t.step(
        "flags only the binary's --help knows are accepted and merged by alias",
        async () => {
          // --spec-default and -kvu are current flags; -lm/--load-mode aliases merge.
          const port = freePort();
          const r = await sb.run([
            "-m",
            "tiny",
            "-d",
            "-p",
            String(port),
            "--",
            "--load-mode",
            "none",
            "-lm",
            "mmap",
            "--cache-idle-slots",
          ]);
          assertEquals(r.code, 0, r.stderr);
          assertStringIncludes(r.stderr, " -lm mmap --cache-idle-slots\n");
          assert(!r.stderr.includes("--load-mode none"), r.stderr);
          // The learned table is cached by the binary's path, size and mtime.
          const cached = JSON.parse(await Deno.readTextFile(join(sb.state, "server-flags.json")));
          assertEquals(cached.binary, real.server);
          assert(cached.flags.length > 200, `learned ${cached.flags.length} flags`);
        },
      );
    });
  },
);

realTest(
  "inherited LLAMA_ARG_* variables are shown by -n, -v and --status -v, and really apply",
  async (real) => {
    await withRealSandbox(real, ["plain"], async (sb) => {
      const env = {
        LLAMA_ARG_CTX_SIZE: "256",
        LLAMA_ARG_ALIAS: "from-env",
        LLAMA_ARG_NOT_A_FLAG: "1",
      };
      const n = await sb.run(["-m", "tiny", "-n"], { env });
      assertEquals(n.code, 0, n.stderr);
      assertStringIncludes(
        n.stdout,
        "  environment: LLAMA_ARG_ALIAS=from-env (-a/--alias), LLAMA_ARG_CTX_SIZE=256 (-c/--ctx-size)\n",
      );
      assert(!n.stdout.includes("NOT_A_FLAG"), n.stdout);
      const over = await sb.run(["-m", "tiny", "-n", "--", "-c", "512"], { env });
      assertStringIncludes(
        over.stdout,
        "LLAMA_ARG_CTX_SIZE=256 (-c/--ctx-size; overridden by -c 512)",
      );

      const port = freePort();
      const r = await sb.run(["-m", "tiny", "-d", "-v", "-p", String(port)], { env });
      assertEquals(r.code, 0, r.stderr);
      assertStringIncludes(
        r.stderr,
        "environment: LLAMA_ARG_ALIAS=from-env (-a/--alias), LLAMA_ARG_CTX_SIZE=256",
      );
      const props = (await getJson(port, "/props")).body;
      assertEquals(props.model_alias, "from-env");
      assertEquals((props.default_generation_settings as { n_ctx: number }).n_ctx, 256);

      // --status -v reads what the running server inherited, whatever the caller's environment.
      const st = await sb.run(["--status", "-v"]);
      assertEquals(st.code, 0, st.stderr);
      assertStringIncludes(
        st.stdout,
        "environment: LLAMA_ARG_ALIAS=from-env (-a/--alias), LLAMA_ARG_CTX_SIZE=256",
      );
    });
  },
);

realTest("a missing server binary is reported before anything is announced", async (real) => {
  await withRealSandbox(real, ["plain"], async (sb) => {
    await sb.writeConfig({ server_binary: join(sb.root, "no-such-llama-server") });
    const r = await sb.run(["-m", "tiny", "-d", "-p", String(freePort())]);
    assertEquals(r.code, 1);
    assertMatch(
      r.stderr,
      /^model: real-tiny-F16\.gguf\nerror: cannot start server: '.*no-such-llama-server' not found or not executable\n/,
    );
    assert(!r.stderr.includes("starting"), r.stderr);
  });
});

/**
 * End-to-end, against the fake llama-server: stored args checked before they
 * are saved and shown and cleared without a server (`--args`,
 * `--clear-args`, `-l -v`, `-l --json`); `--alias`; `-m` of a model already
 * running with the same args reuses it; `--logs` and `--logs -f`; memory and
 * uptime in `--status`; state-only commands with a broken config.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { makeSandbox, type Sandbox, withStore } from "./sandbox.ts";
import { freePort, pollUntil, seedModels } from "./fixtures/fake_server.ts";

const MODEL = "Gemma2-9B-Q5_K.gguf";

async function withSandbox(
  fn: (sb: Sandbox) => Promise<void>,
  extra: Record<string, unknown> = {},
) {
  const sb = await makeSandbox({ cache: { auto: false }, ...extra });
  try {
    await seedModels(sb, [
      { id: MODEL, hdd: [MODEL] },
      { id: "Qwen3-8B-Q4_K_M.gguf", hdd: ["Qwen3-8B-Q4_K_M.gguf"] },
    ]);
    await fn(sb);
  } finally {
    await sb.run(["--killall"], { env: { LLAMA_PACK_STOP_GRACE_MS: "200" } });
    await sb.cleanup();
  }
}

Deno.test("--store checks the args before saving anything", async (t) => {
  await withSandbox(async (sb) => {
    const stored = () => withStore(sb, (s) => s.storedArgs(MODEL));
    const cases: [string[], string, string][] = [
      [
        ["-c", "8192", "-ngl", "40", "-n"],
        "error: '-n' in the args to store needs a value",
        "hint: everything after -- goes to llama-server; llama-pack's own -n goes before --",
      ],
      [
        ["-c", "-ngl", "40"],
        "error: '-c' in the args to store needs a value, but is followed by the flag '-ngl'",
        "",
      ],
      [
        ["-c", "8192", "fast"],
        "error: unexpected argument 'fast' in the args to store (llama-server args are flags, each followed by its value)",
        "",
      ],
      [
        ["--port", "9000"],
        "error: cannot pass --port in the args to store: llama-pack sets the port",
        "hint: use llama-pack -p/--port before --",
      ],
    ];
    for (const [args, error, hint] of cases) {
      for (const how of [["-m", "gemma", "--store", "-d"], ["--args", "gemma"]]) {
        await t.step(`${how.join(" ")} -- ${args.join(" ")}`, async () => {
          const r = await sb.run([...how, "-p", String(freePort()), "--", ...args]);
          assertEquals(r.code, 2, r.stderr);
          assertStringIncludes(r.stderr, `${error}\n`);
          if (hint) assertStringIncludes(r.stderr, `${hint}\n`);
          assertEquals(stored(), [], "nothing stored");
          assertEquals(withStore(sb, (s) => s.servers()), [], "no server started");
        });
      }
    }
    await t.step("an unknown flag is stored with a warning naming the closest one", async () => {
      const r = await sb.run(["--args", "gemma", "--", "--ctx-szie", "8192"]);
      assertEquals(r.code, 0, r.stderr);
      assertStringIncludes(
        r.stderr,
        "warning: '--ctx-szie' in the args to store is not a flag llama-pack knows for llama-server (did you mean '--ctx-size'?); passed on as written\n",
      );
      assertEquals(stored(), ["--ctx-szie", "8192"]);
    });
  });
});

Deno.test("--args and --clear-args show, store and clear stored args without a server; -l shows them", async (t) => {
  await withSandbox(async (sb) => {
    const model = join(sb.hdd, MODEL);
    await t.step("none yet", async () => {
      const r = await sb.run(["--args", "gemma"]);
      assertEquals([r.code, r.stderr], [0, ""]);
      assertEquals(
        r.stdout,
        `no stored args for ${MODEL}\nglobal_llama_args: --jinja\n` +
          `llama-pack -m runs (from hdd): ${fakeBin()} -m ${model} --host 127.0.0.1 --port 8080 ` +
          `--alias Gemma2-9B-Q5_K --jinja\n`,
      );
    });
    await t.step("store", async () => {
      const r = await sb.run(["--args", "gemma", "--", "-c", "8192", "-ngl", "99"]);
      assertEquals([r.code, r.stderr], [0, ""]);
      assertStringIncludes(r.stdout, `stored args for ${MODEL}: -c 8192 -ngl 99\n`);
      assertEquals(withStore(sb, (s) => [s.storedArgs(MODEL), s.servers()]), [
        ["-c", "8192", "-ngl", "99"],
        [],
      ]);
    });
    await t.step("-l -v and -l --json show them", async () => {
      const v = await sb.run(["-l", "-v"]);
      assertStringIncludes(v.stdout, "   stored args: -c 8192 -ngl 99\n");
      const doc = JSON.parse((await sb.run(["-l", "--json"])).stdout);
      const byId = new Map(doc.models.map((m: { id: string }) => [m.id, m]));
      assertEquals((byId.get(MODEL) as { storedArgs: string[] }).storedArgs, [
        "-c",
        "8192",
        "-ngl",
        "99",
      ]);
      assertEquals((byId.get("Qwen3-8B-Q4_K_M.gguf") as { storedArgs: string[] }).storedArgs, []);
    });
    await t.step("show them and the command line they make", async () => {
      const r = await sb.run(["--args", "gemma", "-p", "9001"]);
      assertStringIncludes(r.stdout, `stored args for ${MODEL}: -c 8192 -ngl 99\n`);
      assertStringIncludes(
        r.stdout,
        `--port 9001 --alias Gemma2-9B-Q5_K --jinja -c 8192 -ngl 99\n`,
      );
    });
    await t.step("--clear-args, -n first", async () => {
      const dry = await sb.run(["--clear-args", "gemma", "-n"]);
      assertEquals(dry.stdout, `would clear the stored args of ${MODEL} (were: -c 8192 -ngl 99)\n`);
      assertEquals(withStore(sb, (s) => s.storedArgs(MODEL)).length, 4);
      const r = await sb.run(["--clear-args", "gemma"]);
      assertEquals(r.stdout, `cleared the stored args of ${MODEL} (were: -c 8192 -ngl 99)\n`);
      assertEquals(withStore(sb, (s) => s.storedArgs(MODEL)), []);
      const again = await sb.run(["--clear-args", "gemma"]);
      assertEquals(again.stdout, `no stored args for ${MODEL}: nothing to clear\n`);
    });
    await t.step("broken stored args from an older version say how to fix them", async () => {
      withStore(sb, (s) => s.setStoredArgs(MODEL, ["-c", "8192", "-n"]));
      const r = await sb.run(["-m", "gemma", "-n"]);
      assertEquals(r.code, 2);
      assertStringIncludes(r.stderr, `error: '-n' in the stored args of ${MODEL} needs a value\n`);
      assertStringIncludes(
        r.stderr,
        `hint: replace them: llama-pack --args '${MODEL}' -- ARGS, or clear them: llama-pack --clear-args '${MODEL}'\n`,
      );
    });
  }, { global_llama_args: ["--jinja"] });
});

function fakeBin(): string {
  return new URL("./fixtures/llama-server", import.meta.url).pathname;
}

Deno.test("-m names the model with --alias unless the args or LLAMA_ARG_ALIAS do", async (t) => {
  await withSandbox(async (sb) => {
    for (
      const [args, env, want] of [
        [[], {}, "--alias Gemma2-9B-Q5_K"],
        [["--", "-a", "gemma"], {}, "-a gemma"],
        [[], { LLAMA_ARG_ALIAS: "mine" }, ""],
      ] as const
    ) {
      await t.step(`${args.join(" ")} ${JSON.stringify(env)}`, async () => {
        const r = await sb.run(["-m", "gemma", "-n", ...args], { env });
        assertEquals(r.code, 0, r.stderr);
        const line = r.stdout.trimEnd();
        if (want) assertStringIncludes(line, ` ${want}`);
        assertEquals((line.match(/ (-a|--alias) /g) ?? []).length, want ? 1 : 0, line);
      });
    }
  });
});

Deno.test("-m of a model already running with the same args reuses it; other args restart it", async () => {
  await withSandbox(async (sb) => {
    const port = String(freePort());
    const first = await sb.run(["-m", "gemma", "-d", "-p", port]);
    assertEquals(first.code, 0, first.stderr);
    const pid = withStore(sb, (s) => s.servers()[0]!.pid);
    for (const mode of [["-d"], []]) {
      const again = await sb.run(["-m", "gemma", ...mode, "-p", port]);
      assertEquals(again.code, 0, again.stderr);
      assertMatch(
        again.stdout,
        new RegExp(
          `^already running: http://127\\.0\\.0\\.1:${port} \\(${MODEL} from hdd, pid ${pid}, up \\d+s; same args, nothing restarted\\)\\n`,
        ),
      );
      assertStringIncludes(again.stderr, `hint: llama-pack --logs -f -p ${port} follows its log`);
      assertEquals(withStore(sb, (s) => s.servers()[0]!.pid), pid, "the same server");
    }
    // One load recorded: a reuse loads nothing.
    assertEquals(withStore(sb, (s) => s.uses(MODEL).length), 1);
    const other = await sb.run(["-m", "gemma", "-d", "-p", port, "--", "-c", "4096"]);
    assertEquals(other.code, 0, other.stderr);
    assertStringIncludes(other.stderr, `stopped the llama-pack server on port ${port}`);
    assert(withStore(sb, (s) => s.servers()[0]!.pid) !== pid, "a new server");
  });
});

Deno.test("--logs shows a server's log; -f follows it until the server stops", async (t) => {
  await withSandbox(async (sb) => {
    const port = String(freePort());
    assertEquals((await sb.run(["-m", "gemma", "-d", "-p", port])).code, 0);
    await t.step("the only server's log, without -p", async () => {
      const r = await sb.run(["--logs"]);
      assertEquals(r.code, 0, r.stderr);
      assertStringIncludes(r.stdout, "main: server is listening on http://127.0.0.1:");
    });
    await t.step("two servers: -p says which", async () => {
      const port2 = String(freePort());
      assertEquals((await sb.run(["-m", "qwen3", "-d", "-p", port2])).code, 0);
      const r = await sb.run(["--logs"]);
      assertEquals(r.code, 2);
      assertStringIncludes(r.stderr, "error: 2 servers are running (ports ");
      const p = await sb.run(["--logs", "-p", port2]);
      assertStringIncludes(p.stdout, "Qwen3-8B-Q4_K_M.gguf");
      assertEquals((await sb.run(["-k", "-p", port2])).code, 0);
    });
    await t.step("-f prints what the server writes and ends when it stops", async () => {
      const child = sb.spawn(["--logs", "-f", "-p", port]);
      const dec = new TextDecoder();
      let out = "";
      const reader = (async () => {
        for await (const chunk of child.stdout) out += dec.decode(chunk);
      })();
      assert(await pollUntil(() => out.includes("server is listening"), 10_000), out);
      // A request to the fake server writes a line to its log.
      await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.body?.cancel());
      assertEquals((await sb.run(["-k", "-p", port])).code, 0);
      const status = await child.status;
      await reader;
      const err = dec.decode(await new Response(child.stderr).arrayBuffer());
      assertEquals(status.code, 0, err);
      assertStringIncludes(out, "cleaning up before exit");
      assertStringIncludes(err, `(the server on port ${port} stopped)\n`);
    });
    await t.step("no server any more: the last log, said so", async () => {
      const r = await sb.run(["--logs", "-p", port]);
      assertEquals(r.code, 0, r.stderr);
      assertStringIncludes(r.stderr, `no llama-pack server on port ${port} now; its last log (`);
    });
  });
});

Deno.test("--status shows uptime and memory", async () => {
  await withSandbox(async (sb) => {
    const port = freePort();
    assertEquals((await sb.run(["-m", "gemma", "-d", "-p", String(port)])).code, 0);
    const doc = JSON.parse((await sb.run(["--status", "--json"])).stdout);
    const s = doc.servers[0];
    assert(s.uptime_s >= 0 && s.uptime_s < 600, JSON.stringify(s));
    // The fake server is a Deno process: tens of MiB resident.
    assert(
      s.memory_bytes > 10 * 1024 ** 2 && s.memory_bytes < 2 * 1024 ** 3,
      String(s.memory_bytes),
    );
    const text = await sb.run(["--status"], { env: { COLUMNS: "80" } });
    for (const line of text.stdout.split("\n")) assert(line.length <= 80, line);
    assertMatch(text.stdout, /\d+s +\d+\.\d MiB {2}ready\n/);
  });
});

Deno.test("--status, -k, --killall and --logs work with a broken config, and warn", async () => {
  await withSandbox(async (sb) => {
    const port = freePort();
    assertEquals((await sb.run(["-m", "gemma", "-d", "-p", String(port)])).code, 0);
    const good = await Deno.readTextFile(sb.config);
    await Deno.writeTextFile(sb.config, good.replace(/\}\s*$/, `, "ssd_min_fre_gb": 3 }`));
    const broken = await sb.run(["-l"]);
    assertEquals(broken.code, 2, "other commands still stop");
    const warning = "warning: the config has errors; %s goes on without ssd_min_fre_gb " +
      "(fix it with llama-pack --edit-config)\n";
    for (
      const [args, name] of [[["--status"], "--status"], [["--logs", "-p", String(port)], "--logs"]]
    ) {
      const r = await sb.run(args as string[]);
      assertEquals(r.code, 0, r.stderr);
      assertStringIncludes(
        r.stderr,
        "ssd_min_fre_gb: unknown key (did you mean 'ssd_min_free_gb'?)\n",
      );
      assertStringIncludes(r.stderr, warning.replace("%s", name as string));
    }
    const k = await sb.run(["-k", "-p", String(port)]);
    assertEquals(k.code, 0, k.stderr);
    assertStringIncludes(k.stdout, `port ${port}: ${MODEL} (pid `);
    assertStringIncludes(k.stderr, warning.replace("%s", "-k"));
    // A config that is not even JSON: the defaults, and still a warning.
    await Deno.writeTextFile(sb.config, "{ oops");
    const all = await sb.run(["--killall"]);
    assertEquals([all.code, all.stdout], [0, "no llama-pack servers running\n"]);
    assertStringIncludes(
      all.stderr,
      "warning: the config has errors; --killall goes on without (syntax)",
    );
  });
});

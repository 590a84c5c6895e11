/**
 * End-to-end tests of running models: `-m` (foreground and `-d`), `--store`,
 * `--status`, `-k` and `--killall`, against the fake llama-server.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { makeSandbox, type Sandbox, withStore } from "./sandbox.ts";
import { freePort, pollUntil, seedModels } from "./fixtures/fake_server.ts";
import { makeLibrary, shardEntries } from "./gguf_writer.ts";
import { readProcStat } from "../lib/server/process_identity.ts";
import { processOwner } from "../lib/cache/copy_jobs.ts";

const alive = (pid: number) => {
  const st = readProcStat(pid);
  return st !== undefined && st.state !== "Z";
};

/** A sandbox with two models; every server is killed at the end. */
async function withSandbox(
  fn: (sb: Sandbox) => Promise<void>,
  extra: Record<string, unknown> = {},
) {
  const sb = await makeSandbox(extra);
  try {
    await seedModels(sb, [
      { id: "Gemma2-9B-Q5_K.gguf", hdd: ["Gemma2-9B-Q5_K.gguf"] },
      { id: "Qwen3-8B-Q4_K_M.gguf", hdd: ["Qwen3-8B-Q4_K_M.gguf"] },
    ]);
    await fn(sb);
  } finally {
    await sb.run(["--killall"], { env: { LLAMA_PACK_STOP_GRACE_MS: "200" } });
    await sb.cleanup();
  }
}

Deno.test("llama-pack -m NAME -d starts the server, --status shows it, -k stops it", async () => {
  await withSandbox(async (sb) => {
    const port = freePort();
    const r = await sb.run(["-m", "gemma5", "-d", "-p", String(port)]);
    assertEquals(r.code, 0, r.stderr);
    const log = join(sb.state, "logs", `server-${port}.log`);
    assertStringIncludes(r.stderr, "model: Gemma2-9B-Q5_K.gguf");
    assertStringIncludes(r.stderr, `starting llama-server from hdd: ${fakeBin(sb)} -m `);
    assertMatch(
      r.stdout,
      new RegExp(
        `^ready: http://127\\.0\\.0\\.1:${port} \\(Gemma2-9B-Q5_K\\.gguf from hdd, pid \\d+, \\d+\\.\\ds to load\\)\nlog: ${log}\n`,
      ),
    );
    // The server really runs the model we asked for.
    const props = await (await fetch(`http://127.0.0.1:${port}/props`)).json();
    assertEquals(props.model_path, join(sb.hdd, "Gemma2-9B-Q5_K.gguf"));
    assertStringIncludes(await Deno.readTextFile(log), "main: model loaded");

    // One use recorded, with the tier and time-to-ready, duration still open.
    const uses = withStore(sb, (s) => s.uses("Gemma2-9B-Q5_K.gguf"));
    assertEquals(uses.length, 1);
    assertEquals(uses[0]!.tier, "hdd");
    assertEquals(uses[0]!.port, port);
    assert(uses[0]!.ready_seconds !== null && uses[0]!.ready_seconds >= 0);
    assertEquals(uses[0]!.duration, null);

    const st = await sb.run(["--status"]);
    assertEquals(st.code, 0, st.stderr);
    const lines = st.stdout.trimEnd().split("\n");
    assertMatch(lines[0]!, /^ *PORT +HOST +MODEL +TIER +PID +UPTIME +MEM +STATE$/);
    assertMatch(
      lines[1]!,
      new RegExp(
        `^ *${port}  127\\.0\\.0\\.1  Gemma2-9B-Q5_K\\.gguf  hdd +\\d+  \\d+s +\\d+\\.\\d MiB  ready$`,
      ),
    );

    const js = await sb.run(["--stat", "--json"]);
    const report = JSON.parse(js.stdout);
    assertEquals(report.servers.length, 1);
    assertEquals(report.servers[0].state, "ready");
    assertEquals(report.servers[0].port, port);
    assertEquals(report.servers[0].model, "Gemma2-9B-Q5_K.gguf");
    const pid: number = report.servers[0].pid;
    assert(alive(pid));

    const k = await sb.run(["-k", "-p", String(port)]);
    assertEquals(k.code, 0, k.stderr);
    assertMatch(
      k.stdout,
      new RegExp(
        `^port ${port}: Gemma2-9B-Q5_K\\.gguf \\(pid ${pid}\\) stopped with SIGTERM in \\d+\\.\\ds\n$`,
      ),
    );
    assert(await pollUntil(() => !alive(pid), 2_000));
    assertStringIncludes(await Deno.readTextFile(log), "cleaning up before exit...");
    const after = withStore(
      sb,
      (s) => ({ servers: s.servers(), use: s.uses("Gemma2-9B-Q5_K.gguf")[0] }),
    );
    assertEquals(after.servers, []);
    assert(after.use?.duration !== null && after.use!.duration! >= 0, "duration recorded on kill");

    assertEquals((await sb.run(["--st"])).stdout, "no llama-pack servers running\n");
    const again = await sb.run(["-k", "-p", String(port)]);
    assertEquals(again.code, 1);
    assertEquals(again.stderr.split("\n")[0], `error: no llama-pack server on port ${port}`);
  });
});

Deno.test("llama-pack -m merges global, stored and run args flag-aware", async (t) => {
  await withSandbox(async (sb) => {
    const model = join(sb.hdd, "Gemma2-9B-Q5_K.gguf");
    // llama-pack names the model for /v1/models with --alias (its name without .gguf).
    const base = `-m ${model} --host 127.0.0.1 --port 8080 --alias Gemma2-9B-Q5_K`;
    await t.step("global args alone", async () => {
      const r = await sb.run(["-m", "gemma", "-n"]);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(
        r.stdout,
        `would run (from hdd): ${fakeBin(sb)} ${base} --ctx-size 4096 --jinja\n`,
      );
    });
    await t.step("--store saves the args after -- and prints them", async () => {
      const r = await sb.run([
        "-m",
        "gemma",
        "--store",
        "-d",
        "-p",
        String(freePort()),
        "--",
        "-c",
        "8192",
        "-ngl",
        "40",
      ]);
      assertEquals(r.code, 0, r.stderr);
      assertStringIncludes(r.stdout, "stored args for Gemma2-9B-Q5_K.gguf: -c 8192 -ngl 40\n");
      assertEquals(withStore(sb, (s) => s.storedArgs("Gemma2-9B-Q5_K.gguf")), [
        "-c",
        "8192",
        "-ngl",
        "40",
      ]);
      await sb.run(["--killall"]);
    });
    await t.step("stored args replace global ones, run args replace stored ones", async () => {
      const r = await sb.run(["-m", "gemma", "-n", "--", "--n-gpu-layers", "20", "-t", "2"]);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(
        r.stdout,
        `would run (from hdd): ${fakeBin(sb)} ${base} -c 8192 --jinja --n-gpu-layers 20 -t 2\n`,
      );
    });
    await t.step("the server receives exactly the merged argv", async () => {
      const port = freePort();
      const argvFile = join(sb.root, "argv.json");
      const r = await sb.run(["-m", "gemma", "-d", "-p", String(port), "--", "--no-jinja"], {
        env: { FAKE_LLAMA_ARGV_FILE: argvFile },
      });
      assertEquals(r.code, 0, r.stderr);
      assertEquals(
        JSON.parse(await Deno.readTextFile(argvFile)).join(" "),
        `-m ${model} --host 127.0.0.1 --port ${port} --alias Gemma2-9B-Q5_K -c 8192 --no-jinja -ngl 40`,
      );
      await sb.run(["-k", "-p", String(port)]);
    });
    await t.step("--store with nothing after -- clears the stored args", async () => {
      const r = await sb.run(["-m", "gemma", "--store", "-n"]);
      assertEquals(r.code, 0, r.stderr);
      assertStringIncludes(r.stdout, "would clear stored args for Gemma2-9B-Q5_K.gguf\n");
      const real = await sb.run(["-m", "gemma", "--store", "-d", "-p", String(freePort())]);
      assertEquals(real.code, 0, real.stderr);
      assertStringIncludes(real.stdout, "cleared stored args for Gemma2-9B-Q5_K.gguf\n");
      assertEquals(withStore(sb, (s) => s.storedArgs("Gemma2-9B-Q5_K.gguf")), []);
    });
    await t.step("--port after -- is refused: use -p", async () => {
      const r = await sb.run(["-m", "gemma", "-n", "--", "--port", "9000"]);
      assertEquals(r.code, 2);
      assertEquals(
        r.stderr.split("\n").slice(1, 3).join("\n"),
        "error: cannot pass --port in the args after --: llama-pack sets the port\nhint: use llama-pack -p/--port before --",
      );
    });
  }, {
    global_llama_args: ["--ctx-size", "4096", "--jinja"],
    // This test is about argument merging: no background copy to the SSD, so
    // every run serves the HDD file.
    cache: { auto: false },
  });
});

function fakeBin(sb: Sandbox): string {
  return JSON.parse(Deno.readTextFileSync(sb.config)).server_binary;
}

Deno.test("llama-pack -m serves a verified SSD copy first, else the HDD one, with its projector", async () => {
  const sb = await makeSandbox();
  try {
    await seedModels(sb, [
      { id: "Fast.gguf", hdd: ["Fast.gguf"], ssd: ["Fast.gguf"], ssdVerified: true },
      { id: "Half.gguf", hdd: ["Half.gguf"], ssd: ["Half.gguf"], ssdVerified: false },
      {
        id: "Big",
        hdd: ["Big-00001-of-00002.gguf", "Big-00002-of-00002.gguf"],
        mmproj: "mmproj-Big.gguf",
      },
    ]);
    const fast = await sb.run(["-m", "Fast", "-n"]);
    assertStringIncludes(
      fast.stdout,
      `would run (from ssd): ${fakeBin(sb)} -m ${join(sb.ssd, "Fast.gguf")} `,
    );
    const half = await sb.run(["-m", "Half", "-n"]);
    assertStringIncludes(
      half.stdout,
      `would run (from hdd): ${fakeBin(sb)} -m ${join(sb.hdd, "Half.gguf")} `,
    );
    const big = await sb.run(["-m", "Big", "-n"]);
    assertStringIncludes(
      big.stdout,
      `-m ${join(sb.hdd, "Big-00001-of-00002.gguf")} --mmproj ${
        join(sb.hdd, "mmproj-Big.gguf")
      } --host`,
    );
    // A vanished verified SSD copy falls back to the HDD.
    await Deno.remove(join(sb.ssd, "Fast.gguf"));
    const fallback = await sb.run(["-m", "Fast", "-n"]);
    assertStringIncludes(
      fallback.stdout,
      `(from hdd): ${fakeBin(sb)} -m ${join(sb.hdd, "Fast.gguf")} `,
    );
  } finally {
    await sb.cleanup();
  }
});

Deno.test("after --update, llama-pack -m hands the server the first shard and the projector", async () => {
  const sb = await makeSandbox();
  const port = freePort();
  try {
    await makeLibrary(sb.hdd, {
      "vis/Llava-7B-Q4_K_M.gguf": { size: 4 * 1024 ** 3 },
      "vis/mmproj-llava.gguf": { projector: true },
      ...shardEntries("big/Qwen-72B-Q4_K_M", 3, { size: 45 * 1024 ** 3 }),
    });
    assertEquals((await sb.run(["--update"])).code, 0);
    const llava = await sb.run(["-m", "llava", "-n"]);
    assertStringIncludes(
      llava.stdout,
      `-m ${join(sb.hdd, "vis/Llava-7B-Q4_K_M.gguf")} --mmproj ${
        join(sb.hdd, "vis/mmproj-llava.gguf")
      } --host`,
    );
    const r = await sb.run(["-m", "qwen-72b", "-d", "-p", String(port)]);
    assertEquals(r.code, 0, r.stderr);
    const props = await (await fetch(`http://127.0.0.1:${port}/props`)).json();
    assertEquals(props.model_path, join(sb.hdd, "big/Qwen-72B-Q4_K_M-00001-of-00003.gguf"));
  } finally {
    await sb.run(["--killall"]);
    await sb.cleanup();
  }
});

Deno.test("llama-pack -m -d fails at once with the log's last lines when the server dies loading; records nothing", async () => {
  await withSandbox(async (sb) => {
    const port = freePort();
    const started = performance.now();
    const r = await sb.run(["-m", "gemma", "-d", "-p", String(port)], {
      env: { FAKE_LLAMA_LOAD_SECONDS: "30", FAKE_LLAMA_EXIT_AFTER_SECONDS: "0.3" },
    });
    assert(performance.now() - started < 5_000);
    assertEquals(r.code, 1);
    assertEquals(r.stdout, "");
    const log = join(sb.state, "logs", `server-${port}.log`);
    assertStringIncludes(
      r.stderr,
      `error: llama-server exited while loading Gemma2-9B-Q5_K.gguf (exit code 1); log: ${log}\n`,
    );
    assertStringIncludes(r.stderr, "hint: ");
    assertStringIncludes(r.stderr, "main: exiting due to model loading error");
    withStore(sb, (s) => {
      assertEquals(s.uses(), []);
      assertEquals(s.servers(), []);
    });
  });
});

Deno.test("llama-pack -m -d --timeout stops a server that is not ready in time", async () => {
  await withSandbox(async (sb) => {
    const port = freePort();
    // 3 s: time enough for the fake to start answering 503 on a busy machine.
    const r = await sb.run(["-m", "gemma", "-d", "-p", String(port), "--timeout", "3s"], {
      env: { FAKE_LLAMA_LOAD_SECONDS: "30" },
    });
    assertEquals(r.code, 1);
    assertStringIncludes(
      r.stderr,
      `error: server not ready after 3s: http://127.0.0.1:${port}/health is still loading (503)`,
    );
    withStore(sb, (s) => {
      assertEquals(s.uses(), []);
      assertEquals(s.servers(), []);
    });
    // Nothing is left listening.
    const l = Deno.listen({ hostname: "127.0.0.1", port });
    l.close();
  });
});

Deno.test("llama-pack -m replaces a llama-pack server on the port but refuses a foreign one", async (t) => {
  await withSandbox(async (sb) => {
    const port = freePort();
    await t.step("a llama-pack server is stopped first, and the user told", async () => {
      const first = await sb.run(["-m", "gemma", "-d", "-p", String(port)]);
      assertEquals(first.code, 0, first.stderr);
      const oldPid = withStore(sb, (s) => s.servers()[0]!.pid);
      const second = await sb.run(["-m", "qwen", "-d", "-p", String(port)]);
      assertEquals(second.code, 0, second.stderr);
      assertStringIncludes(
        second.stderr,
        `stopped the llama-pack server on port ${port} (Gemma2-9B-Q5_K.gguf, pid ${oldPid}): stopped with SIGTERM\n`,
      );
      assert(!alive(oldPid));
      const props = await (await fetch(`http://127.0.0.1:${port}/props`)).json();
      assertEquals(props.model_path, join(sb.hdd, "Qwen3-8B-Q4_K_M.gguf"));
      const gemmaUse = withStore(sb, (s) => s.uses("Gemma2-9B-Q5_K.gguf")[0]);
      assert(gemmaUse?.duration !== null, "the replaced server's use got its duration");
      await sb.run(["-k", "-p", String(port)]);
    });
    await t.step("a port held by another program is refused, naming the port", async () => {
      const listener = Deno.listen({ hostname: "127.0.0.1", port });
      try {
        const r = await sb.run(["-m", "gemma", "-d", "-p", String(port)]);
        assertEquals(r.code, 1);
        assertStringIncludes(
          r.stderr,
          `error: port ${port} is in use by another program (not started by llama-pack)\n`,
        );
        const k = await sb.run(["-k", "-p", String(port)]);
        assertEquals(k.code, 1);
        assertStringIncludes(
          k.stderr,
          "the port is used by another program, which llama-pack did not start",
        );
      } finally {
        listener.close();
      }
    });
  });
});

Deno.test("llama-pack -m in the foreground streams the server's output and stops cleanly on Ctrl-C", async () => {
  await withSandbox(async (sb) => {
    const port = freePort();
    const child = sb.spawn(["-m", "gemma", "-p", String(port)]);
    const output = child.output();
    const ready = await pollUntil(
      () => withStore(sb, (s) => s.uses().length === 1),
      10_000,
    );
    assert(ready, "the foreground server became ready");
    const serverPid = withStore(sb, (s) => s.servers()[0]!.pid);
    child.kill("SIGINT");
    const out = await output;
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 0, stderr);
    assertStringIncludes(stderr, "main: model loaded"); // the server's own output
    assertStringIncludes(stderr, `ready: http://127.0.0.1:${port} (Gemma2-9B-Q5_K.gguf from hdd`);
    assertStringIncludes(stderr, "Ctrl-C: stopping llama-server");
    assertStringIncludes(stderr, "cleaning up before exit...");
    assertMatch(stderr, /stopped Gemma2-9B-Q5_K\.gguf after \d+s\n$/);
    assert(!alive(serverPid));
    const log = await Deno.readTextFile(join(sb.state, "logs", `server-${port}.log`));
    assertStringIncludes(log, "main: model loaded");
    assertStringIncludes(log, "cleaning up before exit...");
    withStore(sb, (s) => {
      assertEquals(s.servers(), []);
      const use = s.uses()[0]!;
      assert(use.duration !== null && use.duration >= 0, "duration recorded");
    });
  });
});

Deno.test("llama-pack -m in the foreground keeps supervising when its terminal goes away", async () => {
  // Like `llama-pack -m x 2>&1 | head -3`: the reader closes the pipe early.
  await withSandbox(async (sb) => {
    const port = freePort();
    const child = sb.spawn(["-m", "gemma", "-p", String(port)]);
    await child.stdout.cancel();
    await child.stderr.cancel();
    assert(await pollUntil(() => withStore(sb, (s) => s.uses().length === 1), 10_000), "ready");
    const serverPid = withStore(sb, (s) => s.servers()[0]!.pid);
    // Writing to the closed pipe did not kill llama-pack or orphan the server.
    assert(alive(serverPid));
    child.kill("SIGINT");
    const status = await child.status;
    assertEquals(status.code, 0);
    assert(await pollUntil(() => !alive(serverPid), 5_000), "the server stopped with it");
    withStore(sb, (s) => assertEquals(s.servers(), []));
  });
});

Deno.test("llama-pack -m in the foreground: a death while loading fails with exit 1 and records nothing", async () => {
  await withSandbox(async (sb) => {
    const r = await sb.run(["-m", "gemma", "-p", String(freePort())], {
      env: { FAKE_LLAMA_LOAD_SECONDS: "30", FAKE_LLAMA_EXIT_AFTER_SECONDS: "0.2" },
    });
    assertEquals(r.code, 1);
    assertStringIncludes(r.stderr, "main: exiting due to model loading error\n"); // streamed from the server
    assertStringIncludes(
      r.stderr,
      "error: llama-server exited while loading Gemma2-9B-Q5_K.gguf (exit code 1)",
    );
    withStore(sb, (s) => {
      assertEquals(s.uses(), []);
      assertEquals(s.servers(), []);
    });
  });
});

Deno.test("llama-pack -k from another terminal ends a foreground run cleanly", async () => {
  await withSandbox(async (sb) => {
    const port = freePort();
    const child = sb.spawn(["-m", "qwen", "-p", String(port)]);
    const output = child.output();
    assert(await pollUntil(() => withStore(sb, (s) => s.uses().length === 1), 10_000), "ready");
    const k = await sb.run(["-k", "-p", String(port)]);
    assertEquals(k.code, 0, k.stderr);
    const out = await output;
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 0, stderr);
    assertMatch(stderr, /llama-server exited after \d+s\n$/);
    withStore(sb, (s) => {
      assertEquals(s.servers(), []);
      assert(s.uses()[0]!.duration !== null);
    });
  });
});

Deno.test("llama-pack --killall stops every server, SIGKILLs one that ignores SIGTERM, and its forked child", async () => {
  await withSandbox(async (sb) => {
    const [p1, p2] = [freePort(), freePort()];
    const childPidFile = join(sb.root, "child.pid");
    assertEquals((await sb.run(["-m", "gemma", "-d", "-p", String(p1)])).code, 0);
    const r2 = await sb.run(["-m", "qwen", "-d", "-p", String(p2)], {
      env: {
        FAKE_LLAMA_IGNORE_SIGTERM: "1",
        FAKE_LLAMA_FORK_CHILD: "1",
        FAKE_LLAMA_CHILD_PID_FILE: childPidFile,
      },
    });
    assertEquals(r2.code, 0, r2.stderr);
    const childPid = Number(await Deno.readTextFile(childPidFile));
    assert(alive(childPid));
    const pids = withStore(sb, (s) => s.servers().map((r) => r.pid));
    const k = await sb.run(["--kall"], { env: { LLAMA_PACK_STOP_GRACE_MS: "300" } });
    assertEquals(k.code, 0, k.stderr);
    const lines = k.stdout.trimEnd().split("\n").sort();
    assertEquals(lines.length, 2);
    assertMatch(
      lines.find((l) => l.startsWith(`port ${p1}:`))!,
      /Gemma2-9B-Q5_K\.gguf \(pid \d+\) stopped with SIGTERM/,
    );
    assertMatch(
      lines.find((l) => l.startsWith(`port ${p2}:`))!,
      /Qwen3-8B-Q4_K_M\.gguf \(pid \d+\) killed with SIGKILL after the 0\.3s grace period in/,
    );
    for (const pid of pids) assert(await pollUntil(() => !alive(pid), 2_000));
    assert(await pollUntil(() => !alive(childPid), 2_000), "the forked child died with its group");
    assertEquals((await sb.run(["--killall"])).stdout, "no llama-pack servers running\n");
  });
});

Deno.test("llama-pack never signals a recorded pid that now belongs to another process", async () => {
  await withSandbox(async (sb) => {
    const port = freePort();
    // An unrelated process whose pid we record with a wrong start time.
    const other = new Deno.Command("sleep", { args: ["30"], stdout: "null", stderr: "null" })
      .spawn();
    try {
      const stat = readProcStat(other.pid)!;
      withStore(sb, (s) =>
        s.addServer({
          host: "127.0.0.1",
          port,
          pid: other.pid,
          start_time: String(stat.startTime - 5),
          cmdline: JSON.stringify(["sleep", "30"]),
          model_id: "Gemma2-9B-Q5_K.gguf",
          model_path: "/x",
          tier: "hdd",
          log_path: "/x.log",
          started_at: 0,
          use_id: null,
        }));
      const k = await sb.run(["-k", "-p", String(port)]);
      assertEquals(k.code, 1);
      assertStringIncludes(k.stderr, `error: no llama-pack server on port ${port}`);
      assert(alive(other.pid), "the unrelated process was not signalled");
      withStore(sb, (s) => assertEquals(s.servers(), [], "the stale record was pruned"));
    } finally {
      other.kill("SIGKILL");
      await other.status;
    }
  });
});

Deno.test("llama-pack --status prunes stale records and lists active copy jobs", async () => {
  await withSandbox(async (sb) => {
    withStore(sb, (s) => {
      s.addServer({
        host: "127.0.0.1",
        port: 1,
        pid: 2 ** 22 + 17,
        start_time: "1",
        cmdline: "llama-server",
        model_id: "Gemma2-9B-Q5_K.gguf",
        model_path: "/x",
        tier: "hdd",
        log_path: "/x.log",
        started_at: 0,
        use_id: null,
      });
      const now = Date.now() / 1000;
      // A live copier (this test process stands in for it) ...
      const id = s.addCopyJob({
        modelId: "Qwen3-8B-Q4_K_M.gguf",
        bytesTotal: 4 * 1024 ** 3,
        now,
        owner: processOwner()!,
      });
      s.updateCopyJob(id, { state: "copying", bytes_done: 1024 ** 3, now });
      // ... and one whose copier died: --status marks it failed instead of listing it.
      const dead = s.addCopyJob({
        modelId: "Gemma2-9B-Q5_K.gguf",
        bytesTotal: 4 * 1024 ** 3,
        now,
        owner: { pid: 2 ** 22 + 19, startTime: 1 },
      });
      s.updateCopyJob(dead, { state: "copying", bytes_done: 1, now });
    });
    const r = await sb.run(["--status"]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals(
      r.stdout,
      "no llama-pack servers running\n\nCopies to SSD:\nJOB  MODEL                 STATE    PROGRESS\n" +
        "  1  Qwen3-8B-Q4_K_M.gguf  copying  25% (1.0 GiB of 4.0 GiB)\n(forgot 1 stale server record)\n",
    );
    withStore(sb, (s) => {
      assertEquals(s.servers(), []);
      assertEquals(s.copyJobs(["failed"]).map((j) => j.model_id), ["Gemma2-9B-Q5_K.gguf"]);
    });
  });
});

Deno.test("without --allow-all, -m fails in one line before it starts anything", async () => {
  await withSandbox(async (sb) => {
    const port = freePort();
    const out = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-run",
        "--allow-net",
        "--allow-sys",
        "--no-prompt",
        new URL("../cli.ts", import.meta.url).pathname,
        "-m",
        "gemma",
        "-d",
        "-p",
        String(port),
      ],
      env: sb.env,
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    // Deno is asked before anything runs: one error line naming what is missing, and a hint.
    assertEquals(out.code, 2, stderr);
    assertEquals(
      stderr,
      "error: llama-pack needs Deno's --allow-all (-A); missing: ffi\n" +
        "hint: deno run -A cli.ts, or install the command: deno task install\n",
    );
    assert(!/\n\s+at /.test(stderr), "no stack trace");
    // The server it had spawned was stopped, so the port is free again.
    assert(
      await pollUntil(() => {
        try {
          Deno.listen({ hostname: "127.0.0.1", port }).close();
          return true;
        } catch {
          return false;
        }
      }, 5_000),
      "nothing is left listening on the port",
    );
    withStore(sb, (s) => assertEquals([s.servers(), s.uses()], [[], []]));
  });
});

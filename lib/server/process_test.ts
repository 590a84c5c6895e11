import { assert, assertEquals, assertRejects, assertStringIncludes } from "../../tests/assert.ts";
import {
  FAKE_LLAMA_SERVER,
  freePort,
  pollUntil,
  writeFakeModel,
} from "../../tests/fixtures/fake_server.ts";
import { LlamaPackError } from "../errors.ts";
import { waitReady } from "./health.ts";
import {
  isSameProcess,
  parseProcStat,
  portInUse,
  processGroupMembers,
  readProcessIdentity,
  readProcStat,
  type ServerProcess,
  spawnServer,
  stopServer,
} from "./process.ts";

const alive = (pid: number) => {
  const st = readProcStat(pid);
  return st !== undefined && st.state !== "Z";
};

/** The pid written in a file, or 0 while it is missing or empty. */
const readPid = (path: string): number => {
  try {
    return Number(Deno.readTextFileSync(path).trim()) || 0;
  } catch {
    return 0;
  }
};

/** Runs `fn` with a temp dir holding a fake model, stopping every started server after. */
async function withFake(
  fn: (ctx: {
    dir: string;
    model: string;
    start: (
      env?: Record<string, string>,
      extra?: string[],
    ) => Promise<ServerProcess & { port: number; log: string }>;
  }) => Promise<void>,
) {
  const dir = await Deno.makeTempDir();
  const started: ServerProcess[] = [];
  try {
    const model = await writeFakeModel(`${dir}/model.gguf`);
    let n = 0;
    const start = async (env: Record<string, string> = {}, extra: string[] = []) => {
      const port = freePort();
      const log = `${dir}/server-${n++}.log`;
      const proc = await spawnServer(
        FAKE_LLAMA_SERVER,
        ["-m", model, "--host", "127.0.0.1", "--port", String(port), ...extra],
        { logPath: log, env },
      );
      started.push(proc);
      return Object.assign(proc, { port, log });
    };
    await fn({ dir, model, start });
  } finally {
    for (const p of started) await stopServer(p.identity, { graceMs: 200 });
    await Promise.all(started.map((p) => p.exited));
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("parseProcStat() reads state, group and start time", async (t) => {
  const cases: [string, string, [string, number, number] | undefined][] = [
    ["plain", "7 (sleep) S 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 555 0", ["S", 7, 555]],
    ["spaces and parens in name", "9 (a) (b c)) Z 1 3 3 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 42 0", [
      "Z",
      3,
      42,
    ]],
    ["truncated", "9 (x) S 1 2", undefined],
    ["garbage", "hello", undefined],
  ];
  for (const [name, text, want] of cases) {
    await t.step(name, () => {
      const st = parseProcStat(text);
      assertEquals(st === undefined ? undefined : [st.state, st.pgrp, st.startTime], want);
    });
  }
});

Deno.test("spawnServer() starts a detached server logging to a file; stopServer() stops it once", async () => {
  await withFake(async ({ model, start }) => {
    const proc = await start();
    assert(proc.identity.startTime > 0);
    assertEquals(proc.identity.cmdline[0], FAKE_LLAMA_SERVER);
    const url = `http://127.0.0.1:${proc.port}`;
    await waitReady(`${url}/health`, { timeoutMs: 10_000, intervalMs: 50 });
    // Its own process group, and still the same process after the wrapper's exec.
    assertEquals(readProcStat(proc.identity.pid)?.pgrp, proc.identity.pid);
    assert(isSameProcess(proc.identity));
    const props = await (await fetch(`${url}/props`)).json();
    assertEquals(props.model_path, model);
    assertStringIncludes(await Deno.readTextFile(proc.log), "main: model loaded");

    const first = await stopServer(proc.identity, { graceMs: 5_000 });
    assertEquals(first.outcome, "terminated");
    assertEquals(first.signals, ["SIGTERM"]);
    assertEquals((await proc.exited).code, 0);
    assertStringIncludes(await Deno.readTextFile(proc.log), "cleaning up before exit...");
    assert(!isSameProcess(proc.identity));

    const second = await stopServer(proc.identity);
    assertEquals(second.outcome, "not-running");
    assertEquals(second.signals, []);
  });
});

Deno.test("stopServer() sends SIGKILL after the grace period when SIGTERM is ignored", async () => {
  await withFake(async ({ start }) => {
    const proc = await start({ FAKE_LLAMA_IGNORE_SIGTERM: "1" });
    await waitReady(`http://127.0.0.1:${proc.port}/health`, { timeoutMs: 10_000, intervalMs: 50 });
    const result = await stopServer(proc.identity, { graceMs: 300 });
    assertEquals(result.outcome, "killed");
    assertEquals(result.signals, ["SIGTERM", "SIGKILL"]);
    assert(result.elapsedMs >= 300, `stopped after ${result.elapsedMs} ms`);
    assertEquals((await proc.exited).signal, "SIGKILL");
    assertStringIncludes(await Deno.readTextFile(proc.log), "received SIGTERM, ignoring it");
  });
});

Deno.test("stopServer() also stops a child the server forked into its group", async () => {
  await withFake(async ({ dir, start }) => {
    const pidFile = `${dir}/child.pid`;
    const proc = await start({ FAKE_LLAMA_FORK_CHILD: "1", FAKE_LLAMA_CHILD_PID_FILE: pidFile });
    await waitReady(`http://127.0.0.1:${proc.port}/health`, { timeoutMs: 10_000, intervalMs: 50 });
    const childPid = Number(await Deno.readTextFile(pidFile));
    assert(alive(childPid), "forked child runs");
    assertEquals(readProcStat(childPid)?.pgrp, proc.identity.pid);
    assertEquals(
      processGroupMembers(proc.identity.pid),
      [proc.identity.pid, childPid].sort((a, b) => a - b),
    );

    const result = await stopServer(proc.identity, { graceMs: 3_000 });
    assertEquals(result.outcome, "terminated");
    assert(await pollUntil(() => !alive(childPid), 2_000), "forked child is gone");
    assertEquals(processGroupMembers(proc.identity.pid), []);
  });
});

Deno.test("stopServer() SIGKILLs a lingering group member even when the leader obeyed SIGTERM", async () => {
  await withFake(async ({ dir }) => {
    // The leader exits on SIGTERM; its child ignores SIGTERM and lingers.
    const proc = await spawnServer(
      "sh",
      ["-c", `sh -c 'trap "" TERM; echo $$ > ${dir}/c.pid; while :; do sleep 0.05; done' & wait`],
      { logPath: `${dir}/log` },
    );
    assert(await pollUntil(() => readPid(`${dir}/c.pid`) > 0, 3_000), "child started");
    const childPid = readPid(`${dir}/c.pid`);
    const result = await stopServer(proc.identity, { graceMs: 300 });
    assertEquals(result.outcome, "killed");
    assertEquals(result.signals, ["SIGTERM", "SIGKILL"]);
    assert(await pollUntil(() => !alive(childPid), 2_000), "lingering child is gone");
    await proc.exited;
  });
});

Deno.test("stopServer() never signals a reused pid", async (t) => {
  await withFake(async ({ start }) => {
    const proc = await start();
    await waitReady(`http://127.0.0.1:${proc.port}/health`, { timeoutMs: 10_000, intervalMs: 50 });
    const cases = [
      {
        name: "wrong start time",
        identity: { ...proc.identity, startTime: proc.identity.startTime - 1 },
      },
      {
        name: "other command line",
        identity: { ...proc.identity, cmdline: ["llama-server", "-m", "/other.gguf"] },
      },
    ];
    for (const c of cases) {
      await t.step(c.name, async () => {
        assert(!isSameProcess(c.identity));
        const result = await stopServer(c.identity, { graceMs: 100 });
        assertEquals(result.outcome, "pid-reused");
        assertEquals(result.signals, []);
        assert(isSameProcess(proc.identity), "the real server still runs");
      });
    }
  });
});

Deno.test("a zombie counts as dead", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // `sleep 0` exits at once; its parent execs `sleep 5`, which never reaps it.
    const parent = new Deno.Command("sh", {
      args: ["-c", `sleep 0 & echo $! > ${dir}/z.pid; exec sleep 5`],
      stdout: "null",
      stderr: "null",
    }).spawn();
    try {
      const zombie = () => readPid(`${dir}/z.pid`);
      assert(await pollUntil(() => readProcStat(zombie())?.state === "Z", 3_000), "zombie appears");
      const zpid = zombie();
      const stat = readProcStat(zpid)!;
      assertEquals(readProcessIdentity(zpid), undefined);
      const identity = { pid: zpid, startTime: stat.startTime, cmdline: ["sleep", "0"] };
      assert(!isSameProcess(identity));
      assertEquals((await stopServer(identity)).outcome, "not-running");
    } finally {
      parent.kill("SIGKILL");
      await parent.status;
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("spawnServer() in the foreground copies output to the terminal and the log", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const model = await writeFakeModel(`${dir}/m.gguf`);
    const port = freePort();
    const chunks: Uint8Array[] = [];
    const terminal = {
      write(p: Uint8Array) {
        chunks.push(p.slice());
        return Promise.resolve(p.length);
      },
    };
    const proc = await spawnServer(FAKE_LLAMA_SERVER, ["-m", model, "--port", String(port)], {
      logPath: `${dir}/fg.log`,
      foreground: true,
      terminal,
    });
    try {
      await waitReady(`http://127.0.0.1:${port}/health`, { timeoutMs: 10_000, intervalMs: 50 });
      assertEquals(readProcStat(proc.identity.pid)?.pgrp, proc.identity.pid);
    } finally {
      assertEquals((await stopServer(proc.identity, { graceMs: 3_000 })).outcome, "terminated");
    }
    assertEquals((await proc.exited).code, 0);
    const shown = new TextDecoder().decode(new Uint8Array(chunks.flatMap((c) => [...c])));
    const logged = await Deno.readTextFile(`${dir}/fg.log`);
    assertStringIncludes(shown, "main: model loaded");
    assertStringIncludes(shown, "cleaning up before exit...");
    assertEquals(logged, shown);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("portInUse() tells a held port from a free one; the fake refuses a busy port", async () => {
  await withFake(async ({ model, dir }) => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    try {
      assert(await portInUse("127.0.0.1", port));
      const log = `${dir}/busy.log`;
      const proc = await spawnServer(FAKE_LLAMA_SERVER, ["-m", model, "--port", String(port)], {
        logPath: log,
      });
      const status = await proc.exited;
      assertEquals(status.code, 1);
      const text = await Deno.readTextFile(log);
      assertStringIncludes(
        text,
        `couldn't bind HTTP server socket, hostname: 127.0.0.1, port: ${port}`,
      );
      assertStringIncludes(text, "exiting due to HTTP server error");
    } finally {
      listener.close();
    }
    assert(!(await portInUse("127.0.0.1", port)));
  });
});

Deno.test("spawnServer() fails with SERVER_START when the binary is missing", async () => {
  const err = await assertRejects(
    () => spawnServer("/nonexistent/llama-server", [], { logPath: "/nonexistent/log" }),
    LlamaPackError,
  );
  assertEquals(err.code, "SERVER_START");
  assertEquals(
    err.message,
    "cannot start server: '/nonexistent/llama-server' not found or not executable",
  );
});

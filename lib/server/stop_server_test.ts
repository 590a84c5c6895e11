import { assert, assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { pollUntil, withFake } from "../../tests/fixtures/fake_server.ts";
import { waitReady } from "./health.ts";
import { isSameProcess, processGroupMembers, readProcStat } from "./process_identity.ts";
import { spawnServer } from "./spawn_server.ts";
import { stopServer } from "./stop_server.ts";

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

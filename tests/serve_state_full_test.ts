/**
 * `--serve` on a full state disk, for real: the state directory is a small
 * tmpfs, filled until `ENOSPC` once `--serve` is up. A chat completion then
 * cannot record the server it needs: it gets a clean 5xx error naming the
 * state database, no server is left running unrecorded, `--serve` keeps
 * answering, stops cleanly on SIGTERM, and the HDD tree is never written.
 * Started on a disk that is already full, it exits 74 on one line.
 */

import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { makeSandbox, type Sandbox, withStore } from "./sandbox.ts";
import { freePort, pollUntil, seedModels } from "./fixtures/fake_server.ts";
import { CAN_MOUNT, fillDisk, withTmpfs } from "./mounts.ts";
import { followEvents } from "./api_world.ts";
import { type RunningServe, startServe } from "./serve_fixture.ts";
import { snapshotTree } from "./tree_snapshot.ts";
import { StateStore } from "../lib/state/store.ts";

/** Pids of processes (other than `except`) whose environment points into `root`. */
function sandboxProcesses(root: string, except: number[]): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    const pid = Number(e.name);
    if (!/^\d+$/.test(e.name) || pid === Deno.pid || except.includes(pid)) continue;
    try {
      const environ = Deno.readTextFileSync(`/proc/${pid}/environ`);
      const cmdline = Deno.readTextFileSync(`/proc/${pid}/cmdline`);
      const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
      if (/\) Z /.test(stat)) continue; // a zombie runs nothing
      if (environ.includes(`HOME=${root}\0`) || cmdline.includes(root)) out.push(pid);
    } catch {
      // gone, or not ours to read
    }
  }
  return out;
}

/** Fills the state directory's disk, the write-ahead log emptied first: the next write needs new blocks. */
async function fillStateDisk(state: string): Promise<void> {
  const probe = StateStore.open(state);
  try {
    probe.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  } finally {
    probe.close();
  }
  await fillDisk(state);
}

const chat = (serve: RunningServe, model: string) =>
  fetch(`${serve.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }], max_tokens: 3 }),
  });

/**
 * A sandbox whose state dir is a 4 MiB tmpfs with two models recorded and
 * `--serve` running on it; `before` runs while there is room, then the disk
 * is filled and `fn` runs. The server logs live on another disk (a `logs`
 * symlink): what is full is the database's disk. Afterwards the HDD tree is
 * checked unwritten.
 */
async function withFullServe(
  fn: (sb: Sandbox, serve: RunningServe) => Promise<void>,
  before: (serve: RunningServe) => Promise<void> = async () => {},
  env: Record<string, string> = {},
): Promise<void> {
  const sb = await makeSandbox();
  try {
    await withTmpfs(sb.state, "size=4m", async () => {
      const first = freePort();
      await sb.writeConfig({
        cache: { auto: false },
        serve: { child_ports: `${first}-${first + 20}` },
      });
      await seedModels(sb, [
        { id: "Gemma2-9B-Q5_K.gguf", hdd: ["Gemma2-9B-Q5_K.gguf"] },
        { id: "Qwen3-8B-Q4_K_M.gguf", hdd: ["Qwen3-8B-Q4_K_M.gguf"] },
      ]);
      await Deno.mkdir(`${sb.root}/logs`);
      await Deno.symlink(`${sb.root}/logs`, `${sb.state}/logs`);
      const hddBefore = await snapshotTree(sb.hdd);
      let serve: RunningServe | undefined;
      try {
        serve = await startServe(sb, { env });
        const log = await followEvents(serve);
        await log.waitFor((e) => e.type === "cache_stats");
        await log.close();
        await before(serve);
        await fillStateDisk(sb.state);
        await fn(sb, serve);
      } finally {
        await serve?.stop();
      }
      assertEquals(await snapshotTree(sb.hdd), hddBefore, "the HDD tree was written");
    });
  } finally {
    await sb.cleanup();
  }
}

/** Asserts an answer is a clean OpenAI-style 5xx naming the full state database. */
async function assertStateFullAnswer(res: Response, state: string): Promise<void> {
  const text = await res.text();
  assert(res.status >= 500 && res.status < 600, `${res.status}: ${text}`);
  const body = JSON.parse(text);
  assertEquals(Object.keys(body), ["error"]);
  assertEquals(body.error.type, "server_error");
  assertStringIncludes(
    body.error.message,
    `no space left on the file system holding ${state}: cannot write the state database ${state}/state.db`,
  );
  assert(!/\n\s+at /.test(text) && !text.includes("internal error"), text);
}

/** Asserts `--serve` stops on SIGTERM with status 0, saying so, and leaves nothing running. */
async function assertStopsCleanly(sb: Sandbox, serve: RunningServe): Promise<void> {
  const status = await serve.stop();
  const stderr = serve.stderr();
  assertEquals(status.code, 0, stderr);
  assert(stderr.trimEnd().endsWith("stopped"), stderr);
  assert(!/\n\s+at /.test(stderr) && !stderr.includes("internal error"), stderr);
  assertEquals(sandboxProcesses(sb.root, []), []);
}

Deno.test({
  name:
    "--serve on a full state disk: a clean 5xx naming the database, no unrecorded server, still serving",
  ignore: !CAN_MOUNT,
  fn: async (t) => {
    await withFullServe(async (sb, serve) => {
      await t.step("the request gets a clean 5xx naming the state database", async () => {
        await assertStateFullAnswer(await chat(serve, "Gemma2-9B-Q5_K"), sb.state);
      });

      await t.step("no server is left running, recorded or not", async () => {
        const others = () => sandboxProcesses(sb.root, [serve.pid]);
        assert(
          await pollUntil(() => others().length === 0, 5_000),
          `left running: ${others().map((p) => Deno.readTextFileSync(`/proc/${p}/cmdline`))}`,
        );
        await new Promise((r) => setTimeout(r, 500));
        assertEquals(others(), [], "nothing came up later either");
        const store = StateStore.open(sb.state);
        try {
          assertEquals(store.servers(), []);
        } finally {
          store.close();
        }
      });

      await t.step("--serve keeps answering, and says what failed on one line", async () => {
        assertEquals((await fetch(`${serve.url}/health`)).status, 200);
        const models = await fetch(`${serve.url}/v1/models`);
        assertEquals(models.status, 200);
        const ids = (await models.json()).data.map((m: { id: string }) => m.id);
        assertEquals(ids, ["Gemma2-9B-Q5_K.gguf", "Qwen3-8B-Q4_K_M.gguf"]);
        // Again, for another model: the same clean answer, nothing wedged.
        await assertStateFullAnswer(await chat(serve, "qwen3-8b"), sb.state);
        assertEquals(sandboxProcesses(sb.root, [serve.pid]), []);
        const stderr = serve.stderr();
        assertStringIncludes(
          stderr,
          `failed to load Gemma2-9B-Q5_K.gguf: no space left on the file system holding ${sb.state}`,
        );
        assert(!/\n\s+at /.test(stderr) && !stderr.includes("internal error"), stderr);
      });

      await t.step("SIGTERM stops it cleanly", () => assertStopsCleanly(sb, serve));
    });
  },
});

Deno.test({
  name:
    "--serve on a state disk that fills while a server runs: swapping it out and stopping still work",
  ignore: !CAN_MOUNT,
  fn: async (t) => {
    await withFullServe(async (sb, serve) => {
      await t.step(
        "a request for another model stops the loaded one, then fails cleanly",
        async () => {
          await assertStateFullAnswer(await chat(serve, "qwen3-8b"), sb.state);
          await serve.waitFor("stopping Gemma2-9B-Q5_K.gguf (to make room)");
          assert(
            await pollUntil(() => sandboxProcesses(sb.root, [serve.pid]).length === 0, 5_000),
            "the loaded server was stopped",
          );
        },
      );

      await t.step("--serve keeps answering", async () => {
        assertEquals((await fetch(`${serve.url}/health`)).status, 200);
        const models = await (await fetch(`${serve.url}/v1/models`)).json();
        for (const m of models.data) assertEquals(m.status.value, "unloaded", m.id);
        await assertStateFullAnswer(await chat(serve, "Gemma2-9B-Q5_K"), sb.state);
        const stderr = serve.stderr();
        assert(!/\n\s+at /.test(stderr) && !stderr.includes("internal error"), stderr);
      });

      await t.step("SIGTERM stops it cleanly", () => assertStopsCleanly(sb, serve));
    }, async (serve) => {
      const res = await chat(serve, "Gemma2-9B-Q5_K");
      assertEquals(res.status, 200, await res.text());
      const running = await (await fetch(`${serve.url}/running`)).json();
      assertEquals(running.running.map((r: { model: string }) => r.model), ["Gemma2-9B-Q5_K.gguf"]);
    });
  },
});

Deno.test({
  name: "--serve on a state disk that fills while a server runs: SIGTERM stops it",
  ignore: !CAN_MOUNT,
  fn: async () => {
    await withFullServe(async (sb, serve) => {
      await assertStopsCleanly(sb, serve);
      const stderr = serve.stderr();
      assertStringIncludes(
        stderr,
        `warning: cannot record that Gemma2-9B-Q5_K.gguf stopped: no space left on the file system holding ${sb.state}`,
      );
      assertStringIncludes(stderr, "warning: cannot forget this --serve's record: no space left");
      // Once there is room, the records of processes that are gone are forgotten.
      for (const f of Deno.readDirSync(sb.state)) {
        if (f.name.startsWith(".filler")) await Deno.remove(`${sb.state}/${f.name}`);
      }
      const status = await sb.run(["--status"]);
      assertEquals(status.code, 0, status.stderr);
      assertStringIncludes(status.stdout, "(forgot 1 stale server record)");
      withStore(sb, (s) => {
        assertEquals(s.servers(), []);
        assertEquals(s.serves.all(), []);
      });
    }, async (serve) => {
      const res = await chat(serve, "Gemma2-9B-Q5_K");
      assertEquals(res.status, 200, await res.text());
    });
  },
});

Deno.test({
  name:
    "--serve on a state disk that fills while a server loads: its use cannot be recorded, it is stopped",
  ignore: !CAN_MOUNT,
  fn: async () => {
    let answer: Promise<Response> | undefined;
    await withFullServe(async (sb, serve) => {
      await assertStateFullAnswer(await answer!, sb.state);
      assertStringIncludes(serve.stderr(), "failed to load Gemma2-9B-Q5_K.gguf: no space left");
      assert(
        await pollUntil(() => sandboxProcesses(sb.root, [serve.pid]).length === 0, 5_000),
        "the loading server was stopped",
      );
      assertEquals((await fetch(`${serve.url}/health`)).status, 200);
      await assertStopsCleanly(sb, serve);
    }, async (serve) => {
      answer = chat(serve, "Gemma2-9B-Q5_K");
      await serve.waitFor("loading Gemma2-9B-Q5_K.gguf from hdd");
    }, { FAKE_LLAMA_LOAD_SECONDS: "1.5" });
  },
});

Deno.test({
  name:
    "--serve started on a state disk that is already full: one line naming the database, exit 74",
  ignore: !CAN_MOUNT,
  fn: async () => {
    const sb = await makeSandbox();
    try {
      await withTmpfs(sb.state, "size=4m", async () => {
        await sb.writeConfig({ cache: { auto: false } });
        await seedModels(sb, [{ id: "Gemma2-9B-Q5_K.gguf", hdd: ["Gemma2-9B-Q5_K.gguf"] }]);
        const hddBefore = await snapshotTree(sb.hdd);
        await fillStateDisk(sb.state);
        const port = freePort();
        const child = sb.spawn(["--serve", "--listen", `127.0.0.1:${port}`]);
        const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
        const out = await child.output();
        clearTimeout(timer);
        const stderr = new TextDecoder().decode(out.stderr);
        assertEquals(out.code, 74, stderr);
        assertStringIncludes(
          stderr,
          `no space left on the file system holding ${sb.state}: cannot open the state database ${sb.state}/state.db`,
        );
        assertEquals(stderr.split("\n").filter((l) => l.startsWith("error:")).length, 1, stderr);
        assert(!/\n\s+at /.test(stderr) && !stderr.includes("internal error"), stderr);
        assertEquals(sandboxProcesses(sb.root, []), []);
        // Nothing answers on the port it was given.
        const answered = await fetch(`http://127.0.0.1:${port}/health`).then(
          () => true,
          () => false,
        );
        assertEquals(answered, false);
        assertEquals(await snapshotTree(sb.hdd), hddBefore, "the HDD tree was written");
      });
    } finally {
      await sb.cleanup();
    }
  },
});

/**
 * Copy jobs are owned from the moment they exist: a copier killed while it
 * starts, or a `--cache` killed right after queueing its job, leaves a job
 * that is seen dead at once — the next load copies instead of being told
 * "already queued" for ten minutes.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { cacheWorld } from "./cache_world.ts";
import { type Sandbox, withStore } from "./sandbox.ts";
import { freePort, pollUntil } from "./fixtures/fake_server.ts";
import { exists } from "./fs_util.ts";

/** Kills (SIGKILL) every `--run-copier` of the sandbox the moment it appears, until stopped. */
function copierKiller(sb: Sandbox): { killed: number[]; stop: () => Promise<void> } {
  const killed: number[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      for (const e of Deno.readDirSync("/proc")) {
        if (!/^\d+$/.test(e.name)) continue;
        try {
          if (!Deno.readTextFileSync(`/proc/${e.name}/cmdline`).includes("--run-copier")) continue;
          if (!Deno.readTextFileSync(`/proc/${e.name}/environ`).includes(`HOME=${sb.root}\0`)) {
            continue;
          }
          Deno.kill(Number(e.name), "SIGKILL");
          if (!killed.includes(Number(e.name))) killed.push(Number(e.name));
        } catch {
          // gone, or not ours to read
        }
      }
      await new Promise((r) => setTimeout(r, 1));
    }
  })();
  return {
    killed,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

const fast = { env: { LLAMA_PACK_STOP_GRACE_MS: "200" } };

Deno.test("a background copier killed while it starts: its job is dead at once, the next load copies", async () => {
  const sb = await cacheWorld();
  try {
    const killer = copierKiller(sb);
    const port = String(freePort());
    try {
      const first = await sb.run(["-m", "gemma", "-d", "-p", port]);
      assertEquals(first.code, 0, first.stderr);
      assertMatch(first.stdout, /copying Gemma2-9B-Q5_K_M\.gguf .* in the background, job 1/);
      assert(await pollUntil(() => killer.killed.length > 0, 10_000), "the copier was killed");
    } finally {
      await killer.stop();
    }
    assertEquals((await sb.run(["-k", "-p", port], fast)).code, 0);
    // The very next load is not told "already queued": it starts a new copy.
    const again = await sb.run(["-m", "gemma", "-d", "-p", port]);
    assertEquals(again.code, 0, again.stderr);
    assert(!again.stdout.includes("already queued"), again.stdout);
    assertMatch(again.stdout, /in the background, job 2/);
    const done = () => withStore(sb, (s) => s.copyJobs().find((j) => j.id === 2)?.state === "done");
    assert(await pollUntil(done, 20_000), "the second copy finished");
    const jobs = withStore(sb, (s) => s.copyJobs().map((j) => [j.id, j.state]));
    assertEquals(jobs, [[2, "done"], [1, "failed"]]);
    assert(await exists(`${sb.ssd}/llm/Gemma2-9B-Q5_K_M.gguf`));
  } finally {
    await sb.run(["--killall"], fast);
    await sb.cleanup();
  }
});

Deno.test("a --cache killed right after queueing its job leaves nothing that blocks the model", async () => {
  const sb = await cacheWorld();
  try {
    // A FIFO where the policy file goes: reading it blocks, which freezes
    // --cache at a known point after its job was queued; there it is killed.
    await Deno.mkdir(sb.state, { recursive: true });
    const fifo = `${sb.state}/policy.json`;
    const mk = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assert(mk.success);
    const child = sb.spawn(["--cache", "gemma"]);
    // --cache plans once before it queues (to say what it would evict): that
    // read gets a policy through the FIFO; the read after queueing blocks.
    await Deno.writeTextFile(fifo, "{}\n");
    const queued = () => withStore(sb, (s) => s.copyJobs().length > 0);
    assert(await pollUntil(queued, 10_000), "the job was queued");
    await new Promise((r) => setTimeout(r, 200)); // now blocked on the FIFO
    child.kill("SIGKILL");
    await child.output();
    await Deno.remove(fifo);

    const st = await sb.run(["--status"]);
    assertEquals(st.code, 0, st.stderr);
    assert(!st.stdout.includes("Copies to SSD"), st.stdout);
    const port = String(freePort());
    const r = await sb.run(["-m", "gemma", "-d", "-p", port]);
    assertEquals(r.code, 0, r.stderr);
    assert(!r.stdout.includes("already queued"), r.stdout);
    assertStringIncludes(r.stdout, "in the background, job 2");
    const job1 = withStore(sb, (s) => s.copyJobs().find((j) => j.id === 1)!);
    assertEquals(job1.state, "failed");
  } finally {
    await sb.run(["--killall"], fast);
    await sb.cleanup();
  }
});

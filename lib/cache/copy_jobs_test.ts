import { assertEquals } from "../../tests/assert.ts";
import { reapStaleJobs } from "./copy_jobs.ts";
import { world } from "../../tests/ssd_world.ts";

Deno.test("reapStaleJobs() fails jobs whose copier died or never started", async () => {
  const w = await world();
  try {
    const dead = new Deno.Command("true").spawn();
    await dead.status;
    const s = w.store;
    const died = s.addCopyJob("a", 1, 100);
    s.updateCopyJob(died, { state: "copying", pid: dead.pid, now: 100 });
    const neverStarted = s.addCopyJob("b", 1, 100);
    const running = s.addCopyJob("b", 1, 100);
    s.updateCopyJob(running, { pid: Deno.pid, now: 100 });
    const fresh = s.addCopyJob("a", 1, 1000);
    const reaped = reapStaleJobs(s, 1000);
    assertEquals(reaped.map((j) => j.id).sort(), [died, neverStarted].sort());
    const state = (id: number) => s.copyJobs().find((j) => j.id === id)!.state;
    assertEquals([state(died), state(neverStarted), state(running), state(fresh)], [
      "failed",
      "failed",
      "queued",
      "queued",
    ]);
  } finally {
    await w.cleanup();
  }
});

import { assertEquals } from "../../tests/assert.ts";
import { processOwner, reapStaleJobs } from "./copy_jobs.ts";
import { world } from "../../tests/ssd_world.ts";

Deno.test("reapStaleJobs() fails a job as soon as its owner is gone, whatever its state", async () => {
  const w = await world();
  try {
    const dead = new Deno.Command("true").spawn();
    await dead.status;
    const me = processOwner()!;
    const s = w.store;
    const job = (owner: { pid: number; startTime: number }) =>
      s.addCopyJob({ modelId: "a", bytesTotal: 1, now: 100, owner });
    const died = job(me);
    s.updateCopyJob(died, { state: "copying", owner: { pid: dead.pid, startTime: 1 }, now: 100 });
    const queuedByTheDead = job({ pid: dead.pid, startTime: 1 });
    const pidReused = job({ pid: me.pid, startTime: me.startTime - 1 });
    const running = job(me);
    const reaped = reapStaleJobs(s, 101);
    assertEquals(reaped.map((j) => j.id).sort(), [died, queuedByTheDead, pidReused].sort());
    const state = (id: number) => s.copyJobs().find((j) => j.id === id)!.state;
    assertEquals(
      [state(died), state(queuedByTheDead), state(pidReused), state(running)],
      ["failed", "failed", "failed", "queued"],
    );
  } finally {
    await w.cleanup();
  }
});

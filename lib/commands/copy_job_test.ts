import { assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { runCopyJob } from "./copy_job.ts";
import { world } from "../../tests/ssd_world.ts";

const MIB = 1024 ** 2;

Deno.test("runCopyJob() copies a queued job, leaves others alone, and fails cleanly", async (t) => {
  const w = await world();
  try {
    const deps = {
      store: w.store,
      config: w.config,
      stateDir: `${w.dir}/state`,
      now: () => 6000,
      log: () => {},
    };
    await t.step("a manual-size model that the rule does not admit: done, not copied", async () => {
      const id = w.store.addCopyJob("a", 2 * MIB, 6000);
      const r = await runCopyJob(deps, id);
      assertEquals(r.state, "done");
      assertStringIncludes(r.message, "not copied: 0 uses");
    });
    await t.step("admitted after three uses: copied", async () => {
      for (const at of [5000, 5500, 5900]) w.store.recordUse({ modelId: "a", at, tier: "hdd" });
      const id = w.store.addCopyJob("a", 2 * MIB, 6000);
      const r = await runCopyJob(deps, id);
      assertEquals(r.state, "done", r.message);
      assertStringIncludes(r.message, "copied a.gguf (2.0 MiB)");
      const job = w.store.copyJobs().find((j) => j.id === id)!;
      assertEquals([job.state, job.bytes_done, job.pid], ["done", 2 * MIB, Deno.pid]);
    });
    await t.step("a job already taken is left alone", async () => {
      const id = w.store.addCopyJob("a", 2 * MIB, 6000);
      w.store.updateCopyJob(id, { state: "copying", pid: 1, now: 6000 });
      const r = await runCopyJob(deps, id);
      assertEquals(r.message, `job ${id} is copying`);
      assertEquals(w.store.copyJobs().find((j) => j.id === id)!.state, "copying");
    });
    await t.step("an unknown model fails the job", async () => {
      const id = w.store.addCopyJob("zzz", 1, 6000);
      const r = await runCopyJob(deps, id);
      assertEquals(r, { state: "failed", message: "model zzz is no longer known" });
    });
  } finally {
    await w.cleanup();
  }
});

import { assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { loadGate, runCopyJob } from "./copy_job.ts";
import { StateStore } from "../state/store.ts";
import { identityFields } from "../server/records.ts";
import { readProcessIdentity } from "../server/process_identity.ts";
import { world } from "../../tests/ssd_world.ts";
import { processOwner } from "../cache/copy_jobs.ts";

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
    const queue = (modelId: string, bytesTotal: number) =>
      w.store.addCopyJob({ modelId, bytesTotal, now: 6000, owner: processOwner()! });
    await t.step("a manual-size model that the rule does not admit: done, not copied", async () => {
      const id = queue("a", 2 * MIB);
      const r = await runCopyJob(deps, id);
      assertEquals(r.state, "done");
      assertStringIncludes(r.message, "not copied: 0 uses");
    });
    await t.step("admitted after three uses: copied", async () => {
      for (const at of [5000, 5500, 5900]) w.store.recordUse({ modelId: "a", at, tier: "hdd" });
      const id = queue("a", 2 * MIB);
      const r = await runCopyJob(deps, id);
      assertEquals(r.state, "done", r.message);
      assertStringIncludes(r.message, "copied a.gguf (2.0 MiB)");
      const job = w.store.copyJobs().find((j) => j.id === id)!;
      assertEquals([job.state, job.bytes_done, job.pid], ["done", 2 * MIB, Deno.pid]);
    });
    await t.step("a job already taken is left alone", async () => {
      const id = queue("a", 2 * MIB);
      w.store.updateCopyJob(id, { state: "copying", owner: { pid: 1, startTime: 1 }, now: 6000 });
      const r = await runCopyJob(deps, id);
      assertEquals(r.message, `job ${id} is copying`);
      assertEquals(w.store.copyJobs().find((j) => j.id === id)!.state, "copying");
    });
    await t.step("an unknown model fails the job", async () => {
      const id = queue("zzz", 1);
      const r = await runCopyJob(deps, id);
      assertEquals(r, { state: "failed", message: "model zzz is no longer known" });
    });
  } finally {
    await w.cleanup();
  }
});

Deno.test("loadGate() pauses a copy while a server loads from the same disk", async () => {
  const dir = await Deno.makeTempDir();
  const store = StateStore.open(dir);
  try {
    const model = `${dir}/m.gguf`;
    await Deno.writeTextFile(model, "GGUF");
    // A "loading" server: a live process (this one) recorded without a use yet.
    const row = {
      host: "127.0.0.1",
      port: 1,
      ...identityFields(readProcessIdentity(Deno.pid)!),
      model_id: "m",
      model_path: model,
      tier: "hdd",
      log_path: `${dir}/log`,
      started_at: 0,
      use_id: null,
    };
    store.addServer(row);
    const paused: string[] = [];
    const gate = loadGate(store, model, (name) => paused.push(name));
    let passed = false;
    const waiting = gate().then(() => (passed = true));
    await new Promise((r) => setTimeout(r, 400));
    assertEquals([passed, paused], [false, ["m"]]);
    store.addServer({ ...row, use_id: 7 }); // ready: the load is over
    await waiting;
    assertEquals(passed, true);
    // Another disk's load never pauses it.
    const other = loadGate(store, "/proc/self/stat", () => paused.push("other"));
    store.addServer({ ...row, use_id: null });
    await other();
    assertEquals(paused, ["m"]);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

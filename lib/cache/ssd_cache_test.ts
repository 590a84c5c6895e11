import { assert, assertEquals, assertRejects, assertStringIncludes } from "../../tests/assert.ts";
import type { Config } from "../config/config.ts";
import { LlamaPackError } from "../errors.ts";
import { loadIndex } from "../state/load_index.ts";
import { StateStore } from "../state/store.ts";
import { runCopyJob } from "./copier.ts";
import { hashFile } from "./hash.ts";
import {
  cachedCopies,
  copyModel,
  evictModel,
  evictPairs,
  filesToCopy,
  loadPolicyChoice,
  planCopy,
  reapStaleJobs,
  savePolicyChoice,
} from "./ssd_cache.ts";
import { choiceOf } from "../core/profiles.ts";

const MIB = 1024 ** 2;

/** A state dir, an HDD with two models (one sharded) and an SSD, recorded as a scan would. */
async function world() {
  const dir = await Deno.makeTempDir({ prefix: "llama-pack-ssdcache-" });
  const hdd = `${dir}/hdd`;
  const ssd = `${dir}/ssd`;
  await Deno.mkdir(`${hdd}/big`, { recursive: true });
  await Deno.mkdir(`${hdd}/llm`, { recursive: true });
  await Deno.mkdir(ssd);
  const write = async (path: string, size: number, seed: number) => {
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i += 4096) data[i] = (i / 4096 + seed) & 0xff;
    await Deno.writeFile(path, data);
  };
  await write(`${hdd}/llm/a.gguf`, 2 * MIB, 1);
  await write(`${hdd}/big/b-00001-of-00002.gguf`, MIB, 2);
  await write(`${hdd}/big/b-00002-of-00002.gguf`, MIB, 3);
  await write(`${hdd}/big/mmproj-b.gguf`, MIB / 2, 4);
  const store = StateStore.open(`${dir}/state`);
  const file = (rel: string, size: number, role = "model") => ({
    path: `${hdd}/${rel}`,
    tier: "hdd" as const,
    root: hdd,
    rel,
    role,
    size,
    mtime: 1,
  });
  store.applyScan([
    {
      id: "a",
      name: "a.gguf",
      size: 2 * MIB,
      fingerprint: "fa",
      ssdOnly: false,
      metadata: {},
      files: [file("llm/a.gguf", 2 * MIB)],
    },
    {
      id: "b",
      name: "b.gguf",
      size: 2.5 * MIB,
      fingerprint: "fb",
      ssdOnly: false,
      metadata: {},
      files: [
        file("big/b-00002-of-00002.gguf", MIB, "shard"),
        file("big/mmproj-b.gguf", MIB / 2, "mmproj"),
        file("big/b-00001-of-00002.gguf", MIB),
      ],
    },
  ], { now: 1000, renames: {}, keepPrefixes: [], prune: false });
  const config = {
    ssd_path: ssd,
    hdd_path: [hdd],
    ssd_min_free_gb: 0,
    cache: { min_uses: 3, window_days: 7, auto: true },
    server_type: "llama-server",
    ready_timeout_s: 5,
  } as unknown as Config;
  return {
    dir,
    hdd,
    ssd,
    store,
    config,
    cleanup: async () => {
      store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("filesToCopy() mirrors every HDD file under the SSD path, weights first", async () => {
  const w = await world();
  try {
    const b = loadIndex(w.store).find((m) => m.id === "b")!;
    assertEquals(filesToCopy(w.config, b).map((f) => f.dest), [
      `${w.ssd}/big/b-00001-of-00002.gguf`,
      `${w.ssd}/big/b-00002-of-00002.gguf`,
      `${w.ssd}/big/mmproj-b.gguf`,
    ]);
  } finally {
    await w.cleanup();
  }
});

Deno.test("copyModel() copies all files of a model and records verified copies", async () => {
  const w = await world();
  try {
    const b = loadIndex(w.store).find((m) => m.id === "b")!;
    let last = 0;
    const r = await copyModel(w.store, b, {
      ssdPath: w.config.ssd_path,
      now: () => 2000,
      onProgress: (p) => {
        assert(p.bytesDone >= last, "progress never goes back");
        last = p.bytesDone;
        assertEquals(p.totalBytes, 2.5 * MIB);
      },
    });
    assertEquals([r.bytes, r.copied, r.reused], [2.5 * MIB, 3, 0]);
    assertEquals(last, 2.5 * MIB);
    const after = loadIndex(w.store).find((m) => m.id === "b")!;
    assertEquals(after.ssd?.verified, true);
    assertEquals(after.ssd?.path, `${w.ssd}/big/b-00001-of-00002.gguf`);
    assertEquals(after.ssd?.mmproj, `${w.ssd}/big/mmproj-b.gguf`);
    for (const c of w.store.ssdCopies("b")) {
      assertEquals(c.hash, (await hashFile(c.hdd_path)).hash);
      assertEquals(c.verified_at, 2000);
    }
    // Again: every file is found verified and reused.
    const again = await copyModel(w.store, after, { ssdPath: w.config.ssd_path });
    assertEquals([again.copied, again.reused], [0, 3]);
  } finally {
    await w.cleanup();
  }
});

Deno.test("evictPairs() pairs SSD files with their HDD originals; evictModel() checks all first", async (t) => {
  const w = await world();
  try {
    const b0 = loadIndex(w.store).find((m) => m.id === "b")!;
    await copyModel(w.store, b0, { ssdPath: w.config.ssd_path });
    const b = loadIndex(w.store).find((m) => m.id === "b")!;
    await t.step("pairs by the recorded copy", () => {
      assertEquals(
        evictPairs(w.store, b).map((
          p,
        ) => [p.ssdPath.slice(w.ssd.length), p.hddPath.slice(w.hdd.length)]),
        [
          ["/big/b-00001-of-00002.gguf", "/big/b-00001-of-00002.gguf"],
          ["/big/b-00002-of-00002.gguf", "/big/b-00002-of-00002.gguf"],
          ["/big/mmproj-b.gguf", "/big/mmproj-b.gguf"],
        ],
      );
    });
    await t.step("one bad original: nothing deleted", async () => {
      await Deno.truncate(`${w.hdd}/big/mmproj-b.gguf`, 10);
      await assertRejects(
        () => evictModel(w.store, b, { ssdPath: w.config.ssd_path }),
        LlamaPackError,
        "has 10 bytes",
      );
      for (const p of evictPairs(w.store, b)) {
        assert((await Deno.stat(p.ssdPath)).isFile, `${p.ssdPath} kept`);
      }
      assertEquals(w.store.ssdCopies("b").length, 3);
    });
    await t.step("originals whole: all deleted and forgotten", async () => {
      await Deno.copyFile(`${w.ssd}/big/mmproj-b.gguf`, `${w.hdd}/big/mmproj-b.gguf`);
      const r = await evictModel(w.store, b, { ssdPath: w.config.ssd_path, hashCheck: true });
      assertEquals(r.bytes, 2.5 * MIB);
      assertEquals(w.store.ssdCopies("b"), []);
      assertEquals(loadIndex(w.store).find((m) => m.id === "b")!.ssd, undefined);
      assertEquals([...Deno.readDirSync(w.ssd)], []);
    });
  } finally {
    await w.cleanup();
  }
});

Deno.test("planCopy() admits by the rule, or for a manual copy outranks idle copies", async () => {
  const w = await world();
  try {
    const index = loadIndex(w.store);
    const a = index.find((m) => m.id === "a")!;
    const input = {
      index,
      space: { freeBytes: 100 * MIB, minFreeBytes: 0, cacheUsedBytes: 0 },
      inUse: new Set<string>(),
      policy: { minUses: 3, windowSeconds: 7 * 86400 },
      now: 5000,
    };
    const auto = planCopy(a, input);
    assertEquals(auto.copy, false);
    assertStringIncludes(auto.reason, "3 needed");
    assertEquals(planCopy(a, input, { manual: true }).copy, true);
    assertEquals(cachedCopies(index, { now: 5000, inUse: new Set() }), []);
  } finally {
    await w.cleanup();
  }
});

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

Deno.test("loadPolicyChoice() falls back to steady, and adaptive false ignores the stored choice", async () => {
  const dir = await Deno.makeTempDir();
  const on = { cache: { min_uses: 1, window_days: 7, auto: true, adaptive: true } };
  const off = { cache: { ...on.cache, adaptive: false } };
  try {
    assertEquals((await loadPolicyChoice(dir, on)).profile.name, "steady"); // nothing stored
    await Deno.writeTextFile(`${dir}/policy.json`, "{not json");
    assertEquals((await loadPolicyChoice(dir, on)).profile.name, "steady");
    await savePolicyChoice(
      dir,
      choiceOf({ minUses: 1, windowSeconds: 604800 }, "rapid", [
        { name: "rapid", byteHitRatio: 0.5 },
      ]),
      0,
    );
    const stored = await loadPolicyChoice(dir, on);
    assertEquals([stored.profile.name, stored.policy.minUsesToEvict], ["rapid", 1]);
    assertEquals(stored.standings, [{ name: "rapid", byteHitRatio: 0.5 }]);
    assertEquals((await loadPolicyChoice(dir, off)).profile.name, "steady");
    // The configured gate holds over any profile.
    const strict = { cache: { ...on.cache, min_uses: 3 } };
    assertEquals((await loadPolicyChoice(dir, strict)).policy.minUsesToEvict, 3);
    assertEquals(
      [...Deno.readDirSync(dir)].map((e) => e.name),
      ["policy.json"],
      "no temp file left",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

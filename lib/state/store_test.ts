import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { SCHEMA_VERSION, StateStore } from "./store.ts";
import { LlamaPackError } from "../errors.ts";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";

Deno.test("StateStore.open() creates the schema at the current version", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const s = StateStore.open(join(dir, "nested", "state"));
    const v = s.db.prepare("PRAGMA user_version").get() as { user_version: number };
    assertEquals(v.user_version, SCHEMA_VERSION);
    const mode = s.db.prepare("PRAGMA journal_mode").get() as { journal_mode: string };
    assertEquals(mode.journal_mode, "wal");
    s.close();
    // Re-opening is a no-op migration.
    StateStore.open(join(dir, "nested", "state")).close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("StateStore.open() refuses a database newer than this build", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const db = new DatabaseSync(join(dir, "state.db"));
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 5}`);
    db.close();
    const err = assertThrows(() => StateStore.open(dir), LlamaPackError);
    assertEquals(err.code, "STATE");
    assert(err.message.includes("newer than this llama-pack"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("StateStore stores args, flags, uses, servers and copies", async (t) => {
  const dir = await Deno.makeTempDir();
  const s = StateStore.open(dir);
  try {
    await t.step("stored args round-trip and clear", () => {
      s.setStoredArgs("gemma", ["-c", "8192"]);
      assertEquals(s.storedArgs("gemma"), ["-c", "8192"]);
      s.setStoredArgs("gemma", []);
      assertEquals(s.storedArgs("gemma"), []);
      assertEquals(s.storedArgs("unknown"), []);
    });
    await t.step("flags", () => {
      s.setFlag("gemma", "pinned", true);
      assertEquals(s.model("gemma")?.pinned, 1);
      s.setFlag("gemma", "pinned", false);
      assertEquals(s.model("gemma")?.pinned, 0);
    });
    await t.step("uses in time order, finishUse fills duration", () => {
      const b = s.recordUse({ modelId: "gemma", at: 200 });
      s.recordUse({ modelId: "gemma", at: 100, tier: "ssd", readySeconds: 1.5 });
      s.finishUse(b, { duration: 60 });
      const rows = s.uses("gemma");
      assertEquals(rows.map((r) => r.at), [100, 200]);
      assertEquals(rows[1]!.duration, 60);
      assertEquals(rows[0]!.tier, "ssd");
    });
    await t.step("renameModel moves history and settings", () => {
      s.setStoredArgs("old", ["-ngl", "40"]);
      s.recordUse({ modelId: "old", at: 5 });
      s.setStoredArgs("new", []);
      s.renameModel("old", "new");
      assertEquals(s.uses("new").length, 1);
      assertEquals(s.storedArgs("new"), ["-ngl", "40"]);
      assertEquals(s.model("old"), undefined);
    });
    await t.step("a failed transaction writes nothing", () => {
      const before = s.uses().length;
      assertThrows(() =>
        s.tx(() => {
          s.recordUse({ modelId: "x", at: 1 });
          throw new Error("boom");
        })
      );
      assertEquals(s.uses().length, before);
    });
    await t.step("copy jobs and gguf cache", () => {
      const id = s.addCopyJob("gemma", 100, 10);
      s.updateCopyJob(id, { state: "copying", bytes_done: 50, now: 11 });
      assertEquals(s.copyJobs(["copying"])[0]?.bytes_done, 50);
      s.ggufCacheSet("/a.gguf", 10, 1.5, { arch: "llama" });
      assertEquals(s.ggufCacheGet("/a.gguf", 10, 1.5), { arch: "llama" });
      assertEquals(s.ggufCacheGet("/a.gguf", 11, 1.5), undefined);
    });
  } finally {
    s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("StateStore survives 8 processes recording 200 uses each at once", async () => {
  const dir = await Deno.makeTempDir();
  try {
    StateStore.open(dir).close();
    const script = new URL("../../tests/fixtures/record_uses.ts", import.meta.url).pathname;
    const procs = Array.from({ length: 8 }, (_, i) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", script, dir, "200", String(i)],
        stdout: "null",
        stderr: "piped",
      }).output());
    const results = await Promise.all(procs);
    for (const r of results) assertEquals(r.code, 0, new TextDecoder().decode(r.stderr));
    const s = StateStore.open(dir);
    assertEquals(s.uses().length, 1600);
    for (let i = 0; i < 8; i++) assertEquals(s.uses(`m-${i}`).length, 200);
    const ok = s.db.prepare("PRAGMA integrity_check").get() as { integrity_check: string };
    assertEquals(ok.integrity_check, "ok");
    s.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

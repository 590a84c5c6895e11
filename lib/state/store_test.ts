import { assertEquals } from "../../tests/assert.ts";
import { SCHEMA_VERSION, StateStore } from "./store.ts";
import { join } from "node:path";

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

import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { SCHEMA_VERSION, StateStore } from "./store.ts";
import { LlamaPackError } from "../errors.ts";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";

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

Deno.test("migration 3 rewrites NUL-joined server command lines as JSON, every argument kept", async () => {
  const { migrateSchema } = await import("./schema.ts");
  const { Sql } = await import("./sql.ts");
  const { identityOf } = await import("../server/records.ts");
  const dir = await Deno.makeTempDir();
  try {
    const sql = new Sql(new DatabaseSync(join(dir, "state.db")));
    migrateSchema(sql, dir, 1); // the first schema, as older llama-packs wrote it
    const argv = ["/usr/bin/llama-server", "-m", "/m/a b.gguf", "--port", "8080"];
    sql.run(
      "INSERT INTO servers (host, port, pid, start_time, cmdline, model_id, model_path, tier, log_path, started_at) VALUES ('127.0.0.1', 8080, 42, '7', ?, 'm', '/m', 'hdd', '/l', 0)",
      argv.join("\0"),
    );
    // What node:sqlite hands back of such a row: the text up to the first NUL.
    assertEquals(sql.get<{ cmdline: string }>("SELECT cmdline FROM servers")?.cmdline, argv[0]);
    sql.db.close();
    const store = StateStore.open(dir);
    try {
      const [row] = store.servers();
      assertEquals(identityOf(row!).cmdline, argv);
    } finally {
      store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

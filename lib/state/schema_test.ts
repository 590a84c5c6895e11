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

Deno.test("migration 5 turns per-file SSD copy rows into units: complete ones verified, partial ones unfinished", async () => {
  const { migrateSchema } = await import("./schema.ts");
  const { Sql } = await import("./sql.ts");
  const dir = await Deno.makeTempDir();
  try {
    const sql = new Sql(new DatabaseSync(join(dir, "state.db")));
    migrateSchema(sql, dir, 4); // before units
    const file = (model: string, path: string, rel: string) =>
      sql.run(
        "INSERT INTO files (path, model_id, tier, root, rel, role, size, mtime) VALUES (?, ?, 'hdd', '/h', ?, 'model', 10, 0)",
        path,
        model,
        rel,
      );
    const copy = (model: string, ssd: string, hdd: string) =>
      sql.run(
        "INSERT INTO ssd_copies (ssd_path, model_id, hdd_path, size, hash, verified_at) VALUES (?, ?, ?, 10, 'ab', 5)",
        ssd,
        model,
        hdd,
      );
    file("whole", "/h/whole.gguf", "whole.gguf");
    copy("whole", "/s/whole.gguf", "/h/whole.gguf");
    file("split", "/h/s-00001-of-00002.gguf", "s-00001-of-00002.gguf");
    file("split", "/h/s-00002-of-00002.gguf", "s-00002-of-00002.gguf");
    copy("split", "/s/s-00001-of-00002.gguf", "/h/s-00001-of-00002.gguf"); // shard 2 never made it
    sql.db.close();
    const store = StateStore.open(dir);
    try {
      const units = store.ssdUnits();
      assertEquals(units.map((u) => [u.model_id, u.state, u.files.length]), [
        ["split", "copying", 1],
        ["whole", "verified", 1],
      ]);
      const [f] = units[1]!.files;
      assertEquals(f, {
        ssd_path: "/s/whole.gguf",
        src_path: "/h/whole.gguf",
        src_root: "/h",
        rel: "whole.gguf",
        role: "model",
        size: 10,
        hash: "ab",
        src: null,
        ssd: null,
      });
      assertEquals(units[0]!.owner_pid, null, "nobody owns it: the next copy cleans it up");
    } finally {
      store.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

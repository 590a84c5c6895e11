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

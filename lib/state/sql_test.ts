import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { DatabaseSync } from "node:sqlite";
import { StateStore } from "./store.ts";
import { Sql } from "./sql.ts";

Deno.test("StateStore.tx() rolls back", async (t) => {
  const dir = await Deno.makeTempDir();
  const s = StateStore.open(dir);
  try {
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
  } finally {
    s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Sql prepares each statement once and nested tx() joins the outer transaction", () => {
  const sql = new Sql(new DatabaseSync(":memory:"));
  try {
    sql.db.exec("CREATE TABLE t (v INTEGER)");
    assertEquals(sql.prepare("SELECT v FROM t"), sql.prepare("SELECT v FROM t"));
    assertThrows(() =>
      sql.tx(() => {
        sql.tx(() => sql.run("INSERT INTO t (v) VALUES (?)", 1));
        throw new Error("boom");
      })
    );
    assertEquals(sql.all("SELECT v FROM t"), []);
    assertEquals(sql.tx(() => sql.run("INSERT INTO t (v) VALUES (?)", 2)).changes, 1);
    assertEquals(sql.get<{ v: number }>("SELECT v FROM t")?.v, 2);
  } finally {
    sql.db.close();
  }
});

import { assertEquals } from "../../tests/assert.ts";
import { StateStore } from "./store.ts";

Deno.test("StateStore records uses", async (t) => {
  const dir = await Deno.makeTempDir();
  const s = StateStore.open(dir);
  try {
    await t.step("uses in time order, finishUse fills duration", () => {
      const b = s.recordUse({ modelId: "gemma", at: 200 });
      s.recordUse({ modelId: "gemma", at: 100, tier: "ssd", readySeconds: 1.5 });
      s.finishUse(b, { duration: 60 });
      const rows = s.uses("gemma");
      assertEquals(rows.map((r) => r.at), [100, 200]);
      assertEquals(rows[1]!.duration, 60);
      assertEquals(rows[0]!.tier, "ssd");
    });
  } finally {
    s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

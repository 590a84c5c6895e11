import { assertEquals } from "../../tests/assert.ts";
import { StateStore } from "./store.ts";

Deno.test("StateStore stores args and flags, and renameModel moves them with the history", async (t) => {
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
    await t.step("renameModel moves history and settings", () => {
      s.setStoredArgs("old", ["-ngl", "40"]);
      s.recordUse({ modelId: "old", at: 5 });
      s.setStoredArgs("new", []);
      s.renameModel("old", "new");
      assertEquals(s.uses("new").length, 1);
      assertEquals(s.storedArgs("new"), ["-ngl", "40"]);
      assertEquals(s.model("old"), undefined);
    });
  } finally {
    s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { LlamaPackError } from "../errors.ts";
import { loadIndex } from "../state/load_index.ts";
import { copyModel } from "./copy_model.ts";
import { evictModel, evictPairs } from "./evict_model.ts";
import { world } from "../../tests/ssd_world.ts";

const MIB = 1024 ** 2;

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

import { assert, assertEquals } from "../../tests/assert.ts";
import { loadIndex } from "../state/load_index.ts";
import { hashFile } from "./hash.ts";
import { copyModel } from "./copy_model.ts";
import { world } from "../../tests/ssd_world.ts";

const MIB = 1024 ** 2;

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

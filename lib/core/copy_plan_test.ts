import { assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { loadIndex } from "../state/load_index.ts";
import { cachedCopies, filesToCopy, planCopy } from "./copy_plan.ts";
import { world } from "../../tests/ssd_world.ts";

const MIB = 1024 ** 2;

Deno.test("filesToCopy() mirrors every HDD file under the SSD path, weights first", async () => {
  const w = await world();
  try {
    const b = loadIndex(w.store).find((m) => m.id === "b")!;
    assertEquals(filesToCopy(w.config, b).map((f) => f.dest), [
      `${w.ssd}/big/b-00001-of-00002.gguf`,
      `${w.ssd}/big/b-00002-of-00002.gguf`,
      `${w.ssd}/big/mmproj-b.gguf`,
    ]);
  } finally {
    await w.cleanup();
  }
});

Deno.test("planCopy() admits by the rule, or for a manual copy outranks idle copies", async () => {
  const w = await world();
  try {
    const index = loadIndex(w.store);
    const a = index.find((m) => m.id === "a")!;
    const input = {
      index,
      space: { freeBytes: 100 * MIB, minFreeBytes: 0, cacheUsedBytes: 0 },
      inUse: new Set<string>(),
      policy: { minUses: 3, windowSeconds: 7 * 86400 },
      now: 5000,
    };
    const auto = planCopy(a, input);
    assertEquals(auto.copy, false);
    assertStringIncludes(auto.reason, "3 needed");
    assertEquals(planCopy(a, input, { manual: true }).copy, true);
    assertEquals(cachedCopies(index, { now: 5000, inUse: new Set() }), []);
  } finally {
    await w.cleanup();
  }
});

import { assert, assertEquals, assertRejects, assertStringIncludes } from "../../tests/assert.ts";
import { LlamaPackError } from "../errors.ts";
import { GIB } from "../core/units.ts";
import { directoryBytes, statTier } from "./tier_space.ts";

const g = GIB;

Deno.test("statTier() measures a real directory with statfs and a walk", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/a/b`, { recursive: true });
    await Deno.writeFile(`${dir}/m1.gguf`, new Uint8Array(1000));
    await Deno.writeFile(`${dir}/a/b/m2.gguf`, new Uint8Array(2345));
    const big = await Deno.open(`${dir}/a/sparse.gguf`, { write: true, create: true });
    await big.truncate(40 * g); // sparse: counts its apparent size
    big.close();
    await Deno.symlink("/usr", `${dir}/link`); // not followed
    const t = await statTier(dir, { name: "ssd", kind: "ssd", limitBytes: 100 * g });
    assertEquals(t.usedByModels, 1000 + 2345 + 40 * g);
    assertEquals(await directoryBytes(dir), t.usedByModels);
    assertEquals([t.name, t.kind, t.path, t.limitBytes, t.minFreeBytes], [
      "ssd",
      "ssd",
      dir,
      100 * g,
      0,
    ]);
    assert(t.diskTotal > 0 && t.diskFree > 0 && t.diskFree <= t.diskTotal);
    assert(t.diskUsed !== undefined && t.diskUsed >= 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("statTier() fails with IO and a hint on a missing directory", async () => {
  const err = await assertRejects(
    () => statTier("/nonexistent/ssd", { name: "ssd", kind: "ssd" }),
    LlamaPackError,
  );
  assertEquals(err.code, "IO");
  assertStringIncludes(err.message, "cannot measure ssd tier /nonexistent/ssd");
  assertStringIncludes(err.hint ?? "", "ssd_path");
});

import { assertEquals, assertRejects } from "../../tests/assert.ts";
import { LlamaPackError } from "../errors.ts";
import { cleanupPartials, PARTIAL_DIR, partialPaths } from "./partials.ts";
import { acquireLock } from "./lock.ts";

/** A temp dir with `hdd/` and `ssd/`, and a pseudo-random source file. */
async function setup(size = 3 * (1 << 20) + 4321) {
  const dir = await Deno.makeTempDir({ prefix: "llama-pack-copy-" });
  const hdd = `${dir}/hdd`;
  const ssd = `${dir}/ssd`;
  await Deno.mkdir(hdd);
  await Deno.mkdir(ssd);
  const src = `${hdd}/llm/model-Q4_K_M.gguf`;
  await Deno.mkdir(`${hdd}/llm`);
  const data = new Uint8Array(size);
  let x = 0x9e3779b9;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[i] = x & 0xff;
  }
  await Deno.writeFile(src, data);
  return { dir, hdd, ssd, src, data, cleanup: () => Deno.remove(dir, { recursive: true }) };
}

/** Every path under `root`, relative, sorted. */
async function tree(root: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${root}${prefix}`)) {
    const rel = `${prefix}/${e.name}`;
    out.push(rel);
    if (e.isDirectory) out.push(...(await tree(root, rel)));
  }
  return out.sort();
}

Deno.test("cleanupPartials() removes dead copies' leftovers only", async (t) => {
  const s = await setup(1000);
  try {
    const dead = await partialPaths(s.ssd, `${s.ssd}/llm/dead.gguf`);
    const live = await partialPaths(s.ssd, `${s.ssd}/llm/live.gguf`);
    await Deno.mkdir(dead.dir);
    await Deno.writeFile(dead.temp, new Uint8Array(5000));
    await Deno.writeTextFile(dead.sidecar, JSON.stringify({ dest: `${s.ssd}/llm/dead.gguf` }));
    await Deno.writeTextFile(dead.lock, "");
    await Deno.writeFile(live.temp, new Uint8Array(10));
    const liveLock = await acquireLock(live.lock);
    await Deno.writeTextFile(`${dead.dir}/notes.txt`, "not ours");
    await Deno.writeFile(`${s.ssd}/model.gguf`, new Uint8Array(7)); // a real model: untouched
    try {
      await t.step("removes the dead copy, keeps the live one and unknown files", async () => {
        const removed = await cleanupPartials(s.ssd);
        assertEquals(removed.map((r) => [r.path, r.bytes, r.dest]), [
          [dead.temp, 5000, `${s.ssd}/llm/dead.gguf`],
          [dead.sidecar, removed[1]!.bytes, `${s.ssd}/llm/dead.gguf`],
        ]);
        const left = (await tree(s.ssd)).map((p) => p.replace(/\.[0-9a-f]{16}\./, ".KEY."));
        assertEquals(left, [
          `/${PARTIAL_DIR}`,
          `/${PARTIAL_DIR}/live.gguf.KEY.lock`,
          `/${PARTIAL_DIR}/live.gguf.KEY.part`,
          `/${PARTIAL_DIR}/notes.txt`,
          "/model.gguf",
        ]);
      });
      await t.step("after the live copy ends, its leftovers go too", async () => {
        await liveLock!.release();
        const removed = await cleanupPartials(s.ssd);
        assertEquals(removed.map((r) => r.path), [live.temp]);
      });
    } finally {
      await liveLock!.release();
    }
    await t.step("refuses a partial directory that is a symlink", async () => {
      await Deno.remove(dead.dir, { recursive: true });
      await Deno.symlink(s.hdd, dead.dir);
      const err = await assertRejects(() => cleanupPartials(s.ssd), LlamaPackError);
      assertEquals(err.code, "UNSAFE");
      assertEquals(await tree(s.hdd), ["/llm", "/llm/model-Q4_K_M.gguf"]);
    });
  } finally {
    await s.cleanup();
  }
});

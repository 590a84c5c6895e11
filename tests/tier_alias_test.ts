/**
 * Tier aliasing with real bind mounts: an SSD path that is a bind mount of a
 * directory below the HDD root, or of the HDD root itself, is refused before
 * anything is written anywhere — no copy, no temp directory, no lock file,
 * no deletion under `hdd_path`.
 */

import { assert, assertEquals, assertRejects, assertStringIncludes } from "./assert.ts";
import { makeSandbox, type Sandbox } from "./sandbox.ts";
import { makeLibrary } from "./gguf_writer.ts";
import { CAN_MOUNT, withBind } from "./mounts.ts";
import { writeRandomFile } from "./fs_util.ts";
import { deleteSsdCopy } from "../lib/cache/evict.ts";
import { LlamaPackError } from "../lib/errors.ts";

const MIB = 1 << 20;

/** Every path under `root` with its size, mtime and ctime (directories included). */
async function snapshot(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    const st = await Deno.lstat(dir);
    out.push(`${dir} ${st.size} ${st.mtime?.getTime()} ${st.ctime?.getTime()}`);
    if (!st.isDirectory) return;
    for await (const e of Deno.readDir(dir)) await walk(`${dir}/${e.name}`);
  };
  await walk(root);
  return out.sort();
}

async function aliasWorld(): Promise<Sandbox> {
  const sb = await makeSandbox();
  await makeLibrary(sb.hdd, { "llm/Gemma2-9B-Q5_K_M.gguf": { size: 4 * MIB } });
  await Deno.mkdir(`${sb.hdd}/spare`);
  return sb;
}

Deno.test({
  name: "an SSD path bind-mounted from a directory below hdd_path: --cache writes nothing anywhere",
  ignore: !CAN_MOUNT,
  fn: async () => {
    const sb = await aliasWorld();
    try {
      await withBind(`${sb.hdd}/spare`, sb.ssd, async () => {
        assertEquals((await sb.run(["-u"])).code, 0);
        await new Promise((r) => setTimeout(r, 1100)); // any change now shows in a ctime second
        const before = await snapshot(sb.hdd);
        const r = await sb.run(["--cache", "gemma"]);
        assertEquals(await snapshot(sb.hdd), before, "the HDD tree is untouched");
        assertEquals(r.code, 1, r.stdout);
        assertStringIncludes(
          r.stderr,
          `error: refusing to copy: the SSD directory ${sb.ssd} and the model directory ${sb.hdd} are one directory tree (${sb.ssd} lies inside ${sb.hdd} (a bind mount: `,
        );
        assertStringIncludes(r.stderr, "nothing was written");
      });
    } finally {
      await sb.cleanup();
    }
  },
});

Deno.test({
  name:
    "an SSD path bind-mounted from hdd_path itself: no temp directory or lock file is made in it",
  ignore: !CAN_MOUNT,
  fn: async () => {
    const sb = await aliasWorld();
    try {
      // Scanned before the mount: the index has no SSD copy, so --cache goes all the way to copying.
      assertEquals((await sb.run(["-u"])).code, 0);
      await withBind(sb.hdd, sb.ssd, async () => {
        await new Promise((r) => setTimeout(r, 1100));
        const before = await snapshot(sb.hdd);
        const r = await sb.run(["--cache", "gemma"]);
        assertEquals(await snapshot(sb.hdd), before, "not even a directory entry came and went");
        assertEquals(r.code, 1, r.stdout);
        assertStringIncludes(r.stderr, `${sb.ssd} is ${sb.hdd} (same device and inode)`);
      });
    } finally {
      await sb.cleanup();
    }
  },
});

Deno.test({
  name: "deleteSsdCopy() refuses an 'SSD copy' that a bind mount shows from below the HDD root",
  ignore: !CAN_MOUNT,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "llama-pack-alias-" });
    try {
      const hdd = `${dir}/hdd`;
      await Deno.mkdir(`${hdd}/a`, { recursive: true });
      await Deno.mkdir(`${hdd}/b`, { recursive: true });
      // Two HDD files of one size: "b/x.gguf" passes for the original of "a/x.gguf".
      await writeRandomFile(`${hdd}/a/x.gguf`, MIB);
      await Deno.copyFile(`${hdd}/a/x.gguf`, `${hdd}/b/x.gguf`);
      await withBind(`${hdd}/a`, `${dir}/ssd`, async () => {
        const err = await assertRejects(
          () =>
            deleteSsdCopy({
              ssdRoot: `${dir}/ssd`,
              ssdPath: `${dir}/ssd/x.gguf`,
              hddPath: `${hdd}/b/x.gguf`,
              hddRoot: hdd,
              expectedSize: MIB,
            }),
          LlamaPackError,
        );
        assertEquals(err.code, "UNSAFE");
        assertStringIncludes(err.message, "one directory tree");
      });
      assert((await Deno.stat(`${hdd}/a/x.gguf`)).isFile, "the HDD file is still there");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

import { assert, assertEquals, assertRejects, assertStringIncludes } from "../../tests/assert.ts";
import { LlamaPackError } from "../errors.ts";
import { PARTIAL_DIR } from "./partials.ts";
import { deleteSsdCopy, type DeleteSsdCopyOptions } from "./evict.ts";
import { hashBytes } from "./hash.ts";
import { exists } from "../../tests/fs_util.ts";

const DATA = new TextEncoder().encode("GGUF model weights, 40 bytes of them...");

async function setup() {
  const dir = await Deno.makeTempDir({ prefix: "llama-pack-evict-" });
  const hdd = `${dir}/hdd`;
  const ssd = `${dir}/ssd`;
  await Deno.mkdir(`${hdd}/llm`, { recursive: true });
  await Deno.mkdir(`${ssd}/llm/sub`, { recursive: true });
  await Deno.writeFile(`${hdd}/llm/m.gguf`, DATA);
  await Deno.writeFile(`${ssd}/llm/sub/m.gguf`, DATA);
  const opts: DeleteSsdCopyOptions = {
    ssdRoot: ssd,
    ssdPath: `${ssd}/llm/sub/m.gguf`,
    hddPath: `${hdd}/llm/m.gguf`,
    hddRoot: hdd,
    expectedSize: DATA.length,
  };
  return { dir, hdd, ssd, opts, cleanup: () => Deno.remove(dir, { recursive: true }) };
}

async function refused(options: DeleteSsdCopyOptions, why: string): Promise<void> {
  const err = await assertRejects(() => deleteSsdCopy(options), LlamaPackError);
  assertEquals(err.code, "UNSAFE");
  assertStringIncludes(err.message, `refusing to delete `);
  assertStringIncludes(err.message, why);
}

Deno.test("deleteSsdCopy() deletes a copy whose HDD original is whole, and empty parents", async () => {
  const s = await setup();
  try {
    await Deno.writeTextFile(`${s.ssd}/llm/other.gguf`, "keep me");
    const r = await deleteSsdCopy(s.opts);
    assertEquals(r, {
      deleted: true,
      bytes: DATA.length,
      hashChecked: false,
      removedDirs: [`${s.ssd}/llm/sub`],
    });
    assert(!(await exists(`${s.ssd}/llm/sub`)));
    assert(await exists(`${s.ssd}/llm/other.gguf`), "siblings stay");
    assert(await exists(s.opts.hddPath), "the HDD original stays");
    await Deno.remove(`${s.ssd}/llm/other.gguf`);
    await Deno.writeFile(`${s.ssd}/llm/m.gguf`, DATA);
    const r2 = await deleteSsdCopy({ ...s.opts, ssdPath: `${s.ssd}/llm/m.gguf` });
    assertEquals(r2.removedDirs, [`${s.ssd}/llm`]);
    assert(await exists(s.ssd), "never the SSD root itself");
  } finally {
    await s.cleanup();
  }
});

Deno.test("deleteSsdCopy() with hashCheck compares the HDD original with the recorded hash", async (t) => {
  const s = await setup();
  try {
    const good = await hashBytes(DATA);
    await t.step("a different hash: refused", async () => {
      await refused(
        { ...s.opts, expectedHash: "0000000000000000", hashCheck: true },
        "hashes to",
      );
      assert(await exists(s.opts.ssdPath));
    });
    await t.step("hash recorded but not asked for: size is enough", async () => {
      const r = await deleteSsdCopy({ ...s.opts, expectedHash: "0000000000000000", dryRun: true });
      assertEquals(r.hashChecked, false);
    });
    await t.step("the same hash: deleted", async () => {
      const r = await deleteSsdCopy({ ...s.opts, expectedHash: good, hashCheck: true });
      assertEquals([r.deleted, r.hashChecked], [true, true]);
    });
  } finally {
    await s.cleanup();
  }
});

Deno.test("deleteSsdCopy() refuses whatever could lose data, and deletes nothing", async (t) => {
  const s = await setup();
  try {
    const ssdFile = s.opts.ssdPath;
    const cases: Array<{
      name: string;
      arrange?: () => Promise<void>;
      options: () => DeleteSsdCopyOptions;
      why: string;
      restore?: () => Promise<void>;
    }> = [
      {
        name: "HDD original missing (SSD-only model)",
        options: () => ({ ...s.opts, hddPath: `${s.hdd}/llm/gone.gguf` }),
        why: "does not exist",
      },
      {
        name: "HDD original truncated",
        arrange: () => Deno.truncate(s.opts.hddPath, 10),
        options: () => s.opts,
        why: "has 10 bytes",
        restore: () => Deno.writeFile(s.opts.hddPath, DATA),
      },
      {
        name: "HDD original is a directory",
        options: () => ({ ...s.opts, hddPath: `${s.hdd}/llm` }),
        why: "is not a regular file",
      },
      {
        name: "path outside the SSD root",
        options: () => ({ ...s.opts, ssdPath: s.opts.hddPath, hddPath: ssdFile }),
        why: "outside the SSD root",
      },
      {
        name: "the SSD root itself",
        options: () => ({ ...s.opts, ssdPath: s.ssd }),
        why: "outside the SSD root",
      },
      {
        name: "dot-dot out of the SSD root",
        options: () => ({ ...s.opts, ssdPath: `${s.ssd}/../hdd/llm/m.gguf` }),
        why: "outside the SSD root",
      },
      {
        name: "a symlink in the SSD root pointing at the HDD original",
        arrange: () => Deno.symlink(s.opts.hddPath, `${s.ssd}/link.gguf`),
        options: () => ({ ...s.opts, ssdPath: `${s.ssd}/link.gguf` }),
        why: "is a symlink",
      },
      {
        name: "an SSD subdirectory symlinked to the HDD",
        arrange: () => Deno.symlink(`${s.hdd}/llm`, `${s.ssd}/hddlink`),
        options: () => ({ ...s.opts, ssdPath: `${s.ssd}/hddlink/m.gguf` }),
        why: "outside the SSD root",
      },
      {
        name: "a hard link of the HDD original (same inode)",
        arrange: () => Deno.link(s.opts.hddPath, `${s.ssd}/hard.gguf`),
        options: () => ({ ...s.opts, ssdPath: `${s.ssd}/hard.gguf` }),
        why: "same device and inode",
      },
      {
        name: "a directory",
        options: () => ({ ...s.opts, ssdPath: `${s.ssd}/llm` }),
        why: "not a regular file",
      },
      {
        name: "a copy in progress",
        arrange: async () => {
          await Deno.mkdir(`${s.ssd}/${PARTIAL_DIR}`);
          await Deno.writeFile(`${s.ssd}/${PARTIAL_DIR}/m.gguf.0123456789abcdef.part`, DATA);
        },
        options: () => ({
          ...s.opts,
          ssdPath: `${s.ssd}/${PARTIAL_DIR}/m.gguf.0123456789abcdef.part`,
        }),
        why: "copy in progress",
      },
      {
        name: "HDD original inside the SSD tree",
        arrange: () => Deno.writeFile(`${s.ssd}/llm/orig.gguf`, DATA),
        options: () => ({ ...s.opts, hddPath: `${s.ssd}/llm/orig.gguf`, hddRoot: `${s.ssd}/llm` }),
        why: "inside the SSD root",
      },
    ];
    for (const c of cases) {
      await t.step(c.name, async () => {
        await c.arrange?.();
        const before = await snapshot(s.dir);
        await refused(c.options(), c.why);
        assertEquals(await snapshot(s.dir), before, "nothing deleted");
        await c.restore?.();
      });
    }
  } finally {
    await s.cleanup();
  }
});

Deno.test("deleteSsdCopy() refuses an SSD root that is a symlink to the HDD directory", async () => {
  const s = await setup();
  try {
    // The SSD "root" is a symlink to the HDD dir: the "copy" is the HDD original's sibling.
    await Deno.writeFile(`${s.hdd}/llm/dup.gguf`, DATA);
    const ssdLink = `${s.dir}/ssd-link`;
    await Deno.symlink(`${s.hdd}/llm`, ssdLink);
    const before = await snapshot(s.dir);
    await refused(
      {
        ssdRoot: ssdLink,
        ssdPath: `${ssdLink}/dup.gguf`,
        hddPath: `${s.hdd}/llm/m.gguf`,
        hddRoot: `${s.hdd}/llm`,
        expectedSize: DATA.length,
      },
      "is the HDD directory",
    );
    await refused(
      {
        ssdRoot: ssdLink,
        ssdPath: `${ssdLink}/dup.gguf`,
        hddPath: `${s.hdd}/llm/m.gguf`,
        hddRoot: s.hdd, // the HDD root one level up: the trees overlap
        expectedSize: DATA.length,
      },
      "lies inside the SSD root",
    );
    assertEquals(await snapshot(s.dir), before);
  } finally {
    await s.cleanup();
  }
});

Deno.test("deleteSsdCopy() refuses an SSD root inside the HDD directory", async () => {
  const s = await setup();
  try {
    const inner = `${s.hdd}/ssd-inside`;
    await Deno.mkdir(inner);
    await Deno.writeFile(`${inner}/m.gguf`, DATA);
    const before = await snapshot(s.dir);
    await refused(
      { ...s.opts, ssdRoot: inner, ssdPath: `${inner}/m.gguf` },
      "the SSD copy lies inside the HDD directory",
    );
    assertEquals(await snapshot(s.dir), before);
  } finally {
    await s.cleanup();
  }
});

Deno.test("deleteSsdCopy() reports a copy already gone and a dry run deletes nothing", async () => {
  const s = await setup();
  try {
    const dry = await deleteSsdCopy({ ...s.opts, dryRun: true });
    assertEquals(dry, { deleted: false, bytes: DATA.length, hashChecked: false, removedDirs: [] });
    assert(await exists(s.opts.ssdPath));
    await Deno.remove(s.opts.ssdPath);
    const gone = await deleteSsdCopy(s.opts);
    assertEquals(gone, { deleted: false, bytes: 0, hashChecked: false, removedDirs: [] });
  } finally {
    await s.cleanup();
  }
});

/** Every path under `root` with its size, to compare before and after. */
async function snapshot(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string) {
    for await (const e of Deno.readDir(dir)) {
      const p = `${dir}/${e.name}`;
      const st = await Deno.lstat(p);
      out.push(`${p.slice(root.length)} ${st.isSymlink ? "link" : st.size}`);
      if (e.isDirectory) await walk(p);
    }
  }
  await walk(root);
  return out.sort();
}

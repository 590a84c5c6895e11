import {
  assert,
  assertEquals,
  assertMatch,
  assertRejects,
  assertStringIncludes,
} from "../../tests/assert.ts";
import { LlamaPackError } from "../errors.ts";
import { type CopyProgress, copyToSsd } from "./copy.ts";
import { PARTIAL_DIR, partialPaths } from "./partials.ts";
import { hashFile } from "./hash.ts";
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

async function rejectsCopy(
  p: Promise<unknown>,
  includes: string | RegExp,
): Promise<LlamaPackError> {
  const err = await assertRejects(() => p, LlamaPackError);
  assertEquals(err.code, "COPY");
  if (typeof includes === "string") assertStringIncludes(err.message, includes);
  else assertMatch(err.message, includes);
  return err;
}

Deno.test("copyToSsd() copies, creates the directory tree and leaves no partial files", async () => {
  const s = await setup();
  try {
    const dest = `${s.ssd}/llm/a/b/model-Q4_K_M.gguf`;
    const phases = new Set<string>();
    let last: CopyProgress | undefined;
    const r = await copyToSsd(s.src, dest, {
      ssdRoot: s.ssd,
      bufferSize: 1 << 20,
      progressIntervalMs: 0,
      onProgress: (p) => {
        phases.add(p.phase);
        last = p;
      },
    });
    assertEquals(r.size, s.data.length);
    assertEquals(r.reused, false);
    assertEquals(r.hash, (await hashFile(s.src)).hash);
    assertEquals(await Deno.readFile(dest), s.data);
    assertEquals([...phases], ["copy", "verify"]);
    assertEquals(last?.bytesDone, s.data.length);
    assertEquals(last?.totalBytes, s.data.length);
    assert(r.seconds > 0);
    assertEquals(await tree(s.ssd), [
      "/llm",
      "/llm/a",
      "/llm/a/b",
      "/llm/a/b/model-Q4_K_M.gguf",
    ]);
  } finally {
    await s.cleanup();
  }
});

Deno.test("copyToSsd() refuses destinations outside the SSD tree", async (t) => {
  const s = await setup(1000);
  try {
    const cases: Array<[string, string, string]> = [
      ["outside the root", `${s.hdd}/copy.gguf`, "outside the SSD root"],
      ["the root itself", s.ssd, "outside the SSD root"],
      ["dot-dot escape", `${s.ssd}/../hdd/x.gguf`, "outside the SSD root"],
      ["in the partial dir", `${s.ssd}/${PARTIAL_DIR}/x.gguf`, PARTIAL_DIR],
    ];
    for (const [name, dest, why] of cases) {
      await t.step(name, async () => {
        await rejectsCopy(copyToSsd(s.src, dest, { ssdRoot: s.ssd }), why);
        assertEquals(await tree(s.ssd), []);
        assertEquals(await tree(s.hdd), ["/llm", "/llm/model-Q4_K_M.gguf"]);
      });
    }
    await t.step("a subdirectory that is a symlink out of the root", async () => {
      await Deno.mkdir(`${s.dir}/elsewhere`);
      await Deno.symlink(`${s.dir}/elsewhere`, `${s.ssd}/link`);
      await rejectsCopy(
        copyToSsd(s.src, `${s.ssd}/link/deep/m.gguf`, { ssdRoot: s.ssd }),
        "leads outside the SSD root",
      );
      assertEquals(await tree(`${s.dir}/elsewhere`), [], "nothing created outside");
      await Deno.remove(`${s.ssd}/link`);
    });
    await t.step("a missing SSD root is never created", async () => {
      const root = `${s.dir}/unmounted`;
      await rejectsCopy(
        copyToSsd(s.src, `${root}/m.gguf`, { ssdRoot: root }),
        "does not exist or is not a directory",
      );
      await assertRejects(() => Deno.stat(root), Deno.errors.NotFound);
    });
  } finally {
    await s.cleanup();
  }
});

Deno.test("copyToSsd() fails cleanly on a bad source", async (t) => {
  const s = await setup(1000);
  try {
    await t.step("missing", async () => {
      await rejectsCopy(
        copyToSsd(`${s.hdd}/nope.gguf`, `${s.ssd}/nope.gguf`, { ssdRoot: s.ssd }),
        /cannot copy .*nope\.gguf to .*: cannot read source: not found/,
      );
    });
    await t.step("a directory", async () => {
      await rejectsCopy(
        copyToSsd(`${s.hdd}/llm`, `${s.ssd}/llm`, { ssdRoot: s.ssd }),
        "source is not a regular file",
      );
    });
    assertEquals(await tree(s.ssd), []);
  } finally {
    await s.cleanup();
  }
});

Deno.test("copyToSsd() never overwrites a destination that is not a verified copy", async (t) => {
  const s = await setup(200_000);
  try {
    const dest = `${s.ssd}/m.gguf`;
    await t.step("identical file: reused, not rewritten", async () => {
      await Deno.writeFile(dest, s.data);
      const before = await Deno.stat(dest);
      const r = await copyToSsd(s.src, dest, { ssdRoot: s.ssd });
      assertEquals(r.reused, true);
      assertEquals(r.hash, (await hashFile(s.src)).hash);
      const after = await Deno.stat(dest);
      assertEquals(after.ino, before.ino);
      assertEquals(after.mtime, before.mtime);
    });
    await t.step("same size, other content: refused, untouched", async () => {
      const other = s.data.slice();
      other[other.length - 1]! ^= 0xff;
      await Deno.writeFile(dest, other);
      await rejectsCopy(copyToSsd(s.src, dest, { ssdRoot: s.ssd }), "different content");
      assertEquals(await Deno.readFile(dest), other);
    });
    await t.step("other size: refused, untouched", async () => {
      await Deno.writeTextFile(dest, "short");
      await rejectsCopy(copyToSsd(s.src, dest, { ssdRoot: s.ssd }), "refusing to overwrite");
      assertEquals(await Deno.readTextFile(dest), "short");
    });
    await t.step("a symlink to the source: refused", async () => {
      await Deno.remove(dest);
      await Deno.symlink(s.src, dest);
      await rejectsCopy(copyToSsd(s.src, dest, { ssdRoot: s.ssd }), "not a regular file");
      assert((await Deno.lstat(dest)).isSymlink);
    });
    await t.step("a hard link to the source (same inode): refused", async () => {
      await Deno.remove(dest);
      await Deno.link(s.src, dest);
      await rejectsCopy(copyToSsd(s.src, dest, { ssdRoot: s.ssd }), "is the source itself");
      assertEquals(await Deno.readFile(s.src), s.data);
    });
    await t.step("a recorded hash that the source no longer has: refused", async () => {
      await Deno.remove(dest);
      await rejectsCopy(
        copyToSsd(s.src, dest, { ssdRoot: s.ssd, expectedHash: "0123456789abcdef" }),
        "differs from the recorded 0123456789abcdef",
      );
      await assertRejects(() => Deno.stat(dest), Deno.errors.NotFound);
    });
    assertEquals(await tree(s.ssd), []);
  } finally {
    await s.cleanup();
  }
});

Deno.test("copyToSsd() detects a temp file damaged before it is put in place", async () => {
  const s = await setup();
  try {
    const dest = `${s.ssd}/llm/m.gguf`;
    let damaged = "";
    await rejectsCopy(
      copyToSsd(s.src, dest, {
        ssdRoot: s.ssd,
        beforeVerify: async (temp) => {
          damaged = temp;
          const f = await Deno.open(temp, { write: true });
          await f.seek(123_456, Deno.SeekMode.Start);
          await f.write(new Uint8Array([0xde, 0xad]));
          f.close();
        },
      }),
      "verification failed",
    );
    assertStringIncludes(damaged, `/${PARTIAL_DIR}/m.gguf.`);
    assertEquals(await tree(s.ssd), [], "no final file, no temp file, no new directory");
  } finally {
    await s.cleanup();
  }
});

Deno.test("copyToSsd() aborts when the source changes during the copy", async (t) => {
  const s = await setup(4 << 20);
  try {
    // Synchronous changes: each lands between two chunks, before the copy
    // reads on (an awaited write could land after the copy's last check).
    const cases: Array<[string, (f: Deno.FsFile) => void, string]> = [
      ["appended", (f) => {
        f.seekSync(0, Deno.SeekMode.End);
        f.writeSync(new Uint8Array(10));
      }, "source"],
      ["rewritten in place (same size, new mtime)", (f) => {
        f.seekSync(100, Deno.SeekMode.Start);
        f.writeSync(new Uint8Array(10));
        f.utimeSync(new Date(), new Date(Date.now() + 5000));
      }, "mtime changed"],
      ["truncated", (f) => {
        f.truncateSync(1 << 20);
      }, "source"],
    ];
    for (const [name, change, why] of cases) {
      await t.step(name, async () => {
        await Deno.writeFile(s.src, s.data);
        let changed = false;
        const err = await rejectsCopy(
          copyToSsd(s.src, `${s.ssd}/m.gguf`, {
            ssdRoot: s.ssd,
            bufferSize: 1 << 20,
            progressIntervalMs: 0,
            onProgress: () => {
              if (changed) return;
              changed = true;
              // Runs between chunks; the copy's next checks must notice.
              const f = Deno.openSync(s.src, { write: true });
              try {
                change(f);
              } finally {
                f.close();
              }
            },
          }),
          why,
        );
        assertMatch(err.message, /changed|grew|replaced/);
        assertEquals(await tree(s.ssd), []);
      });
    }
  } finally {
    await s.cleanup();
  }
});

Deno.test("copyToSsd() stops on abort and removes what it wrote", async () => {
  const s = await setup(4 << 20);
  try {
    const ctl = new AbortController();
    await rejectsCopy(
      copyToSsd(s.src, `${s.ssd}/d/m.gguf`, {
        ssdRoot: s.ssd,
        bufferSize: 1 << 20,
        progressIntervalMs: 0,
        onProgress: (p) => {
          if (p.bytesDone >= 2 << 20) ctl.abort(new Error("user pressed ctrl-c"));
        },
        signal: ctl.signal,
      }),
      "aborted",
    );
    assertEquals(await tree(s.ssd), []);
  } finally {
    await s.cleanup();
  }
});

Deno.test("copyToSsd() with a speed limit takes at least size/limit", async () => {
  const s = await setup(1 << 20);
  try {
    const r = await copyToSsd(s.src, `${s.ssd}/m.gguf`, {
      ssdRoot: s.ssd,
      bufferSize: 256 << 10,
      maxBytesPerSecond: 8 << 20,
    });
    assert(r.seconds >= 0.12, `took ${r.seconds}s, expected >= 0.125s`);
  } finally {
    await s.cleanup();
  }
});

Deno.test("copyToSsd() racing to one destination gives one copy, the other reuses it", async () => {
  const s = await setup(8 << 20);
  try {
    const dest = `${s.ssd}/llm/m.gguf`;
    const results = await Promise.all(
      [0, 1, 2].map(() => copyToSsd(s.src, dest, { ssdRoot: s.ssd, bufferSize: 1 << 20 })),
    );
    assertEquals(results.filter((r) => !r.reused).length, 1);
    assertEquals(new Set(results.map((r) => r.hash)).size, 1);
    assertEquals(await Deno.readFile(dest), s.data);
    assertEquals(await tree(s.ssd), ["/llm", "/llm/m.gguf"]);
  } finally {
    await s.cleanup();
  }
});

Deno.test("copyToSsd() with wait: false fails while another copy holds the destination", async () => {
  const s = await setup(1000);
  try {
    const dest = `${s.ssd}/m.gguf`;
    const p = await partialPaths(s.ssd, dest);
    const lock = await acquireLock(p.lock, { removeOnRelease: true });
    try {
      await rejectsCopy(
        copyToSsd(s.src, dest, { ssdRoot: s.ssd, wait: false }),
        "another copy to this destination is running",
      );
    } finally {
      await lock!.release();
    }
    await Deno.remove(p.dir);
    assertEquals(await tree(s.ssd), []);
  } finally {
    await s.cleanup();
  }
});

import { assert, assertEquals } from "../../tests/assert.ts";
import { hfEntries, makeLibrary, shardEntries } from "../../tests/gguf_writer.ts";
import { LlamaPackError } from "../errors.ts";
import { PARTIAL_DIR } from "../cache/partials.ts";
import { buildLibrary } from "../core/library.ts";
import {
  type HeaderRecord,
  type MetadataCache,
  type ScanResult,
  scanTiers,
  type ScanWarning,
} from "./scan.ts";

const GIB = 1024 ** 3;

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "scan_test_" });
  try {
    await fn(await Deno.realPath(dir));
  } finally {
    await Deno.chmod(dir, 0o755).catch(() => {});
    for await (const e of Deno.readDir(dir)) {
      if (e.isDirectory) await Deno.chmod(`${dir}/${e.name}`, 0o755).catch(() => {});
    }
    await Deno.remove(dir, { recursive: true });
  }
}

/** An in-memory MetadataCache that counts calls. */
function memoryCache(): MetadataCache & { sets: number; store: Map<string, HeaderRecord> } {
  const store = new Map<string, HeaderRecord>();
  const c = {
    sets: 0,
    store,
    get: (p: string, s: number, m: number) => store.get(`${p}|${s}|${m}`),
    set: (p: string, s: number, m: number, r: HeaderRecord) => {
      c.sets++;
      for (const k of [...store.keys()]) if (k.startsWith(`${p}|`)) store.delete(k);
      store.set(`${p}|${s}|${m}`, r);
    },
  };
  return c;
}

const rels = (r: ScanResult) => r.files.map((f) => `${f.tier}:${f.relPath}`);
const kinds = (w: ScanWarning[]) => w.map((x) => x.kind);

/** Lists every path under dir with size and mtime, to prove the scan wrote nothing. */
async function snapshotTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for await (const e of Deno.readDir(d)) {
      const p = `${d}/${e.name}`;
      const st = await Deno.lstat(p);
      out.push(`${p} ${st.size} ${st.mtime?.getTime()} ${st.mode}`);
      if (e.isDirectory) await walk(p);
    }
  };
  await walk(dir);
  return out.sort();
}

Deno.test("scanTiers() finds GGUF files recursively in every root, sorted, with their headers", async () => {
  await withTemp(async (dir) => {
    await makeLibrary(`${dir}/hdd`, {
      "llm/Gemma2-9B-Q5_K.gguf": { size: 6 * GIB, parameterCount: 9.2e9, fileType: "Q5_K_M" },
      "llm/deep/er/Tiny.gguf": { size: 100 * 1024 ** 2 },
      "UPPER.GGUF": {},
      "llm/readme.md": { kind: "text", content: "not a model" },
      "llm/model.gguf.part": { kind: "text", content: "partial download" },
    });
    await makeLibrary(`${dir}/hdd2`, { "x/Other.gguf": {} });
    await makeLibrary(`${dir}/ssd`, {
      "llm/Gemma2-9B-Q5_K.gguf": { size: 6 * GIB, parameterCount: 9.2e9, fileType: "Q5_K_M" },
    });
    const before = await snapshotTree(dir);
    const r = await scanTiers([
      { tier: "hdd", path: `${dir}/hdd` },
      { tier: "hdd", path: `${dir}/hdd2` },
      { tier: "ssd", path: `${dir}/ssd` },
    ]);
    assertEquals(rels(r), [
      "ssd:llm/Gemma2-9B-Q5_K.gguf",
      "hdd:UPPER.GGUF",
      "hdd:llm/Gemma2-9B-Q5_K.gguf",
      "hdd:llm/deep/er/Tiny.gguf",
      "hdd:x/Other.gguf",
    ]);
    assertEquals(r.warnings, []);
    const g = r.files[2]!;
    assertEquals(g.path, `${dir}/hdd/llm/Gemma2-9B-Q5_K.gguf`);
    assertEquals(g.realPath, g.path);
    assertEquals(g.root, `${dir}/hdd`);
    assertEquals([g.size, g.info.quant, g.info.parameterCount], [6 * GIB, "Q5_K_M", 9.2e9]);
    assertEquals(g.fingerprint, r.files[0]!.fingerprint);
    assertEquals(r.stats, { dirs: 8, files: 5, headersRead: 5, cacheHits: 0 });
    assertEquals(await snapshotTree(dir), before, "the scan must not write anything");
  });
});

Deno.test("scanTiers() skips hidden entries and interrupted copies but reads hidden model caches", async () => {
  await withTemp(async (dir) => {
    await makeLibrary(dir, {
      [`${PARTIAL_DIR}/llm/half-copied.gguf`]: { size: GIB },
      ".git/objects/x.gguf": {},
      "llm/._Mac-resource-fork.gguf": { kind: "text", content: "AppleDouble" },
      "llm/.hidden.gguf": {},
      "llm/Visible.gguf": {},
      ...Object.fromEntries(
        Object.entries(hfEntries("org/Repo-GGUF", { "Repo-Q4_K_M.gguf": {} })).map((
          [k, v],
        ) => [`.cache/huggingface/hub/${k}`, v]),
      ),
      ".cache/huggingface/hub/.locks/models--org--Repo-GGUF/x.gguf": {},
      ".cache/llama.cpp/ggml-org_gemma-3-1b-it-GGUF_gemma-3-1b-it-Q4_K_M.gguf": {},
      ".cache/pip/junk.gguf": {},
    });
    const r = await scanTiers([{ tier: "hdd", path: dir }]);
    assertEquals(rels(r), [
      "hdd:.cache/huggingface/hub/models--org--Repo-GGUF/snapshots/0123456789abcdef0123456789abcdef01234567/Repo-Q4_K_M.gguf",
      "hdd:.cache/llama.cpp/ggml-org_gemma-3-1b-it-GGUF_gemma-3-1b-it-Q4_K_M.gguf",
      "hdd:llm/Visible.gguf",
    ]);
    assertEquals(r.warnings, []);
  });
});

Deno.test("scanTiers() follows the Hugging Face hub layout's links into blobs", async () => {
  await withTemp(async (dir) => {
    await makeLibrary(`${dir}/hub`, {
      ...hfEntries("bartowski/Qwen3-8B-GGUF", {
        "Qwen3-8B-Q4_K_M.gguf": { size: 5 * GIB, parameterCount: 8.2e9 },
        "Qwen3-8B-Q8_0.gguf": { size: 8 * GIB, fileType: "Q8_0" },
        "mmproj-Qwen3-8B-F16.gguf": { projector: true },
      }, { revision: "rev1" }),
      // A second revision pointing to the same blob: one file, not two.
      "models--bartowski--Qwen3-8B-GGUF/snapshots/rev2/Qwen3-8B-Q8_0.gguf": {
        kind: "symlink",
        target: "../rev1/Qwen3-8B-Q8_0.gguf",
      },
    });
    const r = await scanTiers([{ tier: "hdd", path: `${dir}/hub` }]);
    assertEquals(r.warnings, []);
    assertEquals(rels(r), [
      "hdd:models--bartowski--Qwen3-8B-GGUF/snapshots/rev1/Qwen3-8B-Q4_K_M.gguf",
      "hdd:models--bartowski--Qwen3-8B-GGUF/snapshots/rev1/Qwen3-8B-Q8_0.gguf",
      "hdd:models--bartowski--Qwen3-8B-GGUF/snapshots/rev1/mmproj-Qwen3-8B-F16.gguf",
    ]);
    for (const f of r.files) {
      assert(f.viaSymlink, f.relPath);
      assert(f.realPath.includes("/models--bartowski--Qwen3-8B-GGUF/blobs/"), f.realPath);
      assertEquals(f.path, `${dir}/hub/${f.relPath}`);
    }
    const lib = buildLibrary(r.files);
    assertEquals(lib.models.map((m) => [m.name, m.size, m.projectorNames]), [
      ["bartowski/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf", 5 * GIB + r.files[2]!.size, [
        "mmproj-Qwen3-8B-F16.gguf",
      ]],
      ["bartowski/Qwen3-8B-GGUF/Qwen3-8B-Q8_0.gguf", 8 * GIB + r.files[2]!.size, [
        "mmproj-Qwen3-8B-F16.gguf",
      ]],
    ]);
  });
});

Deno.test("scanTiers() detects symlink loops and does not follow links out of the tier", async (t) => {
  await withTemp(async (dir) => {
    await makeLibrary(dir, {
      "hdd/llm/A.gguf": {},
      "hdd/llm/loop": { kind: "symlink", target: ".." },
      "hdd/llm/self": { kind: "symlink", target: "self" },
      "hdd/llm/alias": { kind: "symlink", target: "../other" },
      "hdd/other/B.gguf": {},
      "hdd/llm/outside.gguf": { kind: "symlink", target: "../../elsewhere/C.gguf" },
      "hdd/llm/outside-dir": { kind: "symlink", target: "../../elsewhere" },
      "hdd/llm/to-ssd.gguf": { kind: "symlink", target: "../../ssd/D.gguf" },
      "hdd/llm/gone.gguf": { kind: "symlink", target: "nowhere.gguf" },
      "elsewhere/C.gguf": {},
      "ssd/D.gguf": {},
    });
    const r = await scanTiers([
      { tier: "hdd", path: `${dir}/hdd` },
      { tier: "ssd", path: `${dir}/ssd` },
    ]);
    await t.step("files are found once, real directories winning over aliases", () => {
      assertEquals(rels(r), ["ssd:D.gguf", "hdd:llm/A.gguf", "hdd:other/B.gguf"]);
    });
    await t.step("each problem is one warning naming the link", () => {
      const byPath = Object.fromEntries(r.warnings.map((w) => [w.path.slice(dir.length + 1), w]));
      assertEquals(Object.keys(byPath).sort(), [
        "hdd/llm/gone.gguf",
        "hdd/llm/loop",
        "hdd/llm/outside-dir",
        "hdd/llm/outside.gguf",
        "hdd/llm/self",
        "hdd/llm/to-ssd.gguf",
      ]);
      assertEquals(byPath["hdd/llm/loop"]!.kind, "loop");
      assertEquals(byPath["hdd/llm/self"]!.kind, "loop");
      assertEquals(byPath["hdd/llm/gone.gguf"]!.kind, "broken-link");
      assertEquals(
        byPath["hdd/llm/outside.gguf"]!.message,
        `${dir}/hdd/llm/outside.gguf: symlink points outside the hdd directories, to ${dir}/elsewhere/C.gguf (not followed)`,
      );
      assertEquals(byPath["hdd/llm/outside-dir"]!.kind, "outside");
      assertEquals(byPath["hdd/llm/to-ssd.gguf"]!.kind, "outside");
    });
  });
});

Deno.test("scanTiers() reports broken files by name with the reason and goes on", async () => {
  await withTemp(async (dir) => {
    await makeLibrary(dir, {
      "a/Good.gguf": {},
      "a/Empty.gguf": { corrupt: "empty" },
      "a/Notes.gguf": { corrupt: "garbage" },
      "a/Cut.gguf": { corrupt: "truncated-data", size: GIB },
      "b/Good2.gguf": {},
    });
    const r = await scanTiers([{ tier: "hdd", path: dir }]);
    assertEquals(rels(r), ["hdd:a/Good.gguf", "hdd:b/Good2.gguf"]);
    assertEquals(kinds(r.warnings), ["bad-gguf", "bad-gguf", "bad-gguf"]);
    const msgs = r.warnings.map((w) => w.message).sort();
    assert(
      msgs[0]!.startsWith(`${dir}/a/Cut.gguf: not a GGUF file: truncated (the file has`),
      msgs[0],
    );
    assertEquals(msgs[1], `${dir}/a/Empty.gguf: not a GGUF file: the file is empty (skipped)`);
    assertEquals(
      msgs[2],
      `${dir}/a/Notes.gguf: not a GGUF file: bad magic (the file does not start with 'GGUF') (skipped)`,
    );
  });
});

Deno.test("scanTiers() reports missing roots and unreadable header files as warnings", async () => {
  await withTemp(async (dir) => {
    await makeLibrary(dir, { "ok/A.gguf": {}, "ok/B.gguf": {} });
    const r = await scanTiers([
      { tier: "hdd", path: `${dir}/ok` },
      { tier: "ssd", path: `${dir}/missing` },
    ], {
      readHeader: (p) => {
        if (p.endsWith("B.gguf")) {
          return Promise.reject(new LlamaPackError("IO", `${p}: cannot read: permission denied`));
        }
        return import("./gguf.ts").then((m) => m.readGgufHeader(p));
      },
    });
    assertEquals(rels(r), ["hdd:A.gguf"]);
    assertEquals(r.warnings.map((w) => w.message), [
      `${dir}/missing: ssd path does not exist`,
      `${dir}/ok/B.gguf: cannot read: permission denied (skipped)`,
    ]);
  });
});

// chmod 000 does not stop root, so this case can only be shown as a normal user.
const canLockDirs = await (async () => {
  const d = await Deno.makeTempDir();
  try {
    await Deno.chmod(d, 0o000);
    try {
      for await (const _ of Deno.readDir(d)) break;
      return false;
    } catch {
      return true;
    }
  } finally {
    await Deno.chmod(d, 0o755);
    await Deno.remove(d);
  }
})();
if (!canLockDirs) {
  console.log(
    "scan_test: running as root, chmod 000 does not block reads: unreadable-directory test skipped",
  );
}

Deno.test({
  name: "scanTiers() warns about unreadable directories and scans the rest",
  ignore: !canLockDirs,
  fn: async () => {
    await withTemp(async (dir) => {
      await makeLibrary(dir, {
        "open/A.gguf": {},
        "locked/B.gguf": {},
        "locked": { kind: "dir", mode: 0o000 },
      });
      const r = await scanTiers([{ tier: "hdd", path: dir }]);
      assertEquals(rels(r), ["hdd:open/A.gguf"]);
      assertEquals(r.warnings.map((w) => w.message), [
        `${dir}/locked: cannot read directory: permission denied (skipped)`,
      ]);
    });
  },
});

Deno.test("scanTiers() reads only new or changed files when the cache is warm", async () => {
  await withTemp(async (dir) => {
    await makeLibrary(dir, {
      "A.gguf": { size: GIB },
      "B.gguf": { size: GIB },
      "Bad.gguf": { corrupt: "garbage" },
      ...shardEntries("C", 2, { size: 2 * GIB }),
    });
    const cache = memoryCache();
    const roots = [{ tier: "hdd" as const, path: dir }];
    const first = await scanTiers(roots, { cache });
    assertEquals([first.stats.headersRead, first.stats.cacheHits, cache.sets], [5, 0, 5]);

    const again = await scanTiers(roots, { cache });
    assertEquals([again.stats.headersRead, again.stats.cacheHits, cache.sets], [0, 5, 5]);
    assertEquals(again.files, first.files);
    // A cached bad file is still reported, marked as known (-u says it once per change).
    assertEquals(
      again.warnings,
      first.warnings.map((w) => w.kind === "bad-gguf" ? { ...w, known: true } : w),
    );

    // Touch one, grow another, add a new one.
    await Deno.utime(`${dir}/A.gguf`, new Date(2_000_000_000_000), new Date(2_000_000_000_000));
    await Deno.truncate(`${dir}/B.gguf`, 2 * GIB);
    await makeLibrary(dir, { "D.gguf": {} });
    const third = await scanTiers(roots, { cache });
    assertEquals([third.stats.headersRead, third.stats.cacheHits], [3, 3]);
    assertEquals(third.files.find((f) => f.relPath === "B.gguf")!.size, 2 * GIB);
  });
});

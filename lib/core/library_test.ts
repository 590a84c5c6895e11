import fc from "fast-check";
import { assert, assertEquals } from "../../tests/assert.ts";
import type { GgufInfo, ScannedFile, Tier } from "./scanned.ts";
import { buildLibrary, type KnownModel } from "./library.ts";
import { displayName, parseShardName } from "./model_names.ts";

const INFO: GgufInfo = {
  architecture: "llama",
  name: "m",
  parameterCount: 8e9,
  sizeLabel: null,
  quant: "Q4_K_M",
  contextLength: 8192,
  layerCount: 32,
  expertCount: null,
  splitNo: null,
  splitCount: null,
  isProjector: false,
};

interface FileOpts {
  fp?: string;
  size?: number;
  root?: string;
  info?: Partial<GgufInfo>;
  mtimeMs?: number;
}

function file(tier: Tier, relPath: string, o: FileOpts = {}): ScannedFile {
  const root = o.root ?? `/${tier}`;
  return {
    tier,
    root,
    relPath,
    path: `${root}/${relPath}`,
    realPath: `${root}/${relPath}`,
    viaSymlink: false,
    size: o.size ?? 1000,
    mtimeMs: o.mtimeMs ?? 0,
    info: { ...INFO, ...o.info },
    fingerprint: o.fp ?? `fp:${relPath}`,
  };
}

Deno.test("parseShardName() and displayName() read file names", async (t) => {
  await t.step("shard names", () => {
    assertEquals(parseShardName("Qwen-72B-Q4_K_M-00002-of-00003.gguf"), {
      prefix: "Qwen-72B-Q4_K_M",
      no: 2,
      count: 3,
    });
    assertEquals(parseShardName("x-00004-of-00003.gguf"), null);
    assertEquals(parseShardName("x-00000-of-00003.gguf"), null);
    assertEquals(parseShardName("x-1-of-3.gguf"), null);
  });
  await t.step("display names", () => {
    assertEquals(
      displayName("hub/models--unsloth--gpt-oss-20b-GGUF/snapshots/r/sub/gpt-oss-20b-F16.gguf"),
      "unsloth/gpt-oss-20b-GGUF/sub/gpt-oss-20b-F16.gguf",
    );
    assertEquals(displayName("models--gpt2/snapshots/r/gpt2.gguf"), "gpt2/gpt2.gguf");
    assertEquals(displayName("a.gguf"), "a.gguf");
  });
});

Deno.test("buildLibrary() makes one model of split shards", async (t) => {
  await t.step("by file name, in any order", () => {
    const lib = buildLibrary([
      file("hdd", "big/Big-00003-of-00003.gguf", { size: 30 }),
      file("hdd", "big/Big-00001-of-00003.gguf", { size: 10 }),
      file("hdd", "big/Big-00002-of-00003.gguf", { size: 20 }),
      file("hdd", "big/Other.gguf", { size: 5 }),
    ]);
    assertEquals(lib.models.map((m) => [m.id, m.size, m.shardCount]), [
      ["big/Big-00001-of-00003.gguf", 60, 3],
      ["big/Other.gguf", 5, 1],
    ]);
    const big = lib.models[0]!;
    assertEquals(big.hdd!.path, "/hdd/big/Big-00001-of-00003.gguf");
    assertEquals(big.hdd!.files, [1, 2, 3].map((i) => `/hdd/big/Big-0000${i}-of-00003.gguf`));
    assertEquals(big.fingerprint, "fp:big/Big-00001-of-00003.gguf");
    assertEquals(lib.warnings, []);
  });
  await t.step("by GGUF split keys when the files were renamed", () => {
    const shard = (n: string, no: number) =>
      file("hdd", `x/${n}.gguf`, { info: { name: "Big", splitNo: no, splitCount: 2 } });
    const lib = buildLibrary([shard("part-b", 1), shard("part-a", 0)]);
    assertEquals(lib.models.map((m) => [m.id, m.shardCount, m.hdd!.files.length]), [
      ["x/part-a.gguf", 2, 2],
    ]);
  });
  await t.step("a missing shard is reported", () => {
    const lib = buildLibrary([
      file("hdd", "B-00001-of-00003.gguf"),
      file("hdd", "B-00003-of-00003.gguf"),
    ]);
    assertEquals(lib.models[0]!.missingShards, [2]);
    assertEquals(lib.warnings, [
      "/hdd/B-00001-of-00003.gguf: split model is missing shard 2 of 3",
    ]);
  });
  await t.step("shards in different directories are different models", () => {
    const lib = buildLibrary([
      file("hdd", "a/B-00001-of-00002.gguf"),
      file("hdd", "a/B-00002-of-00002.gguf"),
      file("hdd", "b/B-00001-of-00002.gguf"),
    ]);
    assertEquals(lib.models.map((m) => [m.id, m.missingShards]), [
      ["a/B-00001-of-00002.gguf", []],
      ["b/B-00001-of-00002.gguf", [2]],
    ]);
  });
});

Deno.test("buildLibrary() attaches projectors to the models of their directory", async (t) => {
  await t.step("by name or by metadata, to every model there", () => {
    const lib = buildLibrary([
      file("hdd", "v/Gemma-Q4.gguf", { size: 100 }),
      file("hdd", "v/Gemma-Q8.gguf", { size: 200 }),
      file("hdd", "v/mmproj-gemma-f16.gguf", { size: 7 }),
      file("hdd", "v/vision-tower.gguf", { size: 3, info: { isProjector: true } }),
      file("hdd", "w/Solo.gguf", { size: 50 }),
    ]);
    assertEquals(lib.models.map((m) => [m.id, m.size, m.weightsSize, m.projectorNames]), [
      ["v/Gemma-Q4.gguf", 110, 100, ["mmproj-gemma-f16.gguf", "vision-tower.gguf"]],
      ["v/Gemma-Q8.gguf", 210, 200, ["mmproj-gemma-f16.gguf", "vision-tower.gguf"]],
      ["w/Solo.gguf", 50, 50, []],
    ]);
    assertEquals(lib.models[0]!.hdd!.projectors, [
      "/hdd/v/mmproj-gemma-f16.gguf",
      "/hdd/v/vision-tower.gguf",
    ]);
  });
  await t.step("a projector alone is not a model", () => {
    const lib = buildLibrary([file("hdd", "p/mmproj-x.gguf")]);
    assertEquals(lib.models, []);
    assertEquals(lib.warnings, [
      "/hdd/p/mmproj-x.gguf: projector with no model in its directory (ignored)",
    ]);
  });
});

Deno.test("buildLibrary() matches copies across tiers", async (t) => {
  await t.step("the SSD mirror with the same size and fingerprint is the cached copy", () => {
    const lib = buildLibrary([
      file("hdd", "llm/x.gguf", { fp: "X", size: 10 }),
      file("ssd", "llm/x.gguf", { fp: "X", size: 10 }),
    ]);
    assertEquals(lib.models.length, 1);
    const m = lib.models[0]!;
    assertEquals([m.id, m.ssdOnly, m.hdd!.path, m.ssd!.path], [
      "llm/x.gguf",
      false,
      "/hdd/llm/x.gguf",
      "/ssd/llm/x.gguf",
    ]);
  });
  await t.step("a split model's copy must have every shard", () => {
    const lib = buildLibrary([
      file("hdd", "B-00001-of-00002.gguf", { fp: "B", size: 10 }),
      file("hdd", "B-00002-of-00002.gguf", { size: 10 }),
      file("ssd", "B-00001-of-00002.gguf", { fp: "B", size: 10 }),
    ]);
    assertEquals(lib.models.map((m) => [m.id, m.ssdOnly, m.ssd?.size ?? null]), [
      ["B-00001-of-00002.gguf", false, null],
      ["ssd:B-00001-of-00002.gguf", true, 10],
    ]);
  });
  await t.step("a file only on the SSD is SSD-only", () => {
    const lib = buildLibrary([file("ssd", "mine/only.gguf")]);
    assertEquals(lib.models.map((m) => [m.id, m.ssdOnly, m.hdd]), [["mine/only.gguf", true, null]]);
  });
  await t.step("different content at the mirror path is kept as SSD-only and reported", () => {
    const lib = buildLibrary([
      file("hdd", "llm/x.gguf", { fp: "X", size: 10 }),
      file("ssd", "llm/x.gguf", { fp: "Y", size: 10 }),
    ]);
    assertEquals(lib.models.map((m) => [m.id, m.ssdOnly, m.ssd?.path ?? null]), [
      ["llm/x.gguf", false, null],
      ["ssd:llm/x.gguf", true, "/ssd/llm/x.gguf"],
    ]);
    assertEquals(lib.warnings, [
      "/ssd/llm/x.gguf: differs from /hdd/llm/x.gguf (size or header); kept as SSD-only",
    ]);
  });
  await t.step("the same content elsewhere on the SSD is still the copy", () => {
    const lib = buildLibrary([
      file("hdd", "new/place/x.gguf", { fp: "X", size: 10 }),
      file("ssd", "old/x.gguf", { fp: "X", size: 10 }),
    ]);
    assertEquals(lib.models.map((m) => [m.id, m.ssd?.path ?? null, m.ssdOnly]), [
      ["new/place/x.gguf", "/ssd/old/x.gguf", false],
    ]);
  });
  await t.step("two HDD roots: same content merges, different content gets #2", () => {
    const lib = buildLibrary([
      file("hdd", "x.gguf", { fp: "X", root: "/h1" }),
      file("hdd", "x.gguf", { fp: "X", root: "/h2" }),
      file("hdd", "y.gguf", { fp: "Y1", root: "/h1" }),
      file("hdd", "y.gguf", { fp: "Y2", root: "/h2" }),
    ]);
    assertEquals(
      lib.models.map((m) => [m.id, m.hdd!.root, m.extraHdd.map((c) => c.root)]),
      [["x.gguf", "/h1", ["/h2"]], ["y.gguf", "/h1", []], ["y.gguf#2", "/h2", []]],
    );
  });
});

Deno.test("buildLibrary() keeps history through renames and lists vanished models", async (t) => {
  const known: KnownModel[] = [
    { id: "old/name.gguf", fingerprint: "X", weightsSize: 10 },
    { id: "gone.gguf", fingerprint: "G", weightsSize: 5 },
    { id: "twin-a.gguf", fingerprint: "T", weightsSize: 7 },
    { id: "stays.gguf", fingerprint: "S", weightsSize: 3 },
  ];
  const lib = buildLibrary([
    file("hdd", "new/name.gguf", { fp: "X", size: 10 }),
    file("hdd", "stays.gguf", { fp: "S", size: 3 }),
    file("hdd", "t1.gguf", { fp: "T", size: 7 }),
    file("hdd", "t2.gguf", { fp: "T", size: 7 }),
    file("hdd", "same-fp-other-size.gguf", { fp: "G", size: 6 }),
  ], { known });
  await t.step("a unique match by fingerprint and size is a rename", () => {
    assertEquals(lib.renames, { "old/name.gguf": "new/name.gguf" });
  });
  await t.step("ambiguous or missing matches leave the id as stats only", () => {
    assertEquals(lib.missing, ["gone.gguf", "twin-a.gguf"]);
  });
});

Deno.test("buildLibrary() accounts for every file exactly once (property)", () => {
  const arbFile = fc.record({
    tier: fc.constantFrom<Tier>("hdd", "ssd"),
    dir: fc.constantFrom("a", "b", "a/c"),
    base: fc.constantFrom("M", "N", "mmproj-M", "O"),
    shard: fc.option(fc.record({ no: fc.integer({ min: 1, max: 3 }), count: fc.constant(3) })),
    fp: fc.constantFrom("F1", "F2", "F3"),
    size: fc.integer({ min: 1, max: 5 }),
  });
  fc.assert(
    fc.property(fc.array(arbFile, { maxLength: 25 }), (specs) => {
      const seen = new Set<string>();
      const files: ScannedFile[] = [];
      for (const s of specs) {
        const name = s.shard
          ? `${s.base}-0000${s.shard.no}-of-0000${s.shard.count}.gguf`
          : `${s.base}.gguf`;
        const rel = `${s.dir}/${name}`;
        if (seen.has(`${s.tier}:${rel}`)) continue;
        seen.add(`${s.tier}:${rel}`);
        files.push(file(s.tier, rel, { fp: s.fp, size: s.size }));
      }
      const lib = buildLibrary(files);
      const ids = lib.models.map((m) => m.id);
      assertEquals(new Set(ids).size, ids.length, "ids are unique");
      // Every weight file is in exactly one copy; projectors only where a model is.
      const counted = new Map<string, number>();
      for (const m of lib.models) {
        for (const c of [m.hdd, m.ssd, ...m.extraHdd]) {
          if (!c) continue;
          for (const p of c.files) counted.set(p, (counted.get(p) ?? 0) + 1);
          assertEquals(
            c.size,
            [...c.files, ...c.projectors].reduce(
              (a, p) => a + files.find((f) => f.path === p)!.size,
              0,
            ),
          );
        }
        assert(m.hdd !== null || m.ssd !== null);
        assertEquals(m.ssdOnly, m.hdd === null);
      }
      for (const f of files) {
        const isProj = f.relPath.includes("mmproj");
        assertEquals(counted.get(f.path) ?? 0, isProj ? 0 : 1, f.path);
      }
    }),
    { numRuns: 300 },
  );
});

Deno.test("buildLibrary() takes store files as permanent copies named by their model ids, matched with SSD copies at their mirror paths", () => {
  const store = (
    kind: "huggingface" | "ollama",
    rel: string,
    path: string,
    modelId: string,
    o: FileOpts & { aliases?: string[] } = {},
  ): ScannedFile => ({
    ...file("hdd", rel, { ...o, root: `/${kind}` }),
    path,
    realPath: path,
    store: kind,
    modelId,
    aliases: o.aliases ?? [],
  });
  const lib = buildLibrary([
    file("hdd", "org/repo/x.gguf", { fp: "hddx" }),
    store(
      "huggingface",
      "huggingface/org/repo/x.gguf",
      "/hub/models--org--repo/snapshots/r/x.gguf",
      "org/repo/x.gguf",
      { fp: "hfx" },
    ),
    store(
      "huggingface",
      "huggingface/org/repo/mmproj-x.gguf",
      "/hub/models--org--repo/snapshots/r/mmproj-x.gguf",
      "org/repo/mmproj-x.gguf",
      { fp: "proj", info: { isProjector: true } },
    ),
    store("ollama", "ollama/llama3.2/3b/model.gguf", "/o/blobs/sha256-1", "llama3.2:3b", {
      fp: "oll",
      aliases: ["llama3.2:latest"],
    }),
    file("ssd", "ollama/llama3.2/3b/model.gguf", { fp: "oll" }),
  ]);
  assertEquals(lib.warnings, []);
  assertEquals(
    lib.models.map((m) => [m.id, m.name, m.store, m.hdd?.path, m.ssd?.path ?? null, m.aliases]),
    [
      [
        "llama3.2:3b",
        "llama3.2:3b",
        "ollama",
        "/o/blobs/sha256-1",
        "/ssd/ollama/llama3.2/3b/model.gguf",
        [
          "llama3.2:latest",
        ],
      ],
      ["org/repo/x.gguf", "x.gguf", null, "/hdd/org/repo/x.gguf", null, []],
      [
        "org/repo/x.gguf#2",
        "org/repo/x.gguf",
        "huggingface",
        "/hub/models--org--repo/snapshots/r/x.gguf",
        null,
        [],
      ],
    ],
  );
  const hf = lib.models.find((m) => m.store === "huggingface")!;
  assertEquals(hf.hdd?.projectors, ["/hub/models--org--repo/snapshots/r/mmproj-x.gguf"]);
  assertEquals(hf.hdd?.rels, ["huggingface/org/repo/x.gguf", "huggingface/org/repo/mmproj-x.gguf"]);
});

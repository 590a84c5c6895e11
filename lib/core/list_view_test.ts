import { assert, assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { formatDate, formatParams, type ListEntry, sortEntries } from "./list_entry.ts";
import { LIST_KEY, renderList } from "./list_view.ts";
import { listJson } from "./list_json.ts";

const day = (iso: string) => Date.parse(`${iso}T12:00:00Z`) / 1000;

const ENTRIES: ListEntry[] = [
  {
    id: "Some-model-I-Used-a-Lot-q5_k_s.gguf",
    name: "Some-model-I-Used-a-Lot-q5_k_s.gguf",
    rank: 5.8,
    uses: 6,
    lastUsed: day("2025-11-28"),
    firstSeen: day("2025-10-12"),
    params: 9.24e9,
    quant: "Q5_K_S",
    size: 6.5 * 1024 ** 3,
    ssd: { state: "verified", hot: true, path: "/ssd/Some-model-I-Used-a-Lot-q5_k_s.gguf" },
    hdd: { present: true, path: "/hdd/llm/Some-model-I-Used-a-Lot-q5_k_s.gguf" },
    statsOnly: false,
    ssdOnly: false,
    meta: {
      architecture: "gemma2",
      layerCount: 42,
      contextLength: 8192,
      shardCount: 1,
      projectors: ["mmproj-F16.gguf"],
    },
    reasons: ["6 uses, last 2025-11-28: 5.8 uses/week", "cached: rank 5.8 ≥ 1.0 and fits"],
  },
  {
    id: "llm/Foo-v1.0.q8_0.gguf",
    name: "Foo-v1.0.q8_0.gguf",
    rank: 0,
    uses: 0,
    lastUsed: null,
    firstSeen: day("2024-03-10"),
    params: 1.1e9,
    quant: "Q8_0",
    size: 1.2 * 1024 ** 3,
    ssd: { state: "none" },
    hdd: { present: true, path: "/hdd/llm/Foo-v1.0.q8_0.gguf" },
    statsOnly: false,
    ssdOnly: false,
  },
  {
    id: "phi-4-Q6_K.gguf",
    name: "phi-4-Q6_K.gguf",
    rank: 0,
    uses: 3,
    lastUsed: day("2025-01-08"),
    firstSeen: day("2025-01-02"),
    params: 14.7e9,
    quant: "Q6_K",
    size: null,
    ssd: { state: "none" },
    hdd: { present: false },
    statsOnly: true,
    ssdOnly: false,
  },
  {
    id: "big/Qwen-72B-00001-of-00003.gguf",
    name: "Qwen-72B-00001-of-00003.gguf",
    rank: 2.5,
    uses: 3,
    lastUsed: day("2025-11-27"),
    firstSeen: day("2025-11-01"),
    params: 72.7e9,
    quant: "Q4_K_M",
    size: 44 * 1024 ** 3,
    ssd: { state: "copying", progress: 0.421, path: "/ssd/big/Qwen-72B-00001-of-00003.gguf" },
    hdd: { present: true, path: "/hdd/big/Qwen-72B-00001-of-00003.gguf" },
    statsOnly: false,
    ssdOnly: false,
    meta: { architecture: "qwen2", layerCount: 80, contextLength: 32768, shardCount: 3 },
  },
  {
    id: "mine.gguf",
    name: "mine.gguf",
    rank: 1.25,
    uses: 2,
    lastUsed: day("2025-11-20"),
    firstSeen: day("2025-11-01"),
    params: 3e9,
    quant: "Q8_0",
    size: 3.2 * 1024 ** 3,
    ssd: { state: "verified", hot: false, path: "/ssd/mine.gguf" },
    hdd: { present: false },
    statsOnly: false,
    ssdOnly: true,
  },
  {
    id: "Whatever.gguf",
    name: "Whatever-Qwen2.5-14B.Q6_K.gguf",
    rank: 1.25,
    uses: 1,
    lastUsed: day("2025-11-10"),
    firstSeen: day("2025-03-29"),
    params: 14.8e9,
    quant: "Q6_K",
    size: 12.1 * 1024 ** 3,
    ssd: { state: "should", path: "/ssd/Whatever.gguf" },
    hdd: { present: true, path: "/hdd/Whatever.gguf" },
    statsOnly: false,
    ssdOnly: false,
  },
];

const HEADER =
  "Model                                Rank  ssd       hdd  Last        Uses  First seen  Params  Quant       Size";

Deno.test("renderList() renders the original's layout: one row per model, lowest rank first", () => {
  assertEquals(
    renderList(ENTRIES),
    [
      "Models (lowest to highest rank)",
      "",
      HEADER,
      "Foo-v1.0.q8_0.gguf                    0.0            HDD  never          0  2024-03-10    1.1B  Q8_0     1.2 GiB",
      "phi-4-Q6_K.gguf                       0.0  st        st   2025-01-08     3  2025-01-02   14.7B  Q6_K",
      "Whatever-Qwen2.5-14B.Q6_K.gguf        1.3  {SSD}     HDD  2025-11-10     1  2025-03-29   14.8B  Q6_K    12.1 GiB",
      "mine.gguf                             1.3  ssd       ***  2025-11-20     2  2025-11-01    3.0B  Q8_0     3.2 GiB",
      "Qwen-72B-00001-of-00003.gguf          2.5  {SSD}42%  HDD  2025-11-27     3  2025-11-01   72.7B  Q4_K_M  44.0 GiB",
      "Some-model-I-Used-a-Lot-q5_k_s.gguf   5.8  SSD       HDD  2025-11-28     6  2025-10-12    9.2B  Q5_K_S   6.5 GiB",
      HEADER,
      LIST_KEY,
      "",
    ].join("\n"),
  );
});

Deno.test("renderList() fits the width: drops the least useful columns, then shortens names", async (t) => {
  await t.step("80 columns: First seen, Quant, Uses and Params go, names stay whole", () => {
    const lines = renderList(ENTRIES, { width: 80 }).split("\n");
    assertEquals(lines.slice(2, 5), [
      "Model                                Rank  ssd       hdd  Last            Size",
      "Foo-v1.0.q8_0.gguf                    0.0            HDD  never        1.2 GiB",
      "phi-4-Q6_K.gguf                       0.0  st        st   2025-01-08",
    ]);
    assertEquals(lines.slice(-3), [
      "Key: SSD=cached+hot, ssd=cached+cold, {SSD}=should cache (NN%=copying),",
      "     HDD=permanent, st=stats only (file gone), ***=SSD only",
      "",
    ]);
    for (const l of lines) assert(l.length <= 80, `${l.length}: ${l}`);
  });
  await t.step("60 columns: names lose .gguf and their middle, never the quant", () => {
    const lines = renderList(ENTRIES, { width: 60 }).split("\n");
    assertEquals(lines[2], "Model                          Rank  ssd       hdd      Size");
    assertEquals(lines[8], "Some-model-I-Used-a-Lo…q5_k_s   5.8  SSD       HDD   6.5 GiB");
    for (const l of lines) assert(l.length <= 60, `${l.length}: ${l}`);
  });
  await t.step("one line per model at any width", () => {
    for (const width of [40, 60, 80, 100, 120, 200]) {
      const lines = renderList(ENTRIES, { width }).split("\n");
      const header = lines[2]!;
      assertEquals(lines.lastIndexOf(header) - 3, ENTRIES.length, String(width));
      if (width >= 50) { for (const l of lines) assert(l.length <= width, `${width}: ${l}`); }
    }
  });
});

Deno.test("renderList() with -v adds ids, copy paths and metadata; -v -v adds reasons", async (t) => {
  const two = [ENTRIES[0]!, ENTRIES[3]!];
  const body = (text: string) => text.split("\n").slice(3, -3);
  await t.step("-v", () => {
    assertEquals(body(renderList(two, { verbose: 1 })), [
      "Qwen-72B-00001-of-00003.gguf          2.5  {SSD}42%  HDD  2025-11-27     3  2025-11-01   72.7B  Q4_K_M  44.0 GiB",
      "   id: big/Qwen-72B-00001-of-00003.gguf",
      "   ssd: /ssd/big/Qwen-72B-00001-of-00003.gguf (copying)",
      "   hdd: /hdd/big/Qwen-72B-00001-of-00003.gguf",
      "   qwen2, 80 layers, ctx 32768, 3 shards",
      "Some-model-I-Used-a-Lot-q5_k_s.gguf   5.8  SSD       HDD  2025-11-28     6  2025-10-12    9.2B  Q5_K_S   6.5 GiB",
      "   id: Some-model-I-Used-a-Lot-q5_k_s.gguf",
      "   ssd: /ssd/Some-model-I-Used-a-Lot-q5_k_s.gguf",
      "   hdd: /hdd/llm/Some-model-I-Used-a-Lot-q5_k_s.gguf",
      "   gemma2, 42 layers, ctx 8192, mmproj: mmproj-F16.gguf",
    ]);
  });
  await t.step("-v -v", () => {
    const lines = body(renderList(two, { verbose: 2 }));
    assertEquals(lines.slice(-2), [
      "   why: 6 uses, last 2025-11-28: 5.8 uses/week",
      "   why: cached: rank 5.8 ≥ 1.0 and fits",
    ]);
    assertEquals(lines.length, 12);
  });
});

Deno.test("renderList() --table view is a boxed grid, one row per model", async (t) => {
  await t.step("full width", () => {
    assertEquals(
      renderList(ENTRIES.slice(0, 3), { view: "table" }),
      [
        "Models (lowest to highest rank)",
        "",
        "┌─────────────────────────────────────┬──────┬─────┬─────┬────────────┬──────┬────────────┬────────┬────────┬─────────┐",
        "│ Model                               │ Rank │ ssd │ hdd │ Last       │ Uses │ First seen │ Params │ Quant  │    Size │",
        "├─────────────────────────────────────┼──────┼─────┼─────┼────────────┼──────┼────────────┼────────┼────────┼─────────┤",
        "│ Foo-v1.0.q8_0.gguf                  │  0.0 │     │ HDD │ never      │    0 │ 2024-03-10 │   1.1B │ Q8_0   │ 1.2 GiB │",
        "│ phi-4-Q6_K.gguf                     │  0.0 │ st  │ st  │ 2025-01-08 │    3 │ 2025-01-02 │  14.7B │ Q6_K   │         │",
        "│ Some-model-I-Used-a-Lot-q5_k_s.gguf │  5.8 │ SSD │ HDD │ 2025-11-28 │    6 │ 2025-10-12 │   9.2B │ Q5_K_S │ 6.5 GiB │",
        "└─────────────────────────────────────┴──────┴─────┴─────┴────────────┴──────┴────────────┴────────┴────────┴─────────┘",
        LIST_KEY,
        "",
      ].join("\n"),
    );
  });
  await t.step("80 columns", () => {
    const lines = renderList(ENTRIES.slice(0, 3), { view: "table", width: 80 }).split("\n");
    assertEquals(lines.slice(2, 9), [
      "┌────────────────────────────────┬──────┬─────┬─────┬────────────┬─────────┐",
      "│ Model                          │ Rank │ ssd │ hdd │ Last       │    Size │",
      "├────────────────────────────────┼──────┼─────┼─────┼────────────┼─────────┤",
      "│ Foo-v1.0.q8_0                  │  0.0 │     │ HDD │ never      │ 1.2 GiB │",
      "│ phi-4-Q6_K                     │  0.0 │ st  │ st  │ 2025-01-08 │         │",
      "│ Some-model-I-Used-a-Lot-q5_k_s │  5.8 │ SSD │ HDD │ 2025-11-28 │ 6.5 GiB │",
      "└────────────────────────────────┴──────┴─────┴─────┴────────────┴─────────┘",
    ]);
    for (const l of lines) assert(l.length <= 80, `${l.length}: ${l}`);
  });
});

Deno.test("renderList() colours markers by tier only when asked", () => {
  const plain = renderList(ENTRIES, { view: "table" });
  assert(!plain.includes("\x1b["), "no escape codes without color");
  const coloured = renderList(ENTRIES, { color: true });
  assertStringIncludes(coloured, "\x1b[7m Models (lowest to highest rank) \x1b[0m");
  assertStringIncludes(coloured, "\x1b[1;36mSSD\x1b[0m");
  assertStringIncludes(coloured, "\x1b[36mssd\x1b[0m");
  assertStringIncludes(coloured, "\x1b[35m{SSD}42%\x1b[0m");
  assertStringIncludes(coloured, "\x1b[33mHDD\x1b[0m");
  assertStringIncludes(coloured, "\x1b[31m***\x1b[0m");
  // Without the escape codes the text is the same, columns included.
  const ansi = new RegExp(String.fromCharCode(27) + "\\[[0-9;]*m", "g");
  assertEquals(
    coloured.replace(ansi, "").replace(/^ (.*) $/m, "$1"),
    renderList(ENTRIES),
  );
});

Deno.test("renderList() says what to do when there are no models", () => {
  assertStringIncludes(
    renderList([]),
    "(no models: set hdd_path/ssd_path in the config and run -u)",
  );
});

Deno.test("sortEntries() breaks rank ties by last use, then name", () => {
  assertEquals(sortEntries(ENTRIES).map((e) => e.id), [
    "llm/Foo-v1.0.q8_0.gguf",
    "phi-4-Q6_K.gguf",
    "Whatever.gguf",
    "mine.gguf",
    "big/Qwen-72B-00001-of-00003.gguf",
    "Some-model-I-Used-a-Lot-q5_k_s.gguf",
  ]);
});

Deno.test("listJson() gives the same data with every field present", () => {
  const doc = listJson(ENTRIES);
  assertEquals(doc.models.map((m) => m.id), sortEntries(ENTRIES).map((e) => e.id));
  assertEquals(doc.models[4], {
    id: "big/Qwen-72B-00001-of-00003.gguf",
    name: "Qwen-72B-00001-of-00003.gguf",
    label: "Qwen-72B-00001-of-00003.gguf",
    rank: 2.5,
    uses: 3,
    lastUsed: "2025-11-27T12:00:00Z",
    firstSeen: "2025-11-01T12:00:00Z",
    params: 72.7e9,
    quant: "Q4_K_M",
    size: 44 * 1024 ** 3,
    ssd: {
      state: "copying",
      hot: false,
      path: "/ssd/big/Qwen-72B-00001-of-00003.gguf",
      progress: 0.421,
    },
    hdd: {
      present: true,
      path: "/hdd/big/Qwen-72B-00001-of-00003.gguf",
      store: null,
      offline: false,
    },
    statsOnly: false,
    ssdOnly: false,
    meta: { architecture: "qwen2", layerCount: 80, contextLength: 32768, shardCount: 3 },
    storedArgs: [],
    reasons: [],
  });
  assertEquals(doc.models[0]!.lastUsed, null);
  assertEquals(JSON.parse(JSON.stringify(doc)), doc);
});

Deno.test("formatParams() and formatDate() shorten numbers and dates", async (t) => {
  await t.step("params", () => {
    const cases: [number | null, string][] = [
      [9.24e9, "9.2B"],
      [14.77e9, "14.8B"],
      [235e9, "235B"],
      [1.02e12, "1.0T"],
      [135e6, "135M"],
      [0.99e9, "1.0B"],
      [500, "500"],
      [null, "?"],
      [0, "?"],
    ];
    for (const [n, want] of cases) assertEquals(formatParams(n), want, String(n));
  });
  await t.step("dates in UTC", () => {
    assertEquals(formatDate(Date.parse("2025-11-28T23:59:59Z") / 1000), "2025-11-28");
    assertEquals(formatDate(Date.parse("2025-11-29T00:00:00Z") / 1000), "2025-11-29");
    assertEquals(formatDate(null), "never");
    assertEquals(formatDate(null, "-"), "-");
  });
});

Deno.test("renderList() marks store models by their store, names the store with -v, and keys the markers", () => {
  const entry = (id: string, store: "huggingface" | "ollama", path: string): ListEntry => ({
    ...ENTRIES[1]!,
    id,
    name: id,
    hdd: { present: true, path, store },
  });
  const text = renderList([
    entry("llama3.2:3b", "ollama", "/o/blobs/sha256-1"),
    entry("org/repo/x.gguf", "huggingface", "/hub/models--org--repo/snapshots/r/x.gguf"),
  ], { verbose: 1 });
  const lines = text.split("\n");
  assert(lines.some((l) => /^llama3\.2:3b +0\.0 {7}OLL {2}never /.test(l)), text);
  assert(lines.some((l) => /^org\/repo\/x\.gguf +0\.0 {7}HF {3}never /.test(l)), text);
  assertStringIncludes(text, "   Ollama: /o/blobs/sha256-1\n");
  assertStringIncludes(text, "   Hugging Face cache: /hub/models--org--repo/snapshots/r/x.gguf\n");
  assertStringIncludes(text, ", OLL=Ollama, HF=Hugging Face cache (read-only stores)");
  assertEquals(listJson([entry("a", "ollama", "/o")]).models[0]!.hdd.store, "ollama");
});

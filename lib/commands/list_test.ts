import { assert, assertEquals } from "../../tests/assert.ts";
import { buildIndex } from "../core/model_index.ts";
import { choiceOf } from "../core/profiles.ts";
import type { CopyJobRow, FileRow, ModelRow, SsdUnitRow, UseRow } from "../state/store.ts";
import { listEntries, profileLine } from "./list.ts";

const G = 1024 ** 3;
const DAY = 86400;
const NOW = 100 * DAY;

function model(id: string, o: Partial<ModelRow> = {}): ModelRow {
  return {
    id,
    name: id,
    size: 8 * G,
    fingerprint: "f",
    first_seen: 0,
    last_seen: NOW,
    gone: 0,
    ssd_only: 0,
    metadata: JSON.stringify({ relPath: `llm/${id}`, quant: "Q4_K_M", parameterCount: 8e9 }),
    pinned: 0,
    no_cache: 0,
    stored_args: null,
    ...o,
  };
}
const file = (id: string, tier: "ssd" | "hdd"): FileRow => ({
  path: `/${tier}/llm/${id}`,
  model_id: id,
  tier,
  root: `/${tier}`,
  rel: `llm/${id}`,
  role: "model",
  size: 8 * G,
  mtime: 0,
});
const copy = (id: string): SsdUnitRow => ({
  model_id: id,
  state: "verified",
  ssd_root: "/ssd",
  files: [{
    ssd_path: `/ssd/llm/${id}`,
    src_path: `/hdd/llm/${id}`,
    src_root: "/hdd",
    rel: `llm/${id}`,
    role: "model",
    size: 8 * G,
    hash: "h",
    src: null,
    ssd: null,
  }],
  owner_pid: null,
  owner_start: null,
  verified_at: 0,
  updated_at: 0,
});
let useId = 0;
const uses = (id: string, ...daysAgo: number[]): UseRow[] =>
  daysAgo.map((d) => ({
    id: ++useId,
    model_id: id,
    at: NOW - d * DAY,
    duration: null,
    port: null,
    tier: "hdd",
    ready_seconds: null,
  }));

Deno.test("listEntries() derives each model's SSD and HDD state", async (t) => {
  const index = buildIndex({
    models: [
      model("hot.gguf"),
      model("cold.gguf"),
      model("busy.gguf"),
      model("wanted.gguf"),
      model("once.gguf"),
      model("nocache.gguf", { no_cache: 1 }),
      model("manual.gguf"),
      model("gone.gguf", { gone: 1 }),
      model("mine.gguf", { ssd_only: 1 }),
    ],
    files: [
      ...["hot", "cold", "busy", "wanted", "once", "nocache", "manual"].map((n) =>
        file(`${n}.gguf`, "hdd")
      ),
      file("hot.gguf", "ssd"),
      file("cold.gguf", "ssd"),
      file("manual.gguf", "ssd"),
      file("mine.gguf", "ssd"),
    ],
    units: [copy("hot.gguf"), copy("cold.gguf")],
    uses: [
      ...uses("hot.gguf", 1, 2),
      ...uses("cold.gguf", 30),
      ...uses("busy.gguf", 1, 2, 3),
      ...uses("wanted.gguf", 1, 2, 3),
      ...uses("once.gguf", 1),
      ...uses("nocache.gguf", 1, 2, 3),
      ...uses("gone.gguf", 50),
    ],
  });
  const job: CopyJobRow = {
    id: 1,
    model_id: "busy.gguf",
    state: "copying",
    bytes_done: 2 * G,
    bytes_total: 8 * G,
    pid: 1,
    owner_start: null,
    created_at: NOW,
    updated_at: NOW,
    message: null,
  };
  const entries = listEntries(index, {
    now: NOW,
    jobs: [job],
    minUses: 3,
    space: { freeBytes: 100 * G, minFreeBytes: 10 * G, cacheUsedBytes: 16 * G },
    ssdRoot: "/ssd",
    reasons: true,
  });
  const by = Object.fromEntries(entries.map((e) => [e.id, e]));
  const cases: [string, string, boolean, boolean, boolean, string][] = [
    ["hot.gguf", "verified", true, false, false, "hot: used 2× in the last 7 days"],
    ["cold.gguf", "verified", true, false, false, "cold: not used in the last 7 days"],
    ["busy.gguf", "copying", true, false, false, "copying to SSD: 2.0 GiB of 8.0 GiB"],
    ["wanted.gguf", "should", true, false, false, "should cache: "],
    ["once.gguf", "none", true, false, false, "not cached: 1 of 3 uses needed in the last 7 days"],
    ["nocache.gguf", "none", true, false, false, "not cached: marked no-cache"],
    ["manual.gguf", "unverified", true, false, false, "on the SSD but no verified copy record"],
    ["gone.gguf", "none", false, true, false, "files gone: kept for its stats"],
    ["mine.gguf", "verified", false, false, true, "SSD only: no HDD copy"],
  ];
  for (const [id, state, hdd, statsOnly, ssdOnly, reason] of cases) {
    await t.step(id, () => {
      const e = by[id]!;
      assertEquals([e.ssd.state, e.hdd.present, e.statsOnly, e.ssdOnly], [
        state,
        hdd,
        statsOnly,
        ssdOnly,
      ]);
      assertEquals(e.reasons?.some((r) => r.startsWith(reason)), true, e.reasons?.join(" | "));
    });
  }
  await t.step("hot/cold, progress and target paths", () => {
    assertEquals([by["hot.gguf"]!.ssd.hot, by["cold.gguf"]!.ssd.hot], [true, false]);
    assertEquals(by["busy.gguf"]!.ssd.progress, 0.25);
    assertEquals(by["wanted.gguf"]!.ssd.path, "/ssd/llm/wanted.gguf");
    assertEquals([by["gone.gguf"]!.size, by["gone.gguf"]!.uses], [null, 1]);
    assertEquals([by["hot.gguf"]!.params, by["hot.gguf"]!.quant], [8e9, "Q4_K_M"]);
  });
  await t.step("without the SSD's space nothing is marked should-cache", () => {
    const e = listEntries(index, { now: NOW }).find((x) => x.id === "wanted.gguf")!;
    assertEquals(e.ssd.state, "none");
  });
  await t.step("a model that does not fit is not marked", () => {
    const e = listEntries(index, {
      now: NOW,
      space: { freeBytes: 0, minFreeBytes: 100 * G, cacheUsedBytes: 16 * G },
      reasons: true,
    }).find((x) => x.id === "wanted.gguf")!;
    assertEquals(e.ssd.state, "none");
    assertEquals(e.reasons?.[1]?.startsWith("not cached: "), true, e.reasons?.[1]);
  });
});

Deno.test("profileLine() names the active profile and each shadow's hits and writes", () => {
  const base = { minUses: 1, windowSeconds: 604800 };
  assertEquals(
    profileLine(choiceOf(base, "session"), false),
    `policy profile: session (${choiceOf(base, "session").profile.summary}; adaptive off)`,
  );
  const line = profileLine(
    choiceOf(base, "session", [
      { name: "steady", byteHitRatio: 0.42, writeRatio: 0.051 },
      { name: "session", byteHitRatio: 0.6 },
    ]),
    true,
  );
  assert(line.startsWith("policy profile: session ("), line);
  assert(line.endsWith("at the last load: steady 42% (5%), session 60%"), line);
});

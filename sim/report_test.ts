import { assertEquals } from "../tests/assert.ts";
import type { SimulationSummary, TimelineEvent } from "./policy_api.ts";
import { renderComparison, renderSummary, renderTimeline } from "./report.ts";
import type { Comparison } from "./simulate.ts";
import type { Workload } from "./workload.ts";

const GIB = 1024 ** 3;

const workload: Workload = {
  name: "demo",
  description: "two models",
  ssdFreeBytes: 35 * GIB,
  ssdMinFreeBytes: 5 * GIB,
  loads: [
    { at: 0, model: "a", size: 10 * GIB, duration: 3600 },
    { at: 7200, model: "b", size: 30 * GIB, duration: 3600 },
    { at: 3 * 86400, model: "a", size: 10 * GIB, duration: 3600 },
  ],
};

const summary: SimulationSummary = {
  policy: "llama-pack",
  loads: 3,
  hits: 1,
  bytesLoaded: 50 * GIB,
  bytesHit: 10 * GIB,
  byteHitRatio: 0.2,
  loadSecondsWithoutCache: 357.9,
  loadSecondsWithCache: 291.6,
  copies: 1,
  idleCopies: 0,
  bytesCopied: 10 * GIB,
  evictions: 2,
  evictedBeforeHit: 1,
  peakUsedBytes: 10 * GIB,
  finalContents: [{ model: "a", size: 10 * GIB, hits: 1 }, { model: "c", size: GIB, hits: 0 }],
};

Deno.test("renderSummary() lists every figure", () => {
  assertEquals(
    renderSummary(summary, workload),
    [
      "simulation: demo — policy llama-pack",
      "  two models",
      "  3 loads of 2 models over 3d 00h; SSD 35.0 GiB free (5.0 GiB kept free)",
      "",
      "  loads            3",
      "  SSD hits         1 of 3 loads (33.3%)",
      "  byte hit ratio   20.0% of 50.0 GiB loaded",
      "  load time        4m 52s with the cache, 5m 58s without (saves 1m 06s)",
      "  copied to SSD    10.0 GiB in 1 copy",
      "  evictions        2 (1 before any hit)",
      "  final SSD        a (10.0 GiB, 1 hit), c (1.0 GiB, 0 hits)",
      "",
    ].join("\n"),
  );
  const { description: _, ...bare } = workload;
  const empty = renderSummary(
    { ...summary, finalContents: [], copies: 2 },
    { ...bare, ssdMinFreeBytes: 0 },
    { color: true },
  );
  assertEquals(empty.includes("two models"), false);
  assertEquals(empty.includes("final SSD        empty"), true);
  assertEquals(empty.includes("in 2 copies"), true);
  assertEquals(
    renderSummary({ ...summary, copies: 3, idleCopies: 2 }, workload).includes(
      "10.0 GiB in 3 copies (2 while idle)",
    ),
    true,
  );
  assertEquals(empty.includes("\x1b[1m20.0%\x1b[0m"), true);
  assertEquals(empty.includes("kept free"), false);
  const limited = renderSummary(summary, { ...workload, ssdLimitBytes: 25 * GIB });
  assertEquals(
    limited.includes("SSD 35.0 GiB free (5.0 GiB kept free, cache limit 25.0 GiB)"),
    true,
  );
});

const events: TimelineEvent[] = [
  { at: 100, kind: "miss", model: "a", size: 10 * GIB, reason: "1 use" },
  { at: 200, kind: "copy", model: "bigger", size: 30 * GIB, reason: "fits" },
  { at: 272, kind: "copied", model: "bigger", size: 30 * GIB, reason: "copy finished" },
  { at: 11 * 86400, kind: "evict", model: "a", size: 10 * GIB, reason: "ranked low" },
  { at: 11 * 86400, kind: "hit", model: "bigger", size: 30 * GIB, reason: "" },
];

Deno.test("renderTimeline() aligns events and colours them by kind", async (t) => {
  await t.step("plain", () => {
    assertEquals(
      renderTimeline(events, { origin: 100 }),
      [
        " +0d 00:00:00  miss    a        10.0 GiB  1 use",
        " +0d 00:01:40  copy    bigger   30.0 GiB  fits",
        " +0d 00:02:52  copied  bigger   30.0 GiB  copy finished",
        "+10d 23:58:20  evict   a        10.0 GiB  ranked low",
        "+10d 23:58:20  hit     bigger   30.0 GiB",
        "",
      ].join("\n"),
    );
  });
  await t.step("coloured", () => {
    const lines = renderTimeline(events, { color: true }).split("\n");
    assertEquals(lines[0]!.includes("\x1b[2mmiss  \x1b[0m"), true);
    assertEquals(lines[1]!.includes("\x1b[33mcopy  \x1b[0m"), true);
    assertEquals(lines[2]!.includes("\x1b[32mcopied\x1b[0m"), true);
    assertEquals(lines[3]!.includes("\x1b[31mevict \x1b[0m"), true);
    assertEquals(lines[4]!.includes("\x1b[32mhit   \x1b[0m"), true);
  });
  await t.step("empty", () => assertEquals(renderTimeline([]), ""));
});

Deno.test("renderComparison() prints one row per policy and the offline rows", () => {
  const comparison: Comparison = {
    workload: "demo",
    summaries: [],
    optimum: undefined,
    rows: [
      {
        policy: "llama-pack",
        kind: "policy",
        byteHitRatio: 0.4,
        ofBound: 0.8,
        loadSecondsSaved: 3900,
        bytesWritten: 10 * GIB,
      },
      {
        policy: "LRU",
        kind: "policy",
        byteHitRatio: 0.3,
        ofBound: 0.6,
        loadSecondsSaved: 60,
        bytesWritten: 90 * GIB,
      },
      {
        policy: "LP upper bound",
        kind: "bound",
        byteHitRatio: 0.5,
        ofBound: 1,
        loadSecondsSaved: 5000,
        bytesWritten: null,
      },
    ],
  };
  assertEquals(
    renderComparison(comparison),
    [
      "policy          byte hits  % of bound  load time saved  written to SSD",
      "--------------  ---------  ----------  ---------------  --------------",
      "llama-pack          40.0%       80.0%           1h 05m        10.0 GiB",
      "LRU                 30.0%       60.0%           1m 00s        90.0 GiB",
      "LP upper bound      50.0%      100.0%           1h 23m               –",
      "",
    ].join("\n"),
  );
  const coloured = renderComparison(comparison, { color: true }).split("\n");
  assertEquals(coloured[2]!.startsWith("\x1b[1mllama-pack"), true); // best online policy
  assertEquals(coloured[3]!.startsWith("LRU"), true);
  assertEquals(coloured[4]!.startsWith("\x1b[2mLP upper bound"), true);
});

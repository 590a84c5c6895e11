import { assertEquals } from "../tests/assert.ts";
import { runSimulation } from "./engine.ts";
import type { SimPolicy } from "./policy_api.ts";
import { gdsfPolicy, lfuDaPolicy, lruPolicy, originalPolicy } from "./reference.ts";
import type { Workload } from "./workload.ts";

const G = 1e9;
const H = 3600;
const D = 86400;

/** Loads `models` (name:sizeGB) one hour apart, each running a minute. */
function hourly(seq: string, ssdGb: number, gap = H): Workload {
  const loads = seq.split(" ").map((item, i) => {
    const [model, gb] = item.split(":");
    return { at: i * gap, model: model!, size: Number(gb ?? 10) * G, duration: 60 };
  });
  return { name: "t", loads, ssdFreeBytes: ssdGb * G };
}

function run(policy: SimPolicy, w: Workload) {
  const { summary, timeline } = runSimulation(w, policy, { timeline: true });
  return {
    hits: summary.hits,
    final: summary.finalContents.map((c) => c.model).sort().join(","),
    events: timeline.filter((e) => e.kind !== "copied").map((e) => `${e.kind} ${e.model}`),
  };
}

Deno.test("lruPolicy() evicts the least recently used copy", async (t) => {
  await t.step("a b c a: a goes for c, b for a", () => {
    const r = run(lruPolicy(), hourly("a b c a", 20));
    assertEquals(r.hits, 0);
    assertEquals(r.events, [
      "copy a",
      "copy b",
      "evict a",
      "copy c",
      "evict b",
      "copy a",
    ]);
  });
  await t.step("a b a c b: the hit refreshes a, so b goes", () => {
    const r = run(lruPolicy(), hourly("a b a c b", 20));
    assertEquals(r.hits, 1);
    assertEquals(r.final, "b,c");
  });
  await t.step("a model larger than the SSD is never copied", () => {
    const r = run(lruPolicy(), hourly("big:30 big:30", 20));
    assertEquals(r.events, ["miss big", "miss big"]);
  });
});

Deno.test("lfuDaPolicy() evicts the lowest L + frequency", () => {
  // a is hit once (key 2); b (key 1) goes for c; L becomes 1 so c gets key 2.
  const r = run(lfuDaPolicy(), hourly("a a b c a", 20));
  assertEquals(r.hits, 2);
  assertEquals(r.events, ["copy a", "hit a", "copy b", "evict b", "copy c", "hit a"]);
  // Dynamic aging: after L rose to 2, a newcomer (key 3) outranks an old copy with key 2.
  const aged = run(lfuDaPolicy(), hourly("a a b c c d e", 20));
  assertEquals(aged.final, "d,e");
});

Deno.test("gdsfPolicy() prefers small copies, LFU-DA frequent ones", () => {
  // a (15 GB) hit once: LFU-DA key 2 > b's 1, so b goes; GDSF key 2/15 < b's 1/5, so a goes.
  const w = hourly("a:15 a:15 b:5 c:5", 20);
  assertEquals(run(lfuDaPolicy(), w).final, "a,c");
  assertEquals(run(gdsfPolicy(), w).final, "b,c");
});

Deno.test("originalPolicy() copies after 2 uses in 7 days and ranks by uses − 2·days", async (t) => {
  await t.step("the second use within the window copies", () => {
    const r = run(originalPolicy(), hourly("a a a", 100, D));
    assertEquals(r.events, ["miss a", "copy a", "hit a"]);
  });
  await t.step("uses 8 days apart never copy", () => {
    const r = run(originalPolicy(), hourly("a a a", 100, 8 * D));
    assertEquals(r.hits, 0);
    assertEquals(r.events, ["miss a", "miss a", "miss a"]);
  });
  await t.step("minUses 3", () => {
    const r = run(originalPolicy({ minUses: 3 }), hourly("a a a a", 100, D));
    assertEquals(r.events, ["miss a", "miss a", "copy a", "hit a"]);
  });
  await t.step("evicts only lower-ranked copies", () => {
    // a: 3 uses (rank ≈ 3); b reaches 2 uses: rank 2 < 3, no room → not copied.
    const w = hourly("a a a b b", 10);
    const r = run(originalPolicy(), w);
    assertEquals(r.events.slice(-1), ["miss b"]);
    assertEquals(r.final, "a");
    // Later, a has aged: 3 − 2·days; after 2 days b (rank 2) outranks it.
    const later = {
      ...w,
      loads: [
        ...w.loads.slice(0, 3),
        { at: 3 * D, model: "b", size: 10 * G, duration: 60 },
        { at: 3 * D + H, model: "b", size: 10 * G, duration: 60 },
      ],
    };
    const r2 = run(originalPolicy(), later);
    assertEquals(r2.events.slice(-2), ["evict a", "copy b"]);
  });
});

import { assertEquals } from "../tests/assert.ts";
import { planPlacement } from "../lib/core/placement.ts";
import { POLICY_PROFILES, profilePolicy } from "../lib/core/profiles.ts";
import { newEstimate, recordUse, usesPerWeek } from "../lib/core/rank.ts";
import { runSimulation } from "./engine.ts";
import { llamaPackPolicy } from "./llama_pack_policy.ts";
import type { Workload } from "./workload.ts";

const G = 1e9;
const D = 86400;

function daily(models: string[], ssdGb: number, size = 10): Workload {
  const loads = models.map((model, i) => ({ at: i * D, model, size: size * G, duration: 600 }));
  return { name: "t", loads, ssdFreeBytes: ssdGb * G };
}

Deno.test("llamaPackPolicy() admits after the core's minimum uses", async (t) => {
  await t.step("default: the first use copies into free room", () => {
    const { timeline } = runSimulation(daily(["a", "a", "a", "a"], 50), llamaPackPolicy(), {
      timeline: true,
    });
    assertEquals(
      timeline.map((e) => e.kind),
      ["copy", "copied", "hit", "hit", "hit"],
    );
  });
  await t.step(
    "default: a first use does not displace a copy, a second use in the window may",
    () => {
      // "a" fills the 12 GB SSD; "b" once a week does not push it out, "c" twice in a week does.
      const loads = [
        { at: 0, model: "a", size: 10 * G, duration: 600 },
        { at: 10 * D, model: "b", size: 10 * G, duration: 600 },
        { at: 20 * D, model: "c", size: 10 * G, duration: 600 },
        { at: 21 * D, model: "c", size: 10 * G, duration: 600 },
      ];
      const { timeline } = runSimulation(
        { name: "t", loads, ssdFreeBytes: 12 * G },
        llamaPackPolicy(),
        {
          timeline: true,
        },
      );
      assertEquals(
        timeline.filter((e) => e.kind !== "miss" && e.kind !== "hit").map((e) =>
          `${e.kind} ${e.model}`
        ),
        ["copy a", "copied a", "evict a", "copy c", "copied c"],
      );
    },
  );
  await t.step("the policy option reaches the planner", () => {
    const policy = llamaPackPolicy({ cachePolicy: { minUses: 3, windowSeconds: 7 * D } });
    const { timeline } = runSimulation(daily(["a", "a", "a", "a"], 50), policy, { timeline: true });
    assertEquals(
      timeline.map((e) => e.kind),
      ["miss", "miss", "copy", "copied", "hit"],
    );
  });
  await t.step("uses outside the window do not count", () => {
    const w = daily(["a", "a", "a"], 50);
    const spread = { ...w, loads: w.loads.map((l, i) => ({ ...l, at: i * 8 * D })) };
    const policy = llamaPackPolicy({ cachePolicy: { minUses: 2, windowSeconds: 7 * D } });
    assertEquals(runSimulation(spread, policy).summary.copies, 0);
  });
});

Deno.test("llamaPackPolicy() passes the planner's decision and reason through", () => {
  const w = daily(["a", "a", "a"], 50);
  const cachePolicy = { minUses: 3, windowSeconds: 7 * D };
  const { timeline } = runSimulation(w, llamaPackPolicy({ cachePolicy }), { timeline: true });
  const steady = POLICY_PROFILES[0]!;
  let est = newEstimate();
  for (const l of w.loads) est = recordUse(est, l.at, steady.rank);
  const now = w.loads[2]!.at;
  const plan = planPlacement({
    space: { freeBytes: 50 * G, minFreeBytes: 0, cacheUsedBytes: 0 },
    cached: [],
    candidate: {
      id: "a",
      size: 10 * G,
      rate: usesPerWeek(est, now, steady.rank),
      usesInWindow: 3,
      noCache: false,
    },
    policy: profilePolicy(cachePolicy, steady),
  });
  assertEquals(plan.copy, true);
  // The reason names the profile that decided.
  assertEquals(timeline.find((e) => e.kind === "copy")?.reason, `${plan.reason} [steady]`);
});

Deno.test("llamaPackPolicy() with adaptive false keeps the steady profile", () => {
  const w = daily(["a", "a", "b", "b"], 50);
  const { timeline } = runSimulation(w, llamaPackPolicy({ adaptive: false }), { timeline: true });
  const copy = timeline.find((e) => e.kind === "copy");
  assertEquals(copy !== undefined && !copy.reason.includes("["), true, copy?.reason);
});

Deno.test("llamaPackPolicy() name and fresh state per instance", () => {
  assertEquals(llamaPackPolicy().name, "llama-pack");
  assertEquals(llamaPackPolicy({ name: "tuned" }).name, "tuned");
  const w = daily(["a", "a", "a", "a"], 50);
  const a = runSimulation(w, llamaPackPolicy()).summary;
  const b = runSimulation(w, llamaPackPolicy()).summary;
  assertEquals(a, b);
});

Deno.test("llamaPackPolicy() with idleRefill copies in a quiet spell what a busy moment refused", () => {
  // 12 GB SSD. "a" is copied at its first load and is still running when "b" is
  // loaded twice: b ranks higher but cannot displace a copy in use. Once all is
  // quiet the refill swaps them, so b's next load (a day later) is a hit.
  const loads = [
    { at: 0, model: "a", size: 10 * G, duration: 3600 },
    { at: 600, model: "b", size: 10 * G, duration: 600 },
    { at: 1200, model: "b", size: 10 * G, duration: 600 },
    { at: D, model: "b", size: 10 * G, duration: 600 },
  ];
  const w: Workload = { name: "t", loads, ssdFreeBytes: 12 * G };
  const plain = runSimulation(w, llamaPackPolicy());
  assertEquals([plain.summary.hits, plain.summary.idleCopies], [0, 0]);
  const { summary, timeline } = runSimulation(w, llamaPackPolicy({ idleRefill: true }), {
    timeline: true,
  });
  assertEquals([summary.hits, summary.idleCopies], [1, 1]);
  const idle = timeline.filter((e) => e.reason.startsWith("idle refill"));
  assertEquals(idle.map((e) => `${e.kind} ${e.model}`), ["evict a", "copy b"]);
  assertEquals(idle[0]!.at, 3600 + 1800);
});

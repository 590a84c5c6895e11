import { assertEquals } from "../tests/assert.ts";
import { planPlacement } from "../lib/plan.ts";
import { newEstimate, recordUse, usesPerWeek } from "../lib/rank.ts";
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
  await t.step("default: the third use in a week copies", () => {
    const { timeline } = runSimulation(daily(["a", "a", "a", "a"], 50), llamaPackPolicy(), {
      timeline: true,
    });
    assertEquals(
      timeline.map((e) => e.kind),
      ["miss", "miss", "copy", "copied", "hit"],
    );
  });
  await t.step("the policy option reaches the planner", () => {
    const policy = llamaPackPolicy({ cachePolicy: { minUses: 1, windowSeconds: 7 * D } });
    const { summary } = runSimulation(daily(["a", "a"], 50), policy);
    assertEquals(summary.hits, 1);
  });
  await t.step("uses outside the window do not count", () => {
    const w = daily(["a", "a", "a"], 50);
    const spread = { ...w, loads: w.loads.map((l, i) => ({ ...l, at: i * 8 * D })) };
    assertEquals(runSimulation(spread, llamaPackPolicy()).summary.copies, 0);
  });
});

Deno.test("llamaPackPolicy() passes the planner's decision and reason through", () => {
  const w = daily(["a", "a", "a"], 50);
  const { timeline } = runSimulation(w, llamaPackPolicy(), { timeline: true });
  let est = newEstimate();
  for (const l of w.loads) est = recordUse(est, l.at);
  const now = w.loads[2]!.at;
  const plan = planPlacement({
    space: { freeBytes: 50 * G, minFreeBytes: 0, cacheUsedBytes: 0 },
    cached: [],
    candidate: {
      id: "a",
      size: 10 * G,
      rate: usesPerWeek(est, now),
      usesInWindow: 3,
      noCache: false,
    },
  });
  assertEquals(plan.copy, true);
  assertEquals(timeline.find((e) => e.kind === "copy")?.reason, plan.reason);
});

Deno.test("llamaPackPolicy() name and fresh state per instance", () => {
  assertEquals(llamaPackPolicy().name, "llama-pack");
  assertEquals(llamaPackPolicy({ name: "tuned" }).name, "tuned");
  const w = daily(["a", "a", "a", "a"], 50);
  const a = runSimulation(w, llamaPackPolicy()).summary;
  const b = runSimulation(w, llamaPackPolicy()).summary;
  assertEquals(a, b);
});

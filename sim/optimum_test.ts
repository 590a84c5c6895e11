import fc from "fast-check";
import { assert, assertEquals } from "../tests/assert.ts";
import { runSimulation } from "./engine.ts";
import { workloadArbitrary } from "./engine_test.ts";
import { llamaPackPolicy } from "./llama_pack_policy.ts";
import { loadSolver, offlineOptimum } from "./optimum.ts";
import { referencePolicies } from "./reference.ts";
import { cacheCapacity, type Workload } from "./workload.ts";

const G = 1e9;

function seq(models: string, ssdGb: number, sizes: Record<string, number> = {}): Workload {
  const loads = models.split(" ").map((model, i) => ({
    at: i * 3600,
    model,
    size: (sizes[model] ?? 10) * G,
    duration: 60,
  }));
  return { name: "t", loads, ssdFreeBytes: ssdGb * G };
}

Deno.test("offlineOptimum() on hand-checked workloads", async (t) => {
  const cases: [string, Workload, number, number][] = [
    // name, workload, LP bound (GB), feasible schedule (GB)
    ["no reuse", seq("a b c", 100), 0, 0],
    ["everything fits", seq("a b a b", 100), 20, 20],
    ["half of each interval", seq("a b a b", 15), 15, 10],
    ["too big to cache", seq("a a", 5), 0, 0],
    ["the short interval wins", seq("a b b a", 10), 10, 10],
    ["min free counts", { ...seq("a a", 20), ssdMinFreeBytes: 15 * G }, 0, 0],
    ["the limit counts", { ...seq("a a b b", 30), ssdLimitBytes: 10 * G }, 20, 20],
    ["the limit caps", { ...seq("a b a b", 30), ssdLimitBytes: 15 * G }, 15, 10],
    // a (20 GB) has one reuse spanning b's (5 GB) two: all fit in 25 GB.
    ["sizes", seq("a b b b a", 25, { a: 20, b: 5 }), 30, 30],
    // In 20 GB the LP keeps b's intervals and 3/4 of a's; rounding down keeps b's only.
    ["sizes, tight", seq("a b b b a", 20, { a: 20, b: 5 }), 25, 10],
  ];
  for (const [name, w, bound, feasible] of cases) {
    await t.step(name, async () => {
      const r = await offlineOptimum(w);
      assertEquals(r.status, "optimal");
      assert(Math.abs(r.upperBoundBytes - bound * G) < 1e3, `bound ${r.upperBoundBytes}`);
      assertEquals(r.feasibleBytes, feasible * G);
      assertEquals(r.bytesLoaded, w.loads.reduce((s, l) => s + l.size, 0));
    });
  }
});

Deno.test("offlineOptimum() bounds every policy and brackets its own schedule (property)", async () => {
  const solver = await loadSolver();
  await fc.assert(
    fc.asyncProperty(workloadArbitrary, async (w) => {
      const r = await offlineOptimum(w, { solver });
      assertEquals(r.status, "optimal");
      const slack = 1e-6 * Math.max(1, r.upperBoundBytes);
      assert(r.feasibleBytes <= r.upperBoundBytes + slack, "feasible above bound");
      for (const policy of [llamaPackPolicy(), ...referencePolicies()]) {
        const { summary } = runSimulation(w, policy);
        assert(
          summary.bytesHit <= r.upperBoundBytes + slack,
          `${policy.name} hit ${summary.bytesHit} > bound ${r.upperBoundBytes}`,
        );
      }
      // The feasible schedule never holds more than the capacity.
      const capacity = cacheCapacity(w);
      const hits = new Set(r.scheduledHits);
      const prev = new Map<string, number>();
      const held = new Float64Array(w.loads.length);
      w.loads.forEach((load, k) => {
        const p = prev.get(load.model);
        if (hits.has(k)) {
          assert(p !== undefined, "a first load cannot be a hit");
          for (let j = p!; j < k; j++) held[j]! += load.size;
        }
        prev.set(load.model, k);
      });
      assert(held.every((h) => h <= capacity), "schedule over capacity");
      assertEquals(
        r.scheduledHits.reduce((s, k) => s + w.loads[k]!.size, 0),
        r.feasibleBytes,
      );
    }),
    { numRuns: 100 },
  );
});

import fc from "fast-check";
import { assert, assertEquals, assertThrows } from "../tests/assert.ts";
import type { CacheView, PolicyDecision, SimPolicy, TimelineEvent } from "./policy_api.ts";
import { runSimulation } from "./engine.ts";
import { llamaPackPolicy } from "./llama_pack_policy.ts";
import { referencePolicies } from "./reference.ts";
import { cacheCapacity, type Load, type Workload } from "./workload.ts";

const copyAll: () => SimPolicy = () => ({
  name: "copy-all",
  onLoad: (load, hit, view) => ({
    copy: !hit && view.usedBytes + load.size <= view.capacityBytes,
    evict: [],
    reason: "always",
  }),
});

function workload(loads: Load[], ssdFreeBytes: number, ssdMinFreeBytes = 0): Workload {
  return { name: "t", loads, ssdFreeBytes, ssdMinFreeBytes };
}

Deno.test("runSimulation() times copies: a model being copied is not a hit", () => {
  // 15e9 bytes at min(150, 500) MB/s = 100 s.
  const loads: Load[] = [
    { at: 0, model: "a", size: 15e9, duration: 10 },
    { at: 50, model: "a", size: 15e9, duration: 10 },
    { at: 100, model: "a", size: 15e9, duration: 10 },
  ];
  const { summary, timeline } = runSimulation(workload(loads, 100e9), copyAll(), {
    timeline: true,
  });
  assertEquals(summary.hits, 1);
  assertEquals(summary.copies, 1);
  assertEquals(
    timeline.map((e) => `${e.at} ${e.kind}`),
    ["0 copy", "50 miss", "100 copied", "100 hit"],
  );
  assertEquals(timeline[1]!.reason, "copy in progress, served from HDD");
});

Deno.test("runSimulation() runs copies one at a time", () => {
  const loads: Load[] = [
    { at: 0, model: "a", size: 15e9, duration: 1 },
    { at: 1, model: "b", size: 15e9, duration: 1 },
    { at: 150, model: "b", size: 15e9, duration: 1 },
    { at: 201, model: "b", size: 15e9, duration: 1 },
  ];
  const { summary, timeline } = runSimulation(workload(loads, 100e9), copyAll(), {
    timeline: true,
  });
  const copied = timeline.filter((e) => e.kind === "copied").map((e) => [e.model, e.at]);
  assertEquals(copied, [["a", 100], ["b", 200]]);
  assertEquals(summary.hits, 1);
});

Deno.test("runSimulation() honours bandwidth options and counts load time", () => {
  const loads: Load[] = [
    { at: 0, model: "a", size: 1e9, duration: 1 },
    { at: 3600, model: "a", size: 1e9, duration: 1 },
  ];
  const { summary } = runSimulation(workload(loads, 10e9), copyAll(), {
    hddReadBytesPerSecond: 100e6,
    ssdReadBytesPerSecond: 1000e6,
    ssdWriteBytesPerSecond: 50e6,
  });
  assertEquals(summary.loadSecondsWithoutCache, 20);
  assertEquals(summary.loadSecondsWithCache, 11);
  assertEquals(summary.byteHitRatio, 0.5);
  assertEquals(summary.bytesCopied, 1e9);
  assertEquals(summary.finalContents, [{ model: "a", size: 1e9, hits: 1 }]);
});

Deno.test("runSimulation() keeps the minimum free and the limit out of the capacity", () => {
  let seen: CacheView | undefined;
  const spy: SimPolicy = {
    name: "spy",
    onLoad(_load, _hit, view): PolicyDecision {
      seen = view;
      return { copy: false, evict: [], reason: "" };
    },
  };
  runSimulation(workload([{ at: 0, model: "a", size: 1, duration: 1 }], 50e9, 20e9), spy);
  assertEquals(seen?.capacityBytes, 30e9);
  assertEquals(seen?.freeBytes, 50e9);
  assertEquals(seen?.minFreeBytes, 20e9);
  assertEquals(seen?.limitBytes, undefined);
  const limited = { ...workload([{ at: 0, model: "a", size: 1, duration: 1 }], 50e9, 20e9) };
  runSimulation({ ...limited, ssdLimitBytes: 10e9 }, spy);
  assertEquals(seen?.capacityBytes, 10e9);
  assertEquals(seen?.limitBytes, 10e9);
});

Deno.test("runSimulation() rejects policies that break the rules", async (t) => {
  const base: Load[] = [
    { at: 0, model: "a", size: 10e9, duration: 3600 },
    { at: 1000, model: "b", size: 10e9, duration: 60 },
  ];
  const evictA = (name: string): SimPolicy => ({
    name,
    onLoad: (load) =>
      load.model === "a"
        ? { copy: true, evict: [], reason: "" }
        : { copy: false, evict: [{ model: "a", reason: "bad" }], reason: "" },
  });
  await t.step("evicting a model in use", () => {
    assertThrows(() => runSimulation(workload(base, 100e9), evictA("p")), Error, "in use");
  });
  await t.step("evicting a model being copied", () => {
    const loads = [base[0]!, { ...base[1]!, at: 10 }];
    assertThrows(() => runSimulation(workload(loads, 100e9), evictA("p")), Error, "being copied");
  });
  await t.step("evicting a model not on the SSD", () => {
    const loads = [{ ...base[1]!, at: 0 }];
    assertThrows(() => runSimulation(workload(loads, 100e9), evictA("p")), Error, "not on the SSD");
  });
  await t.step("copying beyond the capacity", () => {
    const greedy: SimPolicy = { name: "g", onLoad: () => ({ copy: true, evict: [], reason: "" }) };
    assertThrows(() => runSimulation(workload(base, 15e9), greedy), Error, "beyond the capacity");
  });
  await t.step("unsorted loads", () => {
    assertThrows(
      () => runSimulation(workload([base[1]!, base[0]!], 100e9), copyAll()),
      Error,
      "not sorted",
    );
  });
});

Deno.test("runSimulation() asks onIdle once per quiet spell and counts its copies", () => {
  // "a" runs for an hour; the quiet spell starts when it stops and nothing else runs.
  const loads: Load[] = [
    { at: 0, model: "a", size: 15e9, duration: 3600 },
    { at: 600, model: "a", size: 15e9, duration: 60 },
    { at: 86400, model: "b", size: 15e9, duration: 60 },
    { at: 86460, model: "b", size: 15e9, duration: 60 },
  ];
  const asked: number[] = [];
  const refill: SimPolicy = {
    name: "refill-b",
    onLoad: () => ({ copy: false, evict: [], reason: "" }),
    onIdle: (view) => {
      asked.push(view.now);
      assert(view.entries.every((e) => e.state === "ready" && e.inUseUntil <= view.now));
      return view.entries.length > 0
        ? { evict: [], copy: [] }
        : { evict: [], copy: [{ model: "b", size: 15e9, reason: "idle refill" }] };
    },
  };
  const { summary, timeline } = runSimulation(workload(loads, 100e9), refill, {
    timeline: true,
    idleAfterSeconds: 1800,
  });
  // Quiet from 3600 (a stops) + 1800; the gap between the two loads of b is too short.
  assertEquals(asked, [5400]);
  assertEquals([summary.copies, summary.idleCopies, summary.bytesCopied], [1, 1, 15e9]);
  assertEquals(summary.hits, 2); // both loads of b: copied at 5400, ready 100 s later
  assertEquals(
    timeline.filter((e) => e.kind !== "miss" && e.kind !== "hit").map((e) => `${e.at} ${e.kind}`),
    ["5400 copy", "5500 copied"],
  );
  // Without onIdle the engine never asks, and a policy without it behaves as before.
  assertEquals(runSimulation(workload(loads, 100e9), copyAll()).summary.idleCopies, 0);
});

Deno.test("runSimulation() holds idle refills to the same rules", () => {
  const loads: Load[] = [
    { at: 0, model: "a", size: 10e9, duration: 60 },
    { at: 86400, model: "a", size: 10e9, duration: 60 },
  ];
  const over: SimPolicy = {
    name: "over",
    onLoad: () => ({ copy: false, evict: [], reason: "" }),
    onIdle: () => ({ evict: [], copy: [{ model: "x", size: 20e9, reason: "" }] }),
  };
  assertThrows(() => runSimulation(workload(loads, 15e9), over), Error, "beyond the capacity");
  const ghost: SimPolicy = {
    name: "ghost",
    onLoad: () => ({ copy: false, evict: [], reason: "" }),
    onIdle: () => ({ evict: [{ model: "a", reason: "" }], copy: [] }),
  };
  assertThrows(() => runSimulation(workload(loads, 15e9), ghost), Error, "not on the SSD");
});

/** Random small workloads: few models, sizes 1–60 GB, gaps from seconds to days. */
export const workloadArbitrary: fc.Arbitrary<Workload> = fc
  .record({
    sizes: fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 6 }),
    steps: fc.array(
      fc.record({
        model: fc.nat(),
        gap: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 3 * 86400 })),
        duration: fc.integer({ min: 0, max: 6 * 3600 }),
      }),
      { minLength: 1, maxLength: 40 },
    ),
    ssdGb: fc.integer({ min: 0, max: 150 }),
    minFreeGb: fc.integer({ min: 0, max: 20 }),
    limitGb: fc.option(fc.integer({ min: 0, max: 120 }), { nil: undefined }),
  })
  .map(({ sizes, steps, ssdGb, minFreeGb, limitGb }): Workload => {
    let at = 0;
    const loads = steps.map((s) => {
      at += s.gap;
      const i = s.model % sizes.length;
      return { at, model: `m${i}`, size: sizes[i]! * 1e9, duration: s.duration };
    });
    return {
      name: "random",
      loads,
      ssdFreeBytes: ssdGb * 1e9,
      ssdMinFreeBytes: minFreeGb * 1e9,
      ...(limitGb === undefined ? {} : { ssdLimitBytes: limitGb * 1e9 }),
    };
  });

/**
 * Replays a timeline against the loads and checks the engine's invariants;
 * returns a failure or undefined. Per load the engine emits: finished copies,
 * evictions, then exactly one hit/copy/miss for the loaded model.
 */
function checkTimeline(w: Workload, events: readonly TimelineEvent[]): string | undefined {
  const capacity = cacheCapacity(w);
  const onSsd = new Map<string, "copying" | "ready">();
  const busyUntil = new Map<string, number>();
  let used = 0;
  let i = 0;
  const settle = () => {
    while (events[i]?.kind === "copied") {
      const e = events[i++]!;
      if (onSsd.get(e.model) !== "copying") return `copied ${e.model} without a copy`;
      onSsd.set(e.model, "ready");
    }
    return undefined;
  };
  /** Evictions and copies of a quiet spell (onIdle), before `at`. */
  const idle = (at: number) => {
    for (;;) {
      const settled = settle();
      if (settled) return settled;
      const e = events[i];
      if (e === undefined || e.at >= at || (e.kind !== "evict" && e.kind !== "copy")) return;
      i++;
      if ([...busyUntil.values()].some((t) => t > e.at)) {
        return `idle ${e.kind} while a server runs`;
      }
      if (e.kind === "evict") {
        if (onSsd.get(e.model) !== "ready") return `evicted ${e.model} not ready`;
        onSsd.delete(e.model);
        used -= e.size;
      } else {
        if (onSsd.has(e.model)) return `copied ${e.model} twice`;
        used += e.size;
        onSsd.set(e.model, "copying");
        if (used > capacity) return `over capacity at ${e.at}: ${used} > ${capacity}`;
      }
    }
  };
  for (const load of w.loads) {
    const quiet = idle(load.at);
    if (quiet) return quiet;
    busyUntil.set(
      load.model,
      Math.max(busyUntil.get(load.model) ?? -Infinity, load.at + load.duration),
    );
    while (events[i]?.kind === "evict") {
      const e = events[i++]!;
      if (e.at !== load.at) return `eviction at ${e.at} outside a load`;
      if ((busyUntil.get(e.model) ?? -Infinity) > e.at) return `evicted ${e.model} in use`;
      if (onSsd.get(e.model) !== "ready") return `evicted ${e.model} not ready`;
      onSsd.delete(e.model);
      used -= e.size;
    }
    const e = events[i++];
    if (e === undefined || e.model !== load.model || e.at !== load.at) {
      return `no event for the load of ${load.model} at ${load.at}`;
    }
    if (e.kind === "copy") {
      if (onSsd.has(e.model)) return `copied ${e.model} twice`;
      used += e.size;
      onSsd.set(e.model, "copying");
      if (used > capacity) return `over capacity at ${e.at}: ${used} > ${capacity}`;
    } else if (e.kind === "hit") {
      if (onSsd.get(e.model) !== "ready") {
        return `hit on ${e.model} at ${e.at} without a ready copy`;
      }
    } else if (e.kind === "miss") {
      if (onSsd.get(e.model) === "ready") return `miss on ${e.model} with a ready copy`;
    } else {
      return `unexpected ${e.kind} for a load`;
    }
  }
  const settled = settle();
  if (settled) return settled;
  if (i !== events.length) return `${events.length - i} events after the last load`;
  if ([...onSsd.values()].some((s) => s !== "ready")) return "a copy never finished";
  return undefined;
}

Deno.test("runSimulation() keeps its invariants under every policy (property)", () => {
  fc.assert(
    fc.property(workloadArbitrary, (w) => {
      for (
        const policy of [
          llamaPackPolicy(),
          llamaPackPolicy({ idleRefill: true }),
          ...referencePolicies(),
        ]
      ) {
        const { summary, timeline } = runSimulation(w, policy, { timeline: true });
        const problem = checkTimeline(w, timeline);
        if (problem !== undefined) throw new Error(`${policy.name}: ${problem}`);
        const capacity = cacheCapacity(w);
        assert(summary.peakUsedBytes <= capacity, `${policy.name}: peak over capacity`);
        assertEquals(summary.loads, w.loads.length);
        assertEquals(timeline.filter((e) => e.kind === "hit").length, summary.hits);
        assertEquals(
          summary.finalContents.reduce((s, c) => s + c.size, 0),
          summary.bytesCopied -
            timeline.filter((e) => e.kind === "evict").reduce((s, e) => s + e.size, 0),
        );
        // The first load of every model is a miss.
        const seen = new Set<string>();
        for (const e of timeline) {
          if (e.kind === "copied" || e.kind === "evict") continue;
          if (!seen.has(e.model)) assert(e.kind !== "hit", `${policy.name}: first load hit`);
          seen.add(e.model);
        }
      }
    }),
    { numRuns: 150 },
  );
});

Deno.test("runSimulation() is deterministic", () => {
  fc.assert(
    fc.property(workloadArbitrary, (w) => {
      const a = runSimulation(w, llamaPackPolicy(), { timeline: true });
      const b = runSimulation(w, llamaPackPolicy(), { timeline: true });
      assertEquals(a, b);
    }),
    { numRuns: 30 },
  );
});

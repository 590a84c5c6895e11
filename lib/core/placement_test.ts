import fc from "fast-check";
import { assertEquals, assertStringIncludes, assertThrows } from "../../tests/assert.ts";
import { LlamaPackError } from "../errors.ts";
import { admissionStep, applyPlacement, planPlacement } from "./placement.ts";
import {
  availableRoom,
  type CachedCopy,
  type CachePolicy,
  type Candidate,
  DEFAULT_CACHE_POLICY,
  type PlacementPlan,
  type SsdSpace,
} from "./cache_policy.ts";
import { planRefill } from "./refill.ts";

const G = 1024 ** 3;

function copy(id: string, sizeG: number, rate: number, more: Partial<CachedCopy> = {}): CachedCopy {
  return { id, size: sizeG * G, rate, pinned: false, inUse: false, ssdOnly: false, ...more };
}

function cand(id: string, sizeG: number, rate: number, more: Partial<Candidate> = {}): Candidate {
  return { id, size: sizeG * G, rate, usesInWindow: 5, noCache: false, ...more };
}

/** An SSD with `freeG` free, a 10 GiB minimum and the cached copies' bytes in use. */
function space(
  freeG: number,
  cached: readonly CachedCopy[],
  more: Partial<SsdSpace> = {},
): SsdSpace {
  return {
    freeBytes: freeG * G,
    minFreeBytes: 10 * G,
    cacheUsedBytes: cached.reduce((s, c) => s + c.size, 0),
    ...more,
  };
}

interface Case {
  name: string;
  freeG: number;
  cached: CachedCopy[];
  candidate: Candidate;
  spaceMore?: Partial<SsdSpace>;
  policy?: CachePolicy;
  copy: boolean;
  evict: string[];
  reason: string;
  refused?: Record<string, string>;
}

const CASES: Case[] = [
  {
    name: "already cached: nothing to do",
    freeG: 100,
    cached: [copy("a", 8, 5)],
    candidate: cand("a", 8, 5),
    copy: false,
    evict: [],
    reason: "a is already on the SSD",
  },
  {
    name: "pinned to the HDD: never copied",
    freeG: 100,
    cached: [],
    candidate: cand("a", 8, 5, { noCache: true }),
    copy: false,
    evict: [],
    reason: "pinned to the HDD",
  },
  {
    name: "too few uses in the window",
    freeG: 100,
    cached: [],
    candidate: cand("a", 8, 5, { usesInWindow: 2 }),
    policy: { minUses: 3, windowSeconds: 7 * 86400 },
    copy: false,
    evict: [],
    reason: "2 uses in the last 7 days; 3 needed before copying to the SSD",
  },
  {
    name: "default: a first use is copied into free room",
    freeG: 100,
    cached: [],
    candidate: cand("a", 8, 1, { usesInWindow: 1 }),
    copy: true,
    evict: [],
    reason: "fits: needs 8.0 GiB",
  },
  {
    name: "default: a first use does not displace other copies",
    freeG: 15,
    cached: [copy("cold", 20, 0.1)],
    candidate: cand("a", 8, 1, { usesInWindow: 1 }),
    copy: false,
    evict: [],
    reason: "1 use in the last 7 days, 2 needed before displacing other copies",
  },
  {
    name: "default: a second use may displace a colder copy",
    freeG: 15,
    cached: [copy("cold", 20, 0.1)],
    candidate: cand("a", 8, 1, { usesInWindow: 2 }),
    copy: true,
    evict: ["cold"],
    reason: "worth it",
  },
  {
    name: "minUsesToEvict from the policy",
    freeG: 15,
    cached: [copy("cold", 20, 0.1)],
    candidate: cand("a", 8, 1, { usesInWindow: 1 }),
    policy: { minUses: 1, windowSeconds: 7 * 86400, minUsesToEvict: 1 },
    copy: true,
    evict: ["cold"],
    reason: "worth it",
  },
  {
    name: "minUses from the policy",
    freeG: 100,
    cached: [],
    candidate: cand("a", 8, 5, { usesInWindow: 2 }),
    policy: { minUses: 2, windowSeconds: 86400 },
    copy: true,
    evict: [],
    reason: "fits",
  },
  {
    name: "rank 0: nothing to gain",
    freeG: 100,
    cached: [],
    candidate: cand("a", 8, 0),
    copy: false,
    evict: [],
    reason: "nothing to gain",
  },
  {
    name: "fits above the minimum free",
    freeG: 30,
    cached: [copy("b", 40, 0.1)],
    candidate: cand("a", 20, 5),
    copy: true,
    evict: [],
    reason: "fits: needs 20.0 GiB, 20.0 GiB available above the 10.0 GiB minimum free",
  },
  {
    name: "one byte over the minimum free needs an eviction",
    freeG: 30,
    cached: [copy("b", 40, 0.1)],
    candidate: { ...cand("a", 20, 5), size: 20 * G + 1 },
    copy: true,
    evict: ["b"],
    reason: "worth it",
  },
  {
    name: "the cache limit binds before free space",
    freeG: 500,
    cached: [copy("b", 40, 0.1)],
    spaceMore: { limitBytes: 50 * G },
    candidate: cand("a", 20, 5),
    copy: true,
    evict: ["b"],
    reason: "needs 10.0 GiB more room",
  },
  {
    name: "evicts the lowest-ranked copy, keeps the better one",
    freeG: 15,
    cached: [copy("hot", 10, 4), copy("cold", 10, 0.5)],
    candidate: cand("a", 10, 3),
    copy: true,
    evict: ["cold"],
    reason: "evicting cold",
    refused: { hot: "ranked 4.0/wk ≥ candidate 3.0/wk" },
  },
  {
    name: "never evicts pinned, in-use, SSD-only or higher-ranked copies",
    freeG: 10,
    cached: [
      copy("pin", 20, 0.1, { pinned: true }),
      copy("busy", 20, 0.1, { inUse: true }),
      copy("only", 20, 0.1, { ssdOnly: true }),
      copy("equal", 20, 3),
      copy("both", 20, 0.1, { pinned: true, inUse: true }),
    ],
    candidate: cand("a", 10, 3),
    copy: false,
    evict: [],
    reason:
      "does not fit: needs 10.0 GiB, 0 B available above the 10.0 GiB minimum free, and only 0 B",
    refused: {
      pin: "pinned to the SSD",
      busy: "in use by a running server",
      only: "SSD-only: no HDD original",
      equal: "ranked 3.0/wk ≥ candidate 3.0/wk",
      both: "pinned to the SSD, in use by a running server",
    },
  },
  {
    name: "does not fit even after every allowed eviction",
    freeG: 12,
    cached: [copy("small", 5, 0.1), copy("big", 50, 9)],
    candidate: cand("a", 20, 3),
    copy: false,
    evict: [],
    reason: "only 5.0 GiB held by copies that may be evicted",
  },
  {
    name: "value admission: a small candidate may not displace a big copy",
    freeG: 10,
    cached: [copy("big70", 70, 1)],
    candidate: cand("a", 8, 5),
    copy: false,
    evict: [],
    reason:
      "not worth it: a would serve 40.0 GiB/wk from the SSD, but evicting big70 (70.0 GiB, 70.0 GiB/wk) would lose more",
  },
  {
    name: "one 70 GiB copy vs five 8 GiB copies: the small ones lose less",
    freeG: 10,
    cached: [
      copy("big70", 70, 0.4),
      ...["s1", "s2", "s3", "s4", "s5"].map((id) => copy(id, 8, 0.5)),
    ],
    candidate: cand("a", 40, 2),
    copy: true,
    evict: ["s1", "s2", "s3", "s4", "s5"],
    reason:
      "evicting s1, s2, s3 and 2 more (40.0 GiB, 20.0 GiB/wk) to serve 80.0 GiB/wk; cheaper than evicting big70 (28.0 GiB/wk)",
  },
  {
    name: "one 70 GiB copy vs five 8 GiB copies: the big one loses less",
    freeG: 10,
    cached: [
      copy("big70", 70, 0.2),
      ...["s1", "s2", "s3", "s4", "s5"].map((id) => copy(id, 8, 0.5)),
    ],
    candidate: cand("a", 40, 2),
    copy: true,
    evict: ["big70"],
    reason:
      "evicting big70 (70.0 GiB, 14.0 GiB/wk) to serve 80.0 GiB/wk; cheaper than evicting s1, s2, s3 and 2 more (20.0 GiB/wk)",
  },
  {
    name: "drops a victim that turns out unnecessary",
    freeG: 10,
    cached: [copy("tiny", 1, 0.1), copy("mid", 10, 0.2)],
    candidate: cand("a", 10, 3),
    copy: true,
    evict: ["mid"],
    reason: "evicting mid (10.0 GiB",
  },
  {
    name: "equal ranks: the older use goes first, then the id",
    freeG: 10,
    cached: [
      copy("b", 10, 1, { lastUse: 100 }),
      copy("c", 10, 1, { lastUse: 50 }),
      copy("a", 10, 1),
    ],
    candidate: cand("x", 10, 3),
    copy: true,
    evict: ["a"],
    reason: "evicting a",
  },
  {
    name: "value margin adds hysteresis",
    freeG: 10,
    cached: [copy("b", 10, 1)],
    candidate: cand("a", 10, 1.5),
    policy: { ...DEFAULT_CACHE_POLICY, valueMargin: 2 },
    copy: false,
    evict: [],
    reason: "(margin 2×)",
  },
  {
    name: "free space already below the minimum: the shortfall is evicted too",
    freeG: 5,
    cached: [copy("b", 10, 0.5), copy("c", 10, 0.6)],
    candidate: cand("a", 8, 3),
    copy: true,
    evict: ["b", "c"],
    reason: "needs 13.0 GiB more room",
  },
];

Deno.test("planPlacement() decides each case with a reason", async (t) => {
  for (const c of CASES) {
    await t.step(c.name, () => {
      const plan = planPlacement({
        space: space(c.freeG, c.cached, c.spaceMore),
        cached: c.cached,
        candidate: c.candidate,
        ...(c.policy ? { policy: c.policy } : {}),
      });
      assertEquals(plan.id, c.candidate.id);
      assertEquals(plan.copy, c.copy, plan.reason);
      assertEquals(plan.evict.map((e) => e.id), c.evict, plan.reason);
      assertStringIncludes(plan.reason, c.reason);
      for (const e of plan.evict) assertStringIncludes(e.reason, "< candidate");
      if (c.refused) {
        assertEquals(Object.fromEntries(plan.refused.map((r) => [r.id, r.reason])), c.refused);
      }
    });
  }
});

Deno.test("planPlacement() gives each eviction its rank and lost value", () => {
  const cached = [copy("cold", 10, 0.5)];
  const plan = planPlacement({ space: space(10, cached), cached, candidate: cand("a", 10, 3.1) });
  assertEquals(plan.evict, [{
    id: "cold",
    size: 10 * G,
    reason: "ranked 0.5/wk < candidate 3.1/wk; loses 5.0 GiB/wk of SSD loads",
  }]);
});

Deno.test("planPlacement() weighs how long a copy was idle when given now", async (t) => {
  const now = 1_700_000_000;
  const DAY = 86400;
  // A 40 GiB copy at 2/wk holds more value than a 20 GiB candidate at 3/wk...
  const cached = [copy("big", 40, 2, { lastUse: now - 21 * DAY })];
  const input = { space: space(10, cached), cached, candidate: cand("c", 20, 3) };
  await t.step("without now: not worth it", () => {
    const p = planPlacement(input);
    assertEquals(p.copy, false);
    assertStringIncludes(p.reason, "not worth it");
  });
  await t.step("with now: three silent weeks make the copy unlikely to be used", () => {
    const p = planPlacement({ ...input, now });
    assertEquals(p.copy, true);
    assertEquals(p.evict.map((e) => e.id), ["big"]);
    assertStringIncludes(p.evict[0]!.reason, "ranked 2.0/wk < candidate 3.0/wk");
  });
  await t.step("a copy used yesterday keeps its value", () => {
    const fresh = [copy("big", 40, 2, { lastUse: now - DAY })];
    const p = planPlacement({
      space: space(10, fresh),
      cached: fresh,
      candidate: cand("c", 20, 3),
      now,
    });
    assertEquals(p.copy, false);
  });
  await t.step("idleHazard Infinity turns it off", () => {
    const policy = { ...DEFAULT_CACHE_POLICY, idleHazard: Infinity };
    assertEquals(planPlacement({ ...input, now, policy }).copy, false);
  });
});

Deno.test("planPlacement() rejects bad input", async (t) => {
  const ok = { space: space(100, []), cached: [], candidate: cand("a", 8, 5) };
  await t.step("negative size", () => {
    assertThrows(
      () => planPlacement({ ...ok, candidate: cand("a", -1, 5) }),
      RangeError,
      "size of 'a'",
    );
  });
  await t.step("NaN rate of a cached copy", () => {
    assertThrows(
      () => planPlacement({ ...ok, cached: [copy("b", 1, NaN)] }),
      RangeError,
      "rate of 'b'",
    );
  });
  await t.step("non-finite free bytes", () => {
    assertThrows(
      () => planPlacement({ ...ok, space: { ...ok.space, freeBytes: NaN } }),
      RangeError,
      "freeBytes",
    );
  });
  for (
    const [name, policy, key] of [
      ["negative minUses", { minUses: -1, windowSeconds: 1 }, "minUses"],
      ["zero window", { minUses: 3, windowSeconds: 0 }, "windowSeconds"],
      ["NaN margin", { minUses: 3, windowSeconds: 1, valueMargin: NaN }, "valueMargin"],
      ["zero idle hazard", { minUses: 3, windowSeconds: 1, idleHazard: 0 }, "idleHazard"],
    ] as const
  ) {
    await t.step(name, () => {
      const err = assertThrows(() => planPlacement({ ...ok, policy }), LlamaPackError, key);
      assertEquals(err.code, "CONFIG");
    });
  }
});

Deno.test("applyPlacement() removes victims, adds the copy and moves the bytes", () => {
  const cached = [copy("cold", 10, 0.5), copy("hot", 10, 9)];
  const s = space(15, cached);
  const candidate = cand("a", 12, 3);
  const plan = planPlacement({ space: s, cached, candidate });
  const after = applyPlacement({ space: s, cached }, plan, candidate);
  assertEquals(after.cached.map((c) => c.id), ["hot", "a"]);
  assertEquals(after.space.freeBytes, 13 * G);
  assertEquals(after.space.cacheUsedBytes, 22 * G);
  const refusedPlan = planPlacement({
    space: s,
    cached,
    candidate: cand("b", 12, 3, { noCache: true }),
  });
  assertEquals(applyPlacement({ space: s, cached }, refusedPlan, candidate), { space: s, cached });
});

const rarely = (n: number) => fc.integer({ min: 1, max: n }).map((x) => x === 1);
const sizeArb = fc.integer({ min: 0, max: 150 }).map((g) => g * G); // whole GiB keeps sums exact
/** Rates in uses/week, tenths (fc.double leans to extremes like 1e-300). */
const tenths = (min: number, max: number) =>
  fc.integer({ min: min * 10, max: max * 10 }).map((x) => x / 10);
const rateArb = fc.oneof(
  fc.constantFrom(0, 0.5, 1, 2, 3, 7),
  tenths(0, 30),
  fc.double({ min: 0, max: 30, noNaN: true }),
);
const cachedArb = fc.uniqueArray(
  fc.record({
    id: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz".split("")),
    size: sizeArb,
    rate: rateArb,
    pinned: rarely(8),
    inUse: rarely(8),
    ssdOnly: rarely(8),
  }),
  { selector: (c) => c.id, maxLength: 14 },
);
const candidateArb = fc.record({
  id: fc.constantFrom("X", "Y", "a"),
  size: sizeArb,
  rate: rateArb,
  usesInWindow: fc.integer({ min: 0, max: 8 }),
  noCache: rarely(10),
});
/** Any situation, including every gate. */
const anyScenarioArb = fc.record({
  cached: cachedArb,
  candidate: candidateArb,
  extraFreeG: fc.integer({ min: -20, max: 200 }),
  minFreeG: fc.integer({ min: 0, max: 50 }),
  limitSlackG: fc.option(fc.integer({ min: -20, max: 200 }), { nil: undefined }),
});
/** A tight SSD and an admissible candidate: the planner has to choose victims. */
/** Many copies, mostly small, some protected. */
const manyCopiesArb = fc.uniqueArray(
  fc.record({
    id: fc.constantFrom(..."abcdefghijklmnop".split("")),
    size: fc.oneof(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 20, max: 80 })).map((g) =>
      g * G
    ),
    rate: tenths(0, 8),
    pinned: rarely(10),
    inUse: rarely(10),
    ssdOnly: rarely(10),
  }),
  { selector: (c) => c.id, minLength: 3, maxLength: 14 },
);
const tightScenarioArb = fc.record({
  cached: manyCopiesArb,
  candidate: fc.record({
    id: fc.constant("X"),
    size: fc.integer({ min: 1, max: 60 }).map((g) => g * G),
    rate: tenths(0.5, 10),
    usesInWindow: fc.integer({ min: 3, max: 8 }),
    noCache: fc.constant(false),
  }),
  extraFreeG: fc.integer({ min: -10, max: 20 }),
  minFreeG: fc.integer({ min: 0, max: 20 }),
  limitSlackG: fc.option(fc.integer({ min: -10, max: 30 }), { nil: undefined, freq: 2 }),
});
/** A few big copies to displace for a smaller candidate: value admission decides. */
const bigVictimsArb = fc.record({
  cached: fc.uniqueArray(
    fc.record({
      id: fc.constantFrom("a", "b", "c", "d"),
      size: fc.integer({ min: 30, max: 100 }).map((g) => g * G),
      rate: tenths(0, 10),
      pinned: fc.constant(false),
      inUse: fc.constant(false),
      ssdOnly: rarely(10),
    }),
    { selector: (c) => c.id, minLength: 1, maxLength: 4 },
  ),
  candidate: fc.record({
    id: fc.constant("X"),
    size: fc.integer({ min: 5, max: 40 }).map((g) => g * G),
    rate: tenths(0.5, 10),
    usesInWindow: fc.constant(3),
    noCache: fc.constant(false),
  }),
  extraFreeG: fc.integer({ min: -5, max: 5 }),
  minFreeG: fc.constant(10),
  limitSlackG: fc.constant(undefined),
});
const scenarioArb = fc.oneof(anyScenarioArb, tightScenarioArb, tightScenarioArb, bigVictimsArb).map(
  ({ cached, candidate, extraFreeG, minFreeG, limitSlackG }) => {
    const used = cached.reduce((s, c) => s + c.size, 0);
    const s: SsdSpace = {
      freeBytes: (minFreeG + extraFreeG) * G,
      minFreeBytes: minFreeG * G,
      cacheUsedBytes: used,
      ...(limitSlackG === undefined ? {} : { limitBytes: Math.max(0, used + limitSlackG * G) }),
    };
    return { space: s, cached: cached as CachedCopy[], candidate: candidate as Candidate };
  },
);

const valueOf = (c: { rate: number; size: number }) => c.rate * c.size;
const RUNS = { numRuns: 400 };

function plan(
  sc: { space: SsdSpace; cached: readonly CachedCopy[]; candidate: Candidate },
): PlacementPlan {
  return planPlacement(sc);
}

Deno.test("property: a copy never leaves less than the minimum free nor exceeds the limit", () => {
  fc.assert(
    fc.property(scenarioArb, (sc) => {
      const p = plan(sc);
      if (!p.copy) return p.evict.length === 0;
      const after = applyPlacement(sc, p, sc.candidate);
      return after.space.freeBytes >= after.space.minFreeBytes &&
        (after.space.limitBytes === undefined ||
          after.space.cacheUsedBytes <= after.space.limitBytes);
    }),
    RUNS,
  );
});

Deno.test("property: nothing protected or ranked at or above the candidate is evicted", () => {
  fc.assert(
    fc.property(scenarioArb, (sc) => {
      const byId = new Map(sc.cached.map((c) => [c.id, c]));
      return plan(sc).evict.every((e) => {
        const c = byId.get(e.id)!;
        return !c.pinned && !c.inUse && !c.ssdOnly && c.rate < sc.candidate.rate && e.reason !== "";
      });
    }),
    RUNS,
  );
});

Deno.test("property: with now and idle copies, space and protection still hold", () => {
  const now = 1_700_000_000;
  fc.assert(
    fc.property(
      scenarioArb,
      fc.array(fc.integer({ min: 0, max: 60 * 86400 }), { minLength: 14, maxLength: 14 }),
      (sc, idle) => {
        const cached = sc.cached.map((c, i) => ({ ...c, lastUse: now - idle[i]! }));
        const p = planPlacement({ ...sc, cached, now });
        const byId = new Map(cached.map((c) => [c.id, c]));
        const protectedOk = p.evict.every((e) => {
          const c = byId.get(e.id)!;
          return !c.pinned && !c.inUse && !c.ssdOnly && c.rate < sc.candidate.rate;
        });
        if (!p.copy) return p.evict.length === 0 && protectedOk;
        const after = applyPlacement({ ...sc, cached }, p, sc.candidate);
        return protectedOk && after.space.freeBytes >= after.space.minFreeBytes &&
          (after.space.limitBytes === undefined ||
            after.space.cacheUsedBytes <= after.space.limitBytes);
      },
    ),
    RUNS,
  );
});

Deno.test("property: evictions come in increasing value order, each one needed", () => {
  fc.assert(
    fc.property(scenarioArb, (sc) => {
      const p = plan(sc);
      const byId = new Map(sc.cached.map((c) => [c.id, c]));
      const values = p.evict.map((e) => valueOf(byId.get(e.id)!));
      for (let i = 1; i < values.length; i++) if (values[i]! < values[i - 1]!) return false;
      // Minimal: dropping any single victim would leave too little room.
      const freed = p.evict.reduce((s, e) => s + e.size, 0);
      const room = availableRoom(sc.space);
      return p.evict.every((e) => room + freed - e.size < sc.candidate.size);
    }),
    RUNS,
  );
});

Deno.test("property: a copy with evictions is worth more than what it displaces", () => {
  fc.assert(
    fc.property(scenarioArb, (sc) => {
      const p = plan(sc);
      const byId = new Map(sc.cached.map((c) => [c.id, c]));
      const lost = p.evict.reduce((s, e) => s + valueOf(byId.get(e.id)!), 0);
      return !p.copy || valueOf(sc.candidate) > lost;
    }),
    RUNS,
  );
});

Deno.test("property: victims lose the least value of any allowed set (brute force)", () => {
  fc.assert(
    fc.property(scenarioArb, (sc) => {
      const p = plan(sc);
      if (!p.copy || p.evict.length === 0) return true;
      const allowed = sc.cached.filter((c) =>
        !c.pinned && !c.inUse && !c.ssdOnly && c.rate < sc.candidate.rate
      );
      const need = sc.candidate.size - availableRoom(sc.space);
      let best = Infinity;
      for (let mask = 0; mask < 1 << allowed.length; mask++) {
        let size = 0;
        let value = 0;
        allowed.forEach((c, i) => {
          if (mask & (1 << i)) {
            size += c.size;
            value += valueOf(c);
          }
        });
        if (size >= need && value < best) best = value;
      }
      const byId = new Map(sc.cached.map((c) => [c.id, c]));
      const lost = p.evict.reduce((s, e) => s + valueOf(byId.get(e.id)!), 0);
      return lost <= best * (1 + 1e-9) + 1e-6;
    }),
    { numRuns: 200 },
  );
});

Deno.test("property: plans are deterministic and independent of input order", () => {
  fc.assert(
    fc.property(scenarioArb, fc.nat(), (sc, seed) => {
      const shuffled = [...sc.cached];
      let s = seed;
      for (let i = shuffled.length - 1; i > 0; i--) {
        s = (s * 1103515245 + 12345) % 2 ** 31;
        const j = s % (i + 1);
        [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
      }
      const a = plan(sc);
      assertEquals(plan(sc), a);
      assertEquals(plan({ ...sc, cached: shuffled }), a);
    }),
    RUNS,
  );
});

Deno.test("property: applying a plan then re-planning is a no-op (no churn)", () => {
  fc.assert(
    fc.property(scenarioArb, (sc) => {
      const p = plan(sc);
      const after = applyPlacement(sc, p, sc.candidate);
      const again = planPlacement({ ...after, candidate: sc.candidate });
      if (again.evict.length > 0) return false;
      if (p.copy && again.copy) return false;
      // No evicted copy, coming back with any number of uses, can push the new copy out.
      return p.evict.every((e) => {
        const victim = sc.cached.find((c) => c.id === e.id)!;
        const back = planPlacement({
          ...after,
          candidate: {
            id: victim.id,
            size: victim.size,
            rate: victim.rate,
            usesInWindow: 99,
            noCache: false,
          },
        });
        return back.evict.every((v) => v.id !== sc.candidate.id);
      });
    }),
    RUNS,
  );
});

Deno.test("property: refill plans keep the space invariants and never undo each other", () => {
  const refillArb = fc.record({
    cached: fc.oneof(cachedArb, manyCopiesArb),
    candidates: fc.uniqueArray(
      fc.record({
        id: fc.constantFrom(..."ABCDEFGHIJ".split("")),
        size: fc.oneof(sizeArb, fc.integer({ min: 1, max: 30 }).map((g) => g * G)),
        rate: rateArb,
        usesInWindow: fc.integer({ min: 2, max: 8 }),
        noCache: rarely(10),
      }),
      { selector: (c) => c.id, maxLength: 10 },
    ),
    extraFreeG: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 30 })),
  });
  fc.assert(
    fc.property(refillArb, ({ cached, candidates, extraFreeG }) => {
      const s: SsdSpace = {
        freeBytes: (10 + extraFreeG) * G,
        minFreeBytes: 10 * G,
        cacheUsedBytes: cached.reduce((t, c) => t + c.size, 0),
      };
      const plans = planRefill({ space: s, cached, candidates });
      let state = { space: s, cached: [...cached] as CachedCopy[] };
      const added = new Set<string>();
      for (const p of plans) {
        if (!p.copy || p.evict.some((e) => added.has(e.id))) return false;
        state = applyPlacement(state, p, candidates.find((c) => c.id === p.id)!);
        added.add(p.id);
        if (state.space.freeBytes < state.space.minFreeBytes) return false;
      }
      // Re-planning the refill on the result plans nothing more.
      return planRefill({ ...state, candidates }).length === 0;
    }),
    RUNS,
  );
});

Deno.test("property: a hotter candidate is admitted wherever a colder one is", () => {
  fc.assert(
    fc.property(scenarioArb, tenths(0, 5), (sc, extra) => {
      const cold = plan(sc);
      const hot = plan({ ...sc, candidate: { ...sc.candidate, rate: sc.candidate.rate + extra } });
      return !cold.copy || hot.copy;
    }),
    RUNS,
  );
});

Deno.test("property: more free space never turns a copy into a refusal nor adds evictions", () => {
  fc.assert(
    fc.property(scenarioArb, fc.integer({ min: 0, max: 100 }), (sc, moreG) => {
      const before = plan(sc);
      const after = plan({
        ...sc,
        space: { ...sc.space, freeBytes: sc.space.freeBytes + moreG * G },
      });
      const freed = (p: PlacementPlan) => p.evict.reduce((s, e) => s + e.size, 0);
      return !before.copy || (after.copy && freed(after) <= freed(before));
    }),
    RUNS,
  );
});

Deno.test("property: explain false and admissionStep() decide exactly as the explained plan", () => {
  const now = 1_700_000_000;
  const idleDays = fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 14, maxLength: 14 });
  fc.assert(
    fc.property(scenarioArb, fc.boolean(), idleDays, (sc, withNow, idle) => {
      // With `now`, copies idle for days are valued lower (the idle hazard), which reorders them.
      const cached = withNow
        ? sc.cached.map((c, i) => ({ ...c, lastUse: now - idle[i]! * 86400 }))
        : sc.cached;
      const input = { ...sc, cached, ...(withNow ? { now } : {}) };
      const full = planPlacement(input);
      const quiet = planPlacement({ ...input, explain: false });
      const same = full.copy === quiet.copy &&
        full.evict.map((e) => e.id).join() === quiet.evict.map((e) => e.id).join();
      if (sc.cached.some((c) => c.id === sc.candidate.id)) return same;
      const step = admissionStep(sc.space, sc.candidate);
      const stepAgrees = step === "evict"
        ? true
        : step === "fits"
        ? full.copy && full.evict.length === 0
        : !full.copy;
      return same && stepAgrees;
    }),
    RUNS,
  );
});

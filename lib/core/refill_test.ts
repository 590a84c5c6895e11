import fc from "fast-check";
import { assert, assertEquals } from "../../tests/assert.ts";
import type { CachedCopy, CachePolicy, Candidate, SsdSpace } from "./cache_policy.ts";
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

Deno.test("planRefill() fills freed space by rate, each step on the state the last one left", async (t) => {
  await t.step("highest rate first, then what still fits", () => {
    const cached = [copy("kept", 10, 9)];
    const plans = planRefill({
      space: space(50, cached),
      cached,
      candidates: [
        cand("low", 15, 1),
        cand("high", 30, 6),
        cand("mid", 10, 3),
        cand("kept", 10, 9),
      ],
    });
    assertEquals(plans.map((p) => p.id), ["high", "mid"]);
    assert(plans.every((p) => p.copy && p.evict.length === 0));
  });
  await t.step("may evict colder copies but never an earlier refill", () => {
    const cached = [copy("cold", 20, 0.2)];
    const plans = planRefill({
      space: space(30, cached),
      cached,
      candidates: [cand("b", 20, 2), cand("a", 20, 4)],
    });
    assertEquals(plans.map((p) => [p.id, p.evict.map((e) => e.id)]), [["a", []], ["b", ["cold"]]]);
  });
  await t.step("skips candidates that fail admission", () => {
    const plans = planRefill({
      space: space(100, []),
      cached: [],
      candidates: [
        cand("few", 5, 9, { usesInWindow: 0 }),
        cand("hdd", 5, 9, { noCache: true }),
        cand("ok", 5, 1),
      ],
    });
    assertEquals(plans.map((p) => p.id), ["ok"]);
  });
});

Deno.test("property: planRefill() plans the same copies and evictions with explain false", () => {
  const now = 1_700_000_000;
  const copyArb = fc.record({
    id: fc.constantFrom(..."abcdefgh".split("")),
    sizeG: fc.integer({ min: 1, max: 40 }),
    rate: fc.integer({ min: 0, max: 80 }).map((x) => x / 10),
    idleDays: fc.integer({ min: 0, max: 30 }),
    inUse: fc.integer({ min: 1, max: 8 }).map((x) => x === 1),
  });
  const candArb = fc.record({
    id: fc.constantFrom(..."fghijklmnop".split("")),
    sizeG: fc.integer({ min: 1, max: 40 }),
    rate: fc.integer({ min: 0, max: 80 }).map((x) => x / 10),
    uses: fc.integer({ min: 0, max: 4 }),
  });
  fc.assert(
    fc.property(
      fc.uniqueArray(copyArb, { selector: (c) => c.id, maxLength: 6 }),
      fc.uniqueArray(candArb, { selector: (c) => c.id, maxLength: 8 }),
      fc.integer({ min: 0, max: 80 }),
      (copies, cands, freeG) => {
        const cached = copies.map((c) =>
          copy(c.id, c.sizeG, c.rate, { inUse: c.inUse, lastUse: now - c.idleDays * 86400 })
        );
        const candidates = cands.map((c) => cand(c.id, c.sizeG, c.rate, { usesInWindow: c.uses }));
        const input = { space: space(freeG + 10, cached), cached, candidates, now };
        const shape = (plans: ReturnType<typeof planRefill>) =>
          plans.map((p) => `${p.id}:${p.evict.map((e) => e.id).join("+")}`).join(" ");
        assertEquals(shape(planRefill({ ...input, explain: false })), shape(planRefill(input)));
      },
    ),
    { numRuns: 300 },
  );
});

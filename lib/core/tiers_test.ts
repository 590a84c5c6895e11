import fc from "fast-check";
import { assert, assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { GIB } from "./units.ts";
import { LlamaPackError } from "../errors.ts";
import {
  checkFit,
  recommendTier,
  renderTierStats,
  type TierInput,
  tierStats,
  usageBar,
  usageLevel,
} from "./tiers.ts";

const g = GIB;

function ssd(over: Partial<TierInput> = {}): TierInput {
  return {
    name: "ssd",
    kind: "ssd",
    path: "/mnt/ssd/models",
    usedByModels: 60 * g,
    limitBytes: 100 * g,
    diskTotal: 500 * g,
    diskFree: 300 * g,
    minFreeBytes: 20 * g,
    ...over,
  };
}

function hdd(over: Partial<TierInput> = {}): TierInput {
  return {
    name: "hdd",
    kind: "hdd",
    path: "/mnt/hdd/llm",
    usedByModels: 1500 * g,
    diskTotal: 4000 * g,
    diskFree: 2000 * g,
    minFreeBytes: 0,
    ...over,
  };
}

Deno.test("usageLevel() colours green below 75%, yellow to 90%, red above", async (t) => {
  const cases: Array<[number, string]> = [
    [0, "green"],
    [0.7499, "green"],
    [0.75, "yellow"],
    [0.9, "yellow"],
    [0.9001, "red"],
    [1.2, "red"],
  ];
  for (const [u, level] of cases) {
    await t.step(`${u} -> ${level}`, () => assertEquals(usageLevel(u), level));
  }
});

Deno.test("tierStats() measures against the limit, else the disk", async (t) => {
  await t.step("with a limit: models / limit, room by limit and min free", () => {
    const s = tierStats(ssd());
    assertEquals([s.used, s.capacity, s.usage, s.level, s.room], [
      60 * g,
      100 * g,
      0.6,
      "green",
      40 * g,
    ]);
    assertEquals(s.warning, undefined);
  });
  await t.step("with a limit but little disk free: room by min free", () => {
    const s = tierStats(ssd({ diskFree: 30 * g }));
    assertEquals(s.room, 10 * g);
  });
  await t.step("no limit: disk use, df style when diskUsed is known", () => {
    const s = tierStats(hdd({ diskUsed: 1800 * g }));
    assertEquals(s.capacity, 3800 * g);
    assertEquals(s.used, 1800 * g);
    const plain = tierStats(hdd());
    assertEquals(plain.usage, 0.5);
  });
  await t.step("warning above the threshold, with a custom threshold", () => {
    assertEquals(
      tierStats(ssd({ usedByModels: 91 * g })).warning,
      "warning: ssd is 91% full (91.0 GiB of 100.0 GiB), above the 90% threshold",
    );
    assertEquals(tierStats(ssd({ usedByModels: 91 * g }), { threshold: 0.95 }).warning, undefined);
    assertStringIncludes(tierStats(ssd(), { threshold: 0.5 }).warning ?? "", "above the 50%");
  });
  await t.step("a bad threshold is a CONFIG error", () => {
    for (const threshold of [0, -1, 1.5, NaN]) {
      try {
        tierStats(ssd(), { threshold });
        throw new Error("expected a throw");
      } catch (err) {
        assert(err instanceof LlamaPackError && err.code === "CONFIG", String(err));
      }
    }
  });
});

Deno.test("checkFit() respects the limit, the minimum free space and the threshold", async (t) => {
  const cases: Array<[string, number, TierInput, boolean, string]> = [
    ["fits comfortably", 10 * g, ssd(), true, "fits on ssd (/mnt/ssd/models): usage 60% -> 70%"],
    ["over the limit", 45 * g, ssd(), false, "the limit is 100.0 GiB and 60.0 GiB is used"],
    [
      "under the limit but not enough disk above min free",
      15 * g,
      ssd({ diskFree: 30 * g }),
      false,
      "30.0 GiB free on the disk while keeping 20.0 GiB free",
    ],
    ["past the threshold", 35 * g, ssd(), false, "would fill ssd (/mnt/ssd/models) to 95%"],
    ["exactly at the threshold", 30 * g, ssd(), true, "usage 60% -> 90%"],
    ["HDD without limit", 100 * g, hdd(), true, "fits on hdd"],
    ["HDD too full", 2100 * g, hdd(), false, "1.95 TiB free on the disk"],
  ];
  for (const [name, size, tier, fits, reason] of cases) {
    await t.step(name, () => {
      const r = checkFit(size, tier);
      assertEquals(r.fits, fits, r.reason);
      assertStringIncludes(r.reason, reason);
    });
  }
});

Deno.test("checkFit() never says fits beyond the room or the threshold (property)", () => {
  const tierArb = fc.record({
    used: fc.integer({ min: 0, max: 2000 }),
    limit: fc.option(fc.integer({ min: 1, max: 2000 }), { nil: undefined }),
    total: fc.integer({ min: 1, max: 4000 }),
    freeFrac: fc.double({ min: 0, max: 1, noNaN: true }),
    minFree: fc.integer({ min: 0, max: 100 }),
  });
  fc.assert(
    fc.property(
      tierArb,
      fc.integer({ min: 0, max: 3000 }),
      fc.double({ min: 0.05, max: 1, noNaN: true }),
      (t, size, threshold) => {
        const tier: TierInput = {
          name: "ssd",
          kind: "ssd",
          path: "/s",
          usedByModels: t.used * g,
          diskTotal: t.total * g,
          diskFree: Math.floor(t.freeFrac * t.total) * g,
          minFreeBytes: t.minFree * g,
        };
        if (t.limit !== undefined) tier.limitBytes = t.limit * g;
        const r = checkFit(size * g, tier, { threshold });
        const s = tierStats(tier, { threshold });
        if (r.fits) {
          assert(size * g <= s.room, `fits but room is ${s.room}`);
          assert(r.usageAfter <= threshold + 1e-12);
        }
      },
    ),
  );
});

Deno.test("recommendTier() prefers the SSD when it fits comfortably, else the roomiest HDD", async (t) => {
  const hdd2 = hdd({ name: "hdd2", path: "/mnt/hdd2", diskFree: 3000 * g });
  await t.step("fits on the SSD", () => {
    const r = recommendTier(10 * g, [hdd(), ssd()]);
    assertEquals(r.tier, "ssd");
    assertStringIncludes(r.reason, "the SSD loads fastest");
  });
  await t.step("too big for the SSD: the HDD with most room", () => {
    const r = recommendTier(50 * g, [ssd(), hdd(), hdd2]);
    assertEquals(r.tier, "hdd2");
    assertStringIncludes(r.reason, "50.0 GiB does not fit on ssd");
    assertStringIncludes(r.reason, "the HDD with the most room");
  });
  await t.step("no SSD tier", () => {
    const r = recommendTier(50 * g, [hdd()]);
    assertEquals(r.tier, "hdd");
    assertStringIncludes(r.reason, "there is no SSD tier");
  });
  await t.step("fits nowhere", () => {
    const r = recommendTier(5000 * g, [ssd(), hdd(), hdd2]);
    assertEquals(r.tier, undefined);
    assertStringIncludes(r.reason, "no HDD has 4.88 TiB free either");
  });
});

Deno.test("usageBar() and renderTierStats() draw bars, figures and warnings", async (t) => {
  await t.step("bars", () => {
    assertEquals(usageBar(0.62, { barWidth: 12 }), "[#######.....]  62%");
    assertEquals(usageBar(0, { barWidth: 4 }), "[....]   0%");
    assertEquals(usageBar(1.3, { barWidth: 4 }), "[####] 130%");
    assertEquals(usageBar(0.95, { barWidth: 4, color: true }), "[\x1b[31m####\x1b[0m]  95%");
    assertEquals(usageBar(0.8, { barWidth: 4, color: true }), "[\x1b[33m###.\x1b[0m]  80%");
    assertEquals(usageBar(0.5, { barWidth: 4, color: true }), "[\x1b[32m##..\x1b[0m]  50%");
  });
  await t.step("the whole text", () => {
    const text = renderTierStats([ssd({ usedByModels: 93 * g }), hdd()]);
    assertEquals(
      text,
      [
        "ssd   /mnt/ssd/models",
        "      [###################.]  93%  models 93.0 GiB of 100.0 GiB limit",
        "      disk 500.0 GiB, 300.0 GiB free, keep 20.0 GiB free; room for a model: 7.0 GiB",
        "      warning: ssd is 93% full (93.0 GiB of 100.0 GiB), above the 90% threshold",
        "hdd   /mnt/hdd/llm",
        "      [##########..........]  50%  models 1.46 TiB",
        "      disk 3.91 TiB, 1.95 TiB free; room for a model: 1.95 TiB",
        "",
      ].join("\n"),
    );
  });
});

import { assert, assertEquals } from "../../tests/assert.ts";
import {
  cacheStatsDocument,
  checkSpace,
  type MeasuredTier,
  pickTier,
  recommendDoc,
} from "./cache_stats_doc.ts";
import type { TierInput } from "./tiers.ts";

const g = 1024 ** 3;
const m = 1024 ** 2;

const ssd = (over: Partial<TierInput> & { unlimited?: boolean } = {}): TierInput => {
  const { unlimited, ...rest } = over;
  const t: TierInput = {
    name: "ssd",
    kind: "ssd",
    path: "/mnt/ssd",
    usedByModels: 50 * g,
    limitBytes: 100 * g,
    diskTotal: 500 * g,
    diskFree: 300 * g,
    minFreeBytes: 20 * g,
    ...rest,
  };
  if (unlimited) delete t.limitBytes;
  return t;
};
const hdd = (name: string, path: string, over: Partial<TierInput> = {}): TierInput => ({
  name,
  kind: "hdd",
  path,
  usedByModels: 500 * g,
  diskTotal: 2000 * g,
  diskFree: 1000 * g,
  diskUsed: 1000 * g,
  minFreeBytes: 0,
  ...over,
});
const ok = (tier: TierInput, disk?: string): MeasuredTier => ({
  ok: true,
  tier,
  ...(disk ? { disk } : {}),
});

Deno.test("cacheStatsDocument() colours each tier at 50%, 80% and 95% as the guide does", () => {
  for (
    const [used, color, warning] of [[50, "green", false], [80, "yellow", false], [
      95,
      "red",
      true,
    ]] as const
  ) {
    const doc = cacheStatsDocument({
      primary: ok(ssd({ usedByModels: used * g })),
      secondary: [ok(hdd("hdd", "/mnt/hdd"))],
      custom: [],
    }, { threshold: 0.9, now: 1_000_000 });
    assertEquals(doc.primary.usage_percent, used);
    assertEquals(doc.primary.color, color);
    assertEquals(doc.primary.warning, warning);
    assertEquals(doc.primary.used_gb, used);
    assertEquals(doc.primary.limit_gb, 100);
    assertEquals(doc.primary.free_gb, 100 - used);
    assertEquals(doc.threshold, 0.9);
    assertEquals(doc.measured_at, "1970-01-12T13:46:40Z");
  }
});

Deno.test("cacheStatsDocument() without a limit measures usage against the disk", () => {
  const doc = cacheStatsDocument({
    primary: ok(ssd({ unlimited: true, diskUsed: 400 * g, diskFree: 100 * g })),
    secondary: [ok(hdd("hdd", "/mnt/hdd"))],
    custom: [
      ok(hdd("custom", "/mnt/usb", { diskUsed: 19 * g, diskFree: 1 * g, diskTotal: 20 * g })),
    ],
  }, { threshold: 0.9, now: 0 });
  assertEquals(doc.primary.limit_gb, null);
  assertEquals(doc.primary.usage_percent, 80);
  assertEquals(doc.primary.free_gb, 80); // 100 free less 20 kept free
  assertEquals(doc.secondary.usage_percent, 50);
  assertEquals(doc.secondary.paths, ["/mnt/hdd"]);
  assertEquals(doc.custom[0]?.color, "red");
  assert(doc.custom[0]?.message?.includes("above the 90% threshold"));
});

Deno.test("cacheStatsDocument() sums several HDD paths, each disk once, and lists each", () => {
  const doc = cacheStatsDocument({
    primary: ok(ssd()),
    secondary: [
      ok(hdd("hdd1", "/mnt/a/llm"), "disk-a"),
      ok(hdd("hdd2", "/mnt/a/more"), "disk-a"),
      ok(hdd("hdd3", "/mnt/b", { diskFree: 1900 * g, diskUsed: 100 * g }), "disk-b"),
    ],
    custom: [],
  }, { threshold: 0.9, now: 0 });
  assertEquals(doc.secondary.used_gb, 1500);
  assertEquals(doc.secondary.disk_total_gb, 4000);
  assertEquals(doc.secondary.usage_percent, 27.5); // (1000 + 100) / 4000
  assertEquals(doc.secondary.free_gb, 1900); // the most one path has
  assertEquals(doc.secondary.parts.map((p) => p.name), ["hdd1", "hdd2", "hdd3"]);
});

Deno.test("cacheStatsDocument() reports a tier it cannot measure with nulls and the reason", () => {
  const doc = cacheStatsDocument({
    primary: {
      ok: false,
      name: "ssd",
      path: "/mnt/ssd",
      error: "not mounted",
      minFreeBytes: 20 * g,
    },
    secondary: [ok(hdd("hdd", "/mnt/hdd"))],
    custom: [],
  }, { threshold: 0.9, now: 0 });
  assertEquals(doc.primary.used_gb, null);
  assertEquals(doc.primary.color, null);
  assertEquals(doc.primary.min_free_gb, 20);
  assertEquals(doc.primary.error, "not mounted");
});

Deno.test("checkSpace() separates fitting from passing the warning threshold", async (t) => {
  await t.step("fits below the threshold", () => {
    const r = checkSpace("primary", 5000 * m, ssd(), 0.9);
    assertEquals([r.fits, r.would_exceed_warning, r.available_mb], [true, false, 50 * 1024]);
    assertEquals(r.required_space_mb, 5000);
  });
  await t.step("fits past the threshold", () => {
    const r = checkSpace("primary", 45 * g, ssd(), 0.9);
    assertEquals([r.fits, r.would_exceed_warning], [true, true]);
    assert(r.reason.includes("above the 90% warning threshold"), r.reason);
  });
  await t.step("does not fit: the limit", () => {
    const r = checkSpace("primary", 51 * g, ssd(), 0.9);
    assertEquals(r.fits, false);
    assert(r.reason.includes("within the 100.0 GiB limit"), r.reason);
  });
  await t.step("does not fit: the minimum free space", () => {
    const r = checkSpace("primary", 11 * g, ssd({ unlimited: true, diskFree: 30 * g }), 0.9);
    assertEquals([r.fits, r.available_mb], [false, 10 * 1024]);
  });
});

Deno.test("pickTier() and recommendDoc() follow --check and --recommend", () => {
  const a = hdd("hdd1", "/a", { diskFree: 10 * g });
  const b = hdd("hdd2", "/b", { diskFree: 900 * g });
  assertEquals(pickTier([a, b])?.name, "hdd2");
  assertEquals(pickTier([a, b], "/a")?.name, "hdd1");
  assertEquals(pickTier([a, b], "/c"), undefined);
  assertEquals(recommendDoc(5 * g, [ssd(), a, b], 0.9).recommended_cache, "primary");
  const big = recommendDoc(200 * g, [ssd(), a, b], 0.9);
  assertEquals([big.recommended_cache, big.tier, big.path], ["secondary", "hdd2", "/b"]);
  const none = recommendDoc(5000 * g, [ssd(), a, b], 0.9);
  assertEquals([none.recommended_cache, none.tier], [null, null]);
});

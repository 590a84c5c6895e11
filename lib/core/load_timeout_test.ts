import { assert, assertEquals } from "../../tests/assert.ts";
import { learnTierSpeeds, loadBudget, loadProgressed, MIN_LEARN_BYTES } from "./load_timeout.ts";

const GB = 1e9;

Deno.test("learnTierSpeeds() learns the median of recent big loads per tier", () => {
  const loads = [
    { tier: "hdd", readySeconds: 100, size: 10 * GB }, // 100 MB/s
    { tier: "hdd", readySeconds: 50, size: 10 * GB }, // 200 MB/s
    { tier: "hdd", readySeconds: 40, size: 10 * GB }, // 250 MB/s
    { tier: "hdd", readySeconds: 1, size: MIN_LEARN_BYTES - 1 }, // too small to say anything
    { tier: "ssd", readySeconds: null, size: 10 * GB }, // never became ready
    { tier: null, readySeconds: 1, size: 10 * GB },
  ];
  const s = learnTierSpeeds(loads, { ssd: 500, hdd: 150 });
  assertEquals(s.hdd, { mbps: 200, samples: 3 });
  assertEquals(s.ssd, { mbps: 500, samples: 0 });
});

Deno.test("loadBudget() scales with size and speed; a fixed timeout is never extended", () => {
  const speeds = { ssd: { mbps: 2000, samples: 5 }, hdd: { mbps: 100, samples: 0 } };
  const hdd = loadBudget(40 * GB, "hdd", speeds, undefined);
  assertEquals(hdd.seconds, 2 * 400 + 30);
  assert(hdd.extendSeconds >= 15);
  assertEquals(hdd.reason, "40.0 GB at 100 MB/s (hdd, configured)");
  const ssd = loadBudget(40 * GB, "ssd", speeds, undefined);
  assertEquals(ssd.seconds, 2 * 20 + 30);
  assertEquals(ssd.reason, "40.0 GB at 2000 MB/s (ssd, learned from 5 loads)");
  assertEquals(loadBudget(40 * GB, "hdd", speeds, 90), {
    seconds: 90,
    extendSeconds: 0,
    reason: "serve.load_timeout",
  });
});

Deno.test("loadProgressed() sees CPU, reads or memory, not a gone process", () => {
  const a = { cpuTicks: 5, readBytes: 10, rssPages: 100 };
  assert(loadProgressed(a, { ...a, cpuTicks: 6 }));
  assert(loadProgressed(a, { ...a, rssPages: 101 }));
  assert(!loadProgressed(a, { ...a, rssPages: 99 }));
  assert(!loadProgressed(a, undefined));
});

import { assert, assertEquals } from "../tests/assert.ts";
import { lruPolicy } from "./reference.ts";
import { comparePolicies, simulate } from "./simulate.ts";
import type { Workload } from "./workload.ts";

const w: Workload = {
  name: "w",
  ssdFreeBytes: 25e9,
  loads: ["a", "b", "a", "b", "a", "b", "a"].map((model, i) => ({
    at: i * 86400,
    model,
    size: 10e9,
    duration: 60,
  })),
};

Deno.test("simulate() defaults to llama-pack's policy and takes another", () => {
  assertEquals(simulate(w).summary.policy, "llama-pack");
  const lru = simulate(w, { policy: lruPolicy(), timeline: true });
  assertEquals(lru.summary.policy, "LRU");
  assertEquals(lru.summary.hits, 5);
  assert(lru.timeline.length > 0);
  assertEquals(simulate(w).timeline, []);
});

Deno.test("comparePolicies() builds the table rows", async () => {
  const c = await comparePolicies(w);
  assertEquals(c.rows.map((r) => r.policy), [
    "llama-pack",
    "LRU",
    "LFU-DA",
    "GDSF",
    "original (≥2 in 7d)",
    "LP upper bound",
    "offline schedule",
  ]);
  const lru = c.rows[1]!;
  assertEquals(lru.byteHitRatio, 5 / 7);
  assertEquals(lru.ofBound, 1);
  assertEquals(lru.bytesWritten, 20e9);
  assert(Math.abs(lru.loadSecondsSaved - (50e9 / 150e6 - 50e9 / 2000e6)) < 1e-6);
  assertEquals(c.rows[5]!.bytesWritten, null);
  const only = await comparePolicies(w, { policies: [lruPolicy()], optimum: false });
  assertEquals(only.rows.length, 1);
  assertEquals(only.rows[0]!.ofBound, null);
  assertEquals(only.optimum, undefined);
});

/**
 * Benchmarks of the core cache policy: planning against a large cache,
 * ranking a long use history and matching a query against a big library.
 *
 * Run with `deno bench --allow-all bench/policy_bench.ts`.
 *
 * @module
 */

import type { CachedCopy, Candidate } from "../lib/core/cache_policy.ts";
import { planPlacement } from "../lib/core/placement.ts";
import { planRefill } from "../lib/core/refill.ts";
import { newEstimate, rankFromUses, recordUse, usesPerWeek } from "../lib/core/rank.ts";
import { type MatchCandidate, matchModels } from "../lib/core/match.ts";

const G = 1024 ** 3;
const T0 = 1_700_000_000;

/** A deterministic pseudo-random sequence in [0, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const rand = lcg(42);
const cached: CachedCopy[] = Array.from({ length: 200 }, (_, i) => ({
  id: `model-${String(i).padStart(3, "0")}`,
  size: Math.round((1 + 60 * rand() ** 2) * G),
  rate: Math.round(rand() * 80) / 10,
  pinned: rand() < 0.05,
  inUse: rand() < 0.03,
  ssdOnly: rand() < 0.02,
  lastUse: T0 - Math.round(rand() * 30 * 86400),
}));
const used = cached.reduce((s, c) => s + c.size, 0);
const space = { freeBytes: 5 * G, minFreeBytes: 20 * G, cacheUsedBytes: used };
const candidate: Candidate = {
  id: "new-70b",
  size: 70 * G,
  rate: 6.5,
  usesInWindow: 4,
  noCache: false,
};
const candidates: Candidate[] = Array.from({ length: 50 }, (_, i) => ({
  id: `hdd-${i}`,
  size: Math.round((1 + 40 * rand()) * G),
  rate: Math.round(rand() * 100) / 10,
  usesInWindow: 3 + Math.floor(rand() * 5),
  noCache: false,
}));

const uses = Array.from({ length: 10_000 }, (_, i) => ({ at: T0 + i * 3600 * (0.5 + rand()) }));
const now = uses.at(-1)!.at + 86400;
let estimate = newEstimate();
for (const u of uses) estimate = recordUse(estimate, u.at);

const names = [
  "Llama-3.1",
  "Gemma2",
  "Qwen2.5-Coder",
  "Mistral",
  "Phi-4",
  "DeepSeek-R1",
  "Mixtral",
];
const quants = ["Q4_K_M", "Q5_K_M", "Q8_0", "IQ3_XXS", "F16", "Q6_K"];
const library: MatchCandidate[] = Array.from({ length: 500 }, (_, i) => ({
  id: String(i),
  name: `${names[i % names.length]}-${8 + (i % 9) * 8}B-v${i}-${quants[i % quants.length]}.gguf`,
  rank: (i % 17) / 2,
}));

Deno.bench("planPlacement() with 200 cached copies, eviction needed", { group: "plan" }, () => {
  planPlacement({ space, cached, candidate });
});

Deno.bench("planRefill() with 200 cached copies and 50 candidates", { group: "plan" }, () => {
  planRefill({ space: { ...space, freeBytes: 200 * G }, cached, candidates });
});

Deno.bench("rankFromUses() over 10,000 uses", { group: "rank" }, () => {
  rankFromUses(uses, now);
});

Deno.bench("usesPerWeek() from an incremental estimate", { group: "rank" }, () => {
  usesPerWeek(estimate, now);
});

Deno.bench("matchModels() fuzzy query against 500 names", { group: "match" }, () => {
  matchModels("gemma16q5km", library);
});

Deno.bench("matchModels() substring query against 500 names", { group: "match" }, () => {
  matchModels("coder", library);
});

/**
 * Simulator speed targets: 100,000 loads over 200 models in < 1 s for the
 * live policy with its adaptive machinery on (three shadow caches; issue 20),
 * and the LP bound for 10,000 loads in < 30 s. Idle-time refill (an option)
 * and the single `steady` profile are timed for comparison.
 *
 * Run: `deno bench --allow-all bench/sim_bench.ts`
 *
 * @module
 */

import { generateWorkload, STANDARD_SPECS } from "./workloads.ts";
import { runSimulation } from "../sim/engine.ts";
import { llamaPackPolicy } from "../sim/llama_pack_policy.ts";
import { loadSolver, offlineOptimum } from "../sim/optimum.ts";
import { lruPolicy, originalPolicy } from "../sim/reference.ts";

const base = STANDARD_SPECS[1]!; // project switches
/** ~100,000 loads over 200 models (400 days, ~250 loads a day). */
const large = generateWorkload({ ...base, name: "100k", models: 200, days: 400, loadsPerDay: 300 });
/** ~10,000 loads over 200 models (40 days). */
const medium = generateWorkload({ ...base, name: "10k", models: 200, days: 40, loadsPerDay: 300 });
const solver = await loadSolver();

Deno.bench({
  name: `llama-pack policy, ${large.loads.length} loads, 200 models (target < 1 s)`,
  group: "simulate 100k",
  baseline: true,
  n: 3,
  warmup: 1,
  fn: () => {
    runSimulation(large, llamaPackPolicy());
  },
});

Deno.bench({
  name: `llama-pack policy with idle refill, ${large.loads.length} loads`,
  group: "simulate 100k",
  n: 3,
  warmup: 1,
  fn: () => {
    runSimulation(large, llamaPackPolicy({ idleRefill: true }));
  },
});

Deno.bench({
  name: `llama-pack policy, adaptive off (steady only), ${large.loads.length} loads`,
  group: "simulate 100k",
  n: 3,
  warmup: 1,
  fn: () => {
    runSimulation(large, llamaPackPolicy({ adaptive: false }));
  },
});

Deno.bench({
  name: `LRU, ${large.loads.length} loads`,
  group: "simulate 100k",
  n: 3,
  warmup: 1,
  fn: () => {
    runSimulation(large, lruPolicy());
  },
});

Deno.bench({
  name: `original rule, ${large.loads.length} loads`,
  group: "simulate 100k",
  n: 3,
  warmup: 1,
  fn: () => {
    runSimulation(large, originalPolicy());
  },
});

Deno.bench({
  name: `LP bound + offline schedule, ${medium.loads.length} loads (target < 30 s)`,
  n: 2,
  warmup: 1,
  fn: async () => {
    const r = await offlineOptimum(medium, { solver });
    if (r.status !== "optimal") throw new Error(`LP not optimal: ${r.status}`);
  },
});

/**
 * The policy lab's working tool: llama-pack's policy (and variants) over both
 * workload families against issue 20's targets — % of the LP bound, margin
 * over the best reference policy, SSD writes and copies evicted before a hit
 * — per family, over all, and per shape. `bench/policy_report.ts` writes the
 * full `bench/RESULTS.md`; this prints the same figures for quick tries.
 *
 * Run: `deno run -A bench/policy_seeds.ts [--held-out] [--seeds N] [--only a,b]
 * [--shapes] [--runs] [--oracle] [--no-default] [--variant NAME=JSON]...`
 *
 * Tuning seeds by default (`bench/families.ts`); `--held-out` runs the
 * held-out seeds, which are for reporting only: never choose a setting on
 * them. `--variant` adds llama-pack's policy with other options as a row
 * (the JSON is {@linkcode LlamaPackPolicyOptions}; the string `"Infinity"`
 * stands for `Infinity`); `--oracle` adds the planner told the next 3 days.
 *
 * @module
 */

import { llamaPackPolicy, type LlamaPackPolicyOptions } from "../sim/llama_pack_policy.ts";
import type { SimPolicy } from "../sim/policy_api.ts";
import type { Workload } from "../sim/workload.ts";
import { oraclePolicy } from "./oracle_policy.ts";
import { FAMILIES, HELD_OUT_SEEDS, TUNING_SEEDS } from "./families.ts";
import { figures, measure, missedTargets, type Run } from "./lab.ts";

const args = Deno.args;
const heldOut = args.includes("--held-out");
const only = args.includes("--only") ? args[args.indexOf("--only") + 1]!.split(",") : undefined;
const seedsArg = args.includes("--seeds") ? Number(args[args.indexOf("--seeds") + 1]) : undefined;
const parse = (spec: string) => {
  const eq = spec.indexOf("=");
  return {
    name: spec.slice(0, eq),
    options: JSON.parse(spec.slice(eq + 1), (_k, v) => (v === "Infinity" ? Infinity : v)),
  };
};
const factories: ((w: Workload) => SimPolicy)[] = [];
if (args.includes("--oracle")) factories.push((w) => oraclePolicy(w, 3 * 86400));
if (!args.includes("--no-default")) factories.push(() => llamaPackPolicy());
args.forEach((arg, i) => {
  if (arg === "--variant") {
    const { name, options } = parse(args[i + 1]!);
    factories.push(() =>
      llamaPackPolicy({ ...(options as LlamaPackPolicyOptions), name: `llama-pack (${name})` })
    );
  }
});

const seeds = (heldOut ? HELD_OUT_SEEDS : TUNING_SEEDS).slice(0, seedsArg);
const started = performance.now();
const runs = await measure(FAMILIES, seeds, {
  policies: factories,
  ...(only ? { only } : {}),
});
const policies = [...new Set(runs.map((r) => r.policy))];
const families = [...new Set(runs.map((r) => r.family))];
const f1 = (x: number) => x.toFixed(1);
const signed = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(1)}`;
const cell = (rs: Run[]) => {
  const f = figures(rs);
  return `${f1(f.ofBound)} | ${signed(f.margin)} / ${signed(f.minMargin)} | ${f1(f.writes)} | ${
    f1(f.early)
  }`;
};
console.log(
  `${heldOut ? "HELD-OUT" : "tuning"} seeds ${seeds[0]}–${seeds.at(-1)}; ` +
    `${((performance.now() - started) / 1000).toFixed(1)} s`,
);
for (const family of [...families, "all"]) {
  console.log(`\n## ${family}: % of bound | margin mean / worst | writes % | early %\n`);
  for (const policy of policies) {
    const rs = runs.filter((r) => r.policy === policy && (family === "all" || r.family === family));
    console.log(`| ${policy.padEnd(28)} | ${cell(rs)} |`);
  }
}
if (args.includes("--shapes")) {
  for (const policy of policies) {
    if (!/^(llama-pack|told)/.test(policy)) continue;
    console.log(`\n## ${policy} by shape: % of bound | margin mean / worst | writes % | early %\n`);
    for (const shape of [...new Set(runs.map((r) => r.shape))]) {
      const rs = runs.filter((r) => r.policy === policy && r.shape === shape);
      console.log(`| ${shape.padEnd(16)} | ${cell(rs)} |`);
    }
  }
}
console.log("");
for (const policy of policies) {
  if (!/^(llama-pack|told)/.test(policy)) continue;
  const missed = missedTargets(runs.filter((r) => r.policy === policy));
  console.log(`${policy}: ${missed.length === 0 ? "meets every target" : missed.join("; ")}`);
}
if (args.includes("--runs")) {
  for (const r of runs) {
    if (!/^(llama-pack|told)/.test(r.policy)) continue;
    console.log(
      `${r.policy} ${r.shape} k=${r.seed}: ${(100 * r.ofBound).toFixed(1)}% margin ${
        signed(100 * (r.byteHitRatio - r.bestReference))
      } writes ${
        (100 * r.bytesCopied / r.bytesLoaded).toFixed(1)
      }% early ${r.evictedBeforeHit}/${r.copies}`,
    );
  }
}

/**
 * Issue 20's targets for llama-pack's policy (and lab variants) over both
 * workload families: % of the LP bound, margin over the best reference, SSD
 * writes and early evictions, per family and per shape.
 *
 * Run: `deno run -A bench/policy_targets.ts [--held-out] [--only a,b] [--shapes]
 * [--experimental NAME=JSON]... [--variant NAME=JSON]...`
 *
 * Tuning seeds by default; `--held-out` runs the held-out seeds (report only,
 * never tune on them).
 *
 * @module
 */

import { llamaPackPolicy, type LlamaPackPolicyOptions } from "../sim/llama_pack_policy.ts";
import type { SimPolicy } from "../sim/policy_api.ts";
import type { Workload } from "../sim/workload.ts";
import { oraclePolicy } from "./oracle_policy.ts";
import { FAMILIES, HELD_OUT_SEEDS, TUNING_SEEDS } from "./families.ts";
import { figures, measure, missedTargets, type Run } from "./lab.ts";
import { type ExperimentalOptions, experimentalPolicy } from "./experimental_policy.ts";
import { type HdOptions, hitDensityPolicy } from "./experimental_hd.ts";
import { type LhdOptions, lhdPolicy } from "./experimental_lhd.ts";
import { type ShadowOptions, shadowPolicy } from "./experimental_shadows.ts";
import { type ForecastOptions, forecastPolicy } from "./experimental_forecast.ts";

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
  if (arg === "--fc") {
    const { name, options } = parse(args[i + 1]!);
    factories.push(() => forecastPolicy({ ...(options as ForecastOptions), name: `fc (${name})` }));
  }
  if (arg === "--sh") {
    const { name, options } = parse(args[i + 1]!);
    factories.push(() => shadowPolicy({ ...(options as ShadowOptions), name: `sh (${name})` }));
  }
  if (arg === "--lhd") {
    const { name, options } = parse(args[i + 1]!);
    factories.push(() => lhdPolicy({ ...(options as LhdOptions), name: `lhd (${name})` }));
  }
  if (arg === "--hd") {
    const { name, options } = parse(args[i + 1]!);
    factories.push(() => hitDensityPolicy({ ...(options as HdOptions), name: `hd (${name})` }));
  }
  if (arg === "--experimental") {
    const { name, options } = parse(args[i + 1]!);
    factories.push(() =>
      experimentalPolicy({ ...(options as ExperimentalOptions), name: `exp (${name})` })
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
    if (!/^(llama-pack|exp|hd|lhd|fc|sh|told)/.test(policy)) continue;
    console.log(`\n## ${policy} by shape: % of bound | margin mean / worst | writes % | early %\n`);
    for (const shape of [...new Set(runs.map((r) => r.shape))]) {
      const rs = runs.filter((r) => r.policy === policy && r.shape === shape);
      console.log(`| ${shape.padEnd(16)} | ${cell(rs)} |`);
    }
  }
}
console.log("");
for (const policy of policies) {
  if (!/^(llama-pack|exp|hd|lhd|fc|sh|told)/.test(policy)) continue;
  const missed = missedTargets(runs.filter((r) => r.policy === policy));
  console.log(`${policy}: ${missed.length === 0 ? "meets every target" : missed.join("; ")}`);
}
if (args.includes("--runs")) {
  for (const r of runs) {
    if (!/^(llama-pack|exp|hd|lhd|fc|sh|told)/.test(r.policy)) continue;
    console.log(
      `${r.policy} ${r.shape} k=${r.seed}: ${(100 * r.ofBound).toFixed(1)}% margin ${
        signed(100 * (r.byteHitRatio - r.bestReference))
      } writes ${
        (100 * r.bytesCopied / r.bytesLoaded).toFixed(1)
      }% early ${r.evictedBeforeHit}/${r.copies}`,
    );
  }
}

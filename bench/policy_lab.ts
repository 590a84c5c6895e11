/**
 * The policy lab: runs every generated workload through llama-pack's policy,
 * the reference policies and the offline optimum, and prints one comparison
 * table per workload plus a matrix of "% of the LP upper bound".
 *
 * Run: `deno run --allow-all bench/policy_lab.ts [--variants] [--quick]`
 *
 * - `--variants` adds llama-pack's policy with other planner settings
 *   (through the same core functions), to guide tuning of lib/core/placement.ts and
 *   lib/core/rank.ts.
 * - `--quick` simulates 21 days instead of the specs' full length.
 *
 * @module
 */

import { generateWorkload, STANDARD_SPECS } from "./workloads.ts";
import type { SimPolicy } from "../sim/policy_api.ts";
import { llamaPackPolicy } from "../sim/llama_pack_policy.ts";
import { loadSolver } from "../sim/optimum.ts";
import { referencePolicies } from "../sim/reference.ts";
import { renderComparison } from "../sim/report.ts";
import { comparePolicies, type Comparison } from "../sim/simulate.ts";
import { librarySize } from "../sim/workload.ts";
import { formatSize } from "../lib/core/units.ts";

const variants = Deno.args.includes("--variants");
const quick = Deno.args.includes("--quick");
const color = Deno.stdout.isTerminal() && Deno.env.get("NO_COLOR") === undefined;
const WEEK = 7 * 86400;

function policies(): SimPolicy[] {
  const list = [llamaPackPolicy(), ...referencePolicies()];
  if (variants) {
    const DAY = 86400;
    list.push(
      llamaPackPolicy({ name: "lp minUses=2", cachePolicy: { minUses: 2, windowSeconds: WEEK } }),
      llamaPackPolicy({ name: "lp minUses=1", cachePolicy: { minUses: 1, windowSeconds: WEEK } }),
      llamaPackPolicy({
        name: "lp minUses=2 margin=0.8",
        cachePolicy: { minUses: 2, windowSeconds: WEEK, valueMargin: 0.8 },
      }),
      llamaPackPolicy({
        name: "lp minUses=2 margin=1.3",
        cachePolicy: { minUses: 2, windowSeconds: WEEK, valueMargin: 1.3 },
      }),
      llamaPackPolicy({ name: "lp short half-life 12h", rank: { shortHalfLifeSeconds: DAY / 2 } }),
      llamaPackPolicy({
        name: "lp minUses=2 long half-life 7d",
        cachePolicy: { minUses: 2, windowSeconds: WEEK },
        rank: { longHalfLifeSeconds: 7 * DAY },
      }),
      llamaPackPolicy({ name: "lp no detector", rank: { changeThreshold: Infinity } }),
    );
  }
  return list;
}

const solver = await loadSolver();
const results: Comparison[] = [];
for (const spec of STANDARD_SPECS) {
  const workload = generateWorkload(quick ? { ...spec, days: 21 } : spec);
  const started = performance.now();
  const comparison = await comparePolicies(workload, { policies: policies(), solver });
  const seconds = (performance.now() - started) / 1000;
  results.push(comparison);
  const models = new Set(workload.loads.map((l) => l.model)).size;
  console.log(
    `\n== ${workload.name}: ${workload.description}\n   ${workload.loads.length} loads, ${models} models, ` +
      `library ${formatSize(librarySize(workload.loads))}, SSD ${
        formatSize(workload.ssdFreeBytes)
      }; ` +
      `${seconds.toFixed(1)} s`,
  );
  console.log(renderComparison(comparison, { color }));
}

// The matrix: % of the LP bound per policy (rows) and workload (columns).
const names = results[0]!.rows.map((r) => r.policy);
const head = ["% of LP bound", ...results.map((c) => c.workload)];
const rows = names.map((name) => [
  name,
  ...results.map((c) => {
    const row = c.rows.find((r) => r.policy === name);
    return row?.ofBound == null ? "–" : `${(row.ofBound * 100).toFixed(1)}`;
  }),
]);
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
console.log("\n" + line(head));
for (const r of rows) console.log(line(r));

// Does llama-pack's policy beat every reference on every workload?
const referenceNames = new Set(referencePolicies().map((p) => p.name));
const losses: string[] = [];
for (const c of results) {
  const ours = c.rows.find((r) => r.policy === "llama-pack")!;
  for (const r of c.rows) {
    if (referenceNames.has(r.policy) && r.byteHitRatio > ours.byteHitRatio) {
      losses.push(
        `${c.workload}: ${r.policy} ${(r.byteHitRatio * 100).toFixed(1)}% > llama-pack ${
          (ours.byteHitRatio * 100).toFixed(1)
        }% (by ${
          ((r.byteHitRatio - ours.byteHitRatio) * 100).toFixed(1)
        } points of byte hit ratio)`,
      );
    }
  }
}
console.log(
  losses.length === 0
    ? "\nllama-pack beats every reference policy on every workload."
    : `\nllama-pack loses ${losses.length} comparison(s):\n  ${losses.join("\n  ")}`,
);

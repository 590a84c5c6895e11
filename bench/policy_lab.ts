/**
 * The policy lab, one workload at a time: every shape of both families
 * (`bench/families.ts`, tuning seed k = 0) through llama-pack's policy, the
 * reference policies and the offline optimum, one comparison table per
 * workload plus a matrix of "% of the LP upper bound". For the figures over
 * many seeds use `bench/policy_seeds.ts`.
 *
 * Run: `deno run --allow-all bench/policy_lab.ts [--variants] [--quick]`
 *
 * - `--variants` adds the reported variants of `bench/report_variants.ts`.
 * - `--quick` keeps the first 21 days of each workload.
 *
 * @module
 */

import { FAMILIES } from "./families.ts";
import { REPORT_VARIANTS } from "./report_variants.ts";
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

function policies(): SimPolicy[] {
  const list = [llamaPackPolicy(), ...referencePolicies()];
  if (variants) {
    for (const v of REPORT_VARIANTS) {
      list.push(llamaPackPolicy({ ...v.options, name: `llama-pack (${v.name})` }));
    }
  }
  return list;
}

const solver = await loadSolver();
const results: Comparison[] = [];
for (const shape of FAMILIES.flatMap((f) => f.shapes)) {
  const full = shape.generate(0);
  const start = full.loads[0]?.at ?? 0;
  const workload = quick
    ? { ...full, loads: full.loads.filter((l) => l.at < start + 21 * 86400) }
    : full;
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

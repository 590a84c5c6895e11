/**
 * The policy lab over several seeds per generator: every standard workload
 * shape of `bench/workloads.ts` is generated with `--seeds N` different seeds
 * (the spec's own seed, then seed + 1000, seed + 2000, …) and run through
 * llama-pack's default policy, the reference policies and the offline
 * optimum. Prints a Markdown table of "% of the LP upper bound" (mean and
 * minimum over the seeds) and GB written to the SSD (mean), plus the
 * per-seed margin of llama-pack over the best reference, for `bench/RESULTS.md`.
 *
 * Run: `deno run --allow-all bench/policy_seeds.ts [--seeds 5] [--variant NAME=JSON]...`
 *
 * `--variant` adds llama-pack's policy with other settings as an extra row,
 * e.g. `--variant 'min 2={"cachePolicy":{"minUses":2,"windowSeconds":604800}}'`
 * (the JSON is {@linkcode LlamaPackPolicyOptions}; the string `"Infinity"`
 * stands for `Infinity`).
 *
 * @module
 */

import { generateWorkload, STANDARD_SPECS } from "./workloads.ts";
import { llamaPackPolicy, type LlamaPackPolicyOptions } from "../sim/llama_pack_policy.ts";
import { loadSolver } from "../sim/optimum.ts";
import { referencePolicies } from "../sim/reference.ts";
import { comparePolicies } from "../sim/simulate.ts";

const at = Deno.args.indexOf("--seeds");
const seeds = at >= 0 ? Number(Deno.args[at + 1]) : 5;
if (!(Number.isInteger(seeds) && seeds > 0)) {
  console.error(`policy_seeds: --seeds must be a positive integer (got ${Deno.args[at + 1]})`);
  Deno.exit(2);
}

const variants: LlamaPackPolicyOptions[] = [];
Deno.args.forEach((arg, i) => {
  if (arg !== "--variant") return;
  const spec = Deno.args[i + 1] ?? "";
  const eq = spec.indexOf("=");
  try {
    const options = JSON.parse(spec.slice(eq + 1), (_k, v) => (v === "Infinity" ? Infinity : v));
    variants.push({ ...options, name: `llama-pack (${spec.slice(0, eq)})` });
  } catch (cause) {
    console.error(`policy_seeds: --variant must be NAME=JSON (got '${spec}'): ${cause}`);
    Deno.exit(2);
  }
});

const solver = await loadSolver();
interface Cell {
  ofBound: number[];
  gbWritten: number[];
}
const table = new Map<string, Map<string, Cell>>(); // policy → workload → cell
const margins = new Map<string, number[]>(); // workload → llama-pack − best reference (points of byte hit ratio)
const policyNames: string[] = [];
const referenceNames = new Set(referencePolicies().map((p) => p.name));
for (const spec of STANDARD_SPECS) {
  for (let k = 0; k < seeds; k++) {
    const workload = generateWorkload({ ...spec, seed: spec.seed + k * 1000 });
    const c = await comparePolicies(workload, {
      policies: [llamaPackPolicy(), ...variants.map(llamaPackPolicy), ...referencePolicies()],
      solver,
    });
    for (const row of c.rows) {
      if (row.ofBound === null || row.kind === "bound") continue;
      if (!policyNames.includes(row.policy)) policyNames.push(row.policy);
      const byWorkload = table.get(row.policy) ?? new Map<string, Cell>();
      table.set(row.policy, byWorkload);
      const cell = byWorkload.get(spec.name) ?? { ofBound: [], gbWritten: [] };
      byWorkload.set(spec.name, cell);
      cell.ofBound.push(row.ofBound * 100);
      if (row.bytesWritten !== null) cell.gbWritten.push(row.bytesWritten / 1e9);
    }
    const ours = c.rows.find((r) => r.policy === "llama-pack")!.byteHitRatio;
    const best = Math.max(
      ...c.rows.filter((r) => referenceNames.has(r.policy)).map((r) => r.byteHitRatio),
    );
    const list = margins.get(spec.name) ?? [];
    margins.set(spec.name, list);
    list.push((ours - best) * 100);
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const names = STANDARD_SPECS.map((s) => s.name);
const out: string[] = [];
out.push(
  `% of the LP upper bound, mean / min over ${seeds} seeds per generator; ` +
    `GB written to the SSD (mean) in brackets.`,
  "",
  `| policy | ${names.join(" | ")} |`,
  `|---|${names.map(() => "---:").join("|")}|`,
);
for (const policy of policyNames) {
  const cells = names.map((w) => {
    const cell = table.get(policy)?.get(w);
    if (cell === undefined) return "–";
    const gb = cell.gbWritten.length > 0 ? ` (${mean(cell.gbWritten).toFixed(0)} GB)` : "";
    return `${mean(cell.ofBound).toFixed(1)} / ${Math.min(...cell.ofBound).toFixed(1)}${gb}`;
  });
  out.push(`| ${policy} | ${cells.join(" | ")} |`);
}
out.push(
  "",
  "llama-pack minus the best reference policy, points of byte hit ratio " +
    "(mean / min over the seeds; positive = llama-pack ahead):",
  "",
  `| ${names.join(" | ")} |`,
  `|${names.map(() => "---:").join("|")}|`,
  `| ${
    names.map((w) => {
      const m = margins.get(w)!;
      return `${mean(m) >= 0 ? "+" : ""}${mean(m).toFixed(1)} / ${Math.min(...m) >= 0 ? "+" : ""}${
        Math.min(...m).toFixed(1)
      }`;
    }).join(" | ")
  } |`,
);
console.log(out.join("\n"));

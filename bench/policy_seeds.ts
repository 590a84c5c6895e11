/**
 * The policy lab over several seeds per generator: every standard workload
 * shape of `bench/workloads.ts` is generated with `--seeds N` different seeds
 * (the spec's own seed, then seed + 1000, seed + 2000, …) and run through
 * llama-pack's default policy, the reference policies and the offline
 * optimum. Prints a Markdown table of "% of the LP upper bound" (mean and
 * minimum over the seeds) and GB written to the SSD (mean), plus the
 * per-seed margin of llama-pack over the best reference, for `bench/RESULTS.md`.
 *
 * Run: `deno run --allow-all bench/policy_seeds.ts [--seeds 5] [--offset 0] [--only a,b] [--variant NAME=JSON]...`
 *
 * `--offset K` starts at the K-th seed (seed + K × 1000), for checking a
 * tuned policy on seeds it was not tuned on; `--only` runs only the named
 * generators.
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

const from = Deno.args.indexOf("--offset");
const offset = from >= 0 ? Number(Deno.args[from + 1]) : 0;
if (!(Number.isInteger(offset) && offset >= 0)) {
  console.error(`policy_seeds: --offset must be an integer ≥ 0 (got ${Deno.args[from + 1]})`);
  Deno.exit(2);
}

const only = Deno.args.includes("--only") ? Deno.args[Deno.args.indexOf("--only") + 1] : undefined;
const specs = STANDARD_SPECS.filter((s) => only === undefined || only.split(",").includes(s.name));
if (specs.length === 0) {
  console.error(`policy_seeds: --only names no generator (got '${only}')`);
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
// llama-pack row → workload → its margin over the best reference of each seed (points of byte hit ratio)
const margins = new Map<string, Map<string, number[]>>();
const policyNames: string[] = [];
const referenceNames = new Set(referencePolicies().map((p) => p.name));
for (const spec of specs) {
  for (let k = 0; k < seeds; k++) {
    const workload = generateWorkload({ ...spec, seed: spec.seed + (offset + k) * 1000 });
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
    const best = Math.max(
      ...c.rows.filter((r) => referenceNames.has(r.policy)).map((r) => r.byteHitRatio),
    );
    for (const row of c.rows) {
      if (!row.policy.startsWith("llama-pack")) continue;
      const byWorkload = margins.get(row.policy) ?? new Map<string, number[]>();
      margins.set(row.policy, byWorkload);
      const list = byWorkload.get(spec.name) ?? [];
      byWorkload.set(spec.name, list);
      list.push((row.byteHitRatio - best) * 100);
    }
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const names = specs.map((s) => s.name);
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
const signed = (x: number) => `${x >= 0 ? "+" : ""}${x.toFixed(1)}`;
out.push(
  "",
  "llama-pack minus the best reference policy of each seed, points of byte hit ratio " +
    "(mean / min over the seeds; positive = llama-pack ahead):",
  "",
  `| policy | ${names.join(" | ")} |`,
  `|---|${names.map(() => "---:").join("|")}|`,
);
for (const [policy, byWorkload] of margins) {
  const cells = names.map((w) => {
    const m = byWorkload.get(w)!;
    return `${signed(mean(m))} / ${signed(Math.min(...m))}`;
  });
  out.push(`| ${policy} | ${cells.join(" | ")} |`);
}
console.log(out.join("\n"));

/**
 * How much of the LP upper bound can any policy that copies at load time
 * reach while writing at most a share of the bytes loaded to the SSD?
 *
 * The FOO-style LP of `sim/optimum.ts` (an interval share `x` per reuse
 * interval, the SSD capacity at every load) plus write variables: a model's
 * interval `k` needs a copy unless its interval `k − 1` was kept, so
 * `w_k ≥ x_k − x_{k−1}` (`w_1 ≥ x_1`), and `Σ size · w ≤ budget`. Its optimum
 * bounds the byte hits of any such policy with that write budget; the lab
 * compares it with the unconstrained bound, which the targets are stated
 * against.
 *
 * Run: `deno run -A bench/write_budget_bound.ts [--budget 0.1] [--seeds 3] [--held-out]`
 *
 * @module
 */

import { type HighsSolver, loadSolver } from "../sim/optimum.ts";
import { cacheCapacity, type Workload } from "../sim/workload.ts";
import { FAMILIES, HELD_OUT_SEEDS, TUNING_SEEDS } from "./families.ts";

const GB = 1e9;

/**
 * The LP bound on byte hits with SSD writes at most `budget` × bytes loaded.
 *
 * @param workload The workload.
 * @param budget Share of the bytes loaded that may be written (Infinity: none).
 * @param solver HiGHS.
 * @returns Bytes.
 */
export function writeBudgetBound(
  workload: Workload,
  budget: number,
  solver: HighsSolver,
): number {
  const capacity = cacheCapacity(workload);
  const loads = workload.loads;
  const n = loads.length;
  const last = new Map<string, number>();
  const lastInterval = new Map<string, number>();
  const intervals: { from: number; to: number; size: number; prev: number }[] = [];
  let bytesLoaded = 0;
  loads.forEach((load, k) => {
    bytesLoaded += load.size;
    const from = last.get(load.model);
    if (from !== undefined && load.size <= capacity) {
      intervals.push({ from, to: k, size: load.size, prev: lastInterval.get(load.model) ?? -1 });
      lastInterval.set(load.model, intervals.length - 1);
    }
    last.set(load.model, k);
  });
  const m = intervals.length;
  if (m === 0) return 0;
  const limited = Number.isFinite(budget);
  // Columns: x (m), y (n), w (m when limited). Rows: flow (n), writes (m), budget (1).
  const numCols = m + n + (limited ? m : 0);
  const numRows = n + (limited ? m + 1 : 0);
  const cols: { rows: number[]; values: number[] }[] = Array.from(
    { length: numCols },
    () => ({ rows: [], values: [] }),
  );
  const put = (col: number, row: number, value: number) => {
    cols[col]!.rows.push(row);
    cols[col]!.values.push(value);
  };
  const colCost = new Float64Array(numCols);
  const colUpper = new Float64Array(numCols);
  const rowLower = new Float64Array(numRows);
  const rowUpper = new Float64Array(numRows);
  intervals.forEach((iv, i) => {
    const s = iv.size / GB;
    put(i, iv.from, -s);
    put(i, iv.to, s);
    colCost[i] = s;
    colUpper[i] = 1;
  });
  for (let k = 0; k < n; k++) {
    put(m + k, k, 1);
    if (k + 1 < n) put(m + k, k + 1, -1);
    colUpper[m + k] = capacity / GB;
  }
  if (limited) {
    intervals.forEach((iv, i) => {
      const row = n + i; // w_i − x_i + x_prev ≥ 0
      put(m + n + i, row, 1);
      put(i, row, -1);
      if (iv.prev >= 0) put(iv.prev, row, 1);
      rowLower[row] = 0;
      rowUpper[row] = Infinity;
      put(m + n + i, n + m, iv.size / GB);
      colUpper[m + n + i] = 1;
    });
    rowLower[n + m] = -Infinity;
    rowUpper[n + m] = (budget * bytesLoaded) / GB;
  }
  const starts = new Int32Array(numCols + 1);
  let nnz = 0;
  cols.forEach((c, j) => {
    starts[j] = nnz;
    nnz += c.rows.length;
  });
  starts[numCols] = nnz;
  const indices = new Int32Array(nnz);
  const values = new Float64Array(nnz);
  let p = 0;
  for (const c of cols) {
    const order = c.rows.map((r, i) => [r, c.values[i]!] as const).sort((a, b) => a[0] - b[0]);
    for (const [r, v] of order) {
      indices[p] = r;
      values[p++] = v;
    }
  }
  const model = solver.createModel({
    numCols,
    numRows,
    sense: solver.constants.objectiveSense.maximize,
    colCost,
    colLower: new Float64Array(numCols),
    colUpper,
    rowLower,
    rowUpper,
    matrix: { format: "csc", numRows, numCols, starts, indices, values },
  });
  try {
    model.options.set({ output_flag: false, time_limit: 300 });
    model.run();
    if (model.getModelStatus() !== solver.constants.modelStatus.optimal) {
      throw new Error(`write-budget LP not solved (status ${model.getModelStatus()})`);
    }
    return model.getObjectiveValue() * GB;
  } finally {
    model.dispose();
  }
}

if (import.meta.main) {
  const arg = (name: string, fallback: number) =>
    Deno.args.includes(name) ? Number(Deno.args[Deno.args.indexOf(name) + 1]) : fallback;
  const budget = arg("--budget", 0.1);
  const count = arg("--seeds", 3);
  const seeds = (Deno.args.includes("--held-out") ? HELD_OUT_SEEDS : TUNING_SEEDS).slice(0, count);
  const solver = await loadSolver();
  for (const family of FAMILIES) {
    let sum = 0;
    let runs = 0;
    for (const shape of family.shapes) {
      const shares: number[] = [];
      for (const k of seeds) {
        const w = shape.generate(k);
        const free = writeBudgetBound(w, Infinity, solver);
        const capped = writeBudgetBound(w, budget, solver);
        shares.push((100 * capped) / free);
      }
      const mean = shares.reduce((a, b) => a + b, 0) / shares.length;
      sum += mean * shares.length;
      runs += shares.length;
      console.log(
        `${family.name}/${shape.name}: writes ≤ ${100 * budget}% → ${
          mean.toFixed(1)
        }% of the bound`,
      );
    }
    console.log(`${family.name}: ${(sum / runs).toFixed(1)}%`);
  }
}

/**
 * The offline yardstick: how many bytes could any policy that copies at load
 * time serve from the SSD, knowing the future?
 *
 * Between two loads of the same model lies a reuse interval; keeping the model
 * on the SSD over the whole interval makes the second load a hit. The LP
 * relaxation (FOO, Berger, Beckmann and Harchol-Balter, SIGMETRICS 2018) gives
 * each interval a share x in [0, 1] and maximises Σ size·x subject to the SSD
 * capacity at every load. Written as flow conservation — the occupancy after
 * load k equals the occupancy after load k−1 plus the intervals starting at k
 * minus those ending at k — every row has at most four non-zeros, so HiGHS
 * (compiled to WASM) solves tens of thousands of loads in seconds. Sizes are
 * in GB (10⁹ bytes) to keep the coefficients small.
 *
 * The LP optimum is an upper bound; rounding x down and greedily adding the
 * intervals that still fit gives a feasible clairvoyant schedule, so the true
 * offline optimum lies between the two.
 *
 * @module
 */

import highsDefault from "highs";
import { cacheCapacity, type Workload } from "./workload.ts";

/** The part of a loaded HiGHS solver (the `highs` npm package) the bound uses. */
export interface HighsSolver {
  /** Creates a persistent model from sparse data; the caller disposes it. */
  createModel(data: {
    numCols: number;
    numRows: number;
    sense: number;
    colCost: Float64Array;
    colLower: Float64Array;
    colUpper: Float64Array;
    rowLower: Float64Array;
    rowUpper: Float64Array;
    matrix: {
      format: "csc";
      numRows: number;
      numCols: number;
      starts: Int32Array;
      indices: Int32Array;
      values: Float64Array;
    };
  }): HighsModel;
  /** Numeric constants: objective senses and model status codes. */
  readonly constants: {
    readonly objectiveSense: { readonly maximize: number };
    readonly modelStatus: { readonly optimal: number };
  };
}

/** The part of a HiGHS model the bound uses. */
export interface HighsModel {
  /** Solver options. */
  readonly options: { set(values: Record<string, boolean | number | string>): void };
  /** Solves the model. */
  run(): unknown;
  /** The outcome code; compare with `constants.modelStatus`. */
  getModelStatus(): number;
  /** The objective value of the solution. */
  getObjectiveValue(): number;
  /** The primal solution. */
  getSolution(): { readonly colValue: Float64Array };
  /** Frees the WASM memory. */
  dispose(): void;
}

let solverPromise: Promise<HighsSolver> | undefined;

/**
 * Loads the HiGHS WASM solver once per process (reads the package's `.wasm`
 * file; needs read permission for the npm cache).
 *
 * @returns The solver.
 *
 * @example Loading the solver
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadSolver } from "./optimum.ts";
 * const highs = await loadSolver();
 * assert(typeof highs.createModel === "function");
 * ```
 */
export function loadSolver(): Promise<HighsSolver> {
  solverPromise ??= (highsDefault as unknown as () => Promise<HighsSolver>)();
  return solverPromise;
}

/** Options of {@linkcode offlineOptimum}. */
export interface OfflineOptimumOptions {
  /**
   * A loaded solver (see {@linkcode loadSolver}).
   * @default the process-wide solver, loaded on first use
   */
  solver?: HighsSolver;
  /**
   * Stop the LP after this many seconds (the bound is then not proven and
   * {@linkcode OfflineOptimum.status} says so).
   * @default 300
   */
  timeLimitSeconds?: number;
}

/** The outcome of {@linkcode offlineOptimum}. */
export interface OfflineOptimum {
  /** Bytes of all loads. */
  bytesLoaded: number;
  /** Upper bound on byte hits of any policy that copies at load time. */
  upperBoundBytes: number;
  /** `upperBoundBytes / bytesLoaded`. */
  upperBoundRatio: number;
  /** Byte hits of the feasible clairvoyant schedule (rounded LP + greedy). */
  feasibleBytes: number;
  /** `feasibleBytes / bytesLoaded`. */
  feasibleRatio: number;
  /** Reuse intervals that fit the SSD at all (the LP's interval variables). */
  intervals: number;
  /** `"optimal"`, or the solver's word when it stopped early (then the bound is not proven). */
  status: string;
  /** Indices (into the workload's loads) the feasible schedule serves from SSD, ascending. */
  scheduledHits: number[];
}

const GB = 1e9;

interface Interval {
  from: number;
  to: number;
  size: number;
}

/** Range add / range max over load positions, for the greedy fill. */
class MaxTree {
  #n: number;
  #max: Float64Array;
  #add: Float64Array;
  constructor(n: number) {
    this.#n = Math.max(1, n);
    this.#max = new Float64Array(4 * this.#n);
    this.#add = new Float64Array(4 * this.#n);
  }
  add(lo: number, hi: number, value: number, node = 1, l = 0, r = this.#n - 1): void {
    if (hi < l || r < lo) return;
    if (lo <= l && r <= hi) {
      this.#max[node]! += value;
      this.#add[node]! += value;
      return;
    }
    const mid = (l + r) >> 1;
    this.add(lo, hi, value, 2 * node, l, mid);
    this.add(lo, hi, value, 2 * node + 1, mid + 1, r);
    this.#max[node] = Math.max(this.#max[2 * node]!, this.#max[2 * node + 1]!) + this.#add[node]!;
  }
  max(lo: number, hi: number, node = 1, l = 0, r = this.#n - 1): number {
    if (hi < l || r < lo) return -Infinity;
    if (lo <= l && r <= hi) return this.#max[node]!;
    const mid = (l + r) >> 1;
    return Math.max(
      this.max(lo, hi, 2 * node, l, mid),
      this.max(lo, hi, 2 * node + 1, mid + 1, r),
    ) +
      this.#add[node]!;
  }
}

function reuseIntervals(workload: Workload, capacity: number): Interval[] {
  const last = new Map<string, number>();
  const out: Interval[] = [];
  workload.loads.forEach((load, k) => {
    const prev = last.get(load.model);
    if (prev !== undefined && load.size <= capacity) {
      out.push({ from: prev, to: k, size: load.size });
    }
    last.set(load.model, k);
  });
  return out;
}

/**
 * Computes the LP upper bound on byte hits and a feasible offline schedule.
 *
 * @param workload The loads (sorted by time) and the SSD space; the capacity
 *   is the free bytes minus the minimum free, capped by the limit.
 * @param options Solver and time limit.
 * @returns The bound, the feasible schedule's byte hits and the solve status.
 * @throws {Error} When HiGHS fails to load or rejects the model.
 *
 * @example Two models that do not both fit
 * ```ts
 * import assert from "node:assert/strict";
 * import { offlineOptimum } from "./optimum.ts";
 * const loads = ["a", "b", "a", "b"].map((model, i) => ({ at: i * 3600, model, size: 10e9, duration: 60 }));
 * const r = await offlineOptimum({ name: "w", loads, ssdFreeBytes: 15e9 });
 * assert(Math.abs(r.upperBoundBytes - 15e9) < 1e3); // half of each interval
 * assert(r.feasibleBytes === 10e9); // one of them
 * ```
 */
export async function offlineOptimum(
  workload: Workload,
  options: OfflineOptimumOptions = {},
): Promise<OfflineOptimum> {
  const capacityBytes = cacheCapacity(workload);
  const n = workload.loads.length;
  let bytesLoaded = 0;
  for (const load of workload.loads) bytesLoaded += load.size;
  const intervals = reuseIntervals(workload, capacityBytes);
  const m = intervals.length;
  const result = (upper: number, x: Float64Array, status: string): OfflineOptimum => {
    const { bytes, hits } = greedySchedule(intervals, x, n, capacityBytes);
    return {
      bytesLoaded,
      upperBoundBytes: upper,
      upperBoundRatio: bytesLoaded > 0 ? upper / bytesLoaded : 0,
      feasibleBytes: bytes,
      feasibleRatio: bytesLoaded > 0 ? bytes / bytesLoaded : 0,
      intervals: m,
      status,
      scheduledHits: hits,
    };
  };
  if (m === 0) return result(0, new Float64Array(0), "optimal");

  // Columns: x_0..x_{m-1} (interval shares), then y_0..y_{n-1} (occupancy after load k).
  // Row k: y_k - y_{k-1} - Σ_{starts at k} s·x + Σ_{ends at k} s·x = 0.
  const capacity = capacityBytes / GB;
  const numCols = m + n;
  const starts = new Int32Array(numCols + 1);
  const nnz = 2 * m + 2 * n - 1;
  const indices = new Int32Array(nnz);
  const values = new Float64Array(nnz);
  const colCost = new Float64Array(numCols);
  const colLower = new Float64Array(numCols);
  const colUpper = new Float64Array(numCols);
  let p = 0;
  for (let i = 0; i < m; i++) {
    const iv = intervals[i]!;
    const s = iv.size / GB;
    starts[i] = p;
    indices[p] = iv.from;
    values[p++] = -s;
    indices[p] = iv.to;
    values[p++] = s;
    colCost[i] = s;
    colUpper[i] = 1;
  }
  for (let k = 0; k < n; k++) {
    starts[m + k] = p;
    indices[p] = k;
    values[p++] = 1;
    if (k + 1 < n) {
      indices[p] = k + 1;
      values[p++] = -1;
    }
    colUpper[m + k] = capacity;
  }
  starts[numCols] = p;
  const zeros = new Float64Array(n);

  const highs = options.solver ?? await loadSolver();
  const model = highs.createModel({
    numCols,
    numRows: n,
    sense: highs.constants.objectiveSense.maximize,
    colCost,
    colLower,
    colUpper,
    rowLower: zeros,
    rowUpper: zeros,
    matrix: { format: "csc", numRows: n, numCols, starts, indices, values },
  });
  try {
    model.options.set({ output_flag: false, time_limit: options.timeLimitSeconds ?? 300 });
    model.run();
    const code = model.getModelStatus();
    const optimal = code === highs.constants.modelStatus.optimal;
    const x = model.getSolution().colValue.subarray(0, m);
    // The objective of a non-optimal stop is not a bound; fall back to the
    // trivial one (every reuse a hit) so the figure stays an upper bound.
    let trivial = 0;
    for (const iv of intervals) trivial += iv.size;
    const upper = optimal ? model.getObjectiveValue() * GB : trivial;
    return result(
      Math.min(upper, trivial),
      optimal ? x : new Float64Array(m),
      optimal ? "optimal" : `solver stopped (status ${code}); bound = every reuse a hit`,
    );
  } finally {
    model.dispose();
  }
}

function greedySchedule(
  intervals: readonly Interval[],
  x: Float64Array,
  n: number,
  capacity: number,
): { bytes: number; hits: number[] } {
  const tree = new MaxTree(n);
  const chosen = new Uint8Array(intervals.length);
  let bytes = 0;
  const take = (i: number): boolean => {
    const iv = intervals[i]!;
    if (tree.max(iv.from, iv.to - 1) + iv.size > capacity) return false;
    tree.add(iv.from, iv.to - 1, iv.size);
    chosen[i] = 1;
    bytes += iv.size;
    return true;
  };
  const order = intervals.map((_, i) => i);
  // Rounded-down LP first (x ≈ 1), then the rest by LP share, then by space-time.
  order.sort((a, b) => {
    const xa = x[a] ?? 0;
    const xb = x[b] ?? 0;
    const ra = xa > 1 - 1e-6 ? 1 : 0;
    const rb = xb > 1 - 1e-6 ? 1 : 0;
    if (ra !== rb) return rb - ra;
    if (Math.abs(xa - xb) > 1e-9) return xb - xa;
    const ia = intervals[a]!;
    const ib = intervals[b]!;
    return ia.size * (ia.to - ia.from) - ib.size * (ib.to - ib.from) || a - b;
  });
  for (const i of order) take(i);
  const hits: number[] = [];
  intervals.forEach((iv, i) => {
    if (chosen[i]) hits.push(iv.to);
  });
  hits.sort((a, b) => a - b);
  return { bytes, hits };
}

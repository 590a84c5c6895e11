/**
 * The SSD cache's part of the state store: copy jobs and SSD copy units.
 * {@linkcode StateStore} (`store.ts`) extends it, so callers use one object.
 *
 * @module
 */

import type { CopyJobRow, SsdCopyRow, SsdUnitRow } from "../core/records.ts";
import type { Sql } from "./sql.ts";
import { CopyJobTable, type CopyJobUpdate, type NewCopyJob } from "./copy_jobs.ts";
import { SsdUnitTable } from "./ssd_units.ts";

/**
 * Copy jobs and SSD copy units, over one connection.
 *
 * @example Through the state store
 * ```ts
 * import assert from "node:assert/strict";
 * import { StateStore } from "./store.ts";
 * const dir = await Deno.makeTempDir();
 * const store = StateStore.open(dir);
 * assert(store.ssdUnits().length === 0 && store.copyJobs().length === 0);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class CacheRecords {
  readonly #copyJobs: CopyJobTable;
  readonly #units: SsdUnitTable;

  /**
   * Works on the tables of a migrated database.
   *
   * @param sql The connection.
   */
  constructor(sql: Sql) {
    this.#copyJobs = new CopyJobTable(sql);
    this.#units = new SsdUnitTable(sql);
  }

  /**
   * The SSD copy units, in any state.
   *
   * @param modelId The model; omit for all.
   * @returns The rows, by model.
   */
  ssdUnits(modelId?: string): SsdUnitRow[] {
    return this.#units.units(modelId);
  }

  /**
   * Writes a unit (replacing the model's row, if any).
   *
   * @param row The unit.
   */
  putSsdUnit(row: SsdUnitRow): void {
    this.#units.putUnit(row);
  }

  /**
   * Changes a unit in one transaction (`undefined` from `change` removes it).
   *
   * @param modelId The model.
   * @param change The change.
   * @returns The row written, or `undefined`.
   */
  updateSsdUnit(
    modelId: string,
    change: (row: SsdUnitRow) => SsdUnitRow | undefined,
  ): SsdUnitRow | undefined {
    return this.#units.updateUnit(modelId, change);
  }

  /**
   * Forgets a unit.
   *
   * @param modelId The model.
   */
  removeSsdUnit(modelId: string): void {
    this.#units.removeUnit(modelId);
  }

  /**
   * The files of verified units, one row each.
   *
   * @param modelId The model; omit for all.
   * @returns The rows, by SSD path.
   */
  ssdCopies(modelId?: string): SsdCopyRow[] {
    return this.#units.ssdCopies(modelId);
  }

  /**
   * Queues a copy job, owned by `job.owner` from this very statement on.
   *
   * @param job The model, its size, the time and the owning process.
   * @returns The job's id.
   */
  addCopyJob(job: NewCopyJob): number {
    return this.#copyJobs.addCopyJob(job);
  }

  /**
   * Updates a copy job; `owner` hands it to another process.
   *
   * @param id The job.
   * @param fields What changed.
   */
  updateCopyJob(id: number, fields: CopyJobUpdate): void {
    this.#copyJobs.updateCopyJob(id, fields);
  }

  /**
   * Copy jobs, newest first.
   *
   * @param states Only jobs in these states; omit for all.
   * @returns The rows.
   */
  copyJobs(states?: readonly CopyJobRow["state"][]): CopyJobRow[] {
    return this.#copyJobs.copyJobs(states);
  }
}

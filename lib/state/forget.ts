/**
 * Removing records for `--cleanup`: a model's whole history (its files are
 * long gone) and finished or orphaned copy-job records. Each runs in one
 * transaction.
 *
 * @module
 */

import type { StateStore } from "./store.ts";

/**
 * Forgets models: their rows, uses, files, verified SSD-copy units and copy jobs.
 * Only records are removed; no file is touched.
 *
 * @param store The state store.
 * @param ids The models' ids.
 *
 * @example Forgetting a model with one use
 * ```ts
 * import assert from "node:assert/strict";
 * import { StateStore } from "./store.ts";
 * import { forgetModels } from "./forget.ts";
 * const dir = await Deno.makeTempDir();
 * const store = StateStore.open(dir);
 * store.recordUse({ modelId: "old", at: 1 });
 * store.setFlag("old", "pinned", true);
 * forgetModels(store, ["old"]);
 * assert(store.model("old") === undefined && store.uses("old").length === 0);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function forgetModels(store: StateStore, ids: readonly string[]): void {
  store.tx(() => {
    for (const table of ["uses", "files", "copy_jobs"]) {
      const del = store.db.prepare(`DELETE FROM ${table} WHERE model_id = ?`);
      for (const id of ids) del.run(id);
    }
    // An unfinished unit stays until it is cleaned up: it says which SSD files to remove.
    const units = store.db.prepare(
      "DELETE FROM ssd_units WHERE model_id = ? AND state = 'verified'",
    );
    for (const id of ids) units.run(id);
    const del = store.db.prepare("DELETE FROM models WHERE id = ?");
    for (const id of ids) del.run(id);
  });
}

/**
 * Deletes copy-job records.
 *
 * @param store The state store.
 * @param ids The jobs' ids.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { StateStore } from "./store.ts";
 * import { removeCopyJobs } from "./forget.ts";
 * const dir = await Deno.makeTempDir();
 * const store = StateStore.open(dir);
 * const id = store.addCopyJob({ modelId: "m", bytesTotal: 10, now: 0, owner: { pid: 1, startTime: 1 } });
 * removeCopyJobs(store, [id]);
 * assert(store.copyJobs().length === 0);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function removeCopyJobs(store: StateStore, ids: readonly number[]): void {
  store.tx(() => {
    const del = store.db.prepare("DELETE FROM copy_jobs WHERE id = ?");
    for (const id of ids) del.run(id);
  });
}

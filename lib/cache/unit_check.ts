/**
 * The check made before a verified SSD copy is served or planned around:
 * every file of its unit must still be the file that was verified — on the
 * SSD (same device, inode, size and mtime) and at the source (the original's
 * device, inode, size, mtime and ctime as recorded when the copy was
 * verified). A copy whose originals changed is stale (not served, evictable,
 * re-copied by the normal rules); one whose SSD files changed is damaged (not
 * served, kept: it may hold the only copy of its bytes now). An original
 * that is not there at all (an unmounted HDD) does not stop the verified copy
 * from being served.
 *
 * @module
 */

import {
  type CopyProblem,
  type IndexedModel,
  markProblems,
  type TierCopy,
} from "../core/model_index.ts";
import { pickCopy } from "../server/pick_copy.ts";
import type { SsdUnitRow } from "../core/records.ts";
import { fileIdentity, identityChange, identityOfInfo } from "./file_identity.ts";
import { lstatOrUndefined } from "./fs_checks.ts";

async function sourceIdentity(path: string) {
  try {
    return await fileIdentity(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotADirectory) {
      return undefined;
    }
    throw err;
  }
}

/**
 * Checks one verified unit against the file system. Needs `--allow-read`.
 *
 * @param unit The unit.
 * @returns What is wrong, or `undefined` when it may be served.
 *
 * @example A unit whose SSD file is gone
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkUnit } from "./unit_check.ts";
 * const f = { ssd_path: "/nonexistent/m.gguf", src_path: "/nonexistent/h.gguf", src_root: "/nonexistent", rel: "m.gguf", role: "model", size: 1, hash: "ab", src: null, ssd: null };
 * const p = await checkUnit({ files: [f] } as never);
 * assert(p?.kind === "stale" && p.reason === "its file /nonexistent/m.gguf is missing from the SSD");
 * ```
 */
export async function checkUnit(unit: Pick<SsdUnitRow, "files">): Promise<CopyProblem | undefined> {
  for (const f of unit.files) {
    const onSsd = await lstatOrUndefined(f.ssd_path);
    if (onSsd === undefined) {
      return { kind: "stale", reason: `its file ${f.ssd_path} is missing from the SSD` };
    }
    const damaged = (why: string): CopyProblem => ({
      kind: "damaged",
      reason: `its file ${f.ssd_path} ${why} since it was verified`,
    });
    if (!onSsd.isFile) return damaged("is no longer a regular file");
    if (f.ssd !== null) {
      const change = identityChange(f.ssd, identityOfInfo(onSsd), { ctime: false });
      if (change !== undefined) return damaged(`changed on the SSD (${change})`);
    } else if (onSsd.size !== f.size) {
      return damaged(`changed on the SSD (${f.size} -> ${onSsd.size} bytes)`);
    }
    const src = await sourceIdentity(f.src_path);
    if (src === undefined) continue; // the original is not there: nothing to compare with
    if (f.src === null) {
      return {
        kind: "stale",
        reason:
          `it was verified by an older llama-pack that did not record its originals' identities`,
      };
    }
    const change = identityChange(f.src, src);
    if (change !== undefined) {
      return {
        kind: "stale",
        reason: `its original ${f.src_path} changed since it was verified (${change})`,
      };
    }
  }
  return undefined;
}

/**
 * Checks the verified SSD copies of an index against the file system and
 * marks the ones that may not be served. Needs `--allow-read`.
 *
 * @param index The index.
 * @param only Check only these models (the one about to be served); all when omitted.
 * @returns The index, with stale and damaged copies marked.
 *
 * @example An index without SSD copies is unchanged
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkCopies } from "./unit_check.ts";
 * assert((await checkCopies([])).length === 0);
 * ```
 */
export async function checkCopies(
  index: readonly IndexedModel[],
  only?: ReadonlySet<string>,
): Promise<IndexedModel[]> {
  const problems = new Map<string, CopyProblem>();
  for (const m of index) {
    if (only !== undefined && !only.has(m.id)) continue;
    const unit = m.ssd?.unit;
    if (!m.ssd?.verified || unit === undefined || m.ssdOnly) continue;
    const p = await checkUnit(unit);
    if (p !== undefined) problems.set(m.id, p);
  }
  return problems.size === 0 ? [...index] : markProblems(index, problems);
}

/** The copy a server is started on, from {@linkcode servedCopy}. */
export interface ServedCopy {
  /** The model, with its SSD copy checked on disk. */
  model: IndexedModel;
  /** Where the copy is. */
  tier: "ssd" | "hdd";
  /** Its files. */
  copy: TierCopy;
  /** Why its SSD copy was passed over (stale or damaged), when it was. */
  problem: CopyProblem | undefined;
}

/**
 * The copy to start a model's server on, as `-m` and `--serve` choose it:
 * its verified SSD copy once checked on disk ({@linkcode checkUnit}: a
 * stale or damaged one is passed over), else its permanent copy. Call it
 * holding the SSD lock (`ssd_lock.ts`) and record the server before the
 * lock is released, so eviction never deletes the chosen copy. Needs
 * `--allow-read`.
 *
 * @param model The model.
 * @returns The checked model, the tier and files to serve, and what was wrong with the SSD copy.
 * @throws {LlamaPackError} `IO` when no copy's files are all there.
 *
 * @example A model with only a permanent copy
 * ```ts
 * import assert from "node:assert/strict";
 * import { servedCopy } from "./unit_check.ts";
 * const file = { path: Deno.execPath(), model_id: "m", tier: "hdd" as const, root: "/", rel: "m", role: "model", size: 1, mtime: 0 };
 * const hdd = { path: Deno.execPath(), mmproj: undefined, files: [file], size: 1 };
 * const r = await servedCopy({ id: "m", name: "m", hdd, ssd: undefined, ssdOnly: false } as never);
 * assert(r.tier === "hdd" && r.problem === undefined);
 * ```
 */
export async function servedCopy(model: IndexedModel): Promise<ServedCopy> {
  const [checked] = await checkCopies([model]);
  const ssd = checked!.ssd;
  const reason = ssd?.stale ?? ssd?.damaged;
  const problem: CopyProblem | undefined = reason === undefined
    ? undefined
    : { reason, kind: ssd?.stale !== undefined ? "stale" : "damaged" };
  return { model: checked!, ...pickCopy(checked!), problem };
}

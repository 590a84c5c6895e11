/**
 * The life of an SSD copy unit outside the happy path: finishing or removing
 * the units an interrupted copy or eviction left (`copying` or `evicting`,
 * whose owner is gone), so a partial unit never lingers.
 *
 * A file at a unit's SSD path is that unit's own only when it is provably
 * the file llama-pack put there: the device and inode recorded for it before
 * it was linked into place (or, in units migrated from older versions, its
 * size and recorded hash). Anything else found there is left alone. Files are
 * deleted only through `deleteSsdCopy` (`evict.ts`): their originals must be
 * there, whole.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import type { SsdUnitRow, UnitFile } from "../core/records.ts";
import { unitFileRow } from "../core/ssd_unit.ts";
import type { StateStore } from "../state/store.ts";
import { deleteSsdCopy } from "./evict.ts";
import { fileIdentity, identityChange, identityOfInfo } from "./file_identity.ts";
import { lstatOrUndefined } from "./fs_checks.ts";
import { hashFile } from "./hash.ts";
import { ownerAlive } from "./copy_jobs.ts";

/** What {@linkcode cleanupUnits} did. */
export interface UnitCleanup {
  /** Models whose interrupted copy was complete: their unit is now verified. */
  finished: string[];
  /** SSD files of unfinished units that were deleted. */
  removed: { path: string; bytes: number }[];
  /** Files kept, and why (an original missing, a file that is not provably the copy). */
  kept: { path: string; why: string }[];
}

/**
 * Whether the file at a unit file's SSD path is the one llama-pack put there.
 *
 * @param f The unit file.
 * @returns Its `lstat` when it is, else `undefined`.
 */
async function provablyOurs(f: UnitFile): Promise<Deno.FileInfo | undefined> {
  const st = await lstatOrUndefined(f.ssd_path);
  if (st === undefined || !st.isFile) return undefined;
  if (f.ssd !== null) {
    return identityChange(f.ssd, identityOfInfo(st), { ctime: false }) === undefined
      ? st
      : undefined;
  }
  // Migrated from an older version: no inode was recorded, but the hash was.
  if (f.hash === null || st.size !== f.size) return undefined;
  return (await hashFile(f.ssd_path)).hash === f.hash ? st : undefined;
}

/**
 * Whether an interrupted copy got every file in place, each verified, with
 * its original unchanged since: then the unit can be finished without
 * writing anything.
 */
async function complete(unit: SsdUnitRow): Promise<boolean> {
  if (unit.state !== "copying" || unit.files.length === 0) return false;
  for (const f of unit.files) {
    if (f.hash === null || f.src === null || f.ssd === null) return false;
    if ((await provablyOurs(f)) === undefined) return false;
    try {
      if (identityChange(f.src, await fileIdentity(f.src_path)) !== undefined) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * Marks a unit whose files are all in place and verified as verified, with
 * the copies' identities as they are now, and records its SSD files. Needs
 * `--allow-read`.
 *
 * @param store The state store.
 * @param modelId The model.
 * @param now The time (unix seconds).
 * @returns The verified unit.
 * @throws {LlamaPackError} `COPY` when the unit is gone or not complete.
 */
export async function finishUnit(
  store: StateStore,
  modelId: string,
  now: number,
): Promise<SsdUnitRow> {
  const [unit] = store.ssdUnits(modelId);
  if (unit === undefined) {
    throw new LlamaPackError("COPY", `the copy of ${modelId} was forgotten while it ran`);
  }
  const files: UnitFile[] = [];
  for (const f of unit.files) {
    const st = await lstatOrUndefined(f.ssd_path);
    if (st === undefined || f.hash === null || f.src === null) {
      throw new LlamaPackError(
        "COPY",
        `cannot finish the copy of ${modelId}: ${f.ssd_path} is not in place`,
      );
    }
    files.push({ ...f, ssd: identityOfInfo(st) });
  }
  const done: SsdUnitRow = {
    ...unit,
    state: "verified",
    files,
    owner_pid: null,
    owner_start: null,
    verified_at: now,
    updated_at: now,
  };
  store.tx(() => {
    store.putSsdUnit(done);
    for (const f of files) store.addFile(unitFileRow(done, f));
  });
  return done;
}

/**
 * Deletes the files of a unit that are provably its own (and not listed by
 * another model's unit), each through `deleteSsdCopy`, and forgets the unit
 * when nothing of it is left; files that cannot go are kept, and the unit
 * with them, so they are never indexed. Needs `--allow-read --allow-write`.
 *
 * @param store The state store.
 * @param unit The unit (unfinished, or being abandoned).
 * @param ssdRoot The SSD root.
 * @param report Collects what was removed and kept.
 * @returns Whether the unit is gone.
 */
export async function removeUnitFiles(
  store: StateStore,
  unit: SsdUnitRow,
  ssdRoot: string,
  report: Pick<UnitCleanup, "removed" | "kept">,
): Promise<boolean> {
  const shared = new Set(
    store.ssdUnits().filter((u) => u.model_id !== unit.model_id).flatMap((u) =>
      u.files.map((f) => f.ssd_path)
    ),
  );
  const left: UnitFile[] = [];
  for (const f of unit.files) {
    if (shared.has(f.ssd_path)) continue; // another model's copy uses it
    const st = await provablyOurs(f);
    if (st === undefined) {
      const there = await lstatOrUndefined(f.ssd_path);
      if (there !== undefined) {
        report.kept.push({ path: f.ssd_path, why: "not the file llama-pack put there" });
      }
      continue; // nothing of ours there
    }
    try {
      const r = await deleteSsdCopy({
        ssdRoot,
        ssdPath: f.ssd_path,
        hddPath: f.src_path,
        ...(f.src_root ? { hddRoot: f.src_root } : {}),
        expectedSize: f.size,
      });
      if (r.deleted) report.removed.push({ path: f.ssd_path, bytes: r.bytes });
    } catch (err) {
      if (!(err instanceof LlamaPackError)) throw err;
      report.kept.push({ path: f.ssd_path, why: err.message });
      left.push(f);
    }
  }
  store.tx(() => {
    for (const f of unit.files) if (!left.includes(f)) store.removeFile(f.ssd_path, unit.model_id);
    if (left.length === 0) store.removeSsdUnit(unit.model_id);
    else store.putSsdUnit({ ...unit, files: left });
  });
  return left.length === 0;
}

/**
 * Cleans up after interrupted copies and evictions: every `copying` or
 * `evicting` unit whose owner no longer runs is finished (a copy that got
 * every verified file in place, its originals unchanged) or has its files
 * removed (see {@linkcode removeUnitFiles}). Run it holding the copy lock.
 * Needs `--allow-read --allow-write`.
 *
 * @param store The state store.
 * @param options The SSD root and the clock.
 * @returns What was finished, removed and kept.
 *
 * @example Nothing to clean in an empty store
 * ```ts
 * import assert from "node:assert/strict";
 * import { StateStore } from "../state/store.ts";
 * import { cleanupUnits } from "./units.ts";
 * const dir = await Deno.makeTempDir();
 * const store = StateStore.open(dir);
 * const r = await cleanupUnits(store, { ssdRoot: dir, now: 0 });
 * assert(r.finished.length === 0 && r.removed.length === 0);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function cleanupUnits(
  store: StateStore,
  options: { ssdRoot: string; now: number },
): Promise<UnitCleanup> {
  const report: UnitCleanup = { finished: [], removed: [], kept: [] };
  for (const unit of store.ssdUnits()) {
    if (unit.state === "verified") continue;
    if (ownerAlive({ pid: unit.owner_pid, owner_start: unit.owner_start })) continue;
    if (await complete(unit)) {
      await finishUnit(store, unit.model_id, options.now);
      report.finished.push(unit.model_id);
    } else {
      await removeUnitFiles(store, unit, options.ssdRoot, report);
    }
  }
  return report;
}

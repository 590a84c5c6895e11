/**
 * Copying a whole model to the SSD as one unit: every file of its HDD copy
 * (weights, shards, projectors) through the safe copy protocol (`copy.ts`),
 * recorded as one unit (`ssd_units`) that is `copying` until the last file
 * is in place and verified, and `verified` from one statement on. A copy that
 * fails or is stopped removes the files it put in place; one killed with
 * `kill -9` is finished or removed by the next copy (`units.ts`). So the SSD
 * holds either the whole model, verified, or nothing of it that is served or
 * indexed.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import { type FileCopy, filesToCopy } from "../core/copy_plan.ts";
import type { IndexedModel } from "../core/model_index.ts";
import type { SsdUnitRow, UnitFile } from "../core/records.ts";
import type { StateStore } from "../state/store.ts";
import { copyToSsd } from "./copy.ts";
import { processOwner } from "./copy_jobs.ts";
import { deleteSsdCopy } from "./evict.ts";
import { fileIdentity, identityChange, identityOfInfo } from "./file_identity.ts";
import { lstatOrUndefined } from "./fs_checks.ts";
import { hashFile } from "./hash.ts";
import { cleanupPartials, type RemovedPartial } from "./partials.ts";
import { assertSeparateTiers } from "./tier_alias.ts";
import { cleanupUnits, finishUnit, removeUnitFiles, type UnitCleanup } from "./units.ts";

/** Progress of a whole model's copy. */
export interface ModelCopyProgress {
  /** `copy` or `verify`, of the file being copied. */
  phase: "copy" | "verify";
  /** Bytes of the model done (copy phase counts; verify shows the file's share). */
  bytesDone: number;
  /** Bytes of the model. */
  totalBytes: number;
  /** Speed of the current file, bytes per second. */
  bytesPerSecond: number;
}

/** Options of {@linkcode copyModel}. */
export interface CopyModelOptions {
  /** The SSD cache root (`ssd_path`). */
  ssdPath: string;
  /**
   * Progress of the whole model.
   * @default {undefined}
   */
  onProgress?: (p: ModelCopyProgress) => void;
  /**
   * Stops the copy.
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * The clock for `verified_at`, unix seconds.
   * @default {() => Date.now() / 1000}
   */
  now?: () => number;
  /**
   * Speed limit in bytes per second.
   * @default {undefined}
   */
  maxBytesPerSecond?: number;
  /**
   * Awaited between chunks: lets the copy pause.
   * @default {undefined}
   */
  pause?: () => Promise<void>;
  /**
   * Told about leftovers of interrupted copies removed (or finished) before copying.
   * @default {undefined}
   */
  onCleanup?: (removed: RemovedPartial[], units: UnitCleanup) => void;
}

/** What {@linkcode copyModel} did. */
export interface ModelCopyResult {
  /** Bytes of the model copied or reused. */
  bytes: number;
  /** Seconds taken. */
  seconds: number;
  /** Files copied. */
  copied: number;
  /** Files already on the SSD that were verified and kept (adopted). */
  reused: number;
}

/** A file of another unit (or this model's earlier one) at this SSD path. */
function recordFor(units: readonly SsdUnitRow[], path: string): UnitFile | undefined {
  for (const u of units) {
    const f = u.files.find((x) => x.ssd_path === path && x.hash !== null);
    if (f) return f;
  }
  return undefined;
}

/**
 * A file already at the destination that an earlier unit recorded and that
 * is unchanged on the SSD since: keep it when its source still has the
 * recorded content (by identity, or else by hashing the source); when the
 * source changed, this model's own outdated copy is deleted (through
 * `deleteSsdCopy`) to be copied again.
 */
async function keepRecorded(
  f: FileCopy,
  rec: UnitFile,
  own: boolean,
  ssdRoot: string,
): Promise<UnitFile | "copy" | undefined> {
  const st = await lstatOrUndefined(f.dest);
  if (st === undefined || rec.ssd === null || !st.isFile) return undefined;
  if (identityChange(rec.ssd, identityOfInfo(st), { ctime: false }) !== undefined) return undefined;
  const before = await fileIdentity(f.src);
  let same = rec.src !== null && rec.src_path === f.src &&
    identityChange(rec.src, before) === undefined;
  if (!same) {
    same = (await hashFile(f.src)).hash === rec.hash &&
      identityChange(before, await fileIdentity(f.src)) === undefined;
  }
  if (same) {
    return { ...rec, src_path: f.src, src_root: f.file.root, src: before, ssd: identityOfInfo(st) };
  }
  if (!own) {
    throw new LlamaPackError(
      "COPY",
      `cannot copy ${f.src}: ${f.dest} holds another model's copy of an older version of it`,
    );
  }
  await deleteSsdCopy({
    ssdRoot,
    ssdPath: f.dest,
    hddPath: rec.src_path,
    ...(rec.src_root ? { hddRoot: rec.src_root } : {}),
    expectedSize: rec.size,
  });
  return "copy";
}

/**
 * Copies every file of a model to the SSD as one unit (see the module doc)
 * and records it. Files already at their destination are kept when they are
 * provably the same bytes (recorded earlier with an unchanged source, or
 * hashed against the source now); anything else there is refused, never
 * overwritten. Leftovers of interrupted copies are cleaned up first; the SSD
 * root and the model's source roots must be separate directory trees.
 * Run it holding the copy lock (`copyLockPath`). Needs `--allow-read
 * --allow-write` (and `/proc`).
 *
 * @param store The state store.
 * @param model The model (with an HDD copy).
 * @param options The SSD root, progress, abort signal, clock, speed limit.
 * @returns Bytes, time, and how many files were copied or kept.
 * @throws {LlamaPackError} `COPY` when a file cannot be copied (the files this
 *   copy put in place are removed again); `UNSAFE` when the tiers overlap.
 *
 * @example Copying a one-file model
 * ```ts
 * import assert from "node:assert/strict";
 * import { StateStore } from "../state/store.ts";
 * import { copyModel } from "./copy_model.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/hdd`); await Deno.mkdir(`${dir}/ssd`);
 * await Deno.writeTextFile(`${dir}/hdd/m.gguf`, "GGUF");
 * const file = { path: `${dir}/hdd/m.gguf`, model_id: "m", tier: "hdd" as const, root: `${dir}/hdd`, rel: "m.gguf", role: "model", size: 4, mtime: 0 };
 * const store = StateStore.open(`${dir}/state`);
 * const r = await copyModel(store, { id: "m", name: "m.gguf", hdd: { files: [file] } } as never, { ssdPath: `${dir}/ssd` });
 * assert(r.copied === 1 && store.ssdUnits("m")[0]?.state === "verified");
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function copyModel(
  store: StateStore,
  model: IndexedModel,
  options: CopyModelOptions,
): Promise<ModelCopyResult> {
  const ssdRoot = options.ssdPath;
  const now = options.now ?? (() => Date.now() / 1000);
  const files = filesToCopy({ ssd_path: ssdRoot }, model);
  await assertSeparateTiers(ssdRoot, files.map((f) => f.file.root), "copy");
  // Interrupted copies and evictions (kill -9, power loss): finish or remove them first.
  const units = await cleanupUnits(store, { ssdRoot, now: now() });
  const removed = await cleanupPartials(ssdRoot);
  if (removed.length > 0 || units.removed.length > 0 || units.finished.length > 0) {
    options.onCleanup?.(removed, units);
  }

  const [earlier] = store.ssdUnits(model.id);
  if (earlier !== undefined && earlier.state !== "verified") {
    throw new LlamaPackError(
      "COPY",
      `cannot copy ${model.name}: another llama-pack (pid ${earlier.owner_pid}) is ${earlier.state} it`,
    );
  }
  const others = store.ssdUnits().filter((u) => u.model_id !== model.id && u.state === "verified");
  const me = processOwner()!;
  // Recorded before the first file is put in place; an earlier (stale) unit's
  // records are carried over, so its files stay provably its own.
  const planned: UnitFile[] = files.map((f) => {
    const rec = earlier ? recordFor([earlier], f.dest) : undefined;
    return rec ?? {
      ssd_path: f.dest,
      src_path: f.src,
      src_root: f.file.root,
      rel: f.file.rel,
      role: f.file.role,
      size: f.file.size,
      hash: null,
      src: null,
      ssd: null,
    };
  });
  store.putSsdUnit({
    model_id: model.id,
    state: "copying",
    ssd_root: ssdRoot,
    files: planned,
    owner_pid: me.pid,
    owner_start: String(me.startTime),
    verified_at: null,
    updated_at: now(),
  });
  const setFile = (i: number, f: UnitFile) =>
    store.updateSsdUnit(model.id, (u) => ({
      ...u,
      files: u.files.map((x, j) => (j === i ? f : x)),
      updated_at: now(),
    }));

  const total = files.reduce((s, f) => s + f.file.size, 0);
  const started = performance.now();
  let before = 0;
  let copied = 0;
  let reused = 0;
  try {
    for (const [i, f] of files.entries()) {
      const mine = earlier ? recordFor([earlier], f.dest) : undefined;
      const rec = mine ?? recordFor(others, f.dest);
      const kept = rec ? await keepRecorded(f, rec, mine !== undefined, ssdRoot) : undefined;
      if (kept !== undefined && kept !== "copy") {
        setFile(i, kept);
        before += kept.size;
        reused++;
        continue;
      }
      const r = await copyToSsd(f.src, f.dest, {
        ssdRoot,
        sourceRoot: f.file.root,
        onProgress: (p) =>
          options.onProgress?.({
            phase: p.phase,
            bytesDone: before + (p.phase === "copy" ? p.bytesDone : p.totalBytes),
            totalBytes: total,
            bytesPerSecond: p.bytesPerSecond,
          }),
        // Recorded before the link: a file there with this inode is provably this copy.
        beforeCommit: ({ identity, hash }) =>
          void setFile(i, { ...planned[i]!, hash, ssd: identity, size: identity.size }),
        ...(options.signal ? { signal: options.signal } : {}),
        ...(options.maxBytesPerSecond ? { maxBytesPerSecond: options.maxBytesPerSecond } : {}),
        ...(options.pause ? { pause: options.pause } : {}),
      });
      setFile(i, { ...planned[i]!, size: r.size, hash: r.hash, src: r.source, ssd: r.copy });
      before += r.size;
      if (r.reused) reused++;
      else copied++;
    }
    await finishUnit(store, model.id, now());
  } catch (err) {
    // A partial unit is never left: remove what this copy put in place.
    const [unit] = store.ssdUnits(model.id);
    if (unit !== undefined && unit.state === "copying") {
      await removeUnitFiles(store, unit, ssdRoot, { removed: [], kept: [] }).catch(() => false);
    }
    throw err;
  }
  return { bytes: before, seconds: (performance.now() - started) / 1000, copied, reused };
}

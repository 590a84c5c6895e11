/**
 * Evicting a whole model from the SSD, as the unit it was copied as: each
 * SSD file of its verified unit paired with the HDD original it is checked
 * against, every file checked before any is deleted (`deleteSsdCopy` in
 * `evict.ts`), the unit marked `evicting` before the first deletion (so a
 * half-done eviction is never served or indexed, and is finished later), and
 * all of it under the SSD lock (`ssd_lock.ts`), so a copy a starting server
 * has chosen is never deleted.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import type { IndexedModel } from "../core/model_index.ts";
import type { FileIdentity, ServerRow, SsdUnitRow } from "../core/records.ts";
import type { StateStore } from "../state/store.ts";
import { identityOf, pruneServers } from "../server/records.ts";
import { processOwner } from "./copy_jobs.ts";
import { deleteSsdCopy } from "./evict.ts";
import { identityChange, identityOfInfo } from "./file_identity.ts";
import { lstatOrUndefined } from "./fs_checks.ts";
import { withSsdLock } from "./ssd_lock.ts";

/** One SSD file of a model and the HDD original it is checked against. */
export interface EvictFile {
  /** The SSD file. */
  ssdPath: string;
  /** Its HDD original. */
  hddPath: string;
  /** The HDD root the original lives under. */
  hddRoot: string;
  /** The size both must have. */
  size: number;
  /** The hash recorded when it was copied, if any. */
  hash: string | undefined;
  /** The copy's identity when it was verified, if recorded. */
  ssd: FileIdentity | null;
}

function notVerified(model: IndexedModel, why: string): LlamaPackError {
  return new LlamaPackError("UNSAFE", `refusing to evict ${model.name}: ${why}`, {
    hint: `llama-pack --cache '${model.name}' verifies it against the HDD original`,
  });
}

/**
 * Pairs each SSD file of a model's verified unit with its HDD original: the
 * one recorded when it was copied, else the HDD file at the same relative
 * path, else the only HDD file with the same name (a model renamed or moved
 * on the HDD since). Files another model's unit also holds (a shared
 * projector) are left out: they stay.
 *
 * @param store The state store (the units).
 * @param model The model.
 * @returns One pair per SSD file to delete.
 * @throws {LlamaPackError} `UNSAFE` when the model is SSD-only, or its SSD
 *   files are not a verified copy (llama-pack did not copy them, or they
 *   changed on the SSD since).
 *
 * @example A model without SSD files
 * ```ts
 * import assert from "node:assert/strict";
 * import { evictPairs } from "./evict_model.ts";
 * const store = { ssdUnits: () => [] } as never;
 * assert(evictPairs(store, { name: "m", ssdOnly: false, hdd: { files: [] } } as never).length === 0);
 * ```
 */
export function evictPairs(
  store: Pick<StateStore, "ssdUnits">,
  model: IndexedModel,
): EvictFile[] {
  if (!model.ssd) return [];
  if (model.ssdOnly || !model.hdd) {
    throw new LlamaPackError(
      "UNSAFE",
      `refusing to evict ${model.name}: it exists only on the SSD; deleting it would lose it`,
    );
  }
  if (model.ssd.damaged !== undefined) throw notVerified(model, model.ssd.damaged);
  const unit = model.ssd.unit;
  if (unit === undefined) {
    // Only files llama-pack copied and verified itself may be deleted: a file
    // that merely looks like the HDD original could hold the only copy of different bytes.
    throw notVerified(
      model,
      `${model.ssd.path} is not a verified copy (llama-pack did not copy it, or it changed since)`,
    );
  }
  const shared = new Set(
    store.ssdUnits().filter((u) => u.model_id !== model.id).flatMap((u) =>
      u.files.map((f) => f.ssd_path)
    ),
  );
  const hddFiles = model.hdd.files;
  const hddWeights = hddFiles.filter((h) => h.role !== "mmproj");
  const unitWeights = unit.files.filter((f) => f.role !== "mmproj");
  const base = (p: string) => p.slice(p.lastIndexOf("/") + 1);
  const single = <T>(list: T[]) => list.length === 1 ? list[0] : undefined;
  return unit.files.filter((f) => !shared.has(f.ssd_path)).map((f) => {
    const hdd = hddFiles.find((h) => h.path === f.src_path) ??
      hddFiles.find((h) => h.rel === f.rel) ??
      single(hddFiles.filter((h) => base(h.path) === base(f.ssd_path))) ??
      // Renamed or moved on the HDD since the copy: a single-file model pairs
      // with its only weight file (size and, with a hash check, content are
      // still verified before anything is deleted).
      (f.role !== "mmproj" && unitWeights.length === 1 ? single(hddWeights) : undefined);
    return {
      ssdPath: f.ssd_path,
      hddPath: hdd?.path ?? f.src_path,
      hddRoot: hdd?.root ?? f.src_root,
      size: f.size,
      hash: f.hash ?? undefined,
      ssd: f.ssd,
    };
  });
}

/** Options of {@linkcode evictModel}. */
export interface EvictModelOptions {
  /** The SSD cache root (`ssd_path`); nothing outside it is deleted. */
  ssdPath: string;
  /**
   * Check everything, delete nothing.
   * @default {false}
   */
  dryRun?: boolean;
  /**
   * Hash each HDD original and compare it with the recorded hash.
   * @default {false}
   */
  hashCheck?: boolean;
  /**
   * Evict even when a running (ready) server has the copy open (`--evict`:
   * its blocks are freed when it stops). A server still loading the copy
   * always stops the eviction.
   * @default {false}
   */
  allowRunning?: boolean;
}

/** What {@linkcode evictModel} did. */
export interface EvictModelResult {
  /** Bytes deleted (or that would be, in a dry run). */
  bytes: number;
  /** The SSD files deleted (or that would be). */
  files: string[];
}

/** The live servers started on any of these files. */
function serversUsing(store: StateStore, paths: ReadonlySet<string>): ServerRow[] {
  return pruneServers(store).live.filter((row) =>
    paths.has(row.model_path) || identityOf(row).cmdline.some((a) => paths.has(a))
  );
}

async function checkSsdFile(model: IndexedModel, p: EvictFile): Promise<void> {
  if (p.ssd === null) return;
  const st = await lstatOrUndefined(p.ssdPath);
  if (st === undefined) return; // already gone
  const change = identityChange(p.ssd, identityOfInfo(st), { ctime: false });
  if (change !== undefined) {
    throw notVerified(model, `${p.ssdPath} changed on the SSD since it was verified (${change})`);
  }
}

/**
 * Deletes a model's SSD copy (see the module doc): every file is checked
 * first (a dry run of {@linkcode deleteSsdCopy}), so a refusal deletes
 * nothing; holding the SSD lock, the eviction is refused when a server is
 * still loading the copy (or, unless `allowRunning`, runs on it); then the
 * unit is marked `evicting`, each file deleted, and the unit forgotten.
 * Needs `--allow-read --allow-write` (and `/proc`).
 *
 * @param store The state store.
 * @param model The model.
 * @param options The SSD root, dry run, hash check, running servers.
 * @returns Bytes and files deleted.
 * @throws {LlamaPackError} `UNSAFE` when any file may not be deleted or a
 *   server is using the copy; `IO` when deleting fails (the unit stays
 *   `evicting`, is never served, and the next copy finishes the eviction).
 *
 * @example A model without an SSD copy
 * ```ts
 * import assert from "node:assert/strict";
 * import { evictModel } from "./evict_model.ts";
 * const r = await evictModel({ ssdUnits: () => [] } as never, { name: "m" } as never, { ssdPath: "/s" });
 * assert(r.bytes === 0);
 * ```
 */
export async function evictModel(
  store: StateStore,
  model: IndexedModel,
  options: EvictModelOptions,
): Promise<EvictModelResult> {
  const pairs = evictPairs(store, model);
  if (pairs.length === 0 && model.ssd?.unit === undefined) return { bytes: 0, files: [] };
  const check = (p: EvictFile, dryRun: boolean) => {
    const o = {
      ssdRoot: options.ssdPath,
      ssdPath: p.ssdPath,
      hddPath: p.hddPath,
      hddRoot: p.hddRoot,
      expectedSize: p.size,
      hashCheck: options.hashCheck ?? false,
      dryRun,
    };
    return deleteSsdCopy(p.hash === undefined ? o : { ...o, expectedHash: p.hash });
  };
  const checkAll = async () => {
    let bytes = 0;
    for (const p of pairs) {
      await checkSsdFile(model, p);
      bytes += (await check(p, true)).bytes;
    }
    return bytes;
  };
  const files = pairs.map((p) => p.ssdPath);
  if (options.dryRun) return { bytes: await checkAll(), files };

  return await withSsdLock(store.dir, `evicting ${model.name}`, async () => {
    const [unit] = store.ssdUnits(model.id);
    const expected = model.ssd?.unit;
    if (!unit || unit.state !== "verified" || unit.updated_at !== expected?.updated_at) {
      throw new LlamaPackError(
        "UNSAFE",
        `refusing to evict ${model.name}: its SSD copy changed meanwhile (another llama-pack copied or evicted it); try again`,
      );
    }
    const paths = new Set(unit.files.map((f) => f.ssd_path));
    const users = serversUsing(store, paths);
    const loading = users.filter((r) => r.use_id === null);
    const busy = options.allowRunning ? loading : users;
    if (busy.length > 0) {
      const where = busy.map((r) => `${r.host}:${r.port} (pid ${r.pid})`).join(", ");
      throw new LlamaPackError(
        "UNSAFE",
        `refusing to evict ${model.name}: the server on ${where} ${
          loading.length > 0 ? "is loading" : "runs on"
        } its SSD copy`,
        { hint: "evict it once the server is ready, or stop the server first (llama-pack -k)" },
      );
    }
    await checkAll();
    const me = processOwner()!;
    const evicting: SsdUnitRow = {
      ...unit,
      state: "evicting",
      owner_pid: me.pid,
      owner_start: String(me.startTime),
      updated_at: Date.now() / 1000,
    };
    store.tx(() => {
      store.putSsdUnit(evicting);
      for (const f of unit.files) store.removeFile(f.ssd_path, model.id);
    });
    let bytes = 0;
    for (const p of pairs) bytes += (await check(p, false)).bytes;
    store.removeSsdUnit(model.id);
    return { bytes, files };
  });
}

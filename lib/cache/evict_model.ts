/**
 * Evicting a whole model from the SSD: each SSD file paired with the HDD
 * original it is checked against, every file checked before any is deleted
 * (`deleteSsdCopy` in `evict.ts`), and the records removed from the store.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import type { IndexedModel } from "../core/model_index.ts";
import type { StateStore } from "../state/store.ts";
import { deleteSsdCopy } from "./evict.ts";

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
}

/**
 * Pairs each SSD file of a model with its HDD original: the one recorded when
 * it was copied, else the HDD file at the same relative path, else the only
 * HDD file with the same name.
 *
 * @param store The state store (recorded copies).
 * @param model The model.
 * @returns One pair per SSD file.
 * @throws {LlamaPackError} `UNSAFE` when the model is SSD-only or a file has no HDD original.
 *
 * @example A model without SSD files
 * ```ts
 * import assert from "node:assert/strict";
 * import { evictPairs } from "./evict_model.ts";
 * const store = { ssdCopies: () => [] } as never;
 * assert(evictPairs(store, { name: "m", ssdOnly: false, hdd: { files: [] } } as never).length === 0);
 * ```
 */
export function evictPairs(
  store: Pick<StateStore, "ssdCopies"> & Partial<Pick<StateStore, "files">>,
  model: IndexedModel,
): EvictFile[] {
  if (!model.ssd) return [];
  if (model.ssdOnly || !model.hdd) {
    throw new LlamaPackError(
      "UNSAFE",
      `refusing to evict ${model.name}: it exists only on the SSD; deleting it would lose it`,
    );
  }
  const records = new Map(store.ssdCopies(model.id).map((c) => [c.ssd_path, c]));
  const hddFiles = model.hdd.files;
  const hddWeights = hddFiles.filter((h) => h.role !== "mmproj");
  const ssdWeights = model.ssd.files.filter((f) => f.role !== "mmproj");
  // A file another model's SSD copy also uses (a shared projector) stays.
  const sharedWith = (path: string) =>
    (store.files?.() ?? []).some((r) =>
      r.path === path && r.model_id !== model.id && r.tier === "ssd"
    );
  const base = (p: string) => p.slice(p.lastIndexOf("/") + 1);
  const pairs: EvictFile[] = [];
  for (const f of model.ssd.files) {
    if (f.role === "mmproj" && sharedWith(f.path)) continue;
    const rec = records.get(f.path);
    // Only a file llama-pack copied and verified itself may be deleted: a file
    // that merely looks like the HDD original (same path and size) could hold
    // the only copy of different bytes.
    if (!rec || rec.size !== f.size) {
      throw new LlamaPackError(
        "UNSAFE",
        `refusing to evict ${model.name}: ${f.path} is not a verified copy (llama-pack did not copy it, or it changed since)`,
        { hint: `llama-pack --cache '${model.name}' verifies it against the HDD original` },
      );
    }
    const single = (list: typeof hddFiles) => list.length === 1 ? list[0] : undefined;
    const hdd = hddFiles.find((h) => h.path === rec.hdd_path) ??
      hddFiles.find((h) => h.rel === f.rel) ??
      single(hddFiles.filter((h) => base(h.path) === base(f.path))) ??
      // Renamed or moved on the HDD since the copy: a single-file model pairs
      // with its only weight file (size and, with a hash check, content are
      // still verified before anything is deleted).
      (f.role !== "mmproj" && ssdWeights.length === 1 ? single(hddWeights) : undefined);
    if (!hdd) {
      throw new LlamaPackError(
        "UNSAFE",
        `refusing to evict ${model.name}: ${f.path} has no HDD original`,
      );
    }
    pairs.push({
      ssdPath: f.path,
      hddPath: hdd.path,
      hddRoot: hdd.root,
      size: rec.size,
      hash: rec.hash,
    });
  }
  return pairs;
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
}

/** What {@linkcode evictModel} did. */
export interface EvictModelResult {
  /** Bytes deleted (or that would be, in a dry run). */
  bytes: number;
  /** The SSD files deleted (or that would be). */
  files: string[];
}

/**
 * Deletes a model's SSD copy: every file is checked first (dry run of
 * {@linkcode deleteSsdCopy}), so a refusal deletes nothing; then each file is
 * deleted and its records removed from the store.
 *
 * @param store The state store.
 * @param model The model.
 * @param options The SSD root, dry run, hash check.
 * @returns Bytes and files deleted.
 * @throws {LlamaPackError} `UNSAFE` when any file may not be deleted; `IO` when deleting fails.
 *
 * @example A model without an SSD copy
 * ```ts
 * import assert from "node:assert/strict";
 * import { evictModel } from "./evict_model.ts";
 * const r = await evictModel({ ssdCopies: () => [] } as never, { name: "m" } as never, { ssdPath: "/s" });
 * assert(r.bytes === 0);
 * ```
 */
export async function evictModel(
  store: StateStore,
  model: IndexedModel,
  options: EvictModelOptions,
): Promise<EvictModelResult> {
  const config = { ssd_path: options.ssdPath };
  const pairs = evictPairs(store, model);
  const check = (p: EvictFile, dryRun: boolean) => {
    const o = {
      ssdRoot: config.ssd_path,
      ssdPath: p.ssdPath,
      hddPath: p.hddPath,
      hddRoot: p.hddRoot,
      expectedSize: p.size,
      hashCheck: options.hashCheck ?? false,
      dryRun,
    };
    return deleteSsdCopy(p.hash === undefined ? o : { ...o, expectedHash: p.hash });
  };
  let bytes = 0;
  for (const p of pairs) bytes += (await check(p, true)).bytes;
  if (options.dryRun) return { bytes, files: pairs.map((p) => p.ssdPath) };
  bytes = 0;
  for (const p of pairs) {
    const r = await check(p, false);
    bytes += r.bytes;
    store.tx(() => {
      store.removeSsdCopy(p.ssdPath);
      store.removeFile(p.ssdPath, model.id);
    });
  }
  return { bytes, files: pairs.map((p) => p.ssdPath) };
}

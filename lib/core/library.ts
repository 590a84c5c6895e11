/**
 * Turns scanned files into models (pure: plain data in, plain data out).
 *
 * **One model = its files.** Split shards (`Name-00001-of-00003.gguf`, or
 * files whose GGUF `split.*` keys say so) in one directory form one model whose
 * path is the first shard. A multimodal projector (file name containing
 * `mmproj`, or GGUF `general.type = "mmproj"` / arch `clip`) is attached to
 * every model in its directory and is not a model itself. A model's size is
 * the sum of its shards and projectors.
 *
 * **Identity across tiers.** The SSD copy of `<hdd>/llm/x.gguf` is
 * `<ssd>/llm/x.gguf`: same relative path, same total size and same header
 * fingerprint. An SSD file with the same content at another relative path is
 * accepted as the copy too (the user reorganised the HDD). An SSD file with
 * no HDD counterpart is **SSD-only**: not a cache copy, never evictable. An SSD
 * file at a mirror path whose content differs from the HDD file is also
 * SSD-only (with id `ssd:<relPath>`) and reported: deleting it could lose data.
 *
 * **Model ids** are the relative path of the first shard inside its tier root,
 * `/`-separated, case preserved (Linux file systems are case-sensitive and the
 * relative path is also how the SSD mirror is found; name matching for users
 * is case-insensitive elsewhere). When two HDD roots hold different files at
 * one relative path, the later root's model gets `#2`, `#3`… appended.
 *
 * **Stores of other tools** (the Hugging Face cache, Ollama, …) are permanent
 * read-only tiers like the HDD: their files come as `hdd` files whose
 * `relPath` is their SSD mirror path (`huggingface/org/repo/x.gguf`) and
 * whose `modelId` (`org/repo/x.gguf`, `llama3.2:3b`) is the model's id and
 * name; an id already taken gets `#2`.
 * A model that was renamed or moved keeps its history: a known id that is gone
 * and a new id with the same fingerprint and weights size form a rename.
 *
 * @module
 */

import type { GgufInfo, ScannedFile, Tier } from "./scanned.ts";
import type { StoreKind } from "./stores.ts";
import { displayName, parseShardName } from "./model_names.ts";

/** One tier's copy of a model: all its files in one directory. */
export interface ModelCopy {
  /** The tier. */
  tier: Tier;
  /** The tier root it lies under, as configured. */
  root: string;
  /** Relative path of the first shard. */
  relPath: string;
  /** Absolute path of the first shard (what llama-server is given). */
  path: string;
  /** Real path of the first shard. */
  realPath: string;
  /** Absolute paths of all shards, in shard order. */
  files: string[];
  /** Absolute paths of the attached projectors. */
  projectors: string[];
  /** Relative paths of `files` then `projectors` (for a store: where their SSD copies go). */
  rels: string[];
  /** The store of another tool it lives in; absent for the configured tiers. */
  store?: StoreKind;
  /** Bytes of the shards and projectors. */
  size: number;
  /** Newest modification time of its files, ms since the epoch. */
  mtimeMs: number;
}

/** One model of the library. */
export interface LibraryModel {
  /** Stable id (see the module doc). */
  id: string;
  /** Display name: the first shard's file name, or `org/name/file` in the Hugging Face layout. */
  name: string;
  /** Relative path of the first shard. */
  relPath: string;
  /** Header fingerprint of the first shard. */
  fingerprint: string;
  /** Bytes of the shards only (used for identity). */
  weightsSize: number;
  /** Bytes of one copy: shards and projectors. */
  size: number;
  /** Metadata of the first shard. */
  info: GgufInfo;
  /** Number of shards (1 for a single file). */
  shardCount: number;
  /** 1-based numbers of shards that are missing; empty when complete. */
  missingShards: number[];
  /** File names of the attached projectors. */
  projectorNames: string[];
  /** The HDD copy, if any. */
  hdd: ModelCopy | null;
  /** More HDD copies with the same content (e.g. in a second HDD root). */
  extraHdd: ModelCopy[];
  /** The SSD copy, if any. */
  ssd: ModelCopy | null;
  /** True when the model exists only on the SSD: not a cache copy, never evict. */
  ssdOnly: boolean;
  /** The store of another tool its permanent copy lives in, or `null`. */
  store: StoreKind | null;
  /** Other names of the model (Ollama tags sharing its blobs). */
  aliases: string[];
}

/** A model the state store knows from earlier scans. */
export interface KnownModel {
  /** Its id. */
  id: string;
  /** Its fingerprint. */
  fingerprint: string;
  /** Its weights size in bytes. */
  weightsSize: number;
}

/** Options of {@linkcode buildLibrary}. */
export interface BuildLibraryOptions {
  /** Models from earlier scans, for renames and stats-only ids. @default [] */
  known?: KnownModel[];
}

/** What {@linkcode buildLibrary} returns. */
export interface LibraryResult {
  /** Models sorted by id. */
  models: LibraryModel[];
  /** Known id that disappeared → new id with the same content. */
  renames: Record<string, string>;
  /** Known ids with no file any more and no rename (shown as stats only). */
  missing: string[];
  /** Conflicts, incomplete shard sets, lone projectors: one line each. */
  warnings: string[];
}

const baseName = (p: string) => p.slice(p.lastIndexOf("/") + 1);
const dirName = (p: string) => (p.includes("/") ? p.slice(0, p.lastIndexOf("/")) : "");
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** True when a scanned file is a multimodal projector. */
function isProjectorFile(f: ScannedFile): boolean {
  return f.info.isProjector || /mmproj/i.test(baseName(f.relPath));
}

interface Unit {
  copy: ModelCopy;
  modelId: string | undefined;
  aliases: string[];
  rootIndex: number;
  relPath: string;
  fingerprint: string;
  weightsSize: number;
  info: GgufInfo;
  shardCount: number;
  missingShards: number[];
  projectorNames: string[];
}

/** Groups one tier root's files by directory into model units. */
function unitsOf(
  files: ScannedFile[],
  rootIndex: number,
  warnings: string[],
): Unit[] {
  const byDir = new Map<string, ScannedFile[]>();
  for (const f of files) {
    const d = dirName(f.relPath);
    const list = byDir.get(d);
    if (list) list.push(f);
    else byDir.set(d, [f]);
  }
  const units: Unit[] = [];
  for (const [, dirFiles] of [...byDir].sort((a, b) => cmp(a[0], b[0]))) {
    const projectors = dirFiles.filter(isProjectorFile).sort((a, b) => cmp(a.relPath, b.relPath));
    const groups = new Map<string, { no: number; file: ScannedFile; count: number }[]>();
    for (const f of dirFiles) {
      if (isProjectorFile(f)) continue;
      const sn = parseShardName(baseName(f.relPath));
      let key: string;
      let no = 1;
      let count = 1;
      if (sn) {
        key = `n:${sn.prefix.toLowerCase()}|${sn.count}`;
        no = sn.no;
        count = sn.count;
      } else if ((f.info.splitCount ?? 1) > 1) {
        count = f.info.splitCount!;
        no = (f.info.splitNo ?? 0) + 1;
        key = `m:${f.info.name ?? ""}|${f.info.architecture ?? ""}|${count}`;
      } else {
        key = `f:${f.relPath}`;
      }
      const g = groups.get(key);
      if (g) g.push({ no, file: f, count });
      else groups.set(key, [{ no, file: f, count }]);
    }
    const dirUnits: Unit[] = [];
    for (const g of groups.values()) {
      g.sort((a, b) => a.no - b.no || cmp(a.file.relPath, b.file.relPath));
      const first = g[0]!.file;
      const count = g[0]!.count;
      const present = new Set(g.map((s) => s.no));
      const missing: number[] = [];
      for (let i = 1; i <= count; i++) if (!present.has(i)) missing.push(i);
      if (missing.length > 0) {
        warnings.push(
          `${first.path}: split model is missing shard${missing.length > 1 ? "s" : ""} ${
            missing.join(", ")
          } of ${count}`,
        );
      }
      const weightsSize = g.reduce((a, s) => a + s.file.size, 0);
      const projSize = projectors.reduce((a, p) => a + p.size, 0);
      const all = [...g.map((s) => s.file), ...projectors];
      dirUnits.push({
        modelId: first.modelId,
        aliases: first.aliases ?? [],
        rootIndex,
        relPath: first.relPath,
        fingerprint: first.fingerprint,
        weightsSize,
        info: first.info,
        shardCount: count,
        missingShards: missing,
        projectorNames: projectors.map((p) => baseName(p.relPath)),
        copy: {
          tier: first.tier,
          root: first.root,
          relPath: first.relPath,
          path: first.path,
          realPath: first.realPath,
          files: g.map((s) => s.file.path),
          projectors: projectors.map((p) => p.path),
          rels: all.map((f) => f.relPath),
          size: weightsSize + projSize,
          mtimeMs: Math.max(...all.map((f) => f.mtimeMs)),
          ...(first.store ? { store: first.store } : {}),
        },
      });
    }
    if (dirUnits.length === 0) {
      for (const p of projectors) {
        warnings.push(`${p.path}: projector with no model in its directory (ignored)`);
      }
    }
    units.push(...dirUnits.sort((a, b) => cmp(a.relPath, b.relPath)));
  }
  return units;
}

function toModel(u: Unit, id: string, tier: "hdd" | "ssd"): LibraryModel {
  return {
    id,
    name: u.modelId ?? displayName(u.relPath),
    relPath: u.relPath,
    fingerprint: u.fingerprint,
    weightsSize: u.weightsSize,
    size: u.copy.size,
    info: u.info,
    shardCount: u.shardCount,
    missingShards: u.missingShards,
    projectorNames: u.projectorNames,
    hdd: tier === "hdd" ? u.copy : null,
    extraHdd: [],
    ssd: tier === "ssd" ? u.copy : null,
    ssdOnly: tier === "ssd",
    store: tier === "hdd" ? u.copy.store ?? null : null,
    aliases: u.aliases,
  };
}

const sameContent = (a: { fingerprint: string; weightsSize: number }, b: typeof a) =>
  a.fingerprint === b.fingerprint && a.weightsSize === b.weightsSize;

/**
 * Groups scanned files into models, matches SSD copies to HDD models and
 * finds renames.
 *
 * @param files Files from `scanTiers()` (any order).
 * @param options Models known from earlier scans.
 * @returns Models sorted by id, renames, missing ids and warnings.
 *
 * @example An HDD model, its SSD copy and a projector
 * ```ts
 * import assert from "node:assert/strict";
 * import { buildLibrary } from "./library.ts";
 * import type { ScannedFile } from "./scanned.ts";
 * const info = {
 *   architecture: "llama", name: "x", parameterCount: 8e9, sizeLabel: null, quant: "Q4_K_M",
 *   contextLength: 8192, layerCount: 32, expertCount: null, splitNo: null, splitCount: null,
 *   isProjector: false,
 * };
 * const file = (tier: "ssd" | "hdd", relPath: string, fingerprint: string, size: number): ScannedFile => ({
 *   tier, root: `/${tier}`, relPath, path: `/${tier}/${relPath}`, realPath: `/${tier}/${relPath}`,
 *   viaSymlink: false, size, mtimeMs: 0, info, fingerprint,
 * });
 * const lib = buildLibrary([
 *   file("hdd", "llm/x.gguf", "aa", 5e9),
 *   file("hdd", "llm/mmproj-x.gguf", "bb", 6e8),
 *   file("ssd", "llm/x.gguf", "aa", 5e9),
 * ]);
 * assert(lib.models.length === 1);
 * assert(lib.models[0]!.ssd?.path === "/ssd/llm/x.gguf");
 * assert(lib.models[0]!.projectorNames[0] === "mmproj-x.gguf");
 * ```
 */
export function buildLibrary(
  files: ScannedFile[],
  options: BuildLibraryOptions = {},
): LibraryResult {
  const warnings: string[] = [];
  // Units per root, roots in first-seen order.
  const roots: string[] = [];
  const byRoot = new Map<string, ScannedFile[]>();
  for (const f of files) {
    const key = `${f.tier}\0${f.root}`;
    const list = byRoot.get(key);
    if (list) list.push(f);
    else {
      byRoot.set(key, [f]);
      roots.push(key);
    }
  }
  const hddUnits: Unit[] = [];
  const ssdUnits: Unit[] = [];
  roots.forEach((key, i) => {
    const list = byRoot.get(key)!;
    (list[0]!.tier === "hdd" ? hddUnits : ssdUnits).push(...unitsOf(list, i, warnings));
  });

  const models = new Map<string, LibraryModel>();
  const byRel = new Map<string, LibraryModel>();
  for (const u of hddUnits) {
    const prev = byRel.get(u.relPath);
    if (prev && sameContent(prev, u)) {
      prev.extraHdd.push(u.copy);
      continue;
    }
    const base = u.modelId ?? u.relPath;
    let id = base;
    for (let n = 2; models.has(id); n++) id = `${base}#${n}`;
    const m = toModel(u, id, "hdd");
    models.set(id, m);
    if (!prev) byRel.set(u.relPath, m);
  }
  const unmatched: Unit[] = [];
  for (const u of ssdUnits) {
    const m = byRel.get(u.relPath);
    if (m && m.ssd === null && sameContent(m, u)) {
      m.ssd = u.copy;
    } else if (m) {
      if (m.ssd === null) {
        warnings.push(
          `${u.copy.path}: differs from ${m.hdd?.path} (size or header); kept as SSD-only`,
        );
      }
      unmatched.push(u);
    } else {
      unmatched.push(u);
    }
  }
  for (const u of unmatched) {
    // Same content elsewhere on the SSD: still a copy of that model.
    const twin = [...models.values()].find((m) =>
      m.hdd !== null && m.ssd === null && sameContent(m, u)
    );
    if (twin) {
      twin.ssd = u.copy;
      continue;
    }
    let id = models.has(u.relPath) ? `ssd:${u.relPath}` : u.relPath;
    for (let n = 2; models.has(id); n++) id = `ssd:${u.relPath}#${n}`;
    models.set(id, toModel(u, id, "ssd"));
  }

  const list = [...models.values()].sort((a, b) => cmp(a.id, b.id));
  const renames: Record<string, string> = {};
  const missing: string[] = [];
  const known = options.known ?? [];
  const knownIds = new Set(known.map((k) => k.id));
  const fresh = list.filter((m) => !knownIds.has(m.id));
  const taken = new Set<string>();
  for (const k of [...known].sort((a, b) => cmp(a.id, b.id))) {
    if (models.has(k.id)) continue;
    const cands = fresh.filter((m) => !taken.has(m.id) && sameContent(m, k));
    if (cands.length === 1) {
      renames[k.id] = cands[0]!.id;
      taken.add(cands[0]!.id);
    } else {
      missing.push(k.id);
    }
  }
  return { models: list, renames, missing, warnings };
}

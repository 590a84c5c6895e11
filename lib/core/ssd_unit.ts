/**
 * SSD copy units as the model index sees them (pure): a model's copy on the
 * SSD is one unit holding every file of its HDD copy; only a verified unit
 * that still covers the HDD copy is served, and the files of unfinished
 * units (being copied or evicted) are never indexed as a model at all.
 *
 * Whether a unit's sources are still the files it was verified against is a
 * question for the file system (`lib/cache/unit_check.ts`), which reports its
 * answer back through {@linkcode markStale}.
 *
 * @module
 */

import type { FileRow, SsdUnitRow, UnitFile } from "./records.ts";

/** The file list of a tier copy, sorted weights first then projectors, each by path. */
function byPath<T extends { path: string }>(a: T, b: T): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

/**
 * A unit file as the `files` row of its SSD copy.
 *
 * @param unit The unit.
 * @param f One of its files.
 * @returns The row.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { unitFileRow } from "./ssd_unit.ts";
 * const unit = { model_id: "m", ssd_root: "/s" } as never;
 * const f = { ssd_path: "/s/m.gguf", src_path: "/h/m.gguf", src_root: "/h", rel: "m.gguf", role: "model", size: 4, hash: "ab", src: null, ssd: null };
 * assert(unitFileRow(unit, f).path === "/s/m.gguf");
 * ```
 */
export function unitFileRow(unit: Pick<SsdUnitRow, "model_id" | "ssd_root">, f: UnitFile): FileRow {
  return {
    path: f.ssd_path,
    model_id: unit.model_id,
    tier: "ssd",
    root: unit.ssd_root,
    rel: f.rel,
    role: f.role,
    size: f.size,
    mtime: (f.ssd?.mtimeMs ?? 0) / 1000,
  };
}

/**
 * Why a verified unit is not a whole copy of the model's HDD files (judged
 * from the records alone), or `undefined` when it is: every HDD file must be
 * in the unit (whether each is still the same file is checked on disk, by
 * identity: `lib/cache/unit_check.ts`).
 *
 * @param unit The unit.
 * @param hddFiles The model's HDD files as last scanned (none when the model is SSD-only).
 * @returns The reason, or `undefined`.
 *
 * @example A unit missing the projector the HDD copy has
 * ```ts
 * import assert from "node:assert/strict";
 * import { unitShortfall } from "./ssd_unit.ts";
 * const f = (path: string) => ({ path });
 * const unit = { state: "verified", files: [{ src_path: "/h/m.gguf" }] } as never;
 * assert(unitShortfall(unit, [f("/h/m.gguf")]) === undefined);
 * assert(unitShortfall(unit, [f("/h/m.gguf"), f("/h/mmproj.gguf")]) ===
 *   "its HDD copy has /h/mmproj.gguf, which the SSD copy lacks");
 * ```
 */
export function unitShortfall(
  unit: Pick<SsdUnitRow, "state" | "files">,
  hddFiles: readonly Pick<FileRow, "path">[],
): string | undefined {
  if (unit.state !== "verified") return `the copy is unfinished (${unit.state})`;
  const sources = new Set(unit.files.map((f) => f.src_path));
  for (const h of [...hddFiles].sort(byPath)) {
    if (!sources.has(h.path)) return `its HDD copy has ${h.path}, which the SSD copy lacks`;
  }
  return undefined;
}

/**
 * The SSD paths that belong to units: a unit's files are that model's only,
 * and the files of an unfinished unit are nobody's model.
 *
 * @param units Every unit.
 * @returns SSD path → the model whose unit holds it (`undefined` for unfinished units).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { unitPaths } from "./ssd_unit.ts";
 * const units = [
 *   { model_id: "a", state: "verified", files: [{ ssd_path: "/s/a.gguf" }] },
 *   { model_id: "b", state: "copying", files: [{ ssd_path: "/s/b-00001-of-00002.gguf" }] },
 * ] as never;
 * const paths = unitPaths(units);
 * assert(paths.get("/s/a.gguf") === "a" && paths.has("/s/b-00001-of-00002.gguf"));
 * assert(paths.get("/s/b-00001-of-00002.gguf") === undefined);
 * ```
 */
export function unitPaths(
  units: readonly Pick<SsdUnitRow, "model_id" | "state" | "files">[],
): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const u of units) {
    for (const f of u.files) {
      // A path in an unfinished unit is nobody's, whoever else lists it.
      if (u.state !== "verified") out.set(f.ssd_path, undefined);
      else if (!out.has(f.ssd_path)) out.set(f.ssd_path, u.model_id);
    }
  }
  return out;
}

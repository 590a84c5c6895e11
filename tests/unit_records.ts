/**
 * Recording SSD copy units in tests the way a copy does: with the real
 * identities of the original and of the copy, read from the files.
 *
 * @module
 */

import type { StateStore } from "../lib/state/store.ts";
import type { UnitFile } from "../lib/core/records.ts";
import { fileIdentity, identityOfInfo } from "../lib/cache/file_identity.ts";

/** One file of a unit to record. */
export interface UnitFileSpec {
  /** The copy on the SSD (it must exist). */
  ssd: string;
  /** Its original (it must exist). */
  hdd: string;
  /** The original's tier root. */
  hddRoot: string;
  /** The path relative to the tier roots. */
  rel: string;
  /** `model` (default) or `mmproj`. */
  role?: string;
  /** The content's hash as a copy would have recorded it. @default "0" */
  hash?: string;
}

/**
 * Records a verified unit for `modelId` with the files' current identities.
 *
 * @param store The state store.
 * @param modelId The model.
 * @param ssdRoot The SSD root.
 * @param files The files.
 */
export async function recordVerifiedUnit(
  store: StateStore,
  modelId: string,
  ssdRoot: string,
  files: UnitFileSpec[],
): Promise<void> {
  const rows: UnitFile[] = [];
  for (const f of files) {
    const ssd = identityOfInfo(await Deno.lstat(f.ssd));
    rows.push({
      ssd_path: f.ssd,
      src_path: f.hdd,
      src_root: f.hddRoot,
      rel: f.rel,
      role: f.role ?? "model",
      size: ssd.size,
      hash: f.hash ?? "0",
      src: await fileIdentity(f.hdd),
      ssd,
    });
  }
  const now = Date.now() / 1000;
  store.putSsdUnit({
    model_id: modelId,
    state: "verified",
    ssd_root: ssdRoot,
    files: rows,
    owner_pid: null,
    owner_start: null,
    verified_at: now,
    updated_at: now,
  });
}

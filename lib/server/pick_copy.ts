/**
 * Which copy of a model a server starts from: its verified SSD copy when
 * every file is there, else the HDD copy, else (an SSD-only model) the SSD
 * files. Shared by `-m` and `--serve`.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import type { IndexedModel, TierCopy } from "../core/model_index.ts";

/**
 * Whether every file of a tier copy still exists.
 *
 * @param copy The copy.
 * @returns `true` when all its files are regular files.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { filesPresent } from "./pick_copy.ts";
 * assert(!filesPresent({ path: "/nope", mmproj: undefined, size: 1, files: [{ path: "/nope" } as never] }));
 * ```
 */
export function filesPresent(copy: TierCopy): boolean {
  return copy.files.every((f) => {
    try {
      return Deno.statSync(f.path).isFile;
    } catch {
      return false;
    }
  });
}

/**
 * The copy to serve from: a verified SSD copy, else the HDD one, else an unverified SSD one.
 *
 * @param model The model.
 * @returns The tier and the copy.
 * @throws {LlamaPackError} `IO` when no copy has all its files.
 *
 * @example A model whose files are gone
 * ```ts
 * import assert from "node:assert/strict";
 * import { pickCopy } from "./pick_copy.ts";
 * const err = (() => { try { pickCopy({ name: "m", hdd: undefined, ssd: undefined } as never); } catch (e) { return e; } })();
 * assert((err as { code: string }).code === "IO");
 * ```
 */
export function pickCopy(model: IndexedModel): { tier: "ssd" | "hdd"; copy: TierCopy } {
  if (model.ssd?.verified && filesPresent(model.ssd)) return { tier: "ssd", copy: model.ssd };
  if (model.hdd && filesPresent(model.hdd)) return { tier: "hdd", copy: model.hdd };
  const where = model.hdd?.path ?? model.ssd?.path ?? model.name;
  throw new LlamaPackError("IO", `model file missing: ${where}`, {
    hint: "run llama-pack --update to rescan the model directories",
  });
}

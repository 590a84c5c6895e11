/**
 * Reads the model index from the state store: the store's rows handed to the
 * pure {@linkcode buildIndex}.
 *
 * @module
 */

import { buildIndex, type IndexedModel } from "../core/model_index.ts";
import type { StateStore } from "./store.ts";

/**
 * Reads the whole index from the store. Needs the state dir's read permission.
 *
 * @param store The state store.
 * @returns The index.
 *
 * @example Indexing a pinned model with one recorded use
 * ```ts
 * import assert from "node:assert/strict";
 * import { StateStore } from "./store.ts";
 * import { loadIndex } from "./load_index.ts";
 * const dir = await Deno.makeTempDir();
 * const store = StateStore.open(dir);
 * store.setFlag("gemma", "pinned", true);
 * store.recordUse({ modelId: "gemma", at: 1000 });
 * const [gemma] = loadIndex(store);
 * assert(gemma?.pinned === true && gemma.uses.length === 1);
 * store.close();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export function loadIndex(store: StateStore): IndexedModel[] {
  return buildIndex({
    models: store.models(),
    files: store.files(),
    units: store.ssdUnits(),
    uses: store.uses(),
  });
}

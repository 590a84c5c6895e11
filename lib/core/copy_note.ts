/**
 * What llama-pack says when it passes over a verified SSD copy that may not
 * be served (stale: its originals changed; damaged: its SSD files did) and
 * starts a server on the permanent copy instead. `-m` prints it as a note;
 * `--serve` logs the same note and sends it as a `copy_passed_over` event on
 * `/api/events` (pure).
 *
 * @module
 */

import type { CopyPassedOverData } from "./api_events.ts";
import type { CopyProblem, IndexedModel } from "./model_index.ts";
import { STORE_LABELS } from "./stores.ts";

/**
 * The note, one line without the `note: ` prefix.
 *
 * @param model The model (its name, and the store its permanent copy lives in).
 * @param problem Why its SSD copy is passed over.
 * @returns E.g. `not serving the SSD copy of m.gguf: …; serving from the HDD (…)`.
 *
 * @example A stale copy
 * ```ts
 * import assert from "node:assert/strict";
 * import { passedOverNote } from "./copy_note.ts";
 * const text = passedOverNote({ name: "m.gguf", store: undefined }, { kind: "stale", reason: "its original /h/m.gguf changed since it was verified (it was modified (mtime))" });
 * assert(text === "not serving the SSD copy of m.gguf: its original /h/m.gguf changed since it was verified (it was modified (mtime)); serving from the HDD (the stale copy is evicted or copied again by the usual rules)");
 * ```
 */
export function passedOverNote(
  model: Pick<IndexedModel, "name" | "store">,
  problem: CopyProblem,
): string {
  const original = model.store ? `the ${STORE_LABELS[model.store]} copy` : "from the HDD";
  return `not serving the SSD copy of ${model.name}: ${problem.reason}; serving ${original} ` +
    (problem.kind === "stale"
      ? "(the stale copy is evicted or copied again by the usual rules)"
      : "(the SSD files are kept: llama-pack did not write them)");
}

/**
 * The data of the `copy_passed_over` event.
 *
 * @param model The model (its id, name, SSD copy and store).
 * @param problem Why its SSD copy is passed over.
 * @param servedPath The file the server is started on instead.
 * @returns The event's data; `message` is {@linkcode passedOverNote}.
 *
 * @example A damaged copy
 * ```ts
 * import assert from "node:assert/strict";
 * import { passedOverData } from "./copy_note.ts";
 * const model = { id: "llm/m.gguf", name: "m.gguf", store: undefined, ssd: { path: "/s/llm/m.gguf" } };
 * const d = passedOverData(model, { kind: "damaged", reason: "its file /s/llm/m.gguf changed on the SSD (size) since it was verified" }, "/h/llm/m.gguf");
 * assert(d.problem === "damaged" && d.ssd_path === "/s/llm/m.gguf" && d.served_path === "/h/llm/m.gguf");
 * assert(d.message.endsWith("(the SSD files are kept: llama-pack did not write them)"));
 * ```
 */
export function passedOverData(
  model: Pick<IndexedModel, "id" | "name" | "store"> & { ssd?: { path: string } | undefined },
  problem: CopyProblem,
  servedPath: string,
): CopyPassedOverData {
  return {
    model_id: model.id,
    model_name: model.name,
    problem: problem.kind,
    reason: problem.reason,
    ssd_path: model.ssd?.path ?? null,
    served_path: servedPath,
    message: passedOverNote(model, problem),
  };
}

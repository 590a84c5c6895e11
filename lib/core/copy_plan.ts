/**
 * The questions the copier asks before copying a model to the SSD, as pure
 * functions of the model index: the cached copies as the planner sees them,
 * whether to copy a model and what to evict first ({@linkcode planCopy}), and
 * which files a copy writes where ({@linkcode filesToCopy}).
 *
 * @module
 */

import { join } from "node:path";
import { LlamaPackError } from "../errors.ts";
import { type IndexedModel, rankOf, type TierCopy } from "./model_index.ts";
import type { PolicyChoice } from "./profiles.ts";
import {
  type CachedCopy,
  type CachePolicy,
  type Candidate,
  countUsesInWindow,
  type PlacementPlan,
  type SsdSpace,
} from "./cache_policy.ts";
import { planPlacement } from "./placement.ts";
import { formatSize } from "./units.ts";
import { formatRank } from "./rank.ts";

/**
 * The models on the SSD as the planner sees them.
 *
 * @param index The model index.
 * @param at The time (unix seconds), the ids of models a running server has
 *   loaded, and the policy choice whose rank options to use (the default rank when absent).
 * @returns One cached copy per model with SSD files.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { cachedCopies } from "./copy_plan.ts";
 * assert(cachedCopies([], { now: 0, inUse: new Set() }).length === 0);
 * ```
 */
export function cachedCopies(
  index: readonly IndexedModel[],
  at: { now: number; inUse: ReadonlySet<string>; choice?: PolicyChoice },
): CachedCopy[] {
  const { now, inUse, choice } = at;
  return index.filter((m) => m.ssd !== undefined && !m.gone).map((m) => {
    const copy: CachedCopy = {
      id: m.id,
      size: m.ssd!.size,
      rate: rankOf(m, now, choice?.rankOptions),
      pinned: m.pinned,
      inUse: inUse.has(m.id),
      // Files on the SSD that llama-pack did not copy and verify itself are
      // protected like SSD-only models: they may hold the only copy of their
      // bytes. A stale copy (recorded, but its originals changed) is evictable.
      ssdOnly: m.ssdOnly || m.hdd === undefined ||
        (!m.ssd!.verified && m.ssd!.stale === undefined),
    };
    const last = m.uses.at(-1)?.at;
    if (last !== undefined) copy.lastUse = last;
    return copy;
  });
}

/** Options of {@linkcode planCopy}. */
export interface PlanCopyOptions {
  /**
   * A copy the user asked for (`--cache`): the use count does not matter and
   * the candidate outranks every unpinned, idle copy.
   * @default {false}
   */
  manual?: boolean;
}

/**
 * Asks the core planner whether to copy `model` to the SSD and what to evict first.
 *
 * @param model The candidate.
 * @param input The index, the space picture, the models in use, the policy and the time;
 *   with a `choice` (`choosePolicy` in `policy_choice.ts`), its rank options and its profile's policy.
 * @param options Whether the user asked for this copy.
 * @returns The planner's plan.
 *
 * @example A model that is already on the SSD
 * ```ts
 * import assert from "node:assert/strict";
 * import { planCopy } from "./copy_plan.ts";
 * const m = { id: "m", size: 1, uses: [], pinned: false, noCache: false, ssdOnly: false, gone: false,
 *   ssd: { size: 1 }, hdd: { size: 1 } } as never;
 * const p = planCopy(m, { index: [m], space: { freeBytes: 10, minFreeBytes: 0, cacheUsedBytes: 1 },
 *   inUse: new Set(), policy: { minUses: 3, windowSeconds: 604800 }, now: 0 });
 * assert(p.copy === false);
 * ```
 */
export function planCopy(
  model: IndexedModel,
  input: {
    index: readonly IndexedModel[];
    space: SsdSpace;
    inUse: ReadonlySet<string>;
    policy: CachePolicy;
    now: number;
    choice?: PolicyChoice;
  },
  options: PlanCopyOptions = {},
): PlacementPlan {
  const { choice } = input;
  // The candidate's own files on the SSD that are not a servable copy (stale,
  // or not recorded) are not "already on the SSD": the copy replaces or
  // adopts them, in the room they take.
  const own = model.ssd !== undefined && !model.ssd.verified && !model.ssdOnly ? model.ssd.size : 0;
  const cached = cachedCopies(input.index, {
    now: input.now,
    inUse: input.inUse,
    ...(choice ? { choice } : {}),
  }).filter((c) => own === 0 || c.id !== model.id);
  const space = own === 0 ? input.space : {
    ...input.space,
    freeBytes: input.space.freeBytes + own,
    cacheUsedBytes: Math.max(0, input.space.cacheUsedBytes - own),
  };
  const policy = choice?.policy ?? input.policy;
  const usesInWindow = countUsesInWindow(
    model.uses.map((u) => ({ at: u.at })),
    input.now,
    policy.windowSeconds,
  );
  const rate = rankOf(model, input.now, choice?.rankOptions);
  const candidate: Candidate = {
    id: model.id,
    size: model.hdd?.size ?? model.size,
    rate: options.manual ? Math.max(rate, 1, ...cached.map((c) => c.rate * 1000 + 1)) : rate,
    usesInWindow: options.manual
      ? Math.max(usesInWindow, policy.minUses, policy.minUsesToEvict ?? 0)
      : usesInWindow,
    noCache: options.manual ? false : model.noCache,
  };
  return planPlacement({
    space,
    cached,
    candidate,
    policy,
    now: input.now,
  });
}

/** One file to copy. */
export interface FileCopy {
  /** The HDD file. */
  src: string;
  /** Its place on the SSD: `<ssd_path>/<path relative to its HDD root>`. */
  dest: string;
  /** The HDD file row. */
  file: TierCopy["files"][number];
}

/**
 * Lists the files a copy of `model` writes: every HDD file (weights, shards,
 * projector) mirrored under the SSD path at the same relative path.
 *
 * @param config The config (`ssd_path`).
 * @param model The model.
 * @returns The files, weights first.
 * @throws {LlamaPackError} `COPY` when the model has no HDD copy to copy from.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { filesToCopy } from "./copy_plan.ts";
 * const file = { path: "/h/llm/m.gguf", model_id: "m", tier: "hdd", root: "/h", rel: "llm/m.gguf", role: "model", size: 1, mtime: 0 };
 * const [f] = filesToCopy({ ssd_path: "/s" } as never, { name: "m", hdd: { files: [file] } } as never);
 * assert(f?.dest === "/s/llm/m.gguf");
 * ```
 */
export function filesToCopy(config: { ssd_path: string }, model: IndexedModel): FileCopy[] {
  if (!model.hdd) {
    throw new LlamaPackError("COPY", `cannot copy ${model.name}: it has no HDD copy to copy from`);
  }
  return [...model.hdd.files]
    .sort((a, b) =>
      (a.role === "mmproj" ? 1 : 0) - (b.role === "mmproj" ? 1 : 0) || (a.path < b.path ? -1 : 1)
    )
    .map((file) => ({ src: file.path, dest: join(config.ssd_path, file.rel), file }));
}

/**
 * A copy the cache would evict, in the user's terms: its name, size, how
 * often it is used and when it was last used.
 *
 * @param model The model whose SSD copy would go.
 * @param now The time (unix seconds).
 * @param label How to name it. @default its name
 * @returns E.g. `Llama-70B.gguf (40.0 GiB; about 0.5 uses a week; last used 2025-11-02)`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { victimText } from "./copy_plan.ts";
 * const m = { name: "old.gguf", ssd: { size: 8 * 1024 ** 3 }, size: 8 * 1024 ** 3, uses: [] } as never;
 * assert(victimText(m, 0) === "old.gguf (8.0 GiB; never used)");
 * ```
 */
export function victimText(model: IndexedModel, now: number, label?: string): string {
  const size = formatSize(model.ssd?.size ?? model.size);
  const name = label ?? model.name;
  if (model.uses.length === 0) return `${name} (${size}; never used)`;
  const rate = rankOf(model, now);
  const last = Math.max(...model.uses.map((u) => u.at));
  const often = rate >= 0.05 ? `about ${formatRank(rate)} uses a week` : "hardly used lately";
  return `${name} (${size}; ${often}; last used ${
    new Date(last * 1000).toISOString().slice(0, 10)
  })`;
}

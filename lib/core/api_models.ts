/**
 * The models of the cache API (pure): where each model lives in the guide's
 * terms (`primary` = a verified SSD copy, `secondary` = the HDD or another
 * tool's store, `custom` = a directory of `custom_paths`), and the rows of
 * `GET /api/models`, built from the same list entries as `-l`.
 *
 * @module
 */

import type { CacheLocation } from "./api_events.ts";
import { isoTime } from "./cache_stats_doc.ts";
import type { ListEntry } from "./list_entry.ts";
import type { IndexedModel } from "./model_index.ts";
import { routerStatus, type ServedState } from "./serve_listing.ts";

/** Where a model lives. */
export interface ModelPlace {
  /** The fastest place it loads from: `primary` when on the SSD, else `custom`, else `secondary`. */
  cache_location: CacheLocation;
  /** The custom directory holding a copy, else `null`. */
  cache_path: string | null;
  /** Every location holding a copy. */
  locations: CacheLocation[];
}

/**
 * Tells whether `path` is `dir` or lies inside it.
 *
 * @param dir A directory (absolute).
 * @param path A path (absolute).
 * @returns Whether it is inside.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { isInDirectory } from "./api_models.ts";
 * assert(isInDirectory("/m/custom", "/m/custom/a/x.gguf") && !isInDirectory("/m/custom", "/m/customs/x.gguf"));
 * ```
 */
export function isInDirectory(dir: string, path: string): boolean {
  const d = dir.endsWith("/") ? dir.slice(0, -1) : dir;
  return path === d || path.startsWith(`${d}/`);
}

/** Paths of the model's permanent copies: the main one and the others `-u` found. */
function permanentPaths(model: IndexedModel): string[] {
  const out = model.hdd ? [model.hdd.path] : [];
  const extra = model.metadata?.extraCopies;
  if (Array.isArray(extra)) {
    for (const c of extra) {
      const p = (c as { path?: unknown } | null)?.path;
      if (typeof p === "string") out.push(p);
    }
  }
  return out;
}

/**
 * Where a model lives, in the guide's terms.
 *
 * @param model The model.
 * @param customPaths The config's `custom_paths`.
 * @returns Its location, custom directory and every location holding a copy.
 *
 * @example A model on the HDD with a verified SSD copy
 * ```ts
 * import assert from "node:assert/strict";
 * import { modelPlace } from "./api_models.ts";
 * const m = { hdd: { path: "/hdd/x.gguf" }, ssd: { path: "/ssd/x.gguf", verified: true },
 *   ssdOnly: false, metadata: {} } as never;
 * assert.deepEqual(modelPlace(m, ["/custom"]), { cache_location: "primary", cache_path: null,
 *   locations: ["primary", "secondary"] });
 * ```
 */
export function modelPlace(model: IndexedModel, customPaths: readonly string[]): ModelPlace {
  const onSsd = model.ssd !== undefined && (model.ssd.verified || model.ssdOnly);
  const paths = permanentPaths(model);
  let customDir: string | null = null;
  let elsewhere = false;
  for (const p of paths) {
    const dir = customPaths.find((c) => isInDirectory(c, p));
    if (dir !== undefined) customDir ??= dir;
    else elsewhere = true;
  }
  const locations: CacheLocation[] = [
    ...(onSsd ? ["primary" as const] : []),
    ...(elsewhere ? ["secondary" as const] : []),
    ...(customDir !== null ? ["custom" as const] : []),
  ];
  return {
    cache_location: onSsd ? "primary" : customDir !== null ? "custom" : "secondary",
    cache_path: customDir,
    locations,
  };
}

/** One row of `GET /api/models`. */
export interface ApiModel {
  /** The display name (`-m` takes it). */
  model_name: string;
  /** The unique id. */
  id: string;
  /** Where it lives (see {@linkcode ModelPlace}). */
  cache_location: CacheLocation;
  /** The custom directory holding a copy, else `null`. */
  cache_path: string | null;
  /** Every location holding a copy. */
  locations: CacheLocation[];
  /** MiB of one copy (shards and projector), one decimal. */
  model_size_mb: number;
  /** The file a server is given: the verified SSD copy, else the permanent one. */
  path: string;
  /** Estimated uses per week. */
  rank: number;
  /** Recorded uses. */
  uses: number;
  /** The last use (ISO 8601, UTC), or `null` for never. */
  last_used: string | null;
  /** Never evicted from the SSD. */
  pinned: boolean;
  /** A verified copy is on the SSD (or it lives only there). */
  on_ssd: boolean;
  /** Never copied to the SSD automatically. */
  no_cache: boolean;
  /** It exists only on the SSD (never evicted). */
  ssd_only: boolean;
  /** The other tool's store its permanent copy lives in, else `null`. */
  store: string | null;
  /** Quantization, e.g. `Q4_K_M`. */
  quant: string | null;
  /** Parameter count. */
  parameters: number | null;
  /** The SSD state as `-l` shows it: `verified`, `copying` (with `progress`), `unverified`, `should`, `none`. */
  ssd: { state: string; path: string | null; progress: number | null };
  /** The router's word: `loaded`, `loading`, `unloaded`. */
  status: "loaded" | "loading" | "unloaded";
  /** llama-pack's finer server state. */
  state: string;
  /** The port of its server, while one runs. */
  port: number | null;
}

/**
 * Builds one row of `GET /api/models`.
 *
 * @param model The model.
 * @param entry Its `-l` entry (`listEntries` in `lib/commands/list.ts`).
 * @param served What `--serve` knows of its server.
 * @param customPaths The config's `custom_paths`.
 * @returns The row.
 *
 * @example An HDD model never used
 * ```ts
 * import assert from "node:assert/strict";
 * import { apiModelRow } from "./api_models.ts";
 * const m = { id: "x.gguf", name: "x.gguf", size: 2 * 1024 ** 3, hdd: { path: "/hdd/x.gguf" },
 *   ssd: undefined, ssdOnly: false, pinned: false, noCache: false, metadata: {} } as never;
 * const entry = { rank: 0, uses: 0, lastUsed: null, quant: "Q4_K_M", params: 8e9,
 *   ssd: { state: "none" }, hdd: { present: true } } as never;
 * const row = apiModelRow(m, entry, { status: "stopped" }, []);
 * assert(row.model_size_mb === 2048 && row.cache_location === "secondary" && row.status === "unloaded");
 * ```
 */
export function apiModelRow(
  model: IndexedModel,
  entry: ListEntry,
  served: ServedState,
  customPaths: readonly string[],
): ApiModel {
  const place = modelPlace(model, customPaths);
  const onSsd = place.locations.includes("primary");
  const path = (onSsd ? model.ssd?.path : model.hdd?.path) ?? model.hdd?.path ??
    model.ssd?.path ?? "";
  return {
    model_name: model.name,
    id: model.id,
    ...place,
    model_size_mb: Math.round((model.size / 1024 ** 2) * 10) / 10,
    path,
    rank: Math.round(entry.rank * 100) / 100,
    uses: entry.uses,
    last_used: entry.lastUsed === null ? null : isoTime(entry.lastUsed),
    pinned: model.pinned,
    on_ssd: onSsd,
    no_cache: model.noCache,
    ssd_only: model.ssdOnly,
    store: entry.hdd.store ?? null,
    quant: entry.quant,
    parameters: entry.params,
    ssd: {
      state: entry.ssd.state,
      path: entry.ssd.path ?? null,
      progress: entry.ssd.progress ?? null,
    },
    status: routerStatus(served.status),
    state: served.status,
    port: served.port ?? null,
  };
}

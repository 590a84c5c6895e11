/**
 * What `--serve` lists (pure): `GET /v1/models` and `GET /models` in the
 * shape of llama.cpp's router mode (`status.value` is what Open WebUI reads)
 * plus llama-pack's own fields, `GET /running` in llama-swap's shape, and
 * the status events of `GET /models/sse`.
 *
 * @module
 */

import { type IndexedModel, rankOf } from "./model_index.ts";
import { friendlyName } from "./model_names.ts";
import type { ModelStatus } from "./serve_effects.ts";

/** The router's status words. */
export type RouterStatus = "unloaded" | "loading" | "loaded";

/**
 * The router's status word for a scheduler status: waiting and starting are
 * `loading`, ready is `loaded`, stopping and stopped are `unloaded`.
 *
 * @param status The scheduler's status.
 * @returns The word clients read in `status.value`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { routerStatus } from "./serve_listing.ts";
 * assert(routerStatus("starting") === "loading" && routerStatus("ready") === "loaded");
 * ```
 */
export function routerStatus(status: ModelStatus): RouterStatus {
  if (status === "ready") return "loaded";
  if (status === "waiting" || status === "starting") return "loading";
  return "unloaded";
}

/** What `--serve` knows of a model's server. */
export interface ServedState {
  /** The scheduler's status. */
  status: ModelStatus;
  /** The port its server listens on, when one runs. */
  port?: number;
  /** The tier it was loaded from, when one runs. */
  tier?: "ssd" | "hdd";
  /** The server's argv, when one runs. */
  args?: string[];
  /** The last start failed (cleared by the next success). */
  failed?: { exitCode: number | null; message: string };
}

/** One entry of `GET /v1/models`. */
export interface ModelListEntry {
  /** The model's id (unique). */
  id: string;
  /** Always `model`. */
  object: "model";
  /** Always `llama-pack`. */
  owned_by: string;
  /** When it was first seen (unix seconds). */
  created: number;
  /** Other names that route to it. */
  aliases: string[];
  /** Always empty (the router's informational tags). */
  tags: string[];
  /** The router's status object. */
  status: {
    value: RouterStatus;
    args: string[];
    failed?: true;
    exit_code?: number;
    message?: string;
  };
  /** The friendly name. */
  name: string;
  /** The file a server is given. */
  path: string;
  /** Where it would load from: `ssd` (a verified copy) or `hdd`. */
  tier: "ssd" | "hdd";
  /** Its size in bytes. */
  size: number;
  /** Its rank (estimated uses per week). */
  rank: number;
  /** Its quant, from the GGUF header. */
  quant: string | null;
  /** llama-pack's finer state: `stopped`, `waiting`, `starting`, `ready`, `stopping`. */
  state: ModelStatus;
  /** The port of its server, while one runs. */
  port?: number;
}

/**
 * The `GET /v1/models` entry of one model.
 *
 * @param model The model.
 * @param served What `--serve` knows of its server.
 * @param aliases Its aliases.
 * @param now Unix seconds.
 * @returns The entry.
 *
 * @example An unloaded model
 * ```ts
 * import assert from "node:assert/strict";
 * import { modelListEntry } from "./serve_listing.ts";
 * const m = { id: "a/x-Q4_K_M.gguf", name: "x-Q4_K_M.gguf", size: 10, firstSeen: 5, metadata: { quant: "Q4_K_M" },
 *   hdd: { path: "/h/a/x-Q4_K_M.gguf" }, ssd: undefined, uses: [] } as never;
 * const e = modelListEntry(m, { status: "stopped" }, ["x-Q4_K_M"], 100);
 * assert(e.status.value === "unloaded" && e.tier === "hdd" && e.quant === "Q4_K_M");
 * ```
 */
export function modelListEntry(
  model: IndexedModel,
  served: ServedState,
  aliases: string[],
  now: number,
): ModelListEntry {
  const onSsd = model.ssd !== undefined && model.ssd.verified;
  const tier: "ssd" | "hdd" = served.tier ?? (onSsd || model.hdd === undefined ? "ssd" : "hdd");
  const path = (tier === "ssd" ? model.ssd?.path : model.hdd?.path) ?? model.hdd?.path ??
    model.ssd?.path ?? "";
  const status: ModelListEntry["status"] = {
    value: routerStatus(served.status),
    args: served.args ?? [],
  };
  if (served.failed && served.status === "stopped") {
    status.failed = true;
    if (served.failed.exitCode !== null) status.exit_code = served.failed.exitCode;
    status.message = served.failed.message;
  }
  const quant = model.metadata?.quant;
  const entry: ModelListEntry = {
    id: model.id,
    object: "model",
    owned_by: "llama-pack",
    created: Math.floor(model.firstSeen),
    aliases,
    tags: [],
    status,
    name: friendlyName(model.name),
    path,
    tier,
    size: model.size,
    rank: Math.round(rankOf(model, now) * 100) / 100,
    quant: typeof quant === "string" ? quant : null,
    state: served.status,
  };
  if (served.port !== undefined) entry.port = served.port;
  return entry;
}

/** One entry of llama-swap's `GET /running`. */
export interface RunningEntry {
  /** The model's id. */
  model: string;
  /** llama-swap's state words: `starting`, `ready`, `stopping`. */
  state: string;
  /** The server's command line. */
  cmd: string;
  /** Where `--serve` proxies to. */
  proxy: string;
  /** Seconds of idle before it is unloaded; 0 = never. */
  ttl: number;
  /** The friendly name. */
  name: string;
  /** Requests in flight. */
  in_flight: number;
  /** Where it loaded from. */
  tier: string;
  /** When its server was started (ISO 8601 UTC), or `null` before it is. */
  started_at: string | null;
  /** Its server's resident memory in bytes, or `null` when unknown. */
  memory_bytes: number | null;
}

/**
 * The `GET /models/sse` event of a status change, as llama.cpp's router
 * sends it: `{model, event: "model_status", data: {status}}`.
 *
 * @param model The model's id.
 * @param status Its new status.
 * @returns The event's JSON value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { statusEvent } from "./serve_listing.ts";
 * assert.deepEqual(statusEvent("m", "ready"), { model: "m", event: "model_status", data: { status: "loaded", state: "ready" } });
 * ```
 */
export function statusEvent(
  model: string,
  status: ModelStatus,
): { model: string; event: string; data: { status: RouterStatus; state: ModelStatus } } {
  return { model, event: "model_status", data: { status: routerStatus(status), state: status } };
}

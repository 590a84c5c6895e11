// The page's one store (pure): what the API answered and what api/events
// said since, reduced into plain state the views render. No DOM, no clock.
// The shapes are those of docs/api.md (lib/core/api_events.ts,
// lib/core/api_models.ts, lib/core/cache_stats_doc.ts).

/** How many recent events the page keeps. */
export const EVENT_LIMIT = 50;

/** Events that only update figures: never listed among the recent events. */
const QUIET = new Set(["copy_progress", "download_progress", "cache_stats", "models_changed"]);

/** Events after which the model list is fetched again. */
export const REFETCH_MODELS = new Set([
  "models_changed",
  "copy_finished",
  "eviction",
  "download_finished",
  "scan",
]);

/**
 * @typedef {{at: number, type: string, text: string, level: string}} EventLine
 * @typedef {{
 *   models: Record<string, any>, stats: any, monitor: any, settings: any,
 *   servers: Record<string, any>,
 *   copies: Record<string, any>, downloads: Record<string, any>, events: EventLine[],
 *   conn: string, keyPrompt: string | null, notice: string | null, now: number
 * }} State
 */

/**
 * The state before anything is known.
 * @returns {State}
 */
export function initialState() {
  return {
    /** GET api/models rows by id. */
    models: {},
    /** GET api/cache/stats (also the cache_stats event). */
    stats: null,
    /** The last monitor_pass event. */
    monitor: null,
    /** GET api/settings: the config as --serve runs it. */
    settings: null,
    /** Running servers by model id. */
    servers: {},
    /** Copies under way by job id. */
    copies: {},
    /** Downloads under way by download id. */
    downloads: {},
    /** Recent events, newest first: {at, type, text, level}. */
    events: [],
    /** "connecting" | "live" | "offline". */
    conn: "connecting",
    /** null, or "ask" / "refused" while the page needs the API key. */
    keyPrompt: null,
    /** The last error worth showing. */
    notice: null,
    /** The clock, unix seconds (ticked by the app). */
    now: 0,
  };
}

/**
 * The next state after an action.
 * @param {State} state
 * @param {{type: string, [k: string]: any}} action
 * @returns {State}
 */
export function reduce(state, action) {
  switch (action.type) {
    case "models":
      return { ...state, models: Object.fromEntries(action.models.map((m) => [m.id, m])) };
    case "running":
      // llama-swap's GET running (with llama-pack's start and memory): the
      // servers of --serve when the page opens, and their memory since.
      return {
        ...state,
        servers: Object.fromEntries(
          action.running.map((r) => [r.model, {
            ...state.servers[r.model],
            model: r.model,
            name: r.name,
            state: r.state,
            tier: r.tier,
            port: portOf(r.proxy),
            in_flight: r.in_flight,
            started_at: typeof r.started_at === "string" ? Date.parse(r.started_at) / 1000 : null,
            memory_bytes: r.memory_bytes ?? null,
          }]),
        ),
      };
    case "settings":
      return { ...state, settings: action.settings };
    case "stats":
      return { ...state, stats: action.stats };
    case "conn":
      return { ...state, conn: action.conn };
    case "key":
      return { ...state, keyPrompt: action.prompt };
    case "notice":
      return { ...state, notice: action.notice };
    case "tick":
      return { ...state, now: action.now };
    case "event":
      return applyEvent(state, action.event, action.at);
    default:
      return state;
  }
}

/** @param {string | undefined} url */
function portOf(url) {
  const m = /:(\d+)\/?$/.exec(url ?? "");
  return m ? Number(m[1]) : null;
}

/** @param {Record<string, any>} map @param {string} key */
function without(map, key) {
  const out = { ...map };
  delete out[key];
  return out;
}

/**
 * Folds one live event into the state and the recent-events list.
 * @param {State} state
 * @param {{type: string, data: any}} event
 * @param {number} at Unix seconds.
 * @returns {State}
 */
export function applyEvent(state, event, at) {
  const d = event.data ?? {};
  let next = state;
  switch (event.type) {
    case "server_status": {
      const m = state.models[d.model_id];
      const models = m
        ? {
          ...state.models,
          [d.model_id]: { ...m, status: d.status, state: d.state, port: d.port },
        }
        : state.models;
      const servers = d.state === "stopped" || d.state === "waiting"
        ? without(state.servers, d.model_id)
        : {
          ...state.servers,
          [d.model_id]: {
            ...state.servers[d.model_id],
            model: d.model_id,
            name: d.model_name,
            state: d.state,
            status: d.status,
            port: d.port,
            tier: d.tier,
          },
        };
      next = { ...state, models, servers };
      break;
    }
    case "copy_started":
    case "copy_progress":
      next = {
        ...state,
        copies: { ...state.copies, [d.job_id]: { ...state.copies[d.job_id], ...d } },
      };
      break;
    case "copy_finished":
      next = { ...state, copies: without(state.copies, String(d.job_id)) };
      break;
    case "download_started":
    case "download_progress":
      next = {
        ...state,
        downloads: {
          ...state.downloads,
          [d.download_id]: { ...state.downloads[d.download_id], ...d },
        },
      };
      break;
    case "download_finished":
      next = { ...state, downloads: without(state.downloads, String(d.download_id)) };
      break;
    case "cache_stats":
      next = { ...state, stats: d };
      break;
    case "monitor_pass":
      next = { ...state, monitor: d };
      break;
  }
  if (QUIET.has(event.type)) return next;
  const line = { at, type: event.type, ...describeEvent(event) };
  return { ...next, events: [line, ...next.events].slice(0, EVENT_LIMIT) };
}

const mb = (bytes) => `${Math.round(Number(bytes ?? 0) / 1024 ** 2)} MB`;

/**
 * A line for the recent-events list.
 * @param {{type: string, data: any}} event
 * @returns {{text: string, level: "info" | "warn" | "error"}}
 */
export function describeEvent(event) {
  const d = event.data ?? {};
  const name = displayName(d.model_name ?? d.model_id);
  const to = d.destination === "custom" ? (d.dest_dir ?? "a custom directory") : "the SSD";
  switch (event.type) {
    case "server_status":
      return {
        text: `${name}: ${d.state}${d.port ? ` on port ${d.port}` : ""}${
          d.tier ? ` from the ${String(d.tier).toUpperCase()}` : ""
        }`,
        level: "info",
      };
    case "copy_started":
      return {
        text: `copying ${name} to ${to} (${mb(d.bytes_total)}): ${d.reason}`,
        level: "info",
      };
    case "copy_finished":
      return d.state === "done"
        ? { text: `copied ${name} to ${to} in ${Math.round(d.seconds)} s`, level: "info" }
        : { text: `copy of ${name} failed: ${d.message}`, level: "error" };
    case "eviction":
      return {
        text: `evicted ${name} from the SSD (${mb(d.bytes)} freed): ${d.reason}`,
        level: "info",
      };
    case "download_started":
      return { text: `downloading ${d.label} (${mb(d.bytes_needed)}) to ${d.dir}`, level: "info" };
    case "download_finished":
      return d.state === "done"
        ? { text: `downloaded ${d.label}: ${d.message}`, level: "info" }
        : { text: `download of ${d.label} failed: ${d.message}`, level: "error" };
    case "cache_warning":
      return { text: d.message, level: d.active ? "warn" : "info" };
    case "copy_passed_over":
      // A stale copy is copied again by the usual rules; a damaged one needs the user.
      return { text: d.message, level: d.problem === "damaged" ? "error" : "warn" };
    case "scan":
      return {
        text: `scan: ${d.models} models, ${d.added?.length ?? 0} new, ${d.gone?.length ?? 0} gone` +
          (d.warnings ? `, ${d.warnings} warnings` : ""),
        level: d.warnings ? "warn" : "info",
      };
    case "monitor_pass":
      return {
        text: `monitor pass (${d.trigger})` +
          (d.refill?.length ? `: refilling ${d.refill.map((r) => r.model_name).join(", ")}` : "") +
          (d.refill_skipped ? `: no refill, ${d.refill_skipped}` : ""),
        level: "info",
      };
    default:
      return {
        text: typeof d.message === "string" ? d.message : event.type.replace(/_/g, " "),
        level: /fail|error/.test(event.type) ? "error" : "info",
      };
  }
}

/**
 * A model's name as the page shows it: without `.gguf`.
 * @param {unknown} name
 * @returns {string}
 */
export function displayName(name) {
  return String(name ?? "").replace(/\.gguf$/i, "");
}

/**
 * The percent done of a copy or download.
 * @param {{bytes_done?: number, bytes_total?: number, percent?: number}} t
 */
export function percentOf(t) {
  if (typeof t.percent === "number") return Math.floor(t.percent);
  const total = Number(t.bytes_total ?? 0);
  return total > 0 ? Math.min(100, Math.floor((Number(t.bytes_done ?? 0) / total) * 100)) : 0;
}

/**
 * @typedef {{
 *   id: string, name: string, path: string, quant: string | null, params: number | null,
 *   sizeMb: number, where: string, custom: boolean, store: string | null,
 *   copyPercent: number | null, rank: number,
 *   uses: number, lastUsed: number | null, status: string, pinned: boolean, onSsd: boolean,
 *   ssdOnly: boolean, port: number | null
 * }} ModelRow
 */

/**
 * The rows of the models table.
 * @param {State} state
 * @returns {ModelRow[]}
 */
export function modelRows(state) {
  const copying = new Map(
    Object.values(state.copies).filter((c) => c.destination !== "custom").map((
      c,
    ) => [c.model_id, c]),
  );
  return Object.values(state.models).map((m) => {
    const copy = copying.get(m.id);
    const locations = m.locations ?? [];
    const onSsd = Boolean(m.on_ssd);
    const elsewhere = locations.some((l) => l !== "primary");
    const isCopying = copy !== undefined || m.ssd?.state === "copying";
    const permanent = locations.includes("secondary")
      ? "hdd"
      : locations.includes("custom")
      ? "custom"
      : "hdd";
    const where = isCopying ? "copying" : onSsd && elsewhere ? "both" : onSsd ? "ssd" : permanent;
    const lastUsed = typeof m.last_used === "string" ? Date.parse(m.last_used) / 1000 : m.last_used;
    return {
      id: m.id,
      name: displayName(m.model_name ?? m.id),
      path: String(m.path ?? ""),
      quant: m.quant ?? null,
      params: m.parameters ?? null,
      sizeMb: Number(m.model_size_mb ?? 0),
      where,
      custom: locations.includes("custom"),
      store: m.store ?? null,
      copyPercent: copy
        ? percentOf(copy)
        : isCopying && m.ssd?.progress != null
        ? Math.floor(m.ssd.progress * 100)
        : isCopying
        ? 0
        : null,
      rank: Number(m.rank ?? 0),
      uses: Number(m.uses ?? 0),
      lastUsed: Number.isFinite(lastUsed) ? lastUsed : null,
      status: m.status ?? "unloaded",
      pinned: Boolean(m.pinned),
      onSsd,
      ssdOnly: Boolean(m.ssd_only),
      port: m.port ?? null,
    };
  });
}

const STATUS_ORDER = { loaded: 0, loading: 1, unloaded: 2 };
const WHERE_ORDER = { ssd: 0, both: 1, copying: 2, custom: 3, hdd: 4 };

/**
 * Rows sorted by a column (ties by name, then id, so the order is stable).
 * @param {ModelRow[]} rows
 * @param {string} key
 * @param {number} dir 1 ascending, -1 descending.
 * @returns {ModelRow[]}
 */
export function sortRows(rows, key, dir) {
  const value = (r) => {
    if (key === "status") return STATUS_ORDER[r.status] ?? 3;
    if (key === "where") return WHERE_ORDER[r.where] ?? 4;
    const v = r[key];
    if (typeof v === "string") return v.toLowerCase();
    return v ?? -Infinity;
  };
  return [...rows].sort((a, b) => {
    const x = value(a);
    const y = value(b);
    const c = x < y ? -1 : x > y ? 1 : 0;
    return c * dir || a.name.localeCompare(b.name) || a.id.localeCompare(b.id);
  });
}

/**
 * Rows whose name, path, quant, place or status contain every word of the query.
 * @param {ModelRow[]} rows
 * @param {string} query
 * @returns {ModelRow[]}
 */
export function filterRows(rows, query) {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return rows;
  return rows.filter((r) => {
    const text = `${r.name} ${r.path} ${r.quant ?? ""} ${r.where} ${r.status}`.toLowerCase();
    return words.every((w) => text.includes(w));
  });
}

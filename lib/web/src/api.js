// Talking to llama-pack's API: JSON calls with the session's key, and the
// event stream read with fetch (EventSource cannot send a key).

const KEY = "llama-pack-api-key";

/** A call answered 401: the page asks for a key. */
export class KeyNeeded extends Error {}

/** A call that failed, with the API's message. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   * @param {unknown} body
   */
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

/** The key kept for this browser tab's session, if any. */
export function sessionKey() {
  try {
    return sessionStorage.getItem(KEY) ?? "";
  } catch {
    return "";
  }
}

/** @param {string} key */
export function setSessionKey(key) {
  try {
    if (key) sessionStorage.setItem(KEY, key);
    else sessionStorage.removeItem(KEY);
  } catch {
    // storage refused (private mode): the key lives until the page reloads
  }
  memoryKey = key;
}

let memoryKey = "";

function headers(extra = {}) {
  const key = sessionKey() || memoryKey;
  return key ? { ...extra, authorization: `Bearer ${key}` } : extra;
}

/** The message of an error body: `{"error": "…"}` or `{"error": {"message": "…"}}`. */
function messageOf(body, fallback) {
  const e = body && typeof body === "object" ? body.error : undefined;
  if (typeof e === "string") return e;
  if (e && typeof e.message === "string") return e.message;
  return fallback;
}

/**
 * Calls the API; paths are relative so the page works behind a proxy's prefix.
 * @param {string} method
 * @param {string} path E.g. "api/models".
 * @param {unknown} [body] Sent as JSON.
 * @returns {Promise<any>} The parsed answer.
 */
export async function call(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: headers(body === undefined ? {} : { "content-type": "application/json" }),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 401) throw new KeyNeeded("the API key was refused");
  const text = await res.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  if (!res.ok) {
    throw new ApiError(res.status, messageOf(parsed, `${res.status} ${res.statusText}`), parsed);
  }
  return parsed;
}

/**
 * Reads a server-sent-event stream until it ends or `signal` aborts,
 * calling `onEvent({type, data})` for each message (`type` from `event:`,
 * else from the JSON payload's `type`, else "message").
 * @param {string} path
 * @param {AbortSignal} signal
 * @param {(e: {type: string, data: any}) => void} onEvent
 * @param {() => void} onOpen
 */
export async function streamEvents(path, signal, onEvent, onOpen) {
  const res = await fetch(path, { headers: headers({ accept: "text/event-stream" }), signal });
  if (res.status === 401) throw new KeyNeeded("the API key was refused");
  if (!res.ok || !res.body) throw new ApiError(res.status, `${path}: ${res.status}`, null);
  onOpen();
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const message = parseSseBlock(block);
      if (message) onEvent(message);
    }
  }
}

/**
 * One SSE message: its `event:` name and its `data:` lines parsed as JSON;
 * a payload `{"type", "data"}` without an `event:` line is unwrapped.
 * @param {string} block
 * @returns {{type: string, data: any} | undefined}
 */
export function parseSseBlock(block) {
  let type = "";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") type = value;
    else if (field === "data") data.push(value);
  }
  if (data.length === 0) return undefined;
  let payload;
  try {
    payload = JSON.parse(data.join("\n"));
  } catch {
    payload = data.join("\n");
  }
  // llama-pack's api/events: every message is `data: {"type", "data"}`.
  if (!type && payload && typeof payload === "object" && typeof payload.type === "string") {
    return { type: payload.type, data: payload.data };
  }
  return { type: type || "message", data: payload };
}

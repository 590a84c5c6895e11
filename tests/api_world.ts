/**
 * A sandbox for the cache API of `--serve`: small real GGUF models on the
 * "HDD" (with real bytes, so copies are hashed), one SSD-only model, a
 * custom directory with a model of its own, scanned, and `--serve` running
 * on it with the fake llama-server. Tests call its routes with {@linkcode api}.
 *
 * @module
 */

import { join } from "node:path";
import { assertEquals } from "./assert.ts";
import { type LibrarySpec, makeLibrary } from "./gguf_writer.ts";
import { makeSandbox, type Sandbox } from "./sandbox.ts";
import { freePort } from "./fixtures/fake_server.ts";
import { type RunningServe, startServe } from "./serve_fixture.ts";

/** Bytes in a MiB. */
export const MIB = 1024 ** 2;

/** The sandbox with its custom directory. */
export interface ApiWorld extends Sandbox {
  /** The custom directory (`custom_paths[0]`). */
  custom: string;
  /** The config keys written over the sandbox's defaults. */
  settings: Record<string, unknown>;
}

/** Writes real bytes into a model file past its header, so hashes see data. */
async function fill(path: string, bytes: number): Promise<void> {
  const f = await Deno.open(path, { write: true });
  try {
    await f.seek(64 * 1024, Deno.SeekMode.Start);
    const junk = new Uint8Array(bytes);
    for (let i = 0; i < junk.length; i += 65536) {
      crypto.getRandomValues(junk.subarray(i, Math.min(junk.length, i + 65536)));
    }
    await f.write(junk);
  } finally {
    f.close();
  }
}

/**
 * Builds the world: HDD `llm/Gemma2-9B-Q5_K_M.gguf` (8 MiB) and
 * `llm/Qwen3-8B-Q4_K_M.gguf` (6 MiB), SSD-only `mine/Private-3B-Q8_0.gguf`
 * (2 MiB), custom `phi/Phi-4-mini-Q4_K_M.gguf` (3 MiB), scanned.
 *
 * @param config Config keys over the defaults (`cache.auto` off, child ports).
 * @param options Model sizes to override, more HDD models.
 * @returns The sandbox.
 */
export async function apiWorld(
  config: Record<string, unknown> = {},
  options: { hdd?: LibrarySpec } = {},
): Promise<ApiWorld> {
  const sb = await makeSandbox();
  const custom = join(sb.root, "usb");
  await Deno.mkdir(custom);
  const first = freePort();
  const settings = {
    custom_paths: [custom],
    cache: { auto: false },
    serve: { child_ports: `${first}-${first + 40}` },
    ...config,
  };
  if (config.serve) settings.serve = { child_ports: `${first}-${first + 40}`, ...config.serve };
  await sb.writeConfig(settings);
  const hdd: LibrarySpec = options.hdd ?? {
    "llm/Gemma2-9B-Q5_K_M.gguf": { size: 8 * MIB, architecture: "gemma2", fileType: "Q5_K_M" },
    "llm/Qwen3-8B-Q4_K_M.gguf": { size: 6 * MIB, architecture: "qwen3", fileType: "Q4_K_M" },
  };
  await makeLibrary(sb.hdd, hdd);
  for (const [rel, spec] of Object.entries(hdd)) {
    const size = "size" in spec ? spec.size : undefined;
    if (typeof size === "number") await fill(join(sb.hdd, rel), Math.min(MIB, size / 2));
  }
  await makeLibrary(sb.ssd, { "mine/Private-3B-Q8_0.gguf": { size: 2 * MIB } });
  await makeLibrary(custom, { "phi/Phi-4-mini-Q4_K_M.gguf": { size: 3 * MIB } });
  const r = await sb.run(["-u"]);
  assertEquals(r.code, 0, r.stderr);
  return Object.assign(sb, { custom, settings });
}

/** A JSON answer: status and body. */
export interface Answer {
  /** The HTTP status. */
  status: number;
  /** The parsed body. */
  body: Record<string, unknown> & unknown[];
}

/**
 * Calls a route of the running `--serve`.
 *
 * @param serve The running `--serve`.
 * @param method `GET` or `POST`.
 * @param path The path and query.
 * @param body A JSON body (or a string sent as is).
 * @param headers More headers.
 * @returns The status and the parsed JSON body.
 */
export async function api(
  serve: RunningServe,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await fetch(`${serve.url}${path}`, {
    method,
    headers: { "content-type": "application/json", ...headers },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${method} ${path}: ${res.status}, not JSON: ${text}`);
  }
  return { status: res.status, body: parsed as Answer["body"] };
}

/** Collects the events of `/api/events` while a test runs. */
export interface EventLog {
  /** The events so far, `{type, data}`. */
  events: { type: string; data: Record<string, unknown> }[];
  /** Waits for an event matching `pred` (fails after `timeoutMs`). */
  waitFor(
    pred: (e: { type: string; data: Record<string, unknown> }) => boolean,
    timeoutMs?: number,
  ): Promise<{ type: string; data: Record<string, unknown> }>;
  /** Ends the stream. */
  close(): Promise<void>;
}

/**
 * Follows `/api/events`.
 *
 * @param serve The running `--serve`.
 * @param headers More headers (a key).
 * @returns The log.
 */
export async function followEvents(
  serve: RunningServe,
  headers: Record<string, string> = {},
): Promise<EventLog> {
  const controller = new AbortController();
  const res = await fetch(`${serve.url}/api/events`, { headers, signal: controller.signal });
  assertEquals(res.status, 200);
  assertEquals(res.headers.get("content-type"), "text/event-stream");
  const events: EventLog["events"] = [];
  const reading = (async () => {
    let buf = "";
    const dec = new TextDecoder();
    try {
      for await (const chunk of res.body!) {
        buf += dec.decode(chunk, { stream: true });
        let i;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const msg = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (msg.startsWith("data: ")) events.push(JSON.parse(msg.slice(6)));
        }
      }
    } catch {
      // aborted
    }
  })();
  return {
    events,
    async waitFor(pred, timeoutMs = 20_000) {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const e = events.find(pred);
        if (e) return e;
        if (performance.now() > deadline) {
          throw new Error(`no such event; got: ${events.map((x) => x.type).join(", ")}`);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async close() {
      controller.abort();
      await reading;
    },
  };
}

/**
 * Runs `fn` with a world and `--serve` on it, and cleans up after.
 *
 * @param fn The test.
 * @param config Config keys.
 * @param options More for the world and `--serve`.
 */
export async function withApi(
  fn: (sb: ApiWorld, serve: RunningServe) => Promise<void>,
  config: Record<string, unknown> = {},
  options: {
    hdd?: LibrarySpec;
    env?: Record<string, string>;
    /** Runs before `--serve` starts; returns config keys to write over the world's. */
    prepare?: (sb: ApiWorld) => Promise<Record<string, unknown>>;
    /** Runs after `--serve` stopped, before the sandbox is removed. */
    cleanup?: (sb: ApiWorld) => Promise<void>;
  } = {},
): Promise<void> {
  const sb = await apiWorld(config, options.hdd ? { hdd: options.hdd } : {});
  let serve: RunningServe | undefined;
  try {
    if (options.prepare) {
      sb.settings = { ...sb.settings, ...await options.prepare(sb) };
      await sb.writeConfig(sb.settings);
    }
    serve = await startServe(sb, options.env ? { env: options.env } : {});
    await fn(sb, serve);
  } finally {
    await serve?.stop();
    await sb.run(["--killall"], { env: { LLAMA_PACK_STOP_GRACE_MS: "200" } });
    await options.cleanup?.(sb);
    await sb.cleanup();
  }
}

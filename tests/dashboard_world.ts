/**
 * The world the dashboard is tested and photographed in: a sandbox whose
 * HDD and SSD hold real GGUF headers with sparse bodies (quant and
 * parameters read from them by `--update`), twins that share a file name,
 * a few weeks of uses, an SSD at 50% of its 10 GiB limit, an empty custom
 * directory (`custom_paths`), and the real `llama-pack --serve` with the
 * fake llama-server.
 *
 * @module
 */

import { join } from "node:path";
import { makeLibrary, shardEntries } from "./gguf_writer.ts";
import { makeSandbox, type Sandbox } from "./sandbox.ts";
import { freePort } from "./fixtures/fake_server.ts";
import { type RunningServe, startServe } from "./serve_fixture.ts";
import { StateStore } from "../lib/state/store.ts";

const GIB = 1024 ** 3;
const MIB = 1024 ** 2;

/** A sandbox with models and a running `--serve`. */
export interface DashboardWorld {
  /** The sandbox. */
  sb: Sandbox;
  /** The running `--serve`. */
  serve: RunningServe;
  /** Model ids by short name (`gemma`, `qwen-a`, `qwen-b`, …). */
  ids: Record<string, string>;
  /** Stops everything and removes the sandbox. */
  close(): Promise<void>;
}

/** Options of {@linkcode dashboardWorld}. */
export interface DashboardWorldOptions {
  /** Environment of `--serve` (e.g. `LLAMA_PACK_API_KEY`). */
  env?: Record<string, string>;
}

/** The SSD's limit: 5 GiB of SSD-only models put it at 50%. */
export const SSD_LIMIT_GB = 10;

/**
 * Builds the world and starts `--serve` in it.
 *
 * @param options Its environment.
 * @returns The world; call `close()` in `finally`.
 */
export async function dashboardWorld(options: DashboardWorldOptions = {}): Promise<DashboardWorld> {
  const sb = await makeSandbox();
  let serve: RunningServe | undefined;
  try {
    const first = freePort();
    const custom = join(sb.root, "custom");
    await Deno.mkdir(custom);
    await sb.writeConfig({
      ssd_limit_gb: SSD_LIMIT_GB,
      custom_paths: [custom],
      cache: { auto: false },
      serve: { child_ports: `${first}-${first + 20}` },
    });
    await makeLibrary(sb.hdd, {
      "llm/gemma-3-1b-it-Q5_K_M.gguf": {
        size: 256 * MIB,
        architecture: "gemma3",
        parameterCount: 1.0e9,
        fileType: "Q5_K_M",
      },
      "qwen/Qwen3-8B-Q4_K_M.gguf": { size: Math.floor(4.7 * GIB), parameterCount: 8.2e9 },
      "archive/2024/Qwen3-8B-Q4_K_M.gguf": {
        size: Math.floor(4.6 * GIB),
        parameterCount: 8.0e9,
        name: "Qwen3 8B (older upload)",
      },
      "llm/Qwen3-30B-A3B-Q4_K_M.gguf": {
        size: Math.floor(17.3 * GIB),
        architecture: "qwen3moe",
        parameterCount: 30.5e9,
        expertCount: 128,
      },
      "vision/Mistral-Small-3.2-24B-Q6_K.gguf": {
        size: 18 * GIB,
        parameterCount: 23.6e9,
        fileType: "Q6_K",
      },
      "vision/mmproj-Mistral-Small-3.2-24B-F16.gguf": { projector: true, size: 800 * MIB },
      ...shardEntries("big/Llama-3.3-70B-Instruct-Q4_K_M", 2, {
        size: Math.floor(39.6 * GIB),
        parameterCount: 70.6e9,
      }),
    });
    await makeLibrary(sb.ssd, {
      "scratch/tinyllama-1.1b-chat-Q8_0.gguf": {
        size: Math.floor(1.1 * GIB),
        parameterCount: 1.1e9,
        fileType: "Q8_0",
      },
      "scratch/Phi-4-mini-instruct-Q6_K.gguf": {
        size: Math.floor(3.9 * GIB),
        parameterCount: 3.8e9,
        fileType: "Q6_K",
      },
    });
    const update = await sb.run(["--update"]);
    if (update.code !== 0) throw new Error(`--update failed: ${update.stderr}`);
    const ids = recordHistory(sb.state);
    serve = await startServe(sb, {
      env: { FAKE_LLAMA_LOAD_SECONDS: "0.6", ...options.env },
    });
    const running = serve;
    return {
      sb,
      serve,
      ids,
      close: async () => {
        await running.stop();
        await sb.run(["--killall"], { env: { LLAMA_PACK_STOP_GRACE_MS: "200" } });
        await sb.cleanup();
      },
    };
  } catch (err) {
    await serve?.stop();
    await sb.cleanup();
    throw err;
  }
}

/** A few weeks of uses, so ranks, uses and "last used" say something. */
function recordHistory(state: string): Record<string, string> {
  const store = StateStore.open(state);
  try {
    const ids: Record<string, string> = {};
    for (const m of store.models()) {
      const p = m.id.toLowerCase();
      const key = p.includes("gemma")
        ? "gemma"
        : p.includes("archive")
        ? "qwen-b"
        : p.includes("qwen3-8b")
        ? "qwen-a"
        : p.includes("30b")
        ? "qwen30"
        : p.includes("mistral")
        ? "mistral"
        : p.includes("llama-3.3")
        ? "llama70"
        : p.includes("tinyllama")
        ? "tiny"
        : p.includes("phi")
        ? "phi"
        : m.id;
      ids[key] = m.id;
    }
    const now = Date.now() / 1000;
    const day = 86_400;
    const uses: [string, number[]][] = [
      ["qwen-a", [0.2, 0.9, 1.5, 2, 3, 4, 6, 8, 11, 13]],
      ["qwen30", [0.05, 1, 2.5, 5, 9]],
      ["phi", [0.5, 3, 7]],
      ["mistral", [12, 20]],
      ["qwen-b", [40]],
    ];
    for (const [key, days] of uses) {
      const id = ids[key];
      if (!id) continue;
      for (const d of days) {
        store.recordUse({ modelId: id, at: now - d * day, tier: "hdd" });
      }
    }
    return ids;
  } finally {
    store.close();
  }
}

/**
 * Writes a sparse file of `gib` GiB on the SSD (outside any model), so the
 * tier's usage grows without costing disk.
 *
 * @param sb The sandbox.
 * @param name The file's name.
 * @param gib Its apparent size.
 */
export async function growSsd(sb: Sandbox, name: string, gib: number): Promise<void> {
  const file = await Deno.open(join(sb.ssd, name), { write: true, create: true, truncate: true });
  try {
    await file.truncate(Math.round(gib * GIB));
  } finally {
    file.close();
  }
}

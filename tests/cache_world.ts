/**
 * The sandbox the SSD cache end-to-end tests work in: two small HDD models
 * with real bytes and one SSD-only model, scanned.
 *
 * @module
 */

import { assertEquals } from "./assert.ts";
import { type LibrarySpec, makeLibrary } from "./gguf_writer.ts";
import { makeSandbox, type Sandbox } from "./sandbox.ts";

const MIB = 1024 ** 2;

/**
 * A sandbox with two small HDD models (8 and 6 MiB) and one SSD-only model, scanned.
 *
 * @param config Config keys to set or override.
 * @returns The sandbox; call `cleanup()` in `finally`.
 */
export async function cacheWorld(config: Record<string, unknown> = {}): Promise<Sandbox> {
  const sb = await makeSandbox(config);
  const hdd: LibrarySpec = {
    "llm/Gemma2-9B-Q5_K_M.gguf": { size: 8 * MIB, architecture: "gemma2" },
    "llm/Qwen3-8B-Q4_K_M.gguf": { size: 6 * MIB, architecture: "qwen3" },
  };
  await makeLibrary(sb.hdd, hdd);
  await makeLibrary(sb.ssd, { "mine/Private-3B-Q8_0.gguf": { size: 2 * MIB } });
  // Real (non-sparse) bytes, so the copies carry data that the hashes check.
  for (const rel of Object.keys(hdd)) {
    const f = await Deno.open(`${sb.hdd}/${rel}`, { write: true });
    await f.seek(64 * 1024, Deno.SeekMode.Start);
    const junk = new Uint8Array(MIB);
    crypto.getRandomValues(junk.subarray(0, 65536));
    await f.write(junk);
    f.close();
  }
  const r = await sb.run(["-u"]);
  assertEquals(r.code, 0, r.stderr);
  return sb;
}

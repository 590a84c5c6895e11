/**
 * A state dir, an HDD with two models and an SSD, recorded as a scan would:
 * the world the SSD cache tests (copy, evict, plan, jobs, copier) work in.
 *
 * @module
 */

import type { Config } from "../lib/config/config.ts";
import { StateStore } from "../lib/state/store.ts";

const MIB = 1024 ** 2;

/** What {@linkcode world} made. */
export interface SsdWorld {
  /** The temp dir holding everything. */
  dir: string;
  /** The HDD root. */
  hdd: string;
  /** The SSD root. */
  ssd: string;
  /** The state store, in `<dir>/state`. */
  store: StateStore;
  /** A config naming the HDD and SSD. */
  config: Config;
  /** Closes the store and removes the temp dir. */
  cleanup: () => Promise<void>;
}

/** A state dir, an HDD with two models (one sharded) and an SSD, recorded as a scan would. */
export async function world(): Promise<SsdWorld> {
  const dir = await Deno.makeTempDir({ prefix: "llama-pack-ssdcache-" });
  const hdd = `${dir}/hdd`;
  const ssd = `${dir}/ssd`;
  await Deno.mkdir(`${hdd}/big`, { recursive: true });
  await Deno.mkdir(`${hdd}/llm`, { recursive: true });
  await Deno.mkdir(ssd);
  const write = async (path: string, size: number, seed: number) => {
    const data = new Uint8Array(size);
    for (let i = 0; i < size; i += 4096) data[i] = (i / 4096 + seed) & 0xff;
    await Deno.writeFile(path, data);
  };
  await write(`${hdd}/llm/a.gguf`, 2 * MIB, 1);
  await write(`${hdd}/big/b-00001-of-00002.gguf`, MIB, 2);
  await write(`${hdd}/big/b-00002-of-00002.gguf`, MIB, 3);
  await write(`${hdd}/big/mmproj-b.gguf`, MIB / 2, 4);
  const store = StateStore.open(`${dir}/state`);
  const file = (rel: string, size: number, role = "model") => ({
    path: `${hdd}/${rel}`,
    tier: "hdd" as const,
    root: hdd,
    rel,
    role,
    size,
    mtime: 1,
  });
  store.applyScan([
    {
      id: "a",
      name: "a.gguf",
      size: 2 * MIB,
      fingerprint: "fa",
      ssdOnly: false,
      metadata: {},
      files: [file("llm/a.gguf", 2 * MIB)],
    },
    {
      id: "b",
      name: "b.gguf",
      size: 2.5 * MIB,
      fingerprint: "fb",
      ssdOnly: false,
      metadata: {},
      files: [
        file("big/b-00002-of-00002.gguf", MIB, "shard"),
        file("big/mmproj-b.gguf", MIB / 2, "mmproj"),
        file("big/b-00001-of-00002.gguf", MIB),
      ],
    },
  ], { now: 1000, renames: {}, keepPrefixes: [], prune: false });
  const config = {
    ssd_path: ssd,
    hdd_path: [hdd],
    ssd_min_free_gb: 0,
    cache: { min_uses: 3, window_days: 7, auto: true },
    server_type: "llama-server",
    ready_timeout_s: 5,
  } as unknown as Config;
  return {
    dir,
    hdd,
    ssd,
    store,
    config,
    cleanup: async () => {
      store.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

import { assertEquals } from "../../tests/assert.ts";
import { StateStore } from "../state/store.ts";
import { storeMetadataCache } from "./update.ts";

async function withStore(fn: (store: StateStore) => void | Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "update_test_" });
  const store = StateStore.open(dir);
  try {
    await fn(store);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("storeMetadataCache() hits only on the same path, size and mtime, and writes on flush", async () => {
  await withStore((store) => {
    const cache = storeMetadataCache(store);
    const info = { ok: false as const, reason: "bad magic" };
    cache.set("/a.gguf", 10, 1000, info);
    assertEquals(store.ggufCacheRows().length, 0, "buffered until flush");
    assertEquals(cache.flush(), 1);
    const again = storeMetadataCache(store);
    assertEquals(again.get("/a.gguf", 10, 1000), info);
    assertEquals(again.get("/a.gguf", 11, 1000), undefined);
    assertEquals(again.get("/a.gguf", 10, 1001), undefined);
    assertEquals(again.get("/b.gguf", 10, 1000), undefined);
  });
});

import { assertEquals } from "../../tests/assert.ts";
import { StateStore } from "./store.ts";

Deno.test("StateStore caches GGUF metadata for the same size and mtime only", async () => {
  const dir = await Deno.makeTempDir();
  const s = StateStore.open(dir);
  try {
    s.ggufCacheSet("/a.gguf", 10, 1.5, { arch: "llama" });
    assertEquals(s.ggufCacheGet("/a.gguf", 10, 1.5), { arch: "llama" });
    assertEquals(s.ggufCacheGet("/a.gguf", 11, 1.5), undefined);
  } finally {
    s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

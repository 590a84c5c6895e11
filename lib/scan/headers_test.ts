import { assertEquals } from "../../tests/assert.ts";
import { LlamaPackError } from "../errors.ts";
import type { GgufInfo } from "../core/scanned.ts";
import { readHeaders } from "./headers.ts";
import type { FoundFile } from "./walk.ts";

const INFO: GgufInfo = {
  architecture: "llama",
  name: null,
  parameterCount: null,
  sizeLabel: null,
  quant: null,
  contextLength: null,
  layerCount: null,
  expertCount: null,
  splitNo: null,
  splitCount: null,
  isProjector: false,
};

const found = (name: string): FoundFile => ({
  rootIndex: 0,
  relPath: `${name}.gguf`,
  path: `/r/${name}.gguf`,
  realPath: `/r/${name}.gguf`,
  viaSymlink: false,
  size: 1,
  mtimeMs: 0,
});

Deno.test("readHeaders() keeps the given order, reads `concurrency` at a time, and warns about bad files", async () => {
  let inFlight = 0;
  let most = 0;
  const r = await readHeaders(["a", "b", "bad", "gone", "e"].map(found), [
    { tier: "hdd", path: "/r" },
  ], {
    concurrency: 2,
    readHeader: async (path) => {
      most = Math.max(most, ++inFlight);
      await Promise.resolve();
      await Promise.resolve();
      inFlight--;
      if (path.endsWith("bad.gguf")) {
        throw new LlamaPackError("BAD_GGUF", `${path}: not a GGUF file: bad magic`);
      }
      if (path.endsWith("gone.gguf")) {
        throw new LlamaPackError("IO", `${path}: cannot read: no such file`);
      }
      return { info: INFO, fingerprint: path, size: 1 };
    },
  });
  assertEquals(most, 2);
  assertEquals(r.files.map((f) => [f.tier, f.root, f.relPath]), [
    ["hdd", "/r", "a.gguf"],
    ["hdd", "/r", "b.gguf"],
    ["hdd", "/r", "e.gguf"],
  ]);
  assertEquals(r.warnings.map((w) => [w.kind, w.message]), [
    ["bad-gguf", "/r/bad.gguf: not a GGUF file: bad magic (skipped)"],
    ["unreadable", "/r/gone.gguf: cannot read: no such file (skipped)"],
  ]);
  assertEquals([r.headersRead, r.cacheHits], [5, 0]);
});

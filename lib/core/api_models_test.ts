import { assertEquals } from "../../tests/assert.ts";
import { apiModelRow, modelPlace } from "./api_models.ts";
import type { IndexedModel } from "./model_index.ts";
import type { ListEntry } from "./list_entry.ts";

const model = (over: Partial<IndexedModel>): IndexedModel => ({
  id: "x.gguf",
  name: "x.gguf",
  size: 3 * 1024 ** 3,
  metadata: {},
  firstSeen: 0,
  gone: false,
  ssdOnly: false,
  pinned: false,
  noCache: false,
  storedArgs: [],
  hdd: { path: "/hdd/x.gguf", mmproj: undefined, files: [], size: 3 * 1024 ** 3 },
  store: undefined,
  aliases: [],
  fingerprint: null,
  ssd: undefined,
  uses: [],
  ...over,
});
const ssdCopy = (verified: boolean) => ({
  path: "/ssd/x.gguf",
  mmproj: undefined,
  files: [],
  size: 3 * 1024 ** 3,
  verified,
  stale: undefined,
  damaged: undefined,
  unit: undefined,
});

Deno.test("modelPlace() names the fastest verified place and every place", async (t) => {
  await t.step("HDD only", () => {
    assertEquals(modelPlace(model({}), ["/custom"]), {
      cache_location: "secondary",
      cache_path: null,
      locations: ["secondary"],
    });
  });
  await t.step("an unverified SSD file does not count", () => {
    assertEquals(modelPlace(model({ ssd: ssdCopy(false) }), []).cache_location, "secondary");
  });
  await t.step("a verified SSD copy", () => {
    assertEquals(modelPlace(model({ ssd: ssdCopy(true) }), []).locations, ["primary", "secondary"]);
  });
  await t.step("SSD only", () => {
    const m = model({ hdd: undefined, ssdOnly: true, ssd: ssdCopy(true) });
    assertEquals(modelPlace(m, []).locations, ["primary"]);
  });
  await t.step("in a custom directory, with another copy on the HDD", () => {
    const m = model({
      hdd: { path: "/hdd/x.gguf", mmproj: undefined, files: [], size: 1 },
      metadata: { extraCopies: [{ path: "/mnt/usb/models/x.gguf", files: [] }] },
    });
    assertEquals(modelPlace(m, ["/mnt/usb/models"]), {
      cache_location: "custom",
      cache_path: "/mnt/usb/models",
      locations: ["secondary", "custom"],
    });
  });
});

Deno.test("apiModelRow() carries the guide's fields and the server's status", () => {
  const entry: ListEntry = {
    id: "x.gguf",
    name: "x.gguf",
    rank: 2.345,
    uses: 4,
    lastUsed: 86400,
    firstSeen: 0,
    params: 8e9,
    quant: "Q4_K_M",
    size: 3 * 1024 ** 3,
    ssd: { state: "copying", path: "/ssd/x.gguf", progress: 0.5 },
    hdd: { present: true, path: "/hdd/x.gguf" },
    statsOnly: false,
    ssdOnly: false,
  };
  const row = apiModelRow(model({ pinned: true }), entry, { status: "ready", port: 8101 }, []);
  assertEquals(row, {
    model_name: "x.gguf",
    id: "x.gguf",
    cache_location: "secondary",
    cache_path: null,
    locations: ["secondary"],
    model_size_mb: 3072,
    path: "/hdd/x.gguf",
    rank: 2.35,
    uses: 4,
    last_used: "1970-01-02T00:00:00Z",
    pinned: true,
    on_ssd: false,
    no_cache: false,
    ssd_only: false,
    store: null,
    quant: "Q4_K_M",
    parameters: 8e9,
    ssd: { state: "copying", path: "/ssd/x.gguf", progress: 0.5 },
    status: "loaded",
    state: "ready",
    port: 8101,
  });
});

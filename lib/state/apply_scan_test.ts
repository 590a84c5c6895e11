import { assertEquals } from "../../tests/assert.ts";
import { type ScannedModelRecord, StateStore } from "./store.ts";

async function withStore(fn: (store: StateStore) => void | Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "apply_scan_test_" });
  const store = StateStore.open(dir);
  try {
    await fn(store);
  } finally {
    store.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const rec = (id: string, tier: "hdd" | "ssd" = "hdd", size = 10): ScannedModelRecord => ({
  id,
  name: id,
  size,
  fingerprint: `fp-${id}`,
  ssdOnly: tier === "ssd",
  metadata: { quant: "Q4_K_M" },
  files: [{
    path: `/${tier}/${id}`,
    tier,
    root: `/${tier}`,
    rel: id,
    role: "model",
    size,
    mtime: 1,
  }],
});

const changes = (store: StateStore) =>
  Number((store.db.prepare("SELECT total_changes() AS n").get() as { n: number }).n);

Deno.test("StateStore.applyScan() records models, writes nothing for an unchanged rescan, marks and prunes gone ones", async (t) => {
  await withStore(async (store) => {
    await t.step("first scan adds", () => {
      const r = store.applyScan([rec("a"), rec("b"), rec("c", "ssd")], {
        now: 100,
        renames: {},
        keepPrefixes: [],
        prune: false,
      });
      assertEquals(r, { added: ["a", "b", "c"], renamed: [], gone: [], pruned: [] });
      assertEquals(store.files().map((f) => [f.path, f.model_id, f.tier]), [
        ["/hdd/a", "a", "hdd"],
        ["/hdd/b", "b", "hdd"],
        ["/ssd/c", "c", "ssd"],
      ]);
      assertEquals(store.model("c")?.ssd_only, 1);
    });
    await t.step("an unchanged rescan only touches last_seen", () => {
      const before = changes(store);
      store.applyScan([rec("a"), rec("b"), rec("c", "ssd")], {
        now: 200,
        renames: {},
        keepPrefixes: [],
        prune: false,
      });
      assertEquals(changes(store) - before, 3);
      assertEquals([store.model("a")?.first_seen, store.model("a")?.last_seen], [100, 200]);
    });
    await t.step(
      "a rename moves history; a vanished model is gone unless its directory was unreadable",
      () => {
        store.recordUse({ modelId: "a", at: 150 });
        const r = store.applyScan([rec("a2")], {
          now: 300,
          renames: { a: "a2" },
          keepPrefixes: ["/ssd"],
          prune: false,
        });
        assertEquals(r, { added: [], renamed: [["a", "a2"]], gone: ["b"], pruned: [] });
        assertEquals(store.uses("a2").length, 1);
        assertEquals(store.model("a2")?.first_seen, 100);
        assertEquals([store.model("b")?.gone, store.model("c")?.gone], [1, 0]);
        assertEquals(store.files().map((f) => f.path), ["/hdd/a2", "/ssd/c"]);
      },
    );
    await t.step("prune forgets gone models and their history", () => {
      store.recordUse({ modelId: "b", at: 120 });
      const r = store.applyScan([rec("a2")], {
        now: 400,
        renames: {},
        keepPrefixes: ["/ssd"],
        prune: true,
      });
      assertEquals(r.pruned, ["b"]);
      assertEquals([store.model("b"), store.uses("b")], [undefined, []]);
    });
  });
});

import { assert, assertEquals } from "../../tests/assert.ts";
import { buildIndex, markProblems } from "./model_index.ts";
import { cachedCopies, planCopy } from "./copy_plan.ts";
import type { FileRow, ModelRow, SsdUnitRow, UnitFile } from "./records.ts";

const row = (id: string, o: Partial<ModelRow> = {}): ModelRow => ({
  id,
  name: id,
  size: 20,
  fingerprint: null,
  first_seen: 0,
  last_seen: 0,
  gone: 0,
  ssd_only: 0,
  metadata: null,
  pinned: 0,
  no_cache: 0,
  stored_args: null,
  ...o,
});
const file = (model: string, tier: "ssd" | "hdd", rel: string, role = "model"): FileRow => ({
  path: `/${tier}/${rel}`,
  model_id: model,
  tier,
  root: `/${tier}`,
  rel,
  role,
  size: 10,
  mtime: 0,
});
const unitFile = (rel: string, role = "model"): UnitFile => ({
  ssd_path: `/ssd/${rel}`,
  src_path: `/hdd/${rel}`,
  src_root: "/hdd",
  rel,
  role,
  size: 10,
  hash: "ab",
  src: null,
  ssd: null,
});
const unit = (model: string, state: SsdUnitRow["state"], rels: string[]): SsdUnitRow => ({
  model_id: model,
  state,
  ssd_root: "/ssd",
  files: rels.map((r) => unitFile(r, r.includes("mmproj") ? "mmproj" : "model")),
  owner_pid: null,
  owner_start: null,
  verified_at: 1,
  updated_at: 1,
});
const S1 = "big/s-00001-of-00002.gguf";
const S2 = "big/s-00002-of-00002.gguf";
const MM = "big/mmproj-s.gguf";
const hddSplit = [file("s", "hdd", S1), file("s", "hdd", S2), file("s", "hdd", MM, "mmproj")];

Deno.test("buildIndex() serves only a verified unit holding every HDD file", async (t) => {
  await t.step("whole: verified, served from the unit's files", () => {
    const [m] = buildIndex({
      models: [row("s")],
      files: hddSplit,
      units: [unit("s", "verified", [S1, S2, MM])],
      uses: [],
    });
    assertEquals([m?.ssd?.verified, m?.ssd?.path, m?.ssd?.mmproj], [
      true,
      `/ssd/${S1}`,
      `/ssd/${MM}`,
    ]);
  });
  await t.step("a unit lacking the projector is stale, not served", () => {
    const [m] = buildIndex({
      models: [row("s")],
      files: hddSplit,
      units: [unit("s", "verified", [S1, S2])],
      uses: [],
    });
    assertEquals(m?.ssd?.verified, false);
    assertEquals(m?.ssd?.stale, `its HDD copy has /hdd/${MM}, which the SSD copy lacks`);
  });
  await t.step(
    "an unfinished unit's files are nobody's model, even after a scan found them",
    () => {
      const index = buildIndex({
        models: [row("s"), row("ssd:big/s-00001-of-00002.gguf", { ssd_only: 1 })],
        files: [
          ...hddSplit,
          file("s", "ssd", S1),
          file("ssd:big/s-00001-of-00002.gguf", "ssd", S1),
        ],
        units: [unit("s", "copying", [S1, S2, MM])],
        uses: [],
      });
      assertEquals(index.map((m) => [m.id, m.ssd]), [
        ["s", undefined],
        ["ssd:big/s-00001-of-00002.gguf", undefined],
      ]);
    },
  );
});

Deno.test("planning: a stale copy is evictable and not 'already on the SSD'; a damaged one is kept", () => {
  const [m] = buildIndex({
    models: [row("s")],
    files: hddSplit,
    units: [unit("s", "verified", [S1, S2, MM])],
    uses: [],
  });
  const stale = markProblems([m!], new Map([["s", { kind: "stale", reason: "changed" }]]));
  const damaged = markProblems([m!], new Map([["s", { kind: "damaged", reason: "edited" }]]));
  const at = { now: 0, inUse: new Set<string>() };
  assertEquals(cachedCopies(stale, at)[0]?.ssdOnly, false, "stale: evictable");
  assertEquals(cachedCopies(damaged, at)[0]?.ssdOnly, true, "damaged: protected");
  const plan = planCopy(stale[0]!, {
    index: stale,
    space: { freeBytes: 0, minFreeBytes: 0, cacheUsedBytes: 30 },
    inUse: new Set(),
    policy: { minUses: 1, windowSeconds: 604800 },
    now: 0,
  }, { manual: true });
  assert(plan.copy, plan.reason);
});

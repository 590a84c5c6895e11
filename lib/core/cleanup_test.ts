import { assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { type CleanupFacts, planCleanup, renderCleanup } from "./cleanup.ts";

const DAY = 86400;
const NOW = 1000 * DAY;
const SETTINGS = { forget_after_days: 90, unused_days: 30, partial_days: 7 };
const copy = (id: string, more: Partial<CleanupFacts["ssdCopies"][number]> = {}) => ({
  id,
  name: `${id}.gguf`,
  bytes: 4e9,
  verified: true,
  hasOriginal: true,
  ssdOnly: false,
  pinned: false,
  inUse: false,
  lastUse: NOW - 40 * DAY,
  copiedAt: NOW - 50 * DAY,
  ...more,
});

Deno.test("planCleanup() picks only llama-pack's own leftovers, each by its rule", () => {
  const facts: CleanupFacts = {
    partials: [
      { path: "/ssd/.llama-pack-partial/a.gguf.0123456789abcdef.part", bytes: 1e9, busy: false },
      { path: "/ssd/.llama-pack-partial/b.gguf.0123456789abcdef.part", bytes: 2e9, busy: true },
    ],
    locks: [{ path: "/state/copy.lock", held: false }, { path: "/state/other.lock", held: true }],
    jobs: [
      { id: 1, name: "a", state: "copying", ownerAlive: false, updatedAt: NOW - 60 },
      { id: 2, name: "b", state: "copying", ownerAlive: true, updatedAt: NOW - 60 },
      { id: 3, name: "c", state: "failed", ownerAlive: false, updatedAt: NOW - 2 * DAY },
      { id: 4, name: "d", state: "done", ownerAlive: false, updatedAt: NOW - 3600 },
    ],
    goneModels: [
      { id: "old", name: "old.gguf", lastSeen: NOW - 100 * DAY, uses: 3 },
      { id: "recent", name: "recent.gguf", lastSeen: NOW - 10 * DAY, uses: 1 },
    ],
    ssdCopies: [
      copy("cold"),
      copy("warm", { lastUse: NOW - 5 * DAY }),
      copy("never-used", { lastUse: undefined, copiedAt: NOW - 31 * DAY }),
      copy("pinned", { pinned: true }),
      copy("running", { inUse: true }),
      copy("unverified", { verified: false }),
      copy("only-on-ssd", { ssdOnly: true }),
      copy("original-gone", { hasOriginal: false }),
    ],
  };
  const items = planCleanup(facts, SETTINGS, NOW);
  assertEquals(items.map((i) => `${i.kind}:${i.target}:${i.reason}`), [
    "partial:/ssd/.llama-pack-partial/a.gguf.0123456789abcdef.part:left by an interrupted copy",
    "lock:/state/copy.lock:no process holds it",
    "job:1:its copier is gone (job was copying)",
    "job:3:failed 2 days ago",
    "stats:old:its files have been gone for 100 days; 3 uses forgotten",
    "copy:cold:unused for 40 days",
    "copy:never-used:not used since it was copied 31 days ago",
  ]);
  const text = renderCleanup(items, { dryRun: true });
  assertStringIncludes(
    text,
    "SSD copies nobody uses (the original stays):\n     3.7 GiB  cold.gguf — unused for 40 days",
  );
  assertStringIncludes(text, "7 items; would free 8.4 GiB. Nothing was removed (-n).");
});

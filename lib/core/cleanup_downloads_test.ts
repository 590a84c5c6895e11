import { assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { planCleanup, renderCleanup } from "./cleanup.ts";
import { type DownloadLeftover, planDownloadCleanup } from "./cleanup_downloads.ts";

const DAY = 86400;
const NOW = 1000 * DAY;
const PART = "/hdd/o/m/.m-Q8_0.gguf.abababababababab.llama-pack-download";
const row = (more: Partial<DownloadLeftover> = {}): DownloadLeftover => ({
  id: 1,
  label: "o/m:Q8_0",
  state: "interrupted",
  targetPath: "/hdd/o/m/m-Q8_0.gguf",
  partialPath: PART,
  partial: { kind: "file", bytes: 3e9, mtime: NOW - 9 * DAY },
  dir: { kind: "dir" },
  ownerAlive: false,
  locked: false,
  updatedAt: NOW - 9 * DAY,
  ...more,
});
const ids = (rows: DownloadLeftover[], days = 7) =>
  planDownloadCleanup(rows, days, NOW).map((i) => i.target);

Deno.test("an interrupted, a failed and a dead-owner download older than partial_days go", () => {
  const items = planDownloadCleanup(
    [
      row(),
      row({ id: 2, state: "failed" }),
      row({ id: 3, state: "downloading" }),
    ],
    7,
    NOW,
  );
  assertEquals(items.map((i) => [i.kind, i.target, i.label, i.bytes]), [
    ["download", "1", PART, 3e9],
    ["download", "2", PART, 3e9],
    ["download", "3", PART, 3e9],
  ]);
  assertEquals(items[0]!.reason, "left by a download of o/m:Q8_0 (interrupted 9 days ago)");
  assertEquals(items[2]!.reason, "left by a download of o/m:Q8_0 (its process died 9 days ago)");
});

Deno.test("a live owner, a held pull lock or a done row is never an item, whatever its state", () => {
  assertEquals(ids([row({ ownerAlive: true })]), []);
  assertEquals(ids([row({ state: "failed", ownerAlive: true })]), []);
  assertEquals(ids([row({ state: "downloading", ownerAlive: true })]), []);
  assertEquals(ids([row({ locked: true })]), []);
  assertEquals(ids([row({ state: "done" })]), []);
});

Deno.test("a row or a file written within partial_days stays", () => {
  assertEquals(ids([row({ updatedAt: NOW - 6 * DAY })]), []);
  assertEquals(ids([row({ partial: { kind: "file", bytes: 1, mtime: NOW - 60 } })]), []);
  assertEquals(ids([row()], 10), [], "partial_days 10: 9 days is not enough");
  assertEquals(ids([row()], 8), ["1"]);
});

Deno.test("only a regular file at exactly the row's temp path, directly in a real target directory", () => {
  assertEquals(ids([row({ partialPath: undefined })]), [], "no recorded hash: left alone");
  assertEquals(ids([row({ partial: { kind: "symlink" } })]), [], "a symlink is never followed");
  assertEquals(ids([row({ partial: { kind: "dir" } })]), []);
  assertEquals(ids([row({ partial: { kind: "other" } })]), []);
  assertEquals(ids([row({ dir: { kind: "symlink" } })]), [], "the directory is a symlink");
  assertEquals(ids([row({ partialPath: "/hdd/o/.m-Q8_0.gguf.ab.llama-pack-download" })]), []);
  assertEquals(ids([row({ partialPath: "/hdd/o/m/sub/.x.llama-pack-download" })]), []);
  assertEquals(ids([row({ partialPath: "/hdd/o/m/m-Q8_0.gguf" })]), [], "the final file");
  assertEquals(ids([row({ targetPath: "m.gguf" })]), [], "a relative target");
});

Deno.test("a row whose temp file is gone is forgotten, with 0 bytes, under the same rules", () => {
  const items = planDownloadCleanup([row({ partial: { kind: "missing" } })], 7, NOW);
  assertEquals(items.map((i) => [i.label, i.bytes]), [
    ["download record 1 (o/m:Q8_0: /hdd/o/m/m-Q8_0.gguf)", 0],
  ]);
  assertEquals(items[0]!.reason, "its temp file is gone (interrupted 9 days ago)");
  assertEquals(ids([row({ partial: { kind: "missing" }, ownerAlive: true })]), []);
  assertEquals(ids([row({ partial: { kind: "missing" }, updatedAt: NOW - DAY })]), []);
});

Deno.test("planCleanup lists downloads after the SSD's partials, with their heading and sizes", () => {
  const items = planCleanup(
    {
      partials: [{ path: "/ssd/.llama-pack-partial/x.part", bytes: 1e9, busy: false }],
      locks: [{ path: "/state/a.lock", held: false }],
      jobs: [],
      goneModels: [],
      ssdCopies: [],
      downloads: [row()],
    },
    { forget_after_days: 90, unused_days: 30, partial_days: 7 },
    NOW,
  );
  assertEquals(items.map((i) => i.kind), ["partial", "download", "lock"]);
  const text = renderCleanup(items, { dryRun: true });
  assertStringIncludes(
    text,
    `Leftovers of abandoned downloads (--pull):\n     2.8 GiB  ${PART} — left by a download of o/m:Q8_0 (interrupted 9 days ago)\n`,
  );
});

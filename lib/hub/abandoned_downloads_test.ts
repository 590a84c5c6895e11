import { join } from "node:path";
import { assert, assertEquals } from "../../tests/assert.ts";
import { acquireLock } from "../cache/lock.ts";
import { StateStore } from "../state/store.ts";
import { downloadLeftovers, removeAbandonedDownload } from "./abandoned_downloads.ts";
import { partialPathFor, pullLockPath } from "./download_partials.ts";

const DAY = 86400;
const HASH = "5e".repeat(32);

/** A store with one interrupted download of a dead owner, 10 days old, and its 1000-byte temp file. */
async function withAbandoned(
  fn: (
    w: { store: StateStore; state: string; id: number; target: string; part: string },
  ) => Promise<
    void
  >,
) {
  const root = await Deno.makeTempDir({ prefix: "llama-pack-abandoned-" });
  const state = join(root, "state");
  const dir = join(root, "hdd", "o", "m");
  await Deno.mkdir(dir, { recursive: true });
  const store = StateStore.open(state);
  const target = join(dir, "m-Q8_0.gguf");
  const part = partialPathFor(target, { sha256: HASH });
  const at = Date.now() / 1000 - 10 * DAY;
  await Deno.writeFile(part, new Uint8Array(1000));
  await Deno.utime(part, at, at);
  const id = store.downloads.start({
    repo: "o/m",
    revision: "main",
    commit_id: "c",
    label: "o/m:Q8_0",
    repo_path: "m-Q8_0.gguf",
    tier: "hdd",
    target_path: target,
    bytes_start: 0,
    bytes_total: 5000,
    content_hash: HASH,
    pullArgs: ["--pull", "o/m:Q8_0"],
    owner: { pid: 999_999_999, startTime: 1 },
    now: at,
  });
  store.downloads.update(id, { state: "interrupted", bytes_done: 1000, now: at });
  try {
    await fn({ store, state, id, target, part });
  } finally {
    store.close();
    await Deno.remove(root, { recursive: true });
  }
}

const now = () => Date.now() / 1000;

Deno.test("downloadLeftovers: the row's exact temp file, looked at without following links", async () => {
  await withAbandoned(async ({ store, state, id, part }) => {
    const [f] = await downloadLeftovers(store.downloads, state);
    assertEquals([f!.id, f!.partialPath, f!.partial.kind, f!.dir.kind, f!.ownerAlive, f!.locked], [
      id,
      part,
      "file",
      "dir",
      false,
      false,
    ]);
  });
});

Deno.test("removeAbandonedDownload removes the temp file and forgets the row", async () => {
  await withAbandoned(async ({ store, state, id, part }) => {
    assertEquals(await removeAbandonedDownload(store.downloads, state, id, 7, now()), {
      removed: true,
      bytes: 1000,
    });
    assert(!(await Deno.lstat(part).catch(() => undefined)));
    assertEquals(store.downloads.all(), []);
  });
});

Deno.test("removeAbandonedDownload keeps it while a pull holds the file's lock", async () => {
  await withAbandoned(async ({ store, state, id, target, part }) => {
    const lock = await acquireLock(pullLockPath(state, target), { wait: false });
    assert(lock !== null);
    try {
      assertEquals(await removeAbandonedDownload(store.downloads, state, id, 7, now()), {
        removed: false,
        why: "a pull of it is running",
      });
    } finally {
      await lock.release();
    }
    assertEquals((await Deno.lstat(part)).size, 1000);
    assertEquals(store.downloads.all().length, 1);
  });
});

Deno.test("removeAbandonedDownload decides again: a pull that started meanwhile, a symlink planted meanwhile", async () => {
  await withAbandoned(async ({ store, state, id, part }) => {
    // Planted after --cleanup listed it: a link to a real file elsewhere.
    const elsewhere = `${part}.elsewhere`;
    await Deno.rename(part, elsewhere);
    await Deno.symlink(elsewhere, part);
    assertEquals(await removeAbandonedDownload(store.downloads, state, id, 7, now()), {
      removed: false,
      why: "it is not abandoned any more",
    });
    assert((await Deno.lstat(part)).isSymlink);
    assertEquals((await Deno.stat(elsewhere)).size, 1000);
    // A pull of the same file updated its row meanwhile.
    store.downloads.update(id, { state: "downloading", now: now() });
    assertEquals(await removeAbandonedDownload(store.downloads, state, id, 7, now()), {
      removed: false,
      why: "it is not abandoned any more",
    });
    assertEquals(store.downloads.all().length, 1);
  });
});

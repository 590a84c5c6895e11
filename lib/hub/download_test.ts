import { createHash } from "node:crypto";
import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { exists } from "../../tests/fs_util.ts";
import { type FakeHub, startFakeHub } from "../../tests/fixtures/fake_hub.ts";
import { randomBytes } from "../../tests/fixtures/hub_models.ts";
import { LlamaPackError } from "../errors.ts";
import { downloadFile, type DownloadSource, partialPathFor } from "./download.ts";
import { hubFetch } from "./hub_client.ts";
import { HubHttpError } from "./hub_errors.ts";

const SIZE = 3_000_000;
const BIG = randomBytes(SIZE, 42);
const NOTES = new TextEncoder().encode("small file kept in git, not LFS\n");
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

async function withHub(
  fn: (hub: FakeHub, dir: string, src: (path: string) => DownloadSource) => Promise<void>,
) {
  const hub = await startFakeHub({
    repos: [{
      id: "o/m",
      revisions: {
        main: [{ path: "m-Q4_K_M.gguf", bytes: BIG }, { path: "notes.txt", bytes: NOTES }],
      },
    }],
    tokens: ["hf_good"],
  });
  const dir = await Deno.makeTempDir({ prefix: "llama-pack-dl-" });
  try {
    const commit = hub.commit("o/m");
    await fn(hub, dir, (path) => {
      const bytes = path === "notes.txt" ? NOTES : BIG;
      const git = createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
      return {
        url: `${hub.url}/o/m/resolve/${commit}/${path}`,
        size: bytes.length,
        ...(path.endsWith(".gguf") ? { sha256: sha(bytes) } : { gitOid: git }),
        commit,
      };
    });
  } finally {
    await hub.close();
    await Deno.remove(dir, { recursive: true });
  }
}

const fetchFor = (hub: FakeHub, token?: string) =>
  hubFetch({ endpoint: hub.url, ...(token ? { token } : {}) });
const cdnBytes = (hub: FakeHub) =>
  hub.requests.filter((r) => r.server === "cdn").reduce((s, r) => s + r.sent, 0);

Deno.test("downloadFile() follows the hub's redirect, verifies sha256 and renames into place", async () => {
  await withHub(async (hub, dir, src) => {
    const dest = `${dir}/m-Q4_K_M.gguf`;
    const r = await downloadFile(src("m-Q4_K_M.gguf"), dest, { fetch: fetchFor(hub, "hf_good") });
    assertEquals(r.hash, sha(BIG));
    assertEquals([r.fetched, r.resumedFrom, r.alreadyThere], [SIZE, 0, false]);
    assertEquals(sha(await Deno.readFile(dest)), sha(BIG));
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["m-Q4_K_M.gguf"]);
    const [resolve, blob] = hub.requests;
    assertEquals([resolve!.server, resolve!.status, blob!.server, blob!.status], [
      "hub",
      302,
      "cdn",
      200,
    ]);
    assertEquals(resolve!.authorization, "Bearer hf_good");
    assertEquals(blob!.authorization, null, "the token never goes to the CDN's origin");
  });
});

Deno.test("downloadFile() resumes a dropped connection with Range, fetching each byte once", async () => {
  await withHub(async (hub, dir, src) => {
    hub.faults.cutAfter.set("m-Q4_K_M.gguf", 1_234_567);
    const retries: number[] = [];
    const r = await downloadFile(src("m-Q4_K_M.gguf"), `${dir}/m.gguf`, {
      fetch: fetchFor(hub),
      retryDelayMs: 1,
      onRetry: (x) => retries.push(x.bytesDone),
    });
    assertEquals(r.hash, sha(BIG));
    assertEquals(retries, [1_234_567]);
    const ranges = hub.requests.filter((x) => x.server === "cdn").map((x) => [x.range, x.status]);
    assertEquals(ranges, [[null, 200], ["bytes=1234567-", 206]]);
    assertEquals(cdnBytes(hub), SIZE);
  });
});

Deno.test("downloadFile() continues what an earlier run left, and re-hashes it", async () => {
  await withHub(async (hub, dir, src) => {
    const s = src("m-Q4_K_M.gguf");
    const dest = `${dir}/m.gguf`;
    await Deno.writeFile(partialPathFor(dest, s), BIG.subarray(0, 1_000_000));
    const phases = new Set<string>();
    const r = await downloadFile(s, dest, {
      fetch: fetchFor(hub),
      onProgress: (p) => phases.add(p.phase),
    });
    assertEquals([r.resumedFrom, r.fetched, r.hash], [1_000_000, SIZE - 1_000_000, sha(BIG)]);
    assertEquals([...phases], ["rehash", "download"]);
    assertEquals(hub.requests.find((x) => x.server === "cdn")?.range, "bytes=1000000-");
    assert(!(await exists(partialPathFor(dest, s))));
  });
});

Deno.test("downloadFile() starts over when the server ignores Range", async () => {
  await withHub(async (hub, dir, src) => {
    const s = src("m-Q4_K_M.gguf");
    const dest = `${dir}/m.gguf`;
    await Deno.writeFile(partialPathFor(dest, s), BIG.subarray(0, 500_000));
    hub.faults.ignoreRange = true;
    const r = await downloadFile(s, dest, { fetch: fetchFor(hub) });
    assertEquals([r.hash, r.fetched], [sha(BIG), SIZE]);
  });
});

Deno.test("downloadFile() deletes a download whose sha256 does not match and names both hashes", async (t) => {
  await withHub(async (hub, dir, src) => {
    const s = src("m-Q4_K_M.gguf");
    const dest = `${dir}/m.gguf`;
    await t.step("corrupted bytes from the server", async () => {
      hub.faults.corrupt.add("m-Q4_K_M.gguf");
      const err = await assertRejects(
        () => downloadFile(s, dest, { fetch: fetchFor(hub) }),
        LlamaPackError,
      );
      const bad = new Uint8Array(BIG);
      bad[SIZE / 2]! ^= 0xff;
      assertEquals(
        err.message,
        `m-Q4_K_M.gguf: sha256 mismatch: expected ${sha(BIG)}, got ${
          sha(bad)
        }; the downloaded file was deleted`,
      );
      assertEquals([...Deno.readDirSync(dir)], [], "no temp file, nothing under the final name");
      hub.faults.corrupt.clear();
    });
    await t.step("a damaged temp file left by an earlier run", async () => {
      await Deno.writeFile(partialPathFor(dest, s), randomBytes(700_000, 9));
      const err = await assertRejects(
        () => downloadFile(s, dest, { fetch: fetchFor(hub) }),
        LlamaPackError,
      );
      assert(err.message.includes("sha256 mismatch"));
      assertEquals([...Deno.readDirSync(dir)], []);
      const r = await downloadFile(s, dest, { fetch: fetchFor(hub) });
      assertEquals([r.resumedFrom, r.hash], [0, sha(BIG)]);
    });
  });
});

Deno.test("downloadFile() keeps a file already in place when it is the same, never overwrites another", async () => {
  await withHub(async (hub, dir, src) => {
    const s = src("m-Q4_K_M.gguf");
    const dest = `${dir}/m.gguf`;
    await Deno.writeFile(dest, BIG);
    const r = await downloadFile(s, dest, { fetch: fetchFor(hub) });
    assertEquals([r.alreadyThere, r.fetched, hub.requests.length], [true, 0, 0]);
    const other = randomBytes(SIZE, 7);
    await Deno.writeFile(dest, other);
    const err = await assertRejects(
      () => downloadFile(s, dest, { fetch: fetchFor(hub) }),
      LlamaPackError,
    );
    assert(err.message.startsWith(`${dest} already exists and differs`), err.message);
    assertEquals(sha(await Deno.readFile(dest)), sha(other));
  });
});

Deno.test("downloadFile() retries 503s with back-off, gives up on 404", async () => {
  await withHub(async (hub, dir, src) => {
    hub.faults.failWith.set("m-Q4_K_M.gguf", [503, 502]);
    const delays: number[] = [];
    const r = await downloadFile(src("m-Q4_K_M.gguf"), `${dir}/m.gguf`, {
      fetch: fetchFor(hub),
      retryDelayMs: 5,
      onRetry: (x) => delays.push(x.delayMs),
    });
    assertEquals([r.hash, delays], [sha(BIG), [5, 10]]);
    const gone = { ...src("m-Q4_K_M.gguf"), url: `${hub.url}/o/m/resolve/main/nope.gguf` };
    const err = await assertRejects(
      () => downloadFile(gone, `${dir}/nope.gguf`, { fetch: fetchFor(hub), retryDelayMs: 1 }),
      HubHttpError,
    );
    assertEquals([err.status, err.errorCode], [404, "EntryNotFound"]);
  });
});

Deno.test("downloadFile() verifies a file kept in git by its git blob id", async () => {
  await withHub(async (hub, dir, src) => {
    const r = await downloadFile(src("notes.txt"), `${dir}/notes.txt`, { fetch: fetchFor(hub) });
    assertEquals(await Deno.readFile(`${dir}/notes.txt`), NOTES);
    assertEquals(r.hash.length, 40);
    assertEquals(hub.requests.map((x) => [x.server, x.status]), [["hub", 200]]);
  });
});

Deno.test("downloadFile() stops on abort and keeps what it has for the next run", async () => {
  await withHub(async (hub, dir, src) => {
    hub.faults.throttle = 2_000_000;
    const s = src("m-Q4_K_M.gguf");
    const dest = `${dir}/m.gguf`;
    const ac = new AbortController();
    const p = downloadFile(s, dest, {
      fetch: fetchFor(hub),
      signal: ac.signal,
      onProgress: (x) => x.bytesDone > 400_000 && ac.abort(new Error("stop")),
    });
    await assertRejects(() => p, Error, "stop");
    const kept = (await Deno.stat(partialPathFor(dest, s))).size;
    assert(kept > 0 && kept < SIZE, `kept ${kept}`);
    assert(!(await exists(dest)));
    hub.faults.throttle = 0;
    const r = await downloadFile(s, dest, { fetch: fetchFor(hub) });
    assertEquals([r.resumedFrom, r.hash], [kept, sha(BIG)]);
  });
});

Deno.test("downloadFile() drops a stalled connection and retries", async () => {
  await withHub(async (hub, dir, src) => {
    hub.faults.throttle = 2_000;
    const reasons: string[] = [];
    const err = await assertRejects(
      () =>
        downloadFile(src("m-Q4_K_M.gguf"), `${dir}/m.gguf`, {
          fetch: fetchFor(hub),
          stallTimeoutMs: 150,
          retries: 1,
          retryDelayMs: 1,
          onRetry: (x) => reasons.push(x.reason),
        }),
      LlamaPackError,
    );
    assert(err.message.includes("failed 2 times in a row: no data for 0.15s"), err.message);
    assertEquals(reasons, ["no data for 0.15s"]);
    hub.faults.throttle = 0;
  });
});

import { createHash } from "node:crypto";
import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { type FakeHub, type FakeRepo, startFakeHub } from "../../tests/fixtures/fake_hub.ts";
import { randomBytes } from "../../tests/fixtures/hub_models.ts";
import { LlamaPackError } from "../errors.ts";
import { StateStore } from "../state/store.ts";
import { executePull, planPull, type PullTarget } from "./pull.ts";
import { type PullRecorder, recordPullInStore } from "./pull_record.ts";
import { partialPathFor } from "./download_partials.ts";

const MB = 1_000_000;
const Q8 = randomBytes(6 * MB, 8);
const MMPROJ = randomBytes(200_000, 9);
const REPOS: FakeRepo[] = [{
  id: "org/rec-GGUF",
  revisions: {
    main: [
      { path: "rec-Q8_0.gguf", bytes: Q8 },
      { path: "mmproj-F16.gguf", bytes: MMPROJ },
    ],
  },
}];
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

interface World {
  hub: FakeHub;
  dir: string;
  store: StateStore;
  state: string;
  target: PullTarget;
}

async function withWorld(fn: (w: World) => Promise<void>) {
  const hub = await startFakeHub({ repos: REPOS });
  const root = await Deno.makeTempDir({ prefix: "llama-pack-pull-record-" });
  const dir = `${root}/hdd`;
  await Deno.mkdir(dir);
  const store = StateStore.open(`${root}/state`);
  try {
    await fn({
      hub,
      dir,
      store,
      state: `${root}/state`,
      target: { dir, name: "hdd", kind: "hdd", minFreeBytes: 0 },
    });
  } finally {
    store.close();
    await hub.close();
    await Deno.remove(root, { recursive: true });
  }
}

const files = (dir: string): string[] =>
  [...Deno.readDirSync(dir)].flatMap((e) =>
    e.isDirectory ? files(`${dir}/${e.name}`) : [`${dir}/${e.name}`]
  ).sort();

Deno.test("executePull() records each file before its first byte, its progress at most once a second, and its end", async () => {
  await withWorld(async ({ hub, store, state, target, dir }) => {
    hub.faults.throttle = 4 * MB;
    const plan = await planPull({ ref: "org/rec-GGUF" }, { hub: { endpoint: hub.url }, target });
    const writes: number[] = [];
    const real = recordPullInStore(store.downloads, {
      now: () => Date.now() / 1000,
      pullArgs: ["--pull", "org/rec-GGUF"],
    });
    // Counts the table's writes: one start, progress, one end per file.
    const seen: { file: string; rowsAtStart: number; requestsAtStart: number }[] = [];
    const record: PullRecorder = {
      start(p, f) {
        seen.push({
          file: f.path,
          rowsAtStart: store.downloads.all().length,
          requestsAtStart: hub.requests.filter((r) => r.path.includes(f.path)).length,
        });
        const row = real.start(p, f);
        return {
          progress: (b) => {
            const before = store.downloads.all().at(-1)!.updated_at;
            row.progress(b);
            if (store.downloads.all().at(-1)!.updated_at !== before) writes.push(b);
          },
          finish: row.finish,
        };
      },
    };
    const started = performance.now();
    await executePull(plan, { hub: { endpoint: hub.url }, stateDir: state, record });
    const seconds = (performance.now() - started) / 1000;
    // Written before anything of the file was requested.
    assertEquals(seen.map((s) => [s.file, s.requestsAtStart]), [
      ["rec-Q8_0.gguf", 0],
      ["mmproj-F16.gguf", 0],
    ]);
    assert(writes.length >= 1, "progress was written");
    assert(writes.length <= Math.ceil(seconds) + 1, `${writes.length} writes in ${seconds}s`);
    const rows = store.downloads.all();
    assertEquals(rows.map((r) => [r.repo_path, r.state, r.bytes_done, r.bytes_total, r.tier]), [
      ["rec-Q8_0.gguf", "done", Q8.length, Q8.length, "hdd"],
      ["mmproj-F16.gguf", "done", MMPROJ.length, MMPROJ.length, "hdd"],
    ]);
    assertEquals(rows[0]!.target_path, `${dir}/org/rec-GGUF/rec-Q8_0.gguf`);
    assertEquals(rows[0]!.pid, Deno.pid);
    assertEquals(JSON.parse(rows[0]!.pull_args), ["--pull", "org/rec-GGUF"]);
  });
});

Deno.test("a state database that cannot take the row stops the pull before a directory, a request or a byte", async () => {
  await withWorld(async ({ hub, state, target, dir }) => {
    const plan = await planPull({ ref: "org/rec-GGUF" }, { hub: { endpoint: hub.url }, target });
    const full = new LlamaPackError("DISK_FULL", "no space left on the file system holding /st");
    const err = await assertRejects(() =>
      executePull(plan, {
        hub: { endpoint: hub.url },
        stateDir: state,
        record: {
          start: () => {
            throw full;
          },
        },
      })
    );
    assert(err === full, String(err));
    assertEquals([...Deno.readDirSync(dir)], [], "not even a directory");
    assertEquals(
      hub.requests.filter((r) => r.server === "cdn" || r.path.includes("/resolve/")),
      [],
    );
  });
});

Deno.test("a state database failing mid-download stops the pull with its error; the part stays hidden and resumes", async () => {
  await withWorld(async ({ hub, store, state, target, dir }) => {
    const plan = await planPull({ ref: "org/rec-GGUF" }, { hub: { endpoint: hub.url }, target });
    let t = 0;
    const real = recordPullInStore(store.downloads, { now: () => t, pullArgs: ["--pull", "x"] });
    const full = new LlamaPackError("DISK_FULL", "cannot write the state database /st/state.db");
    const err = await assertRejects(() =>
      executePull(plan, {
        hub: { endpoint: hub.url },
        stateDir: state,
        retryDelayMs: 1,
        record: {
          start(p, f) {
            const row = real.start(p, f);
            return {
              progress: (b) => {
                t += 1;
                // The disk fills up once the first 4 MiB block is written.
                if (b > 5 * MB) throw full;
                row.progress(b);
              },
              finish: () => {
                throw full; // and the end cannot be written either
              },
            };
          },
        },
      })
    );
    assert(err === full, `the state's own error, not retried or wrapped: ${err}`);
    assertEquals(hub.requests.filter((r) => r.server === "cdn").length, 1, "never retried");
    const left = files(dir);
    assertEquals(left.length, 1);
    assert(left[0]!.endsWith(".llama-pack-download"), left[0]);
    const kept = Deno.statSync(left[0]!).size;
    assert(kept > 0 && kept < Q8.length, `kept ${kept}`);
    assertEquals(store.downloads.all().map((r) => r.state), ["downloading"]);

    hub.faults.throttle = 0;
    const again = await planPull({ ref: "org/rec-GGUF" }, { hub: { endpoint: hub.url }, target });
    const r = await executePull(again, {
      hub: { endpoint: hub.url },
      stateDir: state,
      record: recordPullInStore(store.downloads, { now: () => 100, pullArgs: ["--pull", "x"] }),
    });
    assertEquals(r.files[0]!.resumedFrom, kept);
    assertEquals(sha(Deno.readFileSync(`${dir}/org/rec-GGUF/rec-Q8_0.gguf`)), sha(Q8));
    // The new run's rows replaced the old one of the same file.
    assertEquals(store.downloads.all().map((r) => [r.repo_path, r.state, r.bytes_start]), [
      ["rec-Q8_0.gguf", "done", kept],
      ["mmproj-F16.gguf", "done", 0],
    ]);
  });
});

Deno.test("an aborted pull is recorded as interrupted, with what arrived", async () => {
  await withWorld(async ({ hub, store, state, target }) => {
    hub.faults.throttle = 1 * MB;
    const plan = await planPull({ ref: "org/rec-GGUF" }, { hub: { endpoint: hub.url }, target });
    const stop = new AbortController();
    const pulling = executePull(plan, {
      hub: { endpoint: hub.url },
      stateDir: state,
      signal: stop.signal,
      record: recordPullInStore(store.downloads, {
        now: () => Date.now() / 1000,
        pullArgs: ["--pull", "org/rec-GGUF"],
        intervalSeconds: 0,
      }),
    });
    while ((store.downloads.all()[0]?.bytes_done ?? 0) === 0) {
      await new Promise((r) => setTimeout(r, 20));
    }
    stop.abort(new Error("interrupted"));
    await assertRejects(() => pulling);
    const [row] = store.downloads.all();
    assertEquals(row!.state, "interrupted");
    assert(row!.bytes_done > 0 && row!.bytes_done < Q8.length, String(row!.bytes_done));
    assertEquals(row!.message, "stopped (interrupted); what was downloaded is kept to resume");
    // The hash the temp file is named after, so --cleanup finds exactly that file.
    assertEquals(row!.content_hash, sha(Q8));
    const part = await Deno.lstat(partialPathFor(row!.target_path, { sha256: row!.content_hash! }));
    assert(part.isFile && part.size >= row!.bytes_done, String(part.size));
  });
});

import { createHash } from "node:crypto";
import { assert, assertEquals, assertRejects } from "../../tests/assert.ts";
import { exists } from "../../tests/fs_util.ts";
import { type FakeHub, type FakeRepo, startFakeHub } from "../../tests/fixtures/fake_hub.ts";
import { randomBytes } from "../../tests/fixtures/hub_models.ts";
import type { TierInput } from "../core/tiers.ts";
import { LlamaPackError } from "../errors.ts";
import { partialPathFor } from "./download.ts";
import { executePull, planPull, type PullEvent, pullModel, type PullTarget } from "./pull.ts";

const MB = 1_000_000;
const bytes = new Map<string, Uint8Array>();
const file = (path: string, size: number) => {
  const b = bytes.get(path) ?? randomBytes(size, path.length * 7919 + size);
  bytes.set(path, b);
  return { path, bytes: b };
};
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

const REPOS: FakeRepo[] = [
  {
    id: "org/vision-GGUF",
    revisions: {
      main: [
        file("README.md", 100),
        file("vision-Q8_0.gguf", 2 * MB),
        file("Q4_K_M/vision-Q4_K_M-00001-of-00002.gguf", 1 * MB),
        file("Q4_K_M/vision-Q4_K_M-00002-of-00002.gguf", 1 * MB),
        file("mmproj-F16.gguf", 300_000),
        file("mmproj-F32.gguf", 600_000),
      ],
      v1: [file("vision-Q4_K_M-old.gguf", 500_000)],
    },
  },
  { id: "org/gated-GGUF", gated: true, revisions: { main: [file("g-Q4_K_M.gguf", 1 * MB)] } },
  { id: "org/private-GGUF", private: true, revisions: { main: [file("p-Q4_K_M.gguf", 100)] } },
];

interface World {
  hub: FakeHub;
  dir: string;
  state: string;
  target: PullTarget;
}

async function withWorld(fn: (w: World) => Promise<void>) {
  const hub = await startFakeHub({ repos: REPOS, tokens: ["hf_good"], pageSize: 2 });
  const root = await Deno.makeTempDir({ prefix: "llama-pack-pull-" });
  const dir = `${root}/hdd`;
  await Deno.mkdir(dir);
  try {
    await fn({
      hub,
      dir,
      state: `${root}/state`,
      target: { dir, name: "hdd", kind: "hdd", minFreeBytes: 0 },
    });
  } finally {
    await hub.close();
    await Deno.remove(root, { recursive: true });
  }
}

const walk = (dir: string): string[] => {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...walk(p));
    else out.push(p);
  }
  return out.sort();
};
const noDownloads = (hub: FakeHub) =>
  assertEquals(hub.requests.filter((r) => r.path.includes("/resolve/") || r.server === "cdn"), []);

Deno.test("pullModel() brings every shard and the projector, in the repository's layout", async () => {
  await withWorld(async ({ hub, dir, state, target }) => {
    const events: PullEvent[] = [];
    const { plan, result } = await pullModel({ ref: "org/vision-GGUF" }, {
      hub: { endpoint: hub.url },
      target,
      stateDir: state,
      onEvent: (e) => events.push(e),
    });
    const base = `${dir}/org/vision-GGUF/Q4_K_M`;
    assertEquals(walk(dir), [
      `${base}/mmproj-F16.gguf`,
      `${base}/vision-Q4_K_M-00001-of-00002.gguf`,
      `${base}/vision-Q4_K_M-00002-of-00002.gguf`,
    ]);
    for (const f of result.files) assertEquals(sha(await Deno.readFile(f.path)), f.hash);
    assertEquals(
      sha(await Deno.readFile(`${base}/mmproj-F16.gguf`)),
      sha(bytes.get("mmproj-F16.gguf")!),
    );
    assertEquals([plan.label, plan.totalBytes, plan.needBytes], [
      "org/vision-GGUF:Q4_K_M",
      2_300_000,
      2_300_000,
    ]);
    assertEquals(result.modelPath, `${base}/vision-Q4_K_M-00001-of-00002.gguf`);
    assertEquals(
      events.filter((e) => e.type !== "progress").map((e) => e.type),
      ["start", "file", "file-done", "file", "file-done", "file", "file-done", "done"],
    );
    const last = events.filter((e) => e.type === "progress").at(-1);
    assertEquals(last?.type === "progress" && [last.bytesDone, last.totalBytes], [
      2_300_000,
      2_300_000,
    ]);
    // The listing came through @huggingface/hub's listFiles, following the pages.
    assert(hub.requests.filter((r) => r.path.includes("/tree/")).length >= 4);
    assert(
      hub.requests.every((r) => !r.path.includes("/resolve/") || r.path.includes(plan.commit)),
    );
  });
});

Deno.test("pullModel() takes a tag and a revision, and re-pulling fetches nothing", async () => {
  await withWorld(async ({ hub, dir, state, target }) => {
    const opts = { hub: { endpoint: hub.url }, target, stateDir: state };
    const q8 = await pullModel({ ref: "org/vision-GGUF:q8_0", mmproj: false }, opts);
    assertEquals(walk(dir), [`${dir}/org/vision-GGUF/vision-Q8_0.gguf`]);
    const again = await pullModel({ ref: "org/vision-GGUF:Q8_0", mmproj: false }, opts);
    assertEquals(
      [again.plan.needBytes, again.result.fetched, again.result.files[0]!.alreadyThere],
      [
        0,
        0,
        true,
      ],
    );
    assertEquals(again.result.files[0]!.hash, q8.result.files[0]!.hash);
    const old = await pullModel({ ref: "org/vision-GGUF", revision: "v1" }, opts);
    assertEquals(old.plan.commit, hub.commit("org/vision-GGUF", "v1"));
    assert(await exists(`${dir}/org/vision-GGUF/vision-Q4_K_M-old.gguf`));
  });
});

Deno.test("planPull() counts what an interrupted pull left, and writes nothing", async () => {
  await withWorld(async ({ hub, dir, state, target }) => {
    const plan = await planPull({ ref: "org/vision-GGUF:Q8_0", mmproj: false }, {
      hub: { endpoint: hub.url },
      target,
    });
    assertEquals(walk(dir), []);
    const f = plan.files[0]!;
    await Deno.mkdir(`${dir}/org/vision-GGUF`, { recursive: true });
    await Deno.writeFile(
      partialPathFor(f.dest, f),
      bytes.get("vision-Q8_0.gguf")!.subarray(0, 1500_000),
    );
    const again = await planPull({ ref: "org/vision-GGUF:Q8_0", mmproj: false }, {
      hub: { endpoint: hub.url },
      target,
    });
    assertEquals([again.totalBytes, again.needBytes, again.files[0]!.partialBytes], [
      2 * MB,
      500_000,
      1500_000,
    ]);
    const r = await executePull(again, { hub: { endpoint: hub.url }, stateDir: state });
    assertEquals([r.fetched, r.files[0]!.resumedFrom], [500_000, 1500_000]);
  });
});

Deno.test("planPull() refuses unknown repositories, revisions and tags before any download", async (t) => {
  await withWorld(async ({ hub, dir, target }) => {
    const cases: [string, { ref: string; revision?: string }, string][] = [
      [
        "unknown repository",
        { ref: "org/nope-GGUF" },
        `repository org/nope-GGUF not found on ${hub.url}`,
      ],
      [
        "private repository without a token",
        { ref: "org/private-GGUF" },
        `repository org/private-GGUF not found on ${hub.url}`,
      ],
      [
        "unknown revision",
        { ref: "org/vision-GGUF", revision: "v9" },
        "revision 'v9' not found in org/vision-GGUF (a branch, tag or commit)",
      ],
      [
        "unknown tag",
        { ref: "org/vision-GGUF:Q3_K_S" },
        "org/vision-GGUF has no model file for tag 'Q3_K_S'; its tags: Q4_K_M, Q8_0",
      ],
    ];
    for (const [name, spec, message] of cases) {
      await t.step(name, async () => {
        const err = await assertRejects(
          () => planPull(spec, { hub: { endpoint: hub.url }, target }),
          LlamaPackError,
        );
        assertEquals([err.code, err.message], ["NO_MATCH", message]);
      });
    }
    noDownloads(hub);
    assertEquals(walk(dir), []);
  });
});

Deno.test("a gated repository needs a token the hub accepts, checked before any download", async (t) => {
  await withWorld(async ({ hub, dir, state, target }) => {
    const opts = (token?: string) => ({
      hub: { endpoint: hub.url, ...(token ? { token } : {}) },
      target,
      stateDir: state,
    });
    await t.step("no token: 401, told to accept the terms and set HF_TOKEN", async () => {
      const err = await assertRejects(
        () => pullModel({ ref: "org/gated-GGUF" }, opts()),
        LlamaPackError,
      );
      assertEquals(err.message, "org/gated-GGUF is gated: the hub needs a token (401)");
      assertEquals(
        err.hint,
        `accept its terms at ${hub.url}/org/gated-GGUF, then set HF_TOKEN to an access token of that account`,
      );
    });
    await t.step("a token without access: 403", async () => {
      const err = await assertRejects(
        () => pullModel({ ref: "org/gated-GGUF" }, opts("hf_other_secret")),
        LlamaPackError,
      );
      assert(
        err.message.startsWith("org/gated-GGUF is gated and the hub refused HF_TOKEN (403)"),
        err.message,
      );
      assert(
        !`${err.message} ${err.hint}`.includes("hf_other_secret"),
        "the token is never printed",
      );
    });
    assertEquals(hub.requests.filter((r) => r.server === "cdn"), []);
    assertEquals(walk(dir), []);
    await t.step("the right token", async () => {
      const { result } = await pullModel({ ref: "org/gated-GGUF" }, opts("hf_good"));
      assertEquals(result.files[0]!.hash, sha(bytes.get("g-Q4_K_M.gguf")!));
    });
    assert(hub.requests.filter((r) => r.server === "cdn").every((r) => r.authorization === null));
  });
});

Deno.test("pullModel() refuses before downloading when the target has no room, suggesting a tier", async () => {
  await withWorld(async ({ hub, dir, state, target }) => {
    const G = 1024 ** 3;
    const small: TierInput = {
      name: "hdd",
      kind: "hdd",
      path: dir,
      usedByModels: 0,
      diskTotal: 10 * G,
      diskFree: 1 * MB,
      minFreeBytes: 0,
    };
    const ssd: TierInput = {
      name: "ssd",
      kind: "ssd",
      path: "/ssd",
      usedByModels: 0,
      diskTotal: 100 * G,
      diskFree: 50 * G,
      minFreeBytes: 20 * G,
    };
    const err = await assertRejects(
      () =>
        pullModel({ ref: "org/vision-GGUF" }, {
          hub: { endpoint: hub.url },
          target,
          stateDir: state,
          measure: () => Promise.resolve(small),
          tiers: [ssd, small],
        }),
      LlamaPackError,
    );
    assertEquals(err.code, "NO_SPACE");
    assertEquals(
      err.message,
      `not enough room for org/vision-GGUF:Q4_K_M (2.2 MiB to download): 2.2 MiB does not fit on hdd (${dir}): 976.6 KiB free on the disk`,
    );
    assert(err.hint?.startsWith("--recommend 0.1g: ssd: the SSD loads fastest"), err.hint);
    assert(err.hint?.endsWith("pull there with --to primary"), err.hint);
    noDownloads(hub);
    assertEquals(walk(dir), []);
  });
});

Deno.test("executePull() lets one process write a file at a time", async () => {
  await withWorld(async ({ hub, state, target }) => {
    hub.faults.throttle = 4 * MB;
    const opts = { hub: { endpoint: hub.url }, target, stateDir: state };
    const first = pullModel({ ref: "org/vision-GGUF:Q8_0" }, opts);
    while (!hub.requests.some((r) => r.server === "cdn")) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const err = await assertRejects(
      () => pullModel({ ref: "org/vision-GGUF:Q8_0" }, opts),
      LlamaPackError,
    );
    assert(
      err.message.startsWith(`another llama-pack (pid ${Deno.pid}) is downloading`),
      err.message,
    );
    hub.faults.throttle = 0;
    await first;
  });
});

Deno.test("executePull() never writes through a symlink leading out of the target", async () => {
  await withWorld(async ({ hub, dir, state, target }) => {
    const outside = `${dir}/../elsewhere`;
    await Deno.mkdir(outside);
    await Deno.symlink(outside, `${dir}/org`);
    const err = await assertRejects(
      () =>
        pullModel({ ref: "org/vision-GGUF:Q8_0" }, {
          hub: { endpoint: hub.url },
          target,
          stateDir: state,
        }),
      LlamaPackError,
    );
    assertEquals(err.code, "UNSAFE");
    assertEquals([...Deno.readDirSync(outside)], []);
  });
});

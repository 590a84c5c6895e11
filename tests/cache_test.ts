/**
 * End-to-end: the SSD cache verbs (--cache, --evict, --pin, --unpin,
 * --no-cache, --allow-cache, -n), the tier commands (--cache-stats, --check,
 * --recommend) and auto-promotion by the detached copier, run as the real
 * CLI against small GGUF files in a sandbox.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { makeLibrary } from "./gguf_writer.ts";
import { cacheWorld } from "./cache_world.ts";
import { makeSandbox, type Sandbox, withStore } from "./sandbox.ts";
import { exists } from "./fs_util.ts";
import { freePort } from "./fixtures/fake_server.ts";
import { hashFile } from "../lib/cache/hash.ts";
import { processOwner } from "../lib/cache/copy_jobs.ts";

const MIB = 1024 ** 2;

Deno.test("llama-pack --cache copies a model to the SSD, verified, and -l shows it", async () => {
  const sb = await cacheWorld();
  try {
    const dest = `${sb.ssd}/llm/Gemma2-9B-Q5_K_M.gguf`;
    const dry = await sb.run(["--cache", "gemma", "-n"]);
    assertEquals(dry.code, 0, dry.stderr);
    assertStringIncludes(dry.stdout, `would copy ${sb.hdd}/llm/Gemma2-9B-Q5_K_M.gguf -> ${dest}`);
    // Nothing to evict: the plan is only the copy (its reason with -v).
    assert(!dry.stdout.includes("evict"), dry.stdout);
    assertStringIncludes(
      (await sb.run(["--cache", "gemma", "-n", "-v"])).stderr,
      "plan: fits: needs 8.0 MiB",
    );
    assert(!(await exists(dest)), "a dry run copies nothing");

    const r = await sb.run(["--cache", "gemma"]);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(
      r.stdout,
      /^cached Gemma2-9B-Q5_K_M\.gguf on the SSD: copied 8\.0 MiB in \d+\.\ds \([\d.]+ MB\/s\), verified \(xxh64\)\n {2}ssd: .*\n$/,
    );
    const hash = (await hashFile(dest)).hash;
    assertEquals(hash, (await hashFile(`${sb.hdd}/llm/Gemma2-9B-Q5_K_M.gguf`)).hash);
    const copies = withStore(sb, (s) => s.ssdCopies());
    assertEquals(copies.map((c) => [c.ssd_path, c.size, c.hash]), [[dest, 8 * MIB, hash]]);
    assertEquals(withStore(sb, (s) => s.copyJobs().map((j) => j.state)), ["done"]);
    assert(!(await exists(`${sb.ssd}/.llama-pack-partial`)), "no partial files left");

    const again = await sb.run(["--cache", "gemma"]);
    assertEquals(again.stdout, `Gemma2-9B-Q5_K_M.gguf is already on the SSD: ${dest}\n`);
    const list = await sb.run(["-l"]);
    assertMatch(list.stdout, /Gemma2-9B-Q5_K_M\.gguf +[\d.]+ +(SSD|ssd) +HDD/);
  } finally {
    await sb.cleanup();
  }
});

Deno.test("llama-pack --evict deletes only the SSD copy; -n shows the plan", async (t) => {
  const sb = await cacheWorld();
  try {
    const dest = `${sb.ssd}/llm/Gemma2-9B-Q5_K_M.gguf`;
    const hddFile = `${sb.hdd}/llm/Gemma2-9B-Q5_K_M.gguf`;
    assertEquals((await sb.run(["--cache", "gemma"])).code, 0);
    await t.step("dry run", async () => {
      const r = await sb.run(["--evict", "gemma", "--dry-run"]);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(
        r.stdout,
        `would delete ${dest}\nwould evict Gemma2-9B-Q5_K_M.gguf from the SSD: would free 8.0 MiB; the HDD copy stays at ${hddFile}\n`,
      );
      assert(await exists(dest));
    });
    await t.step("pinned: refused", async () => {
      assertEquals(
        (await sb.run(["--pin", "gemma"])).stdout,
        "pinned Gemma2-9B-Q5_K_M.gguf: its SSD copy is never evicted\n",
      );
      const r = await sb.run(["--evict", "gemma"]);
      assertEquals(r.code, 1);
      assertEquals(
        r.stderr,
        "error: refusing to evict Gemma2-9B-Q5_K_M.gguf: it is pinned to the SSD\nhint: llama-pack --unpin 'Gemma2-9B-Q5_K_M.gguf' first\n",
      );
      assert(await exists(dest));
      assertEquals((await sb.run(["--unpin", "gemma"])).code, 0);
    });
    await t.step("evicted", async () => {
      const r = await sb.run(["--evict", "gemma"]);
      assertEquals(r.code, 0, r.stderr);
      assertStringIncludes(
        r.stdout,
        `deleted ${dest}\nevicted Gemma2-9B-Q5_K_M.gguf from the SSD: freed 8.0 MiB`,
      );
      assert(!(await exists(dest)));
      assert(!(await exists(`${sb.ssd}/llm`)), "the emptied directory goes too");
      assert(await exists(hddFile), "the HDD original stays");
      assertEquals(withStore(sb, (s) => s.ssdCopies()), []);
    });
    await t.step("nothing left to evict", async () => {
      const r = await sb.run(["--evict", "gemma"]);
      assertEquals(r.stdout, "Gemma2-9B-Q5_K_M.gguf has no SSD copy: nothing to evict\n");
    });
  } finally {
    await sb.cleanup();
  }
});

Deno.test("llama-pack --evict refuses an SSD-only model and a copy whose HDD original shrank", async (t) => {
  const sb = await cacheWorld();
  try {
    await t.step("SSD-only", async () => {
      const r = await sb.run(["--evict", "private"]);
      assertEquals(r.code, 1);
      assertStringIncludes(r.stderr, "it exists only on the SSD; deleting it would lose it");
      assert(await exists(`${sb.ssd}/mine/Private-3B-Q8_0.gguf`));
    });
    await t.step("HDD original truncated after the copy", async () => {
      assertEquals((await sb.run(["--cache", "qwen"])).code, 0);
      await Deno.truncate(`${sb.hdd}/llm/Qwen3-8B-Q4_K_M.gguf`, MIB);
      const r = await sb.run(["--evict", "qwen"]);
      assertEquals(r.code, 1);
      assertMatch(
        r.stderr,
        /^error: refusing to delete .*Qwen3-8B-Q4_K_M\.gguf: its HDD original .* has 1048576 bytes/,
      );
      assert(
        await exists(`${sb.ssd}/llm/Qwen3-8B-Q4_K_M.gguf`),
        "the SSD copy is now the only whole one",
      );
    });
  } finally {
    await sb.cleanup();
  }
});

Deno.test("llama-pack --pin/--unpin/--no-cache/--allow-cache say what they did", async () => {
  const sb = await cacheWorld();
  try {
    const steps: Array<[string[], string]> = [
      [
        ["--pin", "qwen", "-n"],
        "would set: pinned Qwen3-8B-Q4_K_M.gguf: its SSD copy is never evicted\n",
      ],
      [
        ["--pin", "qwen"],
        "pinned Qwen3-8B-Q4_K_M.gguf: its SSD copy is never evicted\nnote: it is not on the SSD now; llama-pack --cache 'Qwen3-8B-Q4_K_M.gguf' copies it\n",
      ],
      [["--pin", "qwen"], "nothing to do: Qwen3-8B-Q4_K_M.gguf is already pinned\n"],
      [
        ["--unpin", "qwen"],
        "unpinned Qwen3-8B-Q4_K_M.gguf: its SSD copy may be evicted when space is needed\n",
      ],
      [["--no-cache", "qwen"], "Qwen3-8B-Q4_K_M.gguf is never copied to the SSD automatically\n"],
      [
        ["--allow-cache", "qwen"],
        "Qwen3-8B-Q4_K_M.gguf may be copied to the SSD again when used often\n",
      ],
    ];
    for (const [args, out] of steps) {
      const r = await sb.run(args);
      assertEquals([r.code, r.stdout], [0, out], `${args.join(" ")}: ${r.stderr}`);
    }
    const model = withStore(sb, (s) => s.models().find((m) => m.name === "Qwen3-8B-Q4_K_M.gguf")!);
    assertEquals([model.pinned, model.no_cache], [0, 0]);
  } finally {
    await sb.cleanup();
  }
});

Deno.test("llama-pack --cache evicts a lower-ranked copy when the SSD limit is reached", async () => {
  // 12 MiB limit: the 8 MiB Gemma copy must go for the 6 MiB Qwen copy.
  const sb = await cacheWorld({ ssd_limit_gb: 12 / 1024 });
  try {
    assertEquals((await sb.run(["--cache", "gemma"])).code, 0);
    const dry = await sb.run(["--cache", "qwen", "-n"]);
    assertEquals(dry.code, 0, dry.stderr);
    assertMatch(dry.stdout, /^would evict Gemma2-9B-Q5_K_M\.gguf \(8\.0 MiB; never used\)\n/);
    // Evicting needs a yes: -y (no terminal to ask on here).
    const r = await sb.run(["--cache", "qwen", "-y"]);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(
      r.stdout,
      /^evicted Gemma2-9B-Q5_K_M\.gguf from the SSD \(8\.0 MiB freed\)\ncached Qwen3-8B/,
    );
    assert(!(await exists(`${sb.ssd}/llm/Gemma2-9B-Q5_K_M.gguf`)));
    assert(await exists(`${sb.ssd}/llm/Qwen3-8B-Q4_K_M.gguf`));
    // Pinned copies are never evicted: then it does not fit.
    assertEquals((await sb.run(["--pin", "qwen"])).code, 0);
    const no = await sb.run(["--cache", "gemma"]);
    assertEquals(no.code, 1);
    assertMatch(no.stderr, /^error: cannot copy Gemma2-9B-Q5_K_M\.gguf to the SSD: does not fit/);
    assertStringIncludes(no.stderr, "hint: kept on the SSD: llm/Qwen3-8B-Q4_K_M.gguf (pinned");
  } finally {
    await sb.cleanup();
  }
});

Deno.test("two llama-pack --cache of one model at once: one copies, the other finds it", async () => {
  const sb = await cacheWorld();
  try {
    const [a, b] = await Promise.all([sb.run(["--cache", "gemma"]), sb.run(["--cache", "gemma"])]);
    assertEquals([a.code, b.code], [0, 0], a.stderr + b.stderr);
    const outs = [a.stdout, b.stdout].sort();
    assertMatch(outs[0]!, /^Gemma2-9B-Q5_K_M\.gguf is already on the SSD: /);
    assertMatch(outs[1]!, /^cached Gemma2-9B-Q5_K_M\.gguf on the SSD: copied/);
    assertEquals(
      (await hashFile(`${sb.ssd}/llm/Gemma2-9B-Q5_K_M.gguf`)).hash,
      (await hashFile(`${sb.hdd}/llm/Gemma2-9B-Q5_K_M.gguf`)).hash,
    );
  } finally {
    await sb.cleanup();
  }
});

Deno.test("llama-pack --cache-stats shows each tier with a bar, figures and warnings", async () => {
  const sb = await cacheWorld({ ssd_limit_gb: 10 / 1024, cache_warning_threshold: 0.5 });
  try {
    assertEquals((await sb.run(["--cache", "gemma"])).code, 0);
    const r = await sb.run(["--cache-stats"]);
    assertEquals(r.code, 0, r.stderr);
    const lines = r.stdout.split("\n");
    assertEquals(lines[0], `ssd   ${sb.ssd}`);
    // 8 MiB copy + 2 MiB SSD-only file under a 10 MiB limit: 100%.
    assertEquals(lines[1], "      [####################] 100%  models 10.0 MiB of 10.0 MiB limit");
    assertMatch(lines[2]!, /^ {6}disk [\d.]+ [GT]iB, [\d.]+ [GT]iB free; room for a model: 0 B$/);
    assertEquals(
      lines[3],
      "      warning: ssd is 100% full (10.0 MiB of 10.0 MiB), above the 50% threshold",
    );
    assertEquals(lines[4], `hdd   ${sb.hdd}`);
    assertMatch(lines[5]!, /^ {6}\[[#.]{20}\] +\d+% {2}models 14\.0 MiB$/);
    // --json prints the cache API's document (GET /api/cache/stats).
    const json = JSON.parse((await sb.run(["--cache-stats", "--json"])).stdout);
    assertEquals(
      [json.primary.name, json.primary.color, json.primary.warning, json.primary.used_gb],
      ["ssd", "red", true, 0.01],
    );
    assertEquals(json.primary.limit_gb, 0.01);
    assertEquals([json.secondary.path, json.custom, json.threshold], [sb.hdd, [], 0.5]);
  } finally {
    await sb.cleanup();
  }
});

Deno.test("llama-pack --check and --recommend answer with exit status and reason", async (t) => {
  const sb = await cacheWorld({ ssd_limit_gb: 10 / 1024 });
  try {
    const cases: Array<[string[], number, RegExp]> = [
      [["--check", "1m"], 0, /^yes: 1\.0 MiB fits on ssd \(.*\): usage 20% -> 30%/],
      [
        ["--check", "9m"],
        1,
        /^no: 9\.0 MiB does not fit on ssd .*the limit is 10\.0 MiB and 2\.0 MiB is used/,
      ],
      [["--check", "9m", "--tier", "hdd"], 0, /^yes: 9\.0 MiB fits on hdd/],
      [
        ["--check", "100t", "--tier", "hdd"],
        1,
        /^no: 100\.00 TiB does not fit on hdd .* free on the disk/,
      ],
      [
        ["--recommend", "1m"],
        0,
        /^ssd \(.*\) for 1\.0 MiB: the SSD loads fastest and 1\.0 MiB fits/,
      ],
      [
        ["--recommend", "50m"],
        0,
        /^hdd \(.*\) for 50\.0 MiB: 50\.0 MiB does not fit on ssd .*; the HDD with the most room/,
      ],
      [["--recommend", "100t"], 1, /^nowhere: .*no HDD has 100\.00 TiB free either/],
    ];
    for (const [args, code, out] of cases) {
      await t.step(args.join(" "), async () => {
        const r = await sb.run(args);
        assertEquals(r.code, code, r.stderr);
        assertMatch(r.stdout, out);
      });
    }
    await t.step("a path as tier", async () => {
      const r = await sb.run(["--check", "1m", "--tier", sb.root]);
      assertEquals(r.code, 0, r.stderr);
      assertStringIncludes(r.stdout, `yes: 1.0 MiB fits on ${sb.root}`);
      const bad = await sb.run(["--check", "1m", "--tier", `${sb.root}/missing`]);
      assertEquals(bad.code, 1);
      assertStringIncludes(bad.stderr, `error: cannot measure ${sb.root}/missing tier`);
    });
    await t.step("bad input", async () => {
      const r = await sb.run(["--check", "12x"]);
      assertEquals(r.code, 2);
      assertStringIncludes(r.stderr, "cannot parse size '12x'");
      const t2 = await sb.run(["--check", "1m", "--tier", "tape"]);
      assertEquals(t2.code, 2);
      assertStringIncludes(t2.stderr, "unknown tier 'tape'");
    });
  } finally {
    await sb.cleanup();
  }
});

/** Polls (bounded) until copy job `id` is done or failed, and returns it. */
async function waitForJob(sb: Sandbox, id: number) {
  const job = () => withStore(sb, (s) => s.copyJobs().find((j) => j.id === id));
  for (let i = 0; i < 100 && !["done", "failed"].includes(job()?.state ?? ""); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  return job();
}

/** The job id a `[... in the background, job N]` note names. */
function jobIdIn(stdout: string): number {
  const m = stdout.match(/to the SSD in the background, job (\d+)[,\]]/);
  assert(m, `no background copy started: ${stdout}`);
  return Number(m[1]);
}

Deno.test("with cache.min_uses 3, the third use in a week copies the model to the SSD in the background", async () => {
  const sb = await cacheWorld({ cache: { min_uses: 3 } });
  try {
    const port = String(freePort());
    let third = "";
    for (let i = 1; i <= 3; i++) {
      const r = await sb.run(["-m", "qwen", "--detach", "-p", port]);
      assertEquals(r.code, 0, r.stderr);
      if (i < 3) {
        assert(!r.stdout.includes("copying"), `use ${i} must not copy: ${r.stdout}`);
        assertEquals(withStore(sb, (s) => s.copyJobs()), [], `use ${i} queues no copy`);
      } else third = r.stdout;
      assertEquals((await sb.run(["-k", "-p", port])).code, 0);
    }
    assertMatch(
      third,
      /\[3 uses in 7 days: copying Qwen3-8B-Q4_K_M\.gguf \(6\.0 MiB\) to the SSD in the background, job \d+\]/,
    );
    // The detached copier finishes on its own.
    const job = (await waitForJob(sb, jobIdIn(third)))!;
    assertEquals(job.state, "done", job.message ?? "");
    assertMatch(job.message ?? "", /^copied Qwen3-8B-Q4_K_M\.gguf \(6\.0 MiB\) in/);
    assertEquals(
      (await hashFile(`${sb.ssd}/llm/Qwen3-8B-Q4_K_M.gguf`)).hash,
      (await hashFile(`${sb.hdd}/llm/Qwen3-8B-Q4_K_M.gguf`)).hash,
    );
    const list = await sb.run(["-l"]);
    assertMatch(list.stdout, /Qwen3-8B-Q4_K_M\.gguf +[\d.]+ +SSD +HDD/);
    // The next run loads from the SSD.
    const next = await sb.run(["-m", "qwen", "--detach", "-p", port]);
    assertEquals(next.code, 0, next.stderr);
    assertStringIncludes(next.stdout + next.stderr, "from ssd");
    await sb.run(["-k", "-p", port]);
  } finally {
    await sb.cleanup();
  }
});

Deno.test("by default the first use copies a model into free SSD room; one use never evicts another copy", async (t) => {
  // 12 MiB limit: room for the 6 MiB Qwen, or the 8 MiB Gemma, not both.
  const sb = await cacheWorld({ ssd_limit_gb: 12 / 1024 });
  const port = String(freePort());
  try {
    await t.step("the first load copies into free room in the background", async () => {
      const r = await sb.run(["-m", "qwen", "--detach", "-p", port]);
      assertEquals(r.code, 0, r.stderr);
      assertStringIncludes(r.stdout + r.stderr, "from hdd");
      assertMatch(
        r.stdout,
        /\[1 use in 7 days: copying Qwen3-8B-Q4_K_M\.gguf \(6\.0 MiB\) to the SSD in the background, job \d+\]/,
      );
      assertEquals((await sb.run(["-k", "-p", port])).code, 0);
      const job = (await waitForJob(sb, jobIdIn(r.stdout)))!;
      assertEquals(job.state, "done", job.message ?? "");
      assertMatch(job.message ?? "", /^copied Qwen3-8B-Q4_K_M\.gguf \(6\.0 MiB\) in/);
      const dest = `${sb.ssd}/llm/Qwen3-8B-Q4_K_M.gguf`;
      const hash = (await hashFile(dest)).hash;
      assertEquals(hash, (await hashFile(`${sb.hdd}/llm/Qwen3-8B-Q4_K_M.gguf`)).hash);
      assertEquals(
        withStore(sb, (s) => s.ssdCopies().map((c) => [c.ssd_path, c.size, c.hash])),
        [[dest, 6 * MIB, hash]],
      );
      const next = await sb.run(["-m", "qwen", "--detach", "-p", port]);
      assertEquals(next.code, 0, next.stderr);
      assertStringIncludes(next.stdout + next.stderr, "from ssd");
      assertEquals((await sb.run(["-k", "-p", port])).code, 0);
    });

    await t.step("one use of a model that does not fit evicts nothing", async () => {
      const jobsBefore = withStore(sb, (s) => s.copyJobs().length);
      // 6 MiB of the 12 MiB are held by the Qwen copy: the 8 MiB Gemma does not fit.
      const r = await sb.run(["-m", "gemma", "--detach", "-p", port, "-v"]);
      assertEquals(r.code, 0, r.stderr);
      assert(!r.stdout.includes("copying"), r.stdout);
      assertStringIncludes(
        r.stderr,
        "1 use in the last 7 days, 2 needed before displacing other copies",
      );
      assertEquals((await sb.run(["-k", "-p", port])).code, 0);
      assertEquals(withStore(sb, (s) => s.copyJobs().length), jobsBefore, "no copy queued");
      assert(await exists(`${sb.ssd}/llm/Qwen3-8B-Q4_K_M.gguf`), "the Qwen copy stays");
      assert(!(await exists(`${sb.ssd}/llm/Gemma2-9B-Q5_K_M.gguf`)));
      assertEquals(
        withStore(sb, (s) => s.ssdCopies().map((c) => c.model_id)),
        ["llm/Qwen3-8B-Q4_K_M.gguf"],
      );
    });

    await t.step("the second use may displace a copy worth less", async () => {
      const r = await sb.run(["-m", "gemma", "--detach", "-p", port]);
      assertEquals(r.code, 0, r.stderr);
      assertMatch(
        r.stdout,
        /\[2 uses in 7 days: copying Gemma2-9B-Q5_K_M\.gguf \(8\.0 MiB\) to the SSD in the background, job \d+, evicting llm\/Qwen3-8B-Q4_K_M\.gguf \(6\.0 MiB\)\]/,
      );
      assertEquals((await sb.run(["-k", "-p", port])).code, 0);
      const job = (await waitForJob(sb, jobIdIn(r.stdout)))!;
      assertEquals(job.state, "done", job.message ?? "");
      assertEquals(
        (await hashFile(`${sb.ssd}/llm/Gemma2-9B-Q5_K_M.gguf`)).hash,
        (await hashFile(`${sb.hdd}/llm/Gemma2-9B-Q5_K_M.gguf`)).hash,
      );
      assert(!(await exists(`${sb.ssd}/llm/Qwen3-8B-Q4_K_M.gguf`)), "the Qwen copy was evicted");
      assert(await exists(`${sb.hdd}/llm/Qwen3-8B-Q4_K_M.gguf`), "its HDD original stays");
      assertEquals(
        withStore(sb, (s) => s.ssdCopies().map((c) => c.model_id)),
        ["llm/Gemma2-9B-Q5_K_M.gguf"],
      );
    });
  } finally {
    await sb.run(["--killall"], { env: { LLAMA_PACK_STOP_GRACE_MS: "200" } });
    await sb.cleanup();
  }
});

Deno.test("llama-pack --cache cleans up what an interrupted copy left", async () => {
  const sb = await cacheWorld();
  try {
    const { partialPaths } = await import("../lib/cache/partials.ts");
    const p = await partialPaths(sb.ssd, `${sb.ssd}/llm/Gemma2-9B-Q5_K_M.gguf`);
    await Deno.mkdir(p.dir, { recursive: true });
    await Deno.writeFile(p.temp, new Uint8Array(3 * MIB)); // a copy killed with -9
    await Deno.writeTextFile(p.sidecar, JSON.stringify({ dest: "x" }));
    const r = await sb.run(["--cache", "gemma"]);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stdout, /^removed 2 leftover files of an interrupted copy \(3\.0 MiB\)\ncached /);
    assert(!(await exists(p.dir)));
  } finally {
    await sb.cleanup();
  }
});

Deno.test("a copy job whose copier died is marked failed, and does not block the model", async () => {
  const sb = await cacheWorld();
  try {
    const dead = new Deno.Command("true").spawn();
    await dead.status;
    const jobId = withStore(sb, (s) => {
      const model = s.models().find((m) => m.name === "Qwen3-8B-Q4_K_M.gguf")!;
      const now = Date.now() / 1000;
      const id = s.addCopyJob({
        modelId: model.id,
        bytesTotal: 6 * MIB,
        now,
        owner: processOwner()!,
      });
      s.updateCopyJob(id, { state: "copying", owner: { pid: dead.pid, startTime: 1 }, now });
      return id;
    });
    const r = await sb.run(["--cache-stats"]);
    assertEquals(r.code, 0, r.stderr);
    assert(!r.stdout.includes("copy job"), r.stdout);
    const job = withStore(sb, (s) => s.copyJobs().find((j) => j.id === jobId)!);
    assertEquals(job.state, "failed");
    assertEquals(job.message, `the copier (pid ${dead.pid}) stopped before finishing`);
  } finally {
    await sb.cleanup();
  }
});

Deno.test("two background copiers promoting one model: one copies, the other finds it done", async () => {
  const sb = await cacheWorld();
  try {
    const now = Date.now() / 1000;
    const [a, b] = withStore(sb, (s) => {
      const model = s.models().find((m) => m.name === "Gemma2-9B-Q5_K_M.gguf")!;
      for (const ago of [3000, 2000, 1000]) {
        s.recordUse({ modelId: model.id, at: now - ago, tier: "hdd" });
      }
      // Queued by this test process, which stays alive while the copiers take the jobs over.
      const job = () =>
        s.addCopyJob({ modelId: model.id, bytesTotal: 8 * MIB, now, owner: processOwner()! });
      return [job(), job()];
    });
    const [ra, rb] = await Promise.all([
      sb.run(["--run-copier", String(a)]),
      sb.run(["--run-copier", String(b)]),
    ]);
    assertEquals([ra.code, rb.code], [0, 0], ra.stderr + rb.stderr);
    const outs = [ra.stdout, rb.stdout].sort((x, y) => x.length - y.length);
    assertMatch(outs[0]!, /^copy job \d+ done: Gemma2-9B-Q5_K_M\.gguf is already on the SSD\n$/);
    assertMatch(outs[1]!, /^copy job \d+ done: copied Gemma2-9B-Q5_K_M\.gguf \(8\.0 MiB\) in /);
    assertEquals(
      (await hashFile(`${sb.ssd}/llm/Gemma2-9B-Q5_K_M.gguf`)).hash,
      (await hashFile(`${sb.hdd}/llm/Gemma2-9B-Q5_K_M.gguf`)).hash,
    );
    assertEquals(withStore(sb, (s) => s.ssdCopies().length), 1);
  } finally {
    await sb.cleanup();
  }
});

Deno.test("Ctrl-C during llama-pack --cache stops the copy and leaves nothing half-copied", async () => {
  const sb = await cacheWorld();
  try {
    await makeLibrary(sb.hdd, { "big/Big-70B-Q4_K_M.gguf": { size: 768 * MIB } });
    assertEquals((await sb.run(["-u"])).code, 0);
    const child = sb.spawn(["--cache", "big-70b"]);
    // Bounded poll until the copy has started, then interrupt it.
    let copying = false;
    for (let i = 0; i < 300 && !copying; i++) {
      await new Promise((r) => setTimeout(r, 20));
      copying = withStore(sb, (s) => s.copyJobs().some((j) => j.state === "copying"));
    }
    assert(copying, "the copy started");
    child.kill("SIGINT");
    const out = await child.output();
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 130, stderr);
    assertStringIncludes(
      stderr,
      "interrupted: stopped copying Big-70B-Q4_K_M.gguf; the unfinished file was removed",
    );
    assert(!(await exists(`${sb.ssd}/big/Big-70B-Q4_K_M.gguf`)));
    assert(!(await exists(`${sb.ssd}/.llama-pack-partial`)));
    assert(!(await exists(`${sb.ssd}/big`)));
    const job = withStore(sb, (s) => s.copyJobs()[0]!);
    assertEquals([job.state, job.message], [
      "failed",
      "interrupted; the unfinished file was removed",
    ]);
  } finally {
    await sb.cleanup();
  }
});

Deno.test("a look-alike SSD file llama-pack never copied is never evicted, by hand or to make room", async (t) => {
  // 12 MiB limit, as above; but the "copy" of Gemma on the SSD was put there by
  // someone else and differs from the HDD original past its first MiB.
  const sb = await cacheWorld({ ssd_limit_gb: 12 / 1024 });
  const lookalike = `${sb.ssd}/llm/Gemma2-9B-Q5_K_M.gguf`;
  try {
    await Deno.mkdir(`${sb.ssd}/llm`, { recursive: true });
    await Deno.copyFile(`${sb.hdd}/llm/Gemma2-9B-Q5_K_M.gguf`, lookalike);
    const f = await Deno.open(lookalike, { write: true });
    await f.seek(5 * MIB, Deno.SeekMode.Start);
    await f.write(new TextEncoder().encode("unique bytes that exist nowhere else"));
    f.close();
    const before = (await hashFile(lookalike)).hash;
    assertEquals((await sb.run(["-u"])).code, 0);
    await t.step("--evict refuses and says how to verify", async () => {
      const r = await sb.run(["--evict", "gemma"]);
      assertEquals(r.code, 1);
      assertStringIncludes(
        r.stderr,
        `error: refusing to evict Gemma2-9B-Q5_K_M.gguf: ${lookalike} is not a verified copy`,
      );
      assertStringIncludes(
        r.stderr,
        "hint: llama-pack --cache 'Gemma2-9B-Q5_K_M.gguf' verifies it",
      );
    });
    await t.step("the planner does not evict it to make room", async () => {
      const r = await sb.run(["--cache", "qwen"]);
      assertEquals(r.code, 1, r.stdout);
      assertStringIncludes(r.stderr, "does not fit");
    });
    await t.step("--cache refuses to take it over", async () => {
      const r = await sb.run(["--cache", "gemma"]);
      assertEquals(r.code, 1, r.stdout);
    });
    assertEquals((await hashFile(lookalike)).hash, before, "the look-alike is untouched");
  } finally {
    await sb.cleanup();
  }
});

Deno.test("evicting one model keeps a projector another cached model shares", async () => {
  const sb = await makeSandbox();
  try {
    await makeLibrary(sb.hdd, {
      "vl/ModelA-Q4_K_M.gguf": { size: 2 * MIB },
      "vl/ModelB-Q8_0.gguf": { size: 3 * MIB },
      "vl/mmproj-F16.gguf": { projector: true, size: MIB },
    });
    assertEquals((await sb.run(["-u"])).code, 0);
    assertEquals((await sb.run(["--cache", "modela"])).code, 0);
    assertEquals((await sb.run(["--cache", "modelb"])).code, 0);
    const mm = `${sb.ssd}/vl/mmproj-F16.gguf`;
    assert(await exists(mm));
    const r = await sb.run(["--evict", "modela"]);
    assertEquals(r.code, 0, r.stderr);
    assert(!(await exists(`${sb.ssd}/vl/ModelA-Q4_K_M.gguf`)));
    assert(await exists(mm), "ModelB still needs the projector");
    assertEquals((await sb.run(["-u"])).code, 0);
    const dry = await sb.run(["-m", "modelb", "-n"]);
    assertStringIncludes(dry.stdout, `--mmproj ${mm}`);
    // Once no cached model uses it, it goes with the last one.
    assertEquals((await sb.run(["--evict", "modelb"])).code, 0);
    assert(!(await exists(mm)));
  } finally {
    await sb.cleanup();
  }
});

Deno.test("a model renamed on the HDD after it was cached can still be evicted safely", async () => {
  const sb = await cacheWorld();
  try {
    assertEquals((await sb.run(["--cache", "gemma"])).code, 0);
    await Deno.mkdir(`${sb.hdd}/moved`);
    await Deno.rename(`${sb.hdd}/llm/Gemma2-9B-Q5_K_M.gguf`, `${sb.hdd}/moved/Gemma-renamed.gguf`);
    assertEquals((await sb.run(["-u"])).code, 0);
    const r = await sb.run(["--evict", "gemma"]);
    assertEquals(r.code, 0, r.stderr);
    assertStringIncludes(r.stdout, `the HDD copy stays at ${sb.hdd}/moved/Gemma-renamed.gguf`);
    assert(await exists(`${sb.hdd}/moved/Gemma-renamed.gguf`));
    assert(!(await exists(`${sb.ssd}/llm/Gemma2-9B-Q5_K_M.gguf`)));
  } finally {
    await sb.cleanup();
  }
});

Deno.test("evicting a copy a running server has open says when its space comes back", async () => {
  const sb = await cacheWorld();
  const port = String(freePort());
  try {
    assertEquals((await sb.run(["--cache", "gemma"])).code, 0);
    const up = await sb.run(["-m", "gemma", "-d", "-p", port]);
    assertEquals(up.code, 0, up.stderr);
    assertStringIncludes(up.stdout, "from ssd");
    const r = await sb.run(["--evict", "gemma"]);
    assertEquals(r.code, 0, r.stderr);
    assertStringIncludes(
      r.stdout,
      `evicted Gemma2-9B-Q5_K_M.gguf from the SSD: 8.0 MiB are freed when the server on 127.0.0.1:${port} stops (it has the file open)`,
    );
    assert(await exists(`${sb.hdd}/llm/Gemma2-9B-Q5_K_M.gguf`));
  } finally {
    await sb.run(["--killall"], { env: { LLAMA_PACK_STOP_GRACE_MS: "200" } });
    await sb.cleanup();
  }
});

Deno.test("an SSD copy missing its projector is not served; --cache makes it whole again", async () => {
  const sb = await makeSandbox();
  try {
    await makeLibrary(sb.hdd, {
      "vl/ModelA-Q4_K_M.gguf": { size: 2 * MIB },
      "vl/mmproj-F16.gguf": { projector: true, size: MIB },
    });
    assertEquals((await sb.run(["-u"])).code, 0);
    assertEquals((await sb.run(["--cache", "modela"])).code, 0);
    await Deno.remove(`${sb.ssd}/vl/mmproj-F16.gguf`);
    assertEquals((await sb.run(["-u"])).code, 0);
    const dry = await sb.run(["-m", "modela", "-n"]);
    assertEquals(dry.code, 0, dry.stderr);
    // One unit: a copy missing a file is not a copy; the HDD serves both files.
    assertStringIncludes(
      dry.stdout,
      `-m ${sb.hdd}/vl/ModelA-Q4_K_M.gguf --mmproj ${sb.hdd}/vl/mmproj-F16.gguf`,
    );
    assertStringIncludes(
      dry.stderr,
      `note: not serving the SSD copy of ModelA-Q4_K_M.gguf: its file ${sb.ssd}/vl/mmproj-F16.gguf is missing from the SSD`,
    );
    const again = await sb.run(["--cache", "modela"]);
    assertEquals(again.code, 0, again.stderr);
    const fixed = await sb.run(["-m", "modela", "-n"]);
    assertStringIncludes(
      fixed.stdout,
      `-m ${sb.ssd}/vl/ModelA-Q4_K_M.gguf --mmproj ${sb.ssd}/vl/mmproj-F16.gguf`,
    );
  } finally {
    await sb.cleanup();
  }
});

Deno.test("a background copier whose config is gone fails and writes no default config", async () => {
  const sb = await makeSandbox();
  try {
    await Deno.remove(sb.config);
    const r = await sb.run(["--run-copier", "1"]);
    assert(r.code !== 0, r.stdout + r.stderr);
    assertStringIncludes(r.stderr, "is gone; not copying");
    assertEquals(await exists(sb.config), false, "no default config was written");
  } finally {
    await sb.cleanup();
  }
});

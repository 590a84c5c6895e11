import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { makeSandbox, type Sandbox } from "./sandbox.ts";
import { StateStore } from "../lib/state/store.ts";

const GIB = 1024 ** 3;

/** Seeds the sandbox's index with one HDD model and some uses. */
function seed(sb: Sandbox, uses: number[]): void {
  const store = StateStore.open(sb.state);
  try {
    const path = join(sb.hdd, "Gemma2-9B-Q5_K.gguf");
    store.applyScan([{
      id: "Gemma2-9B-Q5_K.gguf",
      name: "Gemma2-9B-Q5_K.gguf",
      size: 6 * GIB,
      fingerprint: "f",
      ssdOnly: false,
      metadata: {},
      files: [{
        path,
        tier: "hdd",
        root: sb.hdd,
        rel: "Gemma2-9B-Q5_K.gguf",
        role: "model",
        size: 6 * GIB,
        mtime: 1,
      }],
    }], { now: 1_700_000_000, renames: {}, keepPrefixes: [], prune: false });
    for (const at of uses) {
      store.recordUse({ modelId: "Gemma2-9B-Q5_K.gguf", at, tier: "hdd", duration: 1800 });
    }
  } finally {
    store.close();
  }
}

Deno.test("llama-pack --simulate runs a preset and prints the summary", async () => {
  const sb = await makeSandbox();
  try {
    const r = await sb.run(["--simulate", "simple"]);
    assertEquals(r.stderr, "");
    assertEquals(r.code, 0);
    const lines = r.stdout.split("\n");
    assertEquals(lines[0], "simulation: simple — policy llama-pack");
    assertStringIncludes(r.stdout, "7 loads of 1 model over 6d 00h; SSD 50.0 GiB free\n");
    assertMatch(r.stdout, /\n {2}SSD hits {9}[1-9] of 7 loads/);
    assertMatch(r.stdout, /\n {2}byte hit ratio {3}\d+\.\d% of 70\.0 GiB loaded\n/);
    assertMatch(r.stdout, /\n {2}final SSD {8}test \(10\.0 GiB, \d+ hits?\)\n$/);
    assert(!r.stdout.includes("\x1b["), "no colours with NO_COLOR and no TTY");
  } finally {
    await sb.cleanup();
  }
});

Deno.test("llama-pack --simulate PATTERN -v --compare prints timeline, summary and table", async () => {
  const sb = await makeSandbox({ ssd_min_free_gb: 10 });
  try {
    const r = await sb.run([
      "--simulate",
      "a:10g=0s/1h,1d,2d,3d,4d;b:30g=2h/1h,1d2h,2d2h",
      "--sim-ssd-free",
      "40g",
      "-v",
      "--compare",
    ]);
    assertEquals(r.code, 0);
    assertEquals(r.stderr, "");
    const parts = r.stdout.split("\n\n"); // timeline, summary head, summary figures, table
    const timeline = parts[0];
    const summary = parts[1];
    const table = parts[parts.length - 1];
    const events = timeline!.split("\n");
    // The first load misses but copies a into free room (30 GiB above the
    // 10 GiB kept free); the copy takes 10 GiB / 150 MB/s = 72s of virtual time.
    assertEquals(
      events[0],
      "+0d 00:00:00  copy    a   10.0 GiB  fits: needs 10.0 GiB, 30.0 GiB available above the 10.0 GiB minimum free [steady]",
    );
    assertEquals(events[1], "+0d 00:01:12  copied  a   10.0 GiB  copy finished, verified");
    // b (30 GiB) does not fit in the 20 GiB left, and one use may not displace a.
    assertEquals(
      events[2],
      "+0d 02:00:00  miss    b   30.0 GiB  does not fit: needs 30.0 GiB, 20.0 GiB available above the 10.0 GiB minimum free; 1 use in the last 7 days, 2 needed before displacing other copies [steady]",
    );
    assertMatch(events[3]!, /^\+1d 00:00:00 {2}hit {5}a {3}10\.0 GiB {2}kept: /);
    // Its second use may: b evicts a, then takes 30 GiB / 150 MB/s = 3m 35s to copy.
    assertMatch(events[4]!, /^\+1d 02:00:00 {2}evict {3}a {3}10\.0 GiB {2}ranked /);
    assertMatch(
      events[5]!,
      /^\+1d 02:00:00 {2}copy {4}b {3}30\.0 GiB {2}worth it: needs 10\.0 GiB more room; evicting a \(10\.0 GiB, .*\[steady\]$/,
    );
    assertEquals(events[6], "+1d 02:03:35  copied  b   30.0 GiB  copy finished, verified");
    assertMatch(events[8]!, /^\+2d 02:00:00 {2}hit {5}b /);
    assertEquals(events.length, 11, "one event per load, plus evictions and finished copies");
    assertStringIncludes(summary!, "SSD 40.0 GiB free (10.0 GiB kept free)");
    assertStringIncludes(r.stdout, "  loads            8\n");
    // The hits: a at 1d and b at 2d2h, 40 of the 140 GiB loaded.
    assertStringIncludes(r.stdout, "  SSD hits         2 of 8 loads (25.0%)\n");
    assertStringIncludes(r.stdout, "  byte hit ratio   28.6% of 140.0 GiB loaded\n");
    const rows = table!.trimEnd().split("\n").map((l) => l.split(/ {2,}/)[0]);
    assertEquals(rows, [
      "policy",
      "-------------------",
      "llama-pack",
      "LRU",
      "LFU-DA",
      "GDSF",
      "original (≥2 in 7d)",
      "LP upper bound",
      "offline schedule",
    ]);
    assertMatch(table!, /\nLP upper bound +\d+\.\d% +100\.0% +\S+( \S+)? +–\n/);
  } finally {
    await sb.cleanup();
  }
});

Deno.test("llama-pack --simulate reports bad input with exit 2", async (t) => {
  const sb = await makeSandbox();
  try {
    await Deno.writeTextFile(join(sb.root, "empty.jsonl"), "");
    const cases: [string[], number, string, string | undefined][] = [
      [
        ["--simulate", "daly_work"],
        2,
        "error: --simulate: no preset named 'daly_work' (did you mean 'daily_work'?)",
        "hint: available presets: simple, daily_work, rapid_switch, cache_pressure;",
      ],
      [
        ["--simulate", "test=0s/1x", "--sim-ssd-free", "50g"],
        2,
        "error: pattern: column 9: bad duration '1x' (use s, m, h, d, w)",
        "hint: pattern syntax: model[:size]=time/duration",
      ],
      [
        ["--simulate", "nosuchmodel=0s/1h", "--sim-ssd-free", "50g"],
        2,
        "error: pattern: column 1: no size for model 'nosuchmodel' (write nosuchmodel:10g=..., or index a model that matches it)",
        undefined,
      ],
      [
        ["--simulate", "missing.jsonl"],
        2,
        "error: --simulate: cannot read trace file 'missing.jsonl': no such file",
        "hint: give a preset name, a pattern (contains = or ;) or a JSON Lines trace file",
      ],
      [
        ["--simulate", "empty.jsonl"],
        2,
        "error: --simulate: trace file 'empty.jsonl' has no loads",
        undefined,
      ],
      [
        ["--simulate", "a:99999999999999999999g=0s/1h"],
        2,
        "error: pattern: column 3: bad size '99999999999999999999g'",
        undefined,
      ],
      [
        ["--simulate-history", "--sim-ssd-free", "50g"],
        2,
        "error: --simulate-history: no recorded uses to replay yet",
        "hint: load models with -m first",
      ],
    ];
    for (const [argv, code, first, second] of cases) {
      await t.step(argv.join(" "), async () => {
        const r = await sb.run(argv);
        assertEquals(r.code, code, r.stderr);
        assertEquals(r.stdout, "");
        const lines = r.stderr.trimEnd().split("\n");
        assert(lines[0]!.startsWith(first), lines[0]);
        if (second !== undefined) assert(lines[1]?.startsWith(second), lines[1]);
        assert(!r.stderr.includes("    at "), "no stack trace");
      });
    }
  } finally {
    await sb.cleanup();
  }
});

Deno.test("llama-pack --simulate FILE replays a JSON Lines trace", async () => {
  const sb = await makeSandbox();
  try {
    const trace = join(sb.root, "trace.jsonl");
    const lines = [0, 1, 2, 3, 4].map((d) =>
      JSON.stringify({ t: d * 86400, model: "coder", size: 18 * GIB, duration: 7200 })
    );
    await Deno.writeTextFile(trace, lines.join("\n") + "\n");
    const r = await sb.run(["--simulate", trace, "--sim-ssd-free", "50g", "--json"]);
    assertEquals(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assertEquals(out.workload.name, trace);
    assertEquals(out.workload.loads, 5);
    assertEquals(out.workload.ssdFreeBytes, 50 * GIB);
    assertEquals(out.summary.loads, 5);
    assertEquals(out.summary.policy, "llama-pack");
    assertEquals(out.timeline, undefined);

    await Deno.writeTextFile(trace, lines[0] + '\n{"t": "noon", "model": "coder", "size": 1}\n');
    const bad = await sb.run(["--simulate", trace, "--sim-ssd-free", "50g"]);
    assertEquals(bad.code, 2);
    assertEquals(
      bad.stderr.split("\n")[0],
      `error: ${trace}:2: key 't': expected seconds ≥ 0, got "noon"`,
    );
  } finally {
    await sb.cleanup();
  }
});

Deno.test("llama-pack --simulate sizes patterns from the index and replays history", async () => {
  const sb = await makeSandbox();
  try {
    const day = 86400;
    const t0 = 1_700_000_000;
    seed(sb, [t0, t0 + day, t0 + 2 * day, t0 + 3 * day, t0 + 4 * day]);
    const r = await sb.run(["--simulate", "gemma5=0s/1h,1d,2d,3d", "--sim-ssd-free", "20g"]);
    assertEquals(r.code, 0, r.stderr);
    assertStringIncludes(r.stdout, "of 24.0 GiB loaded"); // 4 loads × 6 GiB from the index
    const h = await sb.run(["--simulate-history", "--sim-ssd-free", "20g", "-v"]);
    assertEquals(h.code, 0, h.stderr);
    assertStringIncludes(h.stdout, `times from ${new Date(t0 * 1000).toISOString()}\n`);
    assertStringIncludes(h.stdout, "simulation: your history — policy llama-pack");
    assertStringIncludes(h.stdout, "5 loads of 1 model over 4d 00h");
    // The first recorded load copies the 6 GiB model (its size from the index)
    // into the free room: 6 GiB / 150 MB/s = 43s; every later load hits.
    assertStringIncludes(
      h.stdout,
      "+0d 00:00:00  copy    Gemma2-9B-Q5_K.gguf    6.0 GiB  fits: needs 6.0 GiB, 20.0 GiB available above the 0 B minimum free [steady]\n" +
        "+0d 00:00:43  copied  Gemma2-9B-Q5_K.gguf    6.0 GiB  copy finished, verified\n" +
        "+1d 00:00:00  hit     Gemma2-9B-Q5_K.gguf    6.0 GiB  kept: ",
    );
    assertStringIncludes(h.stdout, "  SSD hits         4 of 5 loads (80.0%)\n");
  } finally {
    await sb.cleanup();
  }
});

Deno.test("llama-pack --simulate measures the SSD when no size is given", async () => {
  const sb = await makeSandbox();
  try {
    const r = await sb.run(["--simulate", "a:1g=0s/1h,1d", "--json"]);
    assertEquals(r.code, 0, r.stderr);
    const free = JSON.parse(r.stdout).workload.ssdFreeBytes;
    assert(typeof free === "number" && free > 0, `measured ${free}`);
    await sb.writeConfig({ ssd_path: join(sb.root, "no-such-ssd") });
    const bad = await sb.run(["--simulate", "a:1g=0s/1h,1d"]);
    assertStringIncludes(bad.stderr, "--simulate: cannot measure free space on the SSD");
    assertStringIncludes(bad.stderr, "hint: pass the free space to assume: --sim-ssd-free 100g");
    assertEquals(bad.code, 1);
  } finally {
    await sb.cleanup();
  }
});

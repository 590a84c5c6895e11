/**
 * End-to-end: `-u/--update` and `-l/--list` run as the real CLI against
 * generated GGUF trees in a sandbox.
 */
import { recordVerifiedUnit } from "./unit_records.ts";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { hfEntries, makeLibrary, shardEntries, type WriteGgufOptions } from "./gguf_writer.ts";
import { makeSandbox, type Sandbox } from "./sandbox.ts";
import { StateStore } from "../lib/state/store.ts";
import { formatDate } from "../lib/core/list_entry.ts";

const GIB = 1024 ** 3;
const GEMMA: WriteGgufOptions = {
  size: 6 * GIB,
  parameterCount: 9.24e9,
  fileType: "Q5_K_M",
  architecture: "gemma2",
  contextLength: 8192,
  blockCount: 42,
};

/** A sandbox with an HDD tree (plain, shards, projector, HF layout, broken file, loop) and an SSD. */
async function libraryWorld(): Promise<Sandbox> {
  const sb = await makeSandbox();
  await makeLibrary(sb.hdd, {
    "llm/Gemma2-9B-Q5_K_M.gguf": GEMMA,
    "llm/mmproj-gemma2-F16.gguf": { projector: true, size: 800 * 1024 ** 2 },
    ...shardEntries("big/Qwen2.5-72B-Q4_K_M", 3, {
      size: 45 * GIB,
      parameterCount: 72.7e9,
      architecture: "qwen2",
    }),
    "llm/broken.gguf": { corrupt: "truncated-header" },
    "llm/loop": { kind: "symlink", target: ".." },
    ...Object.fromEntries(
      Object.entries(
        hfEntries("bartowski/Qwen3-8B-GGUF", {
          "Qwen3-8B-Q4_K_M.gguf": { size: 5 * GIB, parameterCount: 8.2e9 },
        }, { revision: "rev1" }),
      ).map(([k, v]) => [`hub/${k}`, v]),
    ),
  });
  await makeLibrary(sb.ssd, {
    "llm/Gemma2-9B-Q5_K_M.gguf": GEMMA,
    "llm/mmproj-gemma2-F16.gguf": { projector: true, size: 800 * 1024 ** 2 },
    "mine/Private-3B-Q8_0.gguf": { size: 3 * GIB, parameterCount: 3e9, fileType: "Q8_0" },
    ".llama-pack-partial/llm/Half-Copied.gguf": { size: GIB },
  });
  return sb;
}

const SUMMARY_RE = (models: number, rest: string) =>
  new RegExp(
    `^Scanned 2 directories: ${models} models \\(${
      rest.replace(/[()]/g, "\\$&")
    }; \\d+\\.\\d\\ds(; \\d+ warnings?)?(; \\d+ broken files? skipped as before \\(-v lists\\))?\\n$`,
  );

Deno.test("llama-pack -u scans the tiers, warns about broken files and loops, and rescans from the cache", async () => {
  const sb = await libraryWorld();
  try {
    const r = await sb.run(["-u"]);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(
      r.stdout,
      SUMMARY_RE(
        4,
        "3 on HDD, 1 also on SSD, 1 SSD-only); 4 new, 0 gone; 10 files, 10 headers read, 0 cached",
      ),
    );
    assertEquals(
      r.stderr.split("\n").filter(Boolean).sort(),
      [
        `warning: ${sb.hdd}/llm/broken.gguf: not a GGUF file: truncated header (the file has 208 bytes, its header needs 320) (skipped)`,
        `warning: ${sb.hdd}/llm/loop: symlink loop: points to its own ancestor ${sb.hdd} (not followed)`,
      ].sort(),
    );

    const again = await sb.run(["-u"]);
    assertEquals(again.code, 0);
    assertMatch(
      again.stdout,
      SUMMARY_RE(
        4,
        "3 on HDD, 1 also on SSD, 1 SSD-only); 0 new, 0 gone; 10 files, 0 headers read, 10 cached",
      ),
    );
    // The broken file was reported by the first scan: now it is counted, not repeated;
    // the symlink loop is found by every walk and said every time.
    assertStringIncludes(again.stdout, "; 1 broken file skipped as before (-v lists)\n");
    assertEquals(
      again.stderr,
      `warning: ${sb.hdd}/llm/loop: symlink loop: points to its own ancestor ${sb.hdd} (not followed)\n`,
    );
    const verbose = await sb.run(["-u", "-v"]);
    assertStringIncludes(verbose.stderr, `warning: ${sb.hdd}/llm/broken.gguf: not a GGUF file`);
    // Once the file changes it is read again, and reported again.
    await Deno.writeTextFile(`${sb.hdd}/llm/broken.gguf`, "still not a model");
    const changed = await sb.run(["-u"]);
    assertStringIncludes(changed.stderr, `warning: ${sb.hdd}/llm/broken.gguf: not a GGUF file`);
  } finally {
    await sb.cleanup();
  }
});

Deno.test("llama-pack -l lists models lowest rank first with SSD/HDD markers, -v paths, --json, --table", async (t) => {
  const sb = await libraryWorld();
  try {
    // A 40 GiB cache limit: the 45 GiB Qwen2.5-72B never fits, whatever the
    // test machine's disk has free, so what -l says about it does not depend
    // on the host.
    await sb.writeConfig({ ssd_limit_gb: 40 });
    assertEquals((await sb.run(["-u"])).code, 0);
    const now = Date.now() / 1000;
    const today = formatDate(now);
    // Record uses and a verified copy the way the server and copier would.
    const store = StateStore.open(sb.state);
    try {
      for (const d of [3, 2, 1]) {
        store.recordUse({ modelId: "llm/Gemma2-9B-Q5_K_M.gguf", at: now - d * 86400 });
      }
      store.recordUse({ modelId: "big/Qwen2.5-72B-Q4_K_M-00001-of-00003.gguf", at: now - 86400 });
      await recordVerifiedUnit(store, "llm/Gemma2-9B-Q5_K_M.gguf", sb.ssd, [{
        ssd: `${sb.ssd}/llm/Gemma2-9B-Q5_K_M.gguf`,
        hdd: `${sb.hdd}/llm/Gemma2-9B-Q5_K_M.gguf`,
        hddRoot: sb.hdd,
        rel: "llm/Gemma2-9B-Q5_K_M.gguf",
        hash: "0123456789abcdef",
      }, {
        ssd: `${sb.ssd}/llm/mmproj-gemma2-F16.gguf`,
        hdd: `${sb.hdd}/llm/mmproj-gemma2-F16.gguf`,
        hddRoot: sb.hdd,
        rel: "llm/mmproj-gemma2-F16.gguf",
        role: "mmproj",
        hash: "fedcba9876543210",
      }]);
    } finally {
      store.close();
    }
    const yesterday = formatDate(now - 86400);

    await t.step("-l", async () => {
      const r = await sb.run(["-l"]);
      assertEquals([r.code, r.stderr], [0, ""]);
      const lines = r.stdout.split("\n");
      assertEquals(lines.slice(0, 2), ["Models (lowest to highest rank)", ""]);
      assertMatch(
        lines[2]!,
        /^Model +Rank {2}ssd {2}hdd {2}Last {8}Uses {2}First seen {2}Params {2}Quant +Size$/,
      );
      assertEquals(lines.at(-3), lines[2], "header repeated at the bottom");
      // Unused models first (ties by name), the used ones last; one row each.
      const rows = lines.slice(3, -3);
      assertEquals(rows.map((l) => l.split(/ {2,}/)[0]), [
        "bartowski/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf",
        "Private-3B-Q8_0.gguf",
        "Qwen2.5-72B-Q4_K_M-00001-of-00003.gguf",
        "Gemma2-9B-Q5_K_M.gguf",
      ]);
      const at = (name: string) => rows.find((l) => l.startsWith(name))!.slice(name.length);
      assertMatch(
        at("Gemma2-9B-Q5_K_M.gguf"),
        new RegExp(
          `^ +\\d+\\.\\d  SSD  HDD  ${yesterday}     3  ${today}    9\\.2B  Q5_K_M   6\\.8 GiB$`,
        ),
      );
      assertMatch(
        at("Private-3B-Q8_0.gguf"),
        new RegExp(`^ +0\\.0  ssd  \\*\\*\\*  never          0  ${today} `),
      );
      assertMatch(
        at("Qwen2.5-72B-Q4_K_M-00001-of-00003.gguf"),
        new RegExp(`^ +0\\.\\d       HDD  ${yesterday}     1  ${today} `),
      );
      assertEquals(
        lines.at(-2),
        "Key: SSD=cached+hot, ssd=cached+cold, {SSD}=should cache (NN%=copying), HDD=permanent, st=stats only (file gone), ***=SSD only",
      );
      assert(!r.stdout.includes("Half-Copied"), "interrupted copies are not models");
      assert(!r.stdout.includes("mmproj-gemma2"), "projectors are not models");
    });

    await t.step("-l -v", async () => {
      const r = await sb.run(["-l", "-v"]);
      assertStringIncludes(
        r.stdout,
        [
          "   id: llm/Gemma2-9B-Q5_K_M.gguf",
          `   ssd: ${sb.ssd}/llm/Gemma2-9B-Q5_K_M.gguf`,
          `   hdd: ${sb.hdd}/llm/Gemma2-9B-Q5_K_M.gguf`,
          "   gemma2, 42 layers, ctx 8192, mmproj: mmproj-gemma2-F16.gguf",
        ].join("\n"),
      );
      assertStringIncludes(r.stdout, "   qwen2, 32 layers, ctx 4096, 3 shards");
      assert(!r.stdout.includes("why:"));
      // The active policy profile comes last; with this short history it is the default.
      assertMatch(r.stdout.trimEnd().split("\n").at(-1)!, /^policy profile: steady \(/);
    });

    await t.step("-l -v -v", async () => {
      const r = await sb.run(["-l", "-v", "-v"]);
      assertStringIncludes(r.stdout, "   why: hot: used 3× in the last 7 days");
      assertStringIncludes(r.stdout, "   why: SSD only: no HDD copy, so the cache never evicts it");
      // Never used: one use in the window is enough to be copied into free room.
      assertStringIncludes(r.stdout, "   why: not cached: 0 of 1 uses needed in the last 7 days");
      // Used once but too big for the room left: one use does not displace copies.
      assertMatch(
        r.stdout,
        /\n {3}why: not cached: does not fit: needs 45\.0 GiB, [\d.]+ [KMG]?i?B available above the 0 B minimum free and the 40\.0 GiB cache limit; 1 use in the last 7 days, 2 needed before displacing other copies\n/,
      );
    });

    await t.step("--json", async () => {
      const r = await sb.run(["-l", "--json"]);
      assertEquals(r.code, 0);
      const doc = JSON.parse(r.stdout);
      const gemma = doc.models.find((m: { id: string }) => m.id === "llm/Gemma2-9B-Q5_K_M.gguf");
      assertEquals(
        [gemma.uses, gemma.ssd.state, gemma.ssd.hot, gemma.hdd.present, gemma.quant, gemma.params],
        [3, "verified", true, true, "Q5_K_M", 9.24e9],
      );
      assertEquals(gemma.meta.projectors, ["mmproj-gemma2-F16.gguf"]);
      assertEquals(doc.models.at(-1).id, "llm/Gemma2-9B-Q5_K_M.gguf");
    });

    await t.step("--table", async () => {
      const r = await sb.run(["-l", "--table"]);
      const lines = r.stdout.split("\n");
      assertMatch(lines[2]!, /^┌─+┬/);
      assertMatch(
        lines[3]!,
        /^│ Model +│ Rank │ ssd │ hdd │ Last +│ Uses │ First seen │ Params │ Quant +│ +Size │$/,
      );
      assertMatch(lines[8]!, /^│ Gemma2-9B-Q5_K_M\.gguf +│ +\d+\.\d │ SSD │ HDD │ /);
      assertMatch(lines[9]!, /^└─+┴/);
    });
  } finally {
    await sb.cleanup();
  }
});

Deno.test("llama-pack -u keeps history through a rename, marks vanished models, and --prune forgets them", async () => {
  const sb = await libraryWorld();
  try {
    assertEquals((await sb.run(["-u"])).code, 0);
    const store = StateStore.open(sb.state);
    store.recordUse({ modelId: "llm/Gemma2-9B-Q5_K_M.gguf", at: Date.now() / 1000 - 60 });
    store.recordUse({ modelId: "mine/Private-3B-Q8_0.gguf", at: Date.now() / 1000 - 60 });
    store.close();

    // Move the HDD model (and its SSD copy) to new names; delete the SSD-only model.
    await Deno.mkdir(`${sb.hdd}/gemma`);
    await Deno.rename(`${sb.hdd}/llm/Gemma2-9B-Q5_K_M.gguf`, `${sb.hdd}/gemma/Gemma2-9B.gguf`);
    await Deno.rename(
      `${sb.hdd}/llm/mmproj-gemma2-F16.gguf`,
      `${sb.hdd}/gemma/mmproj-gemma2-F16.gguf`,
    );
    await Deno.mkdir(`${sb.ssd}/gemma`);
    await Deno.rename(`${sb.ssd}/llm/Gemma2-9B-Q5_K_M.gguf`, `${sb.ssd}/gemma/Gemma2-9B.gguf`);
    await Deno.rename(
      `${sb.ssd}/llm/mmproj-gemma2-F16.gguf`,
      `${sb.ssd}/gemma/mmproj-gemma2-F16.gguf`,
    );
    await Deno.remove(`${sb.ssd}/mine/Private-3B-Q8_0.gguf`);

    const r = await sb.run(["-u", "-v"]);
    assertEquals(r.code, 0, r.stderr);
    assertStringIncludes(r.stdout, "0 new, 1 renamed, 1 gone;");
    assertStringIncludes(
      r.stdout,
      "  renamed: llm/Gemma2-9B-Q5_K_M.gguf -> gemma/Gemma2-9B.gguf (history kept)",
    );
    assertStringIncludes(
      r.stdout,
      "  gone:    mine/Private-3B-Q8_0.gguf (stats kept; -u --prune forgets it)",
    );

    const list = await sb.run(["-l"]);
    const lines = list.stdout.split("\n");
    const row = (name: string) => lines.find((l) => l.startsWith(name + " "))!.slice(name.length);
    assertMatch(row("Gemma2-9B.gguf"), / {2}ssd\? {2}HDD {2}\d{4}-\d\d-\d\d {5}1 {2}/);
    assertMatch(
      row("Private-3B-Q8_0.gguf"),
      /^ +\d+\.\d {2}st +st +\d{4}-\d\d-\d\d {5}1 {2}.*3\.0B {2}Q8_0$/,
    );

    const pruned = await sb.run(["-u", "--prune"]);
    assertStringIncludes(pruned.stdout, "0 gone, 1 pruned;");
    assert(!(await sb.run(["-l"])).stdout.includes("Private-3B"));
  } finally {
    await sb.cleanup();
  }
});

Deno.test("llama-pack -u keeps the models of a missing HDD and fails only when nothing can be scanned", async () => {
  const sb = await libraryWorld();
  try {
    assertEquals((await sb.run(["-u"])).code, 0);
    await Deno.rename(sb.hdd, `${sb.hdd}-unmounted`);
    const r = await sb.run(["-u"]);
    assertEquals(r.code, 0);
    assertStringIncludes(
      r.stderr,
      `warning: ${sb.hdd}: offline (missing; unplugged?): its 3 models are kept, and SSD copies still serve them\n`,
    );
    // Gemma's SSD file is a copy whose original is offline, not an SSD-only model.
    assertStringIncludes(
      r.stdout,
      "4 models (0 on HDD, 0 also on SSD, 3 on an offline HDD (1 with an SSD copy), 1 SSD-only); 0 new, 0 gone;",
    );
    const list = await sb.run(["-l"]);
    assert(!list.stdout.includes(" st "), list.stdout);
    assertMatch(list.stdout, /\nGemma2-9B-Q5_K_M\.gguf +\d+\.\d {2}ssd\? {2}off {2}/);
    assertStringIncludes(list.stdout, "off=on an offline HDD");

    // An empty mount point (the disk unplugged, its directory still there) is offline too.
    await Deno.mkdir(sb.hdd);
    const empty = await sb.run(["-u"]);
    assertStringIncludes(empty.stderr, `warning: ${sb.hdd}: offline (no model files there now;`);
    assertStringIncludes(empty.stdout, "0 gone;");
    await Deno.remove(sb.hdd);
    await Deno.rename(`${sb.hdd}-unmounted`, sb.hdd);
    const back = await sb.run(["-u"]);
    assertStringIncludes(
      back.stdout,
      "4 models (3 on HDD, 1 also on SSD, 1 SSD-only); 0 new, 0 gone;",
    );

    await sb.writeConfig({ ssd_path: `${sb.root}/nope-ssd`, hdd_path: [`${sb.root}/nope-hdd`] });
    const none = await sb.run(["-u"]);
    assertEquals(none.code, 1);
    assertStringIncludes(
      none.stderr,
      `error: cannot scan: none of the model directories exists (${sb.root}/nope-ssd, ${sb.root}/nope-hdd)\n`,
    );
  } finally {
    await sb.cleanup();
  }
});

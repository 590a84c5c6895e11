/**
 * End-to-end: the stores of other tools (Hugging Face cache, llama.cpp's
 * older cache, LM Studio, Ollama) as read-only tiers, run as the real CLI
 * against fake store layouts built from real GGUF files in a sandbox whose
 * environment points at them. Never the real HOME.
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { exists } from "./fs_util.ts";
import { hfEntries, makeLibrary } from "./gguf_writer.ts";
import { makeSandbox, type Sandbox, withStore } from "./sandbox.ts";
import { llamaCppEntries, ollamaEntries, type StoreWorld, storeWorld } from "./store_fixtures.ts";
import { snapshotTree } from "./tree_snapshot.ts";
import { freePort } from "./fixtures/fake_server.ts";
import { hashFile } from "../lib/cache/hash.ts";

const MIB = 1024 ** 2;
const QWEN = { size: 5 * MIB, parameterCount: 8.2e9, fileType: "Q4_K_M" };
const GEMMA = { size: 3 * MIB, parameterCount: 4e9, architecture: "gemma3" };
const PHI = { size: 2 * MIB, parameterCount: 14.7e9, fileType: "Q8_0", name: "Phi-4" };
const LLAMA = { size: 2 * MIB, parameterCount: 3.2e9, name: "Llama 3.2 3B" };

/** A sandbox whose four stores sit where the environment says, outside HOME's defaults. */
async function storeSandbox(extra: Record<string, unknown> = {}): Promise<
  { sb: Sandbox; w: StoreWorld; run: Sandbox["run"] }
> {
  const sb = await makeSandbox(extra);
  const w = await storeWorld(join(sb.root, "elsewhere"), {
    hf: hfEntries("bartowski/Qwen3-8B-GGUF", {
      "Qwen3-8B-Q4_K_M.gguf": QWEN,
      "mmproj-Qwen3-8B-F16.gguf": { projector: true, size: MIB },
    }),
    llamaCpp: llamaCppEntries({
      "ggml-org/gemma-3-4b-it-GGUF": {
        tag: "Q4_K_M",
        files: { "gemma-3-4b-it-Q4_K_M.gguf": GEMMA },
      },
    }),
    lmStudio: { "lmstudio-community/Phi-4-GGUF/Phi-4-Q8_0.gguf": PHI },
    ollama: ollamaEntries({
      "llama3.2:3b": { model: LLAMA },
      "llama3.2:latest": { model: LLAMA, sameAs: "llama3.2:3b" },
    }),
  });
  // LM Studio has no variable: its store is found under HOME.
  await Deno.mkdir(join(sb.root, ".lmstudio"), { recursive: true });
  await Deno.rename(w.lmStudio, join(sb.root, ".lmstudio", "models"));
  w.lmStudio = join(sb.root, ".lmstudio", "models");
  const env = { ...w.env, HF_HUB_CACHE: "", HF_HOME: join(w.hf, "..") };
  Object.assign(sb.env, env);
  return { sb, w, run: (args, options) => sb.run(args, options) };
}

async function storesSnapshot(w: StoreWorld): Promise<string[]> {
  return [
    ...await snapshotTree(w.hf),
    ...await snapshotTree(w.llamaCpp),
    ...await snapshotTree(w.lmStudio),
    ...await snapshotTree(w.ollama),
  ];
}

async function waitForCopies(sb: Sandbox): Promise<void> {
  for (let i = 0; i < 150; i++) {
    const active = withStore(sb, (s) => s.copyJobs(["queued", "copying"]));
    if (active.length === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("copy jobs did not finish");
}

Deno.test("a whole session of commands never creates, changes or removes anything in a store", async () => {
  const { sb, w, run } = await storeSandbox();
  try {
    const before = await storesSnapshot(w);
    assert(before.length > 30, "the stores hold files");
    const port = String(freePort());
    const session: string[][] = [
      ["-u"],
      ["-u", "-v"],
      ["-l"],
      ["-l", "-v", "-v"],
      ["-l", "--json"],
      ["-m", "qwen3", "-n"],
      ["-m", "qwen3", "-d", "-p", port],
      ["--status"],
      ["-k", "-p", port],
      ["-m", "llama3.2", "-d", "-p", port],
      ["--killall"],
      ["--cache", "gemma-3-4b"],
      ["--cache", "phi-4"],
      ["--pin", "phi-4"],
      ["--unpin", "phi-4"],
      ["--evict", "gemma-3-4b", "-n"],
      ["--evict", "gemma-3-4b"],
      ["--dupes"],
      ["--dupes", "--verify", "--json"],
      ["--cache-stats"],
      ["--cleanup", "-n"],
      ["--cleanup", "--yes"],
      ["-u", "--prune"],
    ];
    for (const args of session) {
      const r = await run(args);
      assertEquals(r.code, 0, `llama-pack ${args.join(" ")}: ${r.stderr}`);
      if (args.includes("-d")) await waitForCopies(sb);
    }
    await waitForCopies(sb);
    assertEquals(await storesSnapshot(w), before);
    // Everything llama-pack wrote is on the SSD or in the state dir.
    assert(await exists(join(sb.ssd, "huggingface/bartowski/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf")));
    assert(await exists(join(sb.ssd, "ollama/llama3.2/3b/model.gguf")));
  } finally {
    await sb.cleanup();
  }
});

Deno.test("-u finds every store from the environment; -l shows where each model comes from; -m runs it from its store", async () => {
  const { sb, w, run } = await storeSandbox();
  try {
    const u = await run(["-u"]);
    assertEquals(u.code, 0, u.stderr);
    assertEquals(u.stderr, "");
    assertMatch(
      u.stdout,
      /^Scanned 2 directories and 4 stores of other tools: 4 models \(0 on HDD, 4 in stores, 0 also on SSD, 0 SSD-only\); 4 new, 0 gone; 5 files, 5 headers read, 0 cached; \d+\.\d\ds\n$/,
    );
    const l = await run(["-l"]);
    const row = (name: string) => l.stdout.split("\n").find((x) => x.startsWith(name + " ")) ?? "";
    assertMatch(row("bartowski/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf"), / 0\.0 {7}HF {3}never /);
    assertMatch(row("ggml-org/gemma-3-4b-it-GGUF/gemma-3-4b-it-Q4_K_M.gguf"), / LCP {2}never /);
    assertMatch(row("lmstudio-community/Phi-4-GGUF/Phi-4-Q8_0.gguf"), / LMS {2}never /);
    assertMatch(row("llama3.2:3b"), / OLL {2}never .* 3\.2B {2}Q4_K_M/);
    const json = JSON.parse((await run(["-l", "--json"])).stdout);
    const ollama = json.models.find((m: { id: string }) => m.id === "llama3.2:3b");
    assertEquals(ollama.hdd.store, "ollama");
    assertMatch(ollama.hdd.path, new RegExp(`^${w.ollama}/blobs/sha256-[0-9a-f]{64}$`));

    // An Ollama model answers to its other tags too.
    const alias = await run(["-m", "llama3.2:latest", "-n", "--strict"]);
    assertEquals(alias.code, 0, alias.stderr);
    assertStringIncludes(alias.stderr, "model: llama3.2:3b\n");
    assertStringIncludes(alias.stdout, `would run (from Ollama): `);

    // -m hands llama-server the snapshot link and the repository's projector.
    const argvFile = join(sb.root, "argv.json");
    const port = String(freePort());
    const r = await run(["-m", "qwen3", "-d", "-p", port], {
      env: { FAKE_LLAMA_ARGV_FILE: argvFile, LLAMA_PACK_CONFIG: sb.config },
    });
    assertEquals(r.code, 0, r.stderr);
    assertStringIncludes(
      r.stdout,
      "(bartowski/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf from Hugging Face cache,",
    );
    const argv = JSON.parse(await Deno.readTextFile(argvFile)) as string[];
    const snap =
      `${w.hf}/models--bartowski--Qwen3-8B-GGUF/snapshots/0123456789abcdef0123456789abcdef01234567`;
    assertEquals(argv.slice(0, 4), [
      "-m",
      `${snap}/Qwen3-8B-Q4_K_M.gguf`,
      "--mmproj",
      `${snap}/mmproj-Qwen3-8B-F16.gguf`,
    ]);
    await waitForCopies(sb);
    assertEquals((await run(["-k", "-p", port])).code, 0);
  } finally {
    await sb.cleanup();
  }
});

Deno.test("--cache copies a store model verified against the store file; -m then runs the SSD copy; --evict deletes only the SSD copy", async () => {
  const { sb, w, run } = await storeSandbox({ cache: { auto: false } });
  try {
    assertEquals((await run(["-u"])).code, 0);
    const c = await run(["--cache", "llama3.2"]);
    assertEquals(c.code, 0, c.stderr);
    const dest = join(sb.ssd, "ollama/llama3.2/3b/model.gguf");
    assertStringIncludes(c.stdout, `ssd: ${dest}`);
    const [rec] = withStore(sb, (s) => s.ssdCopies("llama3.2:3b"));
    assert(
      rec !== undefined && rec.hdd_path.startsWith(`${w.ollama}/blobs/sha256-`),
      rec?.hdd_path,
    );
    assertEquals(rec.hash, (await hashFile(rec.hdd_path)).hash);
    assertEquals((await hashFile(dest)).hash, rec.hash);

    const n = await run(["-m", "llama3.2", "-n"]);
    assertStringIncludes(n.stdout, `would run (from ssd): `);
    assertStringIncludes(n.stdout, `-m ${dest} `);
    assertMatch((await run(["-l"])).stdout, /llama3\.2:3b +0\.0 +ssd +OLL /);

    const e = await run(["--evict", "llama3.2"]);
    assertEquals(e.code, 0, e.stderr);
    assertStringIncludes(e.stdout, `the Ollama copy stays at ${rec.hdd_path}`);
    assert(!(await exists(dest)));
    assert(await exists(rec.hdd_path));
    assertEquals((await hashFile(rec.hdd_path)).hash, rec.hash);
  } finally {
    await sb.cleanup();
  }
});

Deno.test("stores can be switched off or pointed elsewhere in the config; the first run names the stores it found", async (t) => {
  const { sb, w, run } = await storeSandbox();
  try {
    await t.step("first run", async () => {
      await Deno.remove(sb.config);
      const r = await run(["-u"]);
      assertEquals(r.code, 0, r.stderr);
      const lines = r.stdout.split("\n");
      assertEquals(lines.slice(0, 6), [
        `Created a default config at ${sb.config}`,
        "Found models of other tools (read-only; stores.huggingface in the config turns one off):",
        `  Hugging Face cache  ${w.hf}  1 model`,
        `  llama.cpp cache     ${w.llamaCpp}  1 model`.replace(
          w.llamaCpp,
          w.llamaCpp.padEnd(w.hf.length),
        ),
        `  LM Studio           ${w.lmStudio.padEnd(w.hf.length)}  1 model`,
        `  Ollama              ${w.ollama.padEnd(w.hf.length)}  1 model`,
      ]);
      assertMatch(lines[7]!, /^Scanned 2 directories and 4 stores of other tools: 4 models/);
      const l = await run(["-l"]);
      assertStringIncludes(l.stdout, "llama3.2:3b");
    });
    await t.step("off and elsewhere", async () => {
      const moved = join(sb.root, "moved-ollama");
      await Deno.rename(w.ollama, moved);
      await sb.writeConfig({
        stores: { huggingface: false, llama_cpp: false, lmstudio: false, ollama: moved },
      });
      const r = await run(["-u", "-v"]);
      assertEquals(r.code, 0, r.stderr);
      assertStringIncludes(r.stdout, "and 1 store of other tools: 1 model");
      assertStringIncludes(r.stdout, `  store:   Ollama ${moved} (1 model, read-only)`);
      assertStringIncludes(r.stdout, "  gone:    bartowski/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf");
    });
    await t.step("a store path that does not exist is a warning", async () => {
      await sb.writeConfig({ stores: { ollama: join(sb.root, "nope") } });
      const r = await run(["-u"]);
      assertEquals(r.code, 0, r.stderr);
      assertStringIncludes(
        r.stderr,
        `stores.ollama: directory '${join(sb.root, "nope")}' does not exist`,
      );
    });
  } finally {
    await sb.cleanup();
  }
});

Deno.test("--dupes reports models kept twice across the HDD, the SSD and the stores; --verify confirms by hash; nothing is deleted", async () => {
  const { sb, w, run } = await storeSandbox();
  try {
    // The HDD holds the same Qwen bytes as the Hugging Face cache, a hard
    // link of it (the same file, not a duplicate), and a look-alike: same
    // header and size, different bytes after the first MiB.
    const blob = await Deno.realPath(
      `${w.hf}/models--bartowski--Qwen3-8B-GGUF/snapshots/0123456789abcdef0123456789abcdef01234567/Qwen3-8B-Q4_K_M.gguf`,
    );
    await Deno.mkdir(join(sb.hdd, "llm"), { recursive: true });
    await Deno.copyFile(blob, join(sb.hdd, "llm/Qwen3-8B-Q4_K_M.gguf"));
    await Deno.link(join(sb.hdd, "llm/Qwen3-8B-Q4_K_M.gguf"), join(sb.hdd, "llm/same-file.gguf"));
    await makeLibrary(join(sb.hdd, "other"), { "Phi-4-Q8_0.gguf": PHI });
    const alike = join(sb.hdd, "other/Phi-4-Q8_0.gguf");
    const f = await Deno.open(alike, { write: true });
    await f.seek(3 * MIB / 2, Deno.SeekMode.Start);
    await f.write(new Uint8Array([1, 2, 3]));
    f.close();
    const lms = join(w.lmStudio, "lmstudio-community/Phi-4-GGUF/Phi-4-Q8_0.gguf");
    await Deno.utime(alike, (await Deno.stat(lms)).mtime!, (await Deno.stat(lms)).mtime!);
    assertEquals((await run(["-u"])).code, 0);
    const before = [...await snapshotTree(sb.hdd), ...await storesSnapshot(w)];

    const r = await run(["--dupes"]);
    assertEquals(r.code, 0, r.stderr);
    assertStringIncludes(
      r.stdout,
      "2 models are kept more than once (same size and header; --verify hashes); 7.0 MiB could be reclaimed",
    );
    assertStringIncludes(
      r.stdout,
      `Qwen3-8B-Q4_K_M.gguf  5.0 MiB x 2  (5.0 MiB reclaimable)\n  hdd       ${
        join(sb.hdd, "llm/Qwen3-8B-Q4_K_M.gguf")
      }\n  hf-cache  ${w.hf}/models--bartowski--Qwen3-8B-GGUF/snapshots/`,
    );
    assertStringIncludes(r.stdout, `  lmstudio  ${lms}\n`);

    const v = JSON.parse((await run(["--dupes", "--verify", "--json"])).stdout);
    assertEquals(v.verified, true);
    assertEquals(v.reclaimable, 5 * MIB);
    assertEquals(
      v.groups.map((g: { copies: { place: string }[] }) => g.copies.map((c) => c.place)),
      [[
        "hdd",
        "huggingface",
      ]],
    );
    assertEquals([...await snapshotTree(sb.hdd), ...await storesSnapshot(w)], before);
  } finally {
    await sb.cleanup();
  }
});

Deno.test("--cleanup lists llama-pack's leftovers with sizes, asks only on a terminal, and removes only them", async () => {
  const { sb, w, run } = await storeSandbox({ cache: { auto: false } });
  try {
    assertEquals((await run(["-u"])).code, 0);
    for (const q of ["qwen3", "llama3.2", "phi-4"]) {
      assertEquals((await run(["--cache", q])).code, 0);
    }
    assertEquals((await run(["--pin", "phi-4"])).code, 0);
    const day = 86400;
    const now = Date.now() / 1000;
    // Age the records the way time would: Qwen's copy unused for 40 days, a
    // model gone for 100 days, a copier that died, an interrupted copy.
    withStore(sb, (s) => {
      s.db.prepare("UPDATE ssd_units SET verified_at = ?").run(now - 45 * day);
      s.recordUse({ modelId: "bartowski/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf", at: now - 40 * day });
      s.recordUse({ modelId: "llama3.2:3b", at: now - day });
      s.setFlag("old-model.gguf", "no_cache", false); // a model row, as a scan once made it
      s.recordUse({ modelId: "old-model.gguf", at: now - 200 * day });
      s.db.prepare("UPDATE models SET gone = 1, last_seen = ? WHERE id = ?").run(
        now - 100 * day,
        "old-model.gguf",
      );
      const job = s.addCopyJob({
        modelId: "llama3.2:3b",
        bytesTotal: 10,
        now: now - 60,
        owner: { pid: 999_999_999, startTime: 1 },
      });
      s.updateCopyJob(job, { state: "copying", now: now - 60 });
    });
    const partial = join(sb.ssd, ".llama-pack-partial");
    await Deno.mkdir(partial, { recursive: true });
    await Deno.writeFile(join(partial, "x.gguf.0123456789abcdef.part"), new Uint8Array(3 * MIB));
    await Deno.writeTextFile(join(partial, "x.gguf.0123456789abcdef.json"), "{}");
    const before = await storesSnapshot(w);

    const n = await run(["--cleanup", "-n"]);
    assertEquals(n.code, 0, n.stderr);
    assertStringIncludes(
      n.stdout,
      `     3.0 MiB  ${
        join(partial, "x.gguf.0123456789abcdef.part")
      } — left by an interrupted copy\n`,
    );
    assertMatch(n.stdout, /copy job \d+ \(llama3\.2:3b\) — its copier is gone \(job was copying\)/);
    assertStringIncludes(
      n.stdout,
      "old-model.gguf — its files have been gone for 100 days; 1 use forgotten",
    );
    assertStringIncludes(
      n.stdout,
      "SSD copies nobody uses (the original stays):\n     6.0 MiB  bartowski/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf — unused for 40 days\n",
    );
    assert(!n.stdout.includes("llama3.2:3b —  unused"), "used yesterday");
    assert(!n.stdout.includes("Phi-4-Q8_0.gguf — "), "pinned");
    assertMatch(n.stdout, /\d+ items; would free 9\.0 MiB\. Nothing was removed \(-n\)\.\n$/);
    assert(await exists(join(partial, "x.gguf.0123456789abcdef.part")), "-n removes nothing");

    const noTty = await run(["--cleanup"]);
    assertEquals(noTty.code, 2);
    assertStringIncludes(noTty.stderr, "error: --cleanup: not on a terminal, so not asking\n");
    assertStringIncludes(
      noTty.stderr,
      "hint: check the list with llama-pack --cleanup -n, then run llama-pack --cleanup --yes\n",
    );

    const yes = await run(["--cleanup", "--yes"]);
    assertEquals(yes.code, 0, yes.stderr);
    assertMatch(yes.stdout, /Removed (\d+) of \1; freed 9\.0 MiB\.\n$/);
    assert(
      !(await exists(join(sb.ssd, "huggingface/bartowski/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf"))),
    );
    assert(await exists(join(sb.ssd, "ollama/llama3.2/3b/model.gguf")), "used recently: kept");
    assert(
      await exists(join(sb.ssd, "lmstudio/lmstudio-community/Phi-4-GGUF/Phi-4-Q8_0.gguf")),
      "pinned: kept",
    );
    assert(!(await exists(partial)));
    withStore(sb, (s) => {
      assertEquals(s.model("old-model.gguf"), undefined);
      assertEquals(s.copyJobs(["copying"]), []);
    });
    assertEquals(await storesSnapshot(w), before);
    assertEquals((await run(["--cleanup", "-n"])).stdout, "Nothing to clean up.\n");
  } finally {
    await sb.cleanup();
  }
});

/**
 * End-to-end: the manual `--cache` asks before it evicts (in the user's
 * terms: sizes, uses a week, last use), `-y` does not ask, no terminal means
 * no; a size needs its unit; an SSD smaller than `ssd_min_free_gb` is named
 * by `-u`, `--cache-stats` and `-l`.
 */
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { makeLibrary } from "./gguf_writer.ts";
import { makeSandbox, type Sandbox, withStore } from "./sandbox.ts";
import { exists } from "./fs_util.ts";

const MIB = 1024 ** 2;

/** Three 3 MiB models on the HDD and room for two on the SSD (ssd_limit_gb ≈ 7 MiB). */
async function tightWorld(): Promise<Sandbox> {
  const sb = await makeSandbox({ ssd_limit_gb: 7 / 1024, cache: { auto: false } });
  await makeLibrary(sb.hdd, {
    "a/Alpha-Q4_K_M.gguf": { size: 3 * MIB },
    "b/Beta-Q4_K_M.gguf": { size: 3 * MIB },
    "c/Gamma-Q8_0.gguf": { size: 3 * MIB, fileType: "Q8_0" },
  });
  assertEquals((await sb.run(["-u"])).code, 0);
  for (const name of ["alpha", "beta"]) {
    const r = await sb.run(["--cache", name]);
    assertEquals(r.code, 0, r.stderr);
  }
  return sb;
}

Deno.test("--cache asks before evicting, in the user's terms; -y does not ask; no terminal refuses", async (t) => {
  const sb = await tightWorld();
  try {
    const now = Date.now() / 1000;
    withStore(sb, (s) => {
      // Beta used twice lately, Alpha never.
      s.recordUse({ modelId: "b/Beta-Q4_K_M.gguf", at: now - 86400 });
      s.recordUse({ modelId: "b/Beta-Q4_K_M.gguf", at: now - 3600 });
    });
    const onSsd = () => withStore(sb, (s) => s.ssdCopies().map((c) => c.model_id).sort());
    await t.step("-n shows what would go", async () => {
      const r = await sb.run(["--cache", "gamma", "-n"]);
      assertEquals(r.code, 0, r.stderr);
      assertStringIncludes(r.stdout, "would evict Alpha-Q4_K_M.gguf (3.0 MiB; never used)\n");
      assert(!/\/wk|GiB\/wk/.test(r.stdout), "no internal rates");
    });
    await t.step("no terminal: refused with the hint, nothing evicted or copied", async () => {
      const r = await sb.run(["--cache", "gamma"]);
      assertEquals(r.code, 1);
      assertStringIncludes(
        r.stderr,
        "copying Gamma-Q8_0.gguf (3.0 MiB) to the SSD needs room: it would evict this copy (its HDD original stays):\n" +
          "  Alpha-Q4_K_M.gguf (3.0 MiB; never used)\n",
      );
      assertStringIncludes(
        r.stderr,
        "error: not evicting a copy without asking, and there is no terminal to ask on\n" +
          "hint: llama-pack --cache 'c/Gamma-Q8_0.gguf' -y evicts without asking; -n shows the plan\n",
      );
      assertEquals(onSsd(), ["a/Alpha-Q4_K_M.gguf", "b/Beta-Q4_K_M.gguf"]);
      assertEquals(await exists(`${sb.ssd}/c/Gamma-Q8_0.gguf`), false);
    });
    await t.step("on a terminal, 'n' keeps everything", async () => {
      const r = await onTerminal(sb, ["--cache", "gamma"], "n\n");
      assertStringIncludes(r, "Evict it and copy Gamma-Q8_0.gguf? [y/N]");
      assertStringIncludes(r, "nothing copied, nothing evicted");
      assertEquals(onSsd(), ["a/Alpha-Q4_K_M.gguf", "b/Beta-Q4_K_M.gguf"]);
    });
    await t.step("on a terminal, 'y' evicts the least used and copies", async () => {
      const r = await onTerminal(sb, ["--cache", "gamma"], "y\n");
      assertStringIncludes(r, "evicted Alpha-Q4_K_M.gguf from the SSD (3.0 MiB freed)");
      assertStringIncludes(r, "cached Gamma-Q8_0.gguf on the SSD");
      assertEquals(onSsd(), ["b/Beta-Q4_K_M.gguf", "c/Gamma-Q8_0.gguf"]);
      assertEquals(await exists(`${sb.hdd}/a/Alpha-Q4_K_M.gguf`), true, "the original stays");
    });
    await t.step("-y evicts without asking, saying what and how often it is used", async () => {
      const r = await sb.run(["--cache", "alpha", "-y"]);
      assertEquals(r.code, 0, r.stderr);
      assertMatch(
        r.stderr,
        /it would evict this copy \(its HDD original stays\):\n {2}Gamma-Q8_0\.gguf \(3\.0 MiB; never used\)\n/,
      );
      assertStringIncludes(r.stdout, "evicted Gamma-Q8_0.gguf from the SSD (3.0 MiB freed)\n");
      assertEquals(onSsd(), ["a/Alpha-Q4_K_M.gguf", "b/Beta-Q4_K_M.gguf"]);
    });
    await t.step("a used copy is described by its uses a week and last use", async () => {
      withStore(sb, (s) => s.recordUse({ modelId: "a/Alpha-Q4_K_M.gguf", at: now - 60 }));
      withStore(sb, (s) => s.recordUse({ modelId: "a/Alpha-Q4_K_M.gguf", at: now - 30 }));
      withStore(sb, (s) => s.recordUse({ modelId: "a/Alpha-Q4_K_M.gguf", at: now - 10 }));
      const r = await sb.run(["--cache", "gamma", "-n"]);
      assertMatch(
        r.stdout,
        /would evict Beta-Q4_K_M\.gguf \(3\.0 MiB; about \d+\.\d uses a week; last used \d{4}-\d\d-\d\d\)\n/,
      );
    });
  } finally {
    await sb.cleanup();
  }
});

/** Runs the CLI under `script` (a pseudo-terminal), typing `input`; returns what it showed. */
async function onTerminal(sb: Sandbox, args: string[], input: string): Promise<string> {
  const cli = new URL("../cli.ts", import.meta.url).pathname;
  const command = [Deno.execPath(), "run", "-A", cli, ...args]
    .map((a) => `'${a.replaceAll("'", `'\\''`)}'`).join(" ");
  const child = new Deno.Command("script", {
    args: ["-qec", command, "/dev/null"],
    env: sb.env,
    clearEnv: true,
    cwd: sb.root,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  // Type the answer once the question is up.
  let seen = "";
  const dec = new TextDecoder();
  const reader = (async () => {
    for await (const chunk of child.stdout) {
      seen += dec.decode(chunk);
      if (seen.includes("[y/N]") && input) {
        await w.write(new TextEncoder().encode(input));
        input = "";
      }
    }
  })();
  await child.status;
  await reader;
  await w.close().catch(() => {});
  return seen.replaceAll("\r\n", "\n");
}

Deno.test("a size without a unit is refused, naming the units", async () => {
  const sb = await makeSandbox();
  try {
    for (
      const args of [["--check", "40"], ["--recommend", "17"], [
        "--simulate",
        "x",
        "--sim-ssd-free",
        "50",
      ]]
    ) {
      const r = await sb.run(args);
      assertEquals(r.code, 2, args.join(" "));
      assertMatch(
        r.stderr,
        /^error: option '--[a-z-]+': size '\d+' needs a unit: \d+g \(GiB\), \d+m \(MiB\), \d+t \(TiB\) or \d+b \(bytes\)\n/,
      );
    }
    assertEquals((await sb.run(["--check", "40b"])).code, 0);
  } finally {
    await sb.cleanup();
  }
});

Deno.test("an SSD smaller than ssd_min_free_gb is named by -u, --cache-stats and -l", async () => {
  // No disk this test runs on holds a mebibyte of mebibytes (1 PiB): "smaller" is certain.
  const sb = await makeSandbox({ ssd_min_free_gb: 1024 ** 2 });
  try {
    for (const args of [["-u"], ["--cache-stats"], ["-l"]]) {
      const r = await sb.run(args);
      assertMatch(
        r.stderr,
        /warning: nothing can be cached: the SSD at \S+ holds [\d.]+ [KMGT]iB in all, less than the 1024\.00 TiB ssd_min_free_gb keeps free; set ssd_min_free_gb below [\d.]+ \(e\.g\. [\d.]+\)\n/,
        args.join(" "),
      );
    }
    await sb.writeConfig({ ssd_min_free_gb: 0 });
    assert(!(await sb.run(["-l"])).stderr.includes("nothing can be cached"));
  } finally {
    await sb.cleanup();
  }
});

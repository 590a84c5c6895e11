import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { makeSandbox } from "./sandbox.ts";
import { assertSnapshot } from "./snapshot.ts";
import { exists } from "./fs_util.ts";

Deno.test("llama-pack --help matches its snapshot and names the real config path", async () => {
  const sb = await makeSandbox();
  try {
    const r = await sb.run(["--help"]);
    assertEquals(r.code, 0);
    assertEquals(r.stderr, "");
    assert(r.stdout.endsWith(`CONFIG: ${sb.config}\n`));
    await assertSnapshot("help", r.stdout.replace(sb.config, "<config>"));
    // No arguments prints the same help.
    assertEquals((await sb.run([])).stdout, r.stdout);
  } finally {
    await sb.cleanup();
  }
});

Deno.test("llama-pack usage errors are one line, exit 2, no stack trace, write nothing", async (t) => {
  const sb = await makeSandbox();
  try {
    await Deno.remove(sb.config);
    const cases: [string[], string][] = [
      [["--bogus"], "error: unknown option '--bogus'"],
      [["-l", "-u"], "error: conflicting actions: '-l' and '-u' (give one at a time)"],
      [["-m", "x", "-p", "70000"], "error: option '-p': '70000' is not a port number (1-65535)"],
      [
        ["--simulate", "x", "--sim-ssd-free", "lots"],
        "error: option '--sim-ssd-free': cannot parse size 'lots'",
      ],
    ];
    for (const [argv, want] of cases) {
      await t.step(argv.join(" "), async () => {
        const r = await sb.run(argv);
        assertEquals(r.code, 2);
        assertEquals(r.stdout, "");
        const lines = r.stderr.trimEnd().split("\n");
        assertStringIncludes(lines[0]!, want);
        assert(lines.length <= 2, r.stderr);
        assert(!/\n\s+at /.test(r.stderr), "no stack trace");
      });
    }
    assertEquals(await exists(sb.config), false, "no config written");
    assertEquals(await exists(sb.state), false, "no state written");
  } finally {
    await sb.cleanup();
  }
});

Deno.test("llama-pack first run writes a commented default config and exits 0", async () => {
  const sb = await makeSandbox();
  try {
    await Deno.remove(sb.config);
    const r = await sb.run(["-u"]);
    assertEquals(r.code, 0, r.stderr);
    assertStringIncludes(r.stdout, `Created a default config at ${sb.config}`);
    assertStringIncludes(r.stdout, "Edit ssd_path, hdd_path and server_binary");
    const text = await Deno.readTextFile(sb.config);
    assertStringIncludes(text, "// The fast SSD directory");
    // The cache defaults: copy into free room from the first load, and let the
    // live tool pick the policy profile.
    assertStringIncludes(text, `"min_uses": 1,`);
    assertStringIncludes(text, `"adaptive": true`);
    // Model directories are never created.
    assertEquals(await exists(`${sb.root}/models`), false);
  } finally {
    await sb.cleanup();
  }
});

Deno.test("llama-pack reports every config problem as PATH:LINE:COL and exits 2", async () => {
  const sb = await makeSandbox();
  try {
    await Deno.writeTextFile(
      sb.config,
      `{\n  "ssd_path": "${sb.ssd}",\n  "hdd_path": "${sb.hdd}",\n  "default_port": "x",\n  "ssd_min_fre_gb": 3,\n}`,
    );
    const r = await sb.run(["-l"]);
    assertEquals(r.code, 2);
    assertStringIncludes(
      r.stderr,
      `error: ${sb.config}:4:19: default_port: must be a number, got a string "x"`,
    );
    assertStringIncludes(
      r.stderr,
      `${sb.config}:5:3: ssd_min_fre_gb: unknown key (did you mean 'ssd_min_free_gb'?)`,
    );
    assertStringIncludes(r.stderr, "hint: fix the config with: llama-pack --edit-config");
    assert(!/\n\s+at /.test(r.stderr));
  } finally {
    await sb.cleanup();
  }
});

Deno.test("llama-pack --edit-config runs $EDITOR on the config and validates the result", async (t) => {
  const sb = await makeSandbox();
  try {
    const editor = `${sb.root}/fake-editor.sh`;
    await Deno.writeTextFile(
      editor,
      `#!/bin/sh\n# Replaces the config with the content of $NEW_CONFIG\ncat "$NEW_CONFIG" > "$1"\n`,
    );
    await Deno.chmod(editor, 0o755);
    const good = `${sb.root}/good.json`;
    const bad = `${sb.root}/bad.json`;
    await Deno.writeTextFile(
      good,
      `{"ssd_path": "${sb.ssd}", "hdd_path": "${sb.hdd}", "default_port": 9090}`,
    );
    await Deno.writeTextFile(
      bad,
      `{"ssd_path": "${sb.ssd}", "hdd_path": "${sb.hdd}", "default_port": 0}`,
    );
    await t.step("valid edit", async () => {
      const r = await sb.run(["--ec"], { env: { EDITOR: editor, NEW_CONFIG: good } });
      assertEquals(r.code, 0, r.stderr);
      assertStringIncludes(r.stdout, `config OK: ${sb.config}`);
      assertStringIncludes(await Deno.readTextFile(sb.config), "9090");
    });
    await t.step("invalid edit is reported", async () => {
      const r = await sb.run(["--edit-config"], { env: { VISUAL: editor, NEW_CONFIG: bad } });
      assertEquals(r.code, 2);
      assertMatch(r.stderr, /config\.json:1:\d+: default_port: must be at least 1, got 0/);
    });
    await t.step("missing editor", async () => {
      const r = await sb.run(["--ce"], { env: { EDITOR: `${sb.root}/no-such-editor` } });
      assertEquals(r.code, 1);
      assertStringIncludes(r.stderr, "error: cannot start editor");
    });
  } finally {
    await sb.cleanup();
  }
});

Deno.test("llama-pack --version prints the package version", async () => {
  const sb = await makeSandbox();
  try {
    const r = await sb.run(["--version"]);
    const { version } = JSON.parse(
      await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
    );
    assertEquals(r.stdout, `llama-pack ${version}\n`);
  } finally {
    await sb.cleanup();
  }
});

/**
 * End-to-end: `deno task install`'s script installs a `llama-pack` command
 * that runs this clone with --allow-all (the README's npm-only route; `.ci/run`
 * runs the whole route, npm install -g included, in a temp HOME).
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { makeSandbox } from "./sandbox.ts";

const INSTALL = new URL("../install.ts", import.meta.url).pathname;

Deno.test("install.ts installs a llama-pack command that runs with every permission", async () => {
  const sb = await makeSandbox();
  try {
    const root = `${sb.root}/prefix`;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", INSTALL, "--root", root],
      env: sb.env,
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const dec = new TextDecoder();
    assertEquals(out.code, 0, dec.decode(out.stderr));
    const said = dec.decode(out.stdout);
    assertStringIncludes(said, `installed llama-pack `);
    assertStringIncludes(said, `${root}/bin is not on your PATH`);
    const run = (args: string[]) =>
      new Deno.Command(`${root}/bin/llama-pack`, {
        args,
        env: sb.env,
        clearEnv: true,
        stdout: "piped",
        stderr: "piped",
      }).output();
    const help = await run(["--help"]);
    assertEquals(help.code, 0, dec.decode(help.stderr));
    assert(dec.decode(help.stdout).startsWith("llama-pack: Manage and load LLM models"));
    // A command that reads /proc and the state: it needs --allow-all, and has it.
    const status = await run(["--status"]);
    assertEquals([status.code, dec.decode(status.stderr)], [0, ""]);
    assertEquals(dec.decode(status.stdout), "no llama-pack servers running\n");
  } finally {
    await sb.cleanup();
  }
});

Deno.test("install.ts refuses when the deno running it is not on PATH (the npx case)", async () => {
  const sb = await makeSandbox();
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", INSTALL],
      env: { ...sb.env, PATH: "/usr/bin:/bin" },
      clearEnv: true,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 1);
    assertStringIncludes(err, "is not on your PATH");
    assertStringIncludes(err, "hint: npm install -g deno@");
  } finally {
    await sb.cleanup();
  }
});

/**
 * `-m X -d` racing `--evict X`: eviction never deletes the SSD copy a
 * starting server has chosen. Choosing the copy and recording the server
 * happen under the SSD lock eviction takes too, and eviction refuses a copy
 * a recorded server is still loading. The fake server is made slow to open
 * its model, so the window is wide and real.
 */

import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { cacheWorld } from "./cache_world.ts";
import { withStore } from "./sandbox.ts";
import { freePort, pollUntil } from "./fixtures/fake_server.ts";
import { exists } from "./fs_util.ts";

const fast = { env: { LLAMA_PACK_STOP_GRACE_MS: "200" } };

Deno.test("--evict while -m -d is loading the SSD copy it chose: refused; the server comes up", async () => {
  const sb = await cacheWorld();
  const port = String(freePort());
  try {
    assertEquals((await sb.run(["--cache", "gemma"])).code, 0);
    const ssdFile = `${sb.ssd}/llm/Gemma2-9B-Q5_K_M.gguf`;
    const start = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../cli.ts", import.meta.url).pathname,
        "-m",
        "gemma",
        "-d",
        "-p",
        port,
      ],
      env: { ...sb.env, FAKE_LLAMA_OPEN_DELAY_SECONDS: "2" },
      clearEnv: true,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    // The server is recorded (its copy chosen), and not loaded yet.
    assert(await pollUntil(() => withStore(sb, (s) => s.servers().length === 1), 20_000));
    const ev = await sb.run(["--evict", "gemma"]);
    const up = await start.output();
    const upErr = new TextDecoder().decode(up.stderr);
    assertEquals(up.code, 0, `-m failed: ${upErr}`);
    assertStringIncludes(new TextDecoder().decode(up.stdout), "from ssd");
    assertEquals(ev.code, 1, ev.stdout);
    assertStringIncludes(
      ev.stderr,
      `error: refusing to evict Gemma2-9B-Q5_K_M.gguf: the server on 127.0.0.1:${port}`,
    );
    assertStringIncludes(ev.stderr, "is loading its SSD copy");
    assert(await exists(ssdFile));
    // Once it is ready, --evict may go ahead: the server keeps the file open.
    const later = await sb.run(["--evict", "gemma"]);
    assertEquals(later.code, 0, later.stderr);
    assertStringIncludes(later.stdout, `freed when the server on 127.0.0.1:${port} stops`);
  } finally {
    await sb.run(["--killall"], fast);
    await sb.cleanup();
  }
});

Deno.test("-m -d and --evict started together, again and again: the server always comes up", async () => {
  const sb = await cacheWorld();
  try {
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const port = String(freePort());
      if (!(await exists(`${sb.ssd}/llm/Gemma2-9B-Q5_K_M.gguf`))) {
        assertEquals((await sb.run(["--cache", "gemma"])).code, 0);
      }
      const delay = Math.floor(Math.random() * 600);
      const [up, ev] = await Promise.all([
        sb.run(["-m", "gemma", "-d", "-p", port], {
          env: { FAKE_LLAMA_OPEN_DELAY_SECONDS: "0.5" },
        }),
        new Promise((r) => setTimeout(r, delay)).then(() => sb.run(["--evict", "gemma"])),
      ]);
      assertEquals(up.code, 0, `iteration ${i}: -m failed: ${up.stderr}`);
      const tier = /from (ssd|hdd)/.exec(up.stdout)?.[1];
      if (ev.code !== 0) assertStringIncludes(ev.stderr, "is loading its SSD copy");
      outcomes.push(
        `evict after ${delay} ms: served from ${tier}, evict ${ev.code === 0 ? "done" : "refused"}`,
      );
      assertEquals((await sb.run(["-k", "-p", port], fast)).code, 0);
    }
    console.log(`  ${outcomes.join("\n  ")}`);
  } finally {
    await sb.run(["--killall"], fast);
    await sb.cleanup();
  }
});

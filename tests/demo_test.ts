import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { exists } from "./fs_util.ts";

Deno.test({
  name: "deno task demo runs every step and leaves nothing behind",
  // The demo is the README's first command: it must keep working.
  fn: async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      // As `deno task demo` runs it.
      args: ["run", "--quiet", "--allow-all", new URL("../demo.ts", import.meta.url).pathname],
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 0, text);
    const root = /everything happens in (\S+) and is removed/.exec(text)?.[1];
    assert(root, text);
    assertEquals(await exists(root), false, "the demo's temp dir is removed");
    for (
      const step of [
        "Created a default config",
        "Scanned 2 directories",
        "Models (lowest to highest rank)",
        "ready: http://127.0.0.1:",
        "from ssd",
        "simulation: simple",
        // --serve: a request started its model, and the cache API answered.
        "llama-pack --serve on http://127.0.0.1:",
        '200 {"role":"assistant"',
        "llm/gemma-3-1b-it-Q5_K_M.gguf: loaded",
      ]
    ) assertStringIncludes(text, step);
    // The cache API's stats, as the demo prints them: the 4 GiB limit and a colour.
    assert(/primary: [\d.]+ GB used of 4, [\d.]+% \((green|yellow|red)\)/.test(text), text);
    // Every step ran for real: no capability is missing.
    assert(!text.includes("not available yet"), text);
    assert(!/error: internal error/.test(text), text);
    // No line of Deno's own (a dependency fetched on a first run) inside the demo's output.
    assert(!/^Download /m.test(text), text);
    // No server left running from the demo's state dir.
    const ps = await new Deno.Command("ps", { args: ["-eo", "args"], stdout: "piped" }).output();
    assert(!new TextDecoder().decode(ps.stdout).includes(root), "no process of the demo is left");
  },
});

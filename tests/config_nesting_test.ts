/**
 * A config nested 100,000 levels deep is a config error at its line and
 * column (exit 2), not a crash of the parser.
 */

import { assert, assertEquals } from "./assert.ts";
import { makeSandbox } from "./sandbox.ts";

Deno.test("a config nested 100,000 levels deep: one config error at line:col, exit 2", async () => {
  const sb = await makeSandbox();
  try {
    await Deno.writeTextFile(
      sb.config,
      `{\n  "ssd_path": "${sb.ssd}",\n  "simulations": ${"[".repeat(100_000)}\n}\n`,
    );
    const r = await sb.run(["-l"]);
    assertEquals(r.code, 2, r.stderr);
    // 64 levels are allowed (the top object is the first); the 64th bracket,
    // at line 3, column 18 + 63, opens the 65th.
    assertEquals(
      r.stderr.split("\n")[0],
      `error: ${sb.config}:3:${
        18 + 63
      }: (syntax): syntax error: nested too deeply (more than 64 levels)`,
    );
    assert(!r.stderr.includes("internal error") && !r.stderr.includes("Maximum call stack"));
  } finally {
    await sb.cleanup();
  }
});

/**
 * An identical but unrecorded file at the mirrored SSD path — copied by
 * hand, or left by a `kill -9` between the final link and the database
 * record — is adopted by `--cache` after hashing it against the original,
 * and is then an ordinary verified copy (`--evict` works); never the loop of
 * "already on the SSD" and "not a verified copy".
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { cacheWorld } from "./cache_world.ts";
import { withStore } from "./sandbox.ts";
import { pollUntil } from "./fixtures/fake_server.ts";
import { exists } from "./fs_util.ts";
import { hashFile } from "../lib/cache/hash.ts";

const GEMMA = "llm/Gemma2-9B-Q5_K_M.gguf";

Deno.test("a copy made by hand is adopted by --cache after hashing, then evicted like any copy", async () => {
  const sb = await cacheWorld();
  try {
    const dest = `${sb.ssd}/${GEMMA}`;
    await Deno.mkdir(`${sb.ssd}/llm`, { recursive: true });
    await Deno.copyFile(`${sb.hdd}/${GEMMA}`, dest);
    const ino = (await Deno.stat(dest)).ino;
    assertEquals((await sb.run(["-u"])).code, 0);

    const refused = await sb.run(["--evict", "gemma"]);
    assertEquals(refused.code, 1);
    assertStringIncludes(refused.stderr, "is not a verified copy");
    assertStringIncludes(refused.stderr, "hint: llama-pack --cache 'Gemma2-9B-Q5_K_M.gguf'");

    const adopted = await sb.run(["--cache", "gemma"]);
    assertEquals(adopted.code, 0, adopted.stderr);
    assertStringIncludes(adopted.stdout, "found a verified copy already there");
    assertEquals((await Deno.stat(dest)).ino, ino, "adopted in place, not copied again");
    const hash = (await hashFile(dest)).hash;
    assertEquals(withStore(sb, (s) => s.ssdCopies().map((c) => [c.ssd_path, c.hash])), [[
      dest,
      hash,
    ]]);
    assertStringIncludes((await sb.run(["-m", "gemma", "-n"])).stdout, "would run (from ssd)");

    const evicted = await sb.run(["--evict", "gemma"]);
    assertEquals(evicted.code, 0, evicted.stderr);
    assert(!(await exists(dest)));
  } finally {
    await sb.cleanup();
  }
});

Deno.test("a --cache killed right after putting the file in place: the next one finishes it", async () => {
  const sb = await cacheWorld();
  try {
    const dest = `${sb.ssd}/${GEMMA}`;
    const child = sb.spawn(["--cache", "gemma"]);
    const linked = await pollUntil(() => {
      try {
        return Deno.lstatSync(dest).isFile;
      } catch {
        return false;
      }
    }, 20_000);
    try {
      child.kill("SIGKILL");
    } catch {
      // it finished first: fine too
    }
    await child.output();
    assert(linked);
    // A rescan sees the file; whatever the kill left, it is never "already on
    // the SSD" to --cache and "not a verified copy" to --evict at once.
    assertEquals((await sb.run(["-u"])).code, 0);
    const again = await sb.run(["--cache", "gemma"]);
    assertEquals(again.code, 0, again.stderr);
    assertMatch(
      again.stdout,
      /(finished the interrupted copy of llm\/Gemma2-9B-Q5_K_M\.gguf\n)?(cached .*|.* is already on the SSD: .*)\n/,
    );
    assertEquals((await hashFile(dest)).hash, (await hashFile(`${sb.hdd}/${GEMMA}`)).hash);
    const evicted = await sb.run(["--evict", "gemma"]);
    assertEquals(evicted.code, 0, evicted.stderr);
  } finally {
    await sb.cleanup();
  }
});

/**
 * A split model (two shards and a projector) is one unit on the SSD: copied
 * and evicted as a whole, with one record. A copy killed with `kill -9` while
 * shard 2 copies, one that runs out of space on a real tmpfs, and an
 * eviction that cannot delete shard 2 never leave a part of the model that
 * is served, or indexed as a model of its own; the next copy cleans up.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { makeSandbox, type Sandbox, withStore } from "./sandbox.ts";
import { makeLibrary, shardEntries } from "./gguf_writer.ts";
import { pollUntil } from "./fixtures/fake_server.ts";
import { exists } from "./fs_util.ts";
import { CAN_MOUNT, runQuiet } from "./mounts.ts";
import { hashFile } from "../lib/cache/hash.ts";
import { PARTIAL_DIR } from "../lib/cache/partials.ts";

const MIB = 1 << 20;
const SHARD1 = "big/Split-Q4_K_M-00001-of-00002.gguf";
const SHARD2 = "big/Split-Q4_K_M-00002-of-00002.gguf";
const MMPROJ = "big/mmproj-Split-F16.gguf";
const FILES = [SHARD1, SHARD2, MMPROJ];

/** A sandbox whose HDD holds one split model (2 × `shardMib` MiB of random bytes) with a projector, scanned. */
async function splitWorld(shardMib: number, config: Record<string, unknown> = {}) {
  const sb = await makeSandbox(config);
  await makeLibrary(sb.hdd, {
    ...shardEntries("big/Split-Q4_K_M", 2, { size: shardMib * MIB }),
    [MMPROJ]: { projector: true, size: 2 * MIB },
  });
  // Real bytes past the headers, so copies and hashes have work to do.
  for (const rel of FILES) {
    const f = await Deno.open(`${sb.hdd}/${rel}`, { write: true });
    const size = (await f.stat()).size;
    const chunk = new Uint8Array(MIB);
    for (let at = 64 * 1024; at + MIB <= size; at += MIB) {
      crypto.getRandomValues(chunk.subarray(0, 65536));
      await f.seek(at, Deno.SeekMode.Start);
      await f.write(chunk);
    }
    f.close();
  }
  const r = await sb.run(["-u"]);
  assertEquals(r.code, 0, r.stderr);
  return sb;
}

/** What -m would serve: `ssd` or `hdd`, and the model path given. */
async function served(sb: Sandbox): Promise<{ tier: string; model: string }> {
  const r = await sb.run(["-m", "split", "-n"]);
  assertEquals(r.code, 0, r.stderr);
  const m = /would run \(from (\w+)\): .* -m (\S+)/.exec(r.stdout);
  assert(m, r.stdout);
  return { tier: m[1]!, model: m[2]! };
}

/** After a rescan: still one model, nothing SSD-only. */
async function oneModelAfterRescan(sb: Sandbox) {
  const u = await sb.run(["-u"]);
  assertEquals(u.code, 0, u.stderr);
  assertMatch(u.stdout, /: 1 model \(1 on HDD, [01] also on SSD, 0 SSD-only\)/);
  const models = withStore(sb, (s) => s.models().filter((m) => m.gone === 0).map((m) => m.id));
  assertEquals(models, ["big/Split-Q4_K_M-00001-of-00002.gguf"]);
}

async function assertWholeOnSsd(sb: Sandbox) {
  for (const rel of FILES) {
    assertEquals(
      (await hashFile(`${sb.ssd}/${rel}`)).hash,
      (await hashFile(`${sb.hdd}/${rel}`)).hash,
      `${rel} on the SSD is whole`,
    );
  }
  assertEquals((await served(sb)).tier, "ssd");
}

Deno.test("kill -9 while shard 2 copies: shard 1 is never served or indexed; the next copy cleans up", async () => {
  const sb = await splitWorld(64);
  try {
    const child = sb.spawn(["--cache", "split"]);
    const partial = `${sb.ssd}/${PARTIAL_DIR}`;
    const shard2Copying = () => {
      try {
        return [...Deno.readDirSync(partial)].some((e) =>
          /^Split-Q4_K_M-00002-of-00002\.gguf\.[0-9a-f]{16}\.part$/.test(e.name)
        );
      } catch {
        return false;
      }
    };
    const caught = await pollUntil(shard2Copying, 20_000);
    child.kill("SIGKILL");
    await child.output();
    assert(caught, "killed while shard 2 was being copied");
    assert(await exists(`${sb.ssd}/${SHARD1}`), "shard 1 was in place when the copy died");

    const s = await served(sb);
    assertEquals(s, { tier: "hdd", model: `${sb.hdd}/${SHARD1}` });
    await oneModelAfterRescan(sb);
    assertEquals((await served(sb)).tier, "hdd");

    const again = await sb.run(["--cache", "split"]);
    assertEquals(again.code, 0, again.stderr);
    assertMatch(again.stdout, /removed \d+ leftover files? of an interrupted copy/);
    await assertWholeOnSsd(sb);
    assertEquals(withStore(sb, (st) => st.ssdUnits().map((u) => [u.state, u.files.length])), [
      ["verified", 3],
    ]);
  } finally {
    await sb.cleanup();
  }
});

Deno.test({
  name: "the SSD (a real tmpfs) fills up while shard 2 copies: nothing of the model is left",
  ignore: !CAN_MOUNT,
  fn: async () => {
    const sb = await splitWorld(24);
    const mounted = await runQuiet("mount", ["-t", "tmpfs", "-o", "size=48m", "tmpfs", sb.ssd]);
    assert(mounted.ok, mounted.stderr);
    try {
      // A real process fills the disk as soon as shard 1 is in place.
      const child = sb.spawn(["--cache", "split"]);
      assert(
        await pollUntil(
          () => Deno.statSync(sb.ssd).isDirectory && existsSync(`${sb.ssd}/${SHARD1}`),
          20_000,
        ),
      );
      const dd = await new Deno.Command("dd", {
        args: ["if=/dev/zero", `of=${sb.ssd}/filler`, "bs=1M"],
        stderr: "null",
      }).output();
      assert(!dd.success, "dd ran until the disk was full");
      const out = await child.output();
      const stderr = new TextDecoder().decode(out.stderr);
      assertEquals(out.code, 1, stderr);
      assertStringIncludes(stderr, "no space left on");
      await Deno.remove(`${sb.ssd}/filler`);
      const left = [...Deno.readDirSync(sb.ssd)].map((e) => e.name);
      assertEquals(left, [], "no shard, no projector, no temp file left");
      assertEquals(withStore(sb, (s) => s.ssdUnits()), []);
      assertEquals(await served(sb), { tier: "hdd", model: `${sb.hdd}/${SHARD1}` });
      await oneModelAfterRescan(sb);
    } finally {
      await runQuiet("umount", [sb.ssd]);
      await sb.cleanup();
    }
  },
});

function existsSync(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("an eviction that cannot delete shard 2 never leaves shard 2 served as the model", async () => {
  const sb = await splitWorld(4);
  let immutable = false;
  try {
    assertEquals((await sb.run(["--cache", "split"])).code, 0);
    const c = await runQuiet("chattr", ["+i", `${sb.ssd}/${SHARD2}`]);
    if (!c.ok) {
      console.log(`  skipped: chattr +i not possible here (${c.stderr})`);
      return;
    }
    immutable = true;
    const ev = await sb.run(["--evict", "split"]);
    assertEquals(ev.code, 1, ev.stdout);
    assertStringIncludes(ev.stderr, `cannot delete ${sb.ssd}/${SHARD2}`);
    assert(!(await exists(`${sb.ssd}/${SHARD1}`)), "shard 1 was deleted");

    assertEquals(await served(sb), { tier: "hdd", model: `${sb.hdd}/${SHARD1}` });
    await oneModelAfterRescan(sb);
    assertEquals((await served(sb)).tier, "hdd");

    await runQuiet("chattr", ["-i", `${sb.ssd}/${SHARD2}`]);
    immutable = false;
    // The next copy finishes the eviction, then copies the model whole.
    const again = await sb.run(["--cache", "split"]);
    assertEquals(again.code, 0, again.stderr);
    await assertWholeOnSsd(sb);
  } finally {
    if (immutable) await runQuiet("chattr", ["-i", `${sb.ssd}/${SHARD2}`]);
    await sb.cleanup();
  }
});

Deno.test("kill -9 of --cache at random points: never a served partial, never a second model, always completed next time", async () => {
  const sb = await splitWorld(24);
  try {
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      const child = sb.spawn(["--cache", "split"]);
      const ms = Math.floor(Math.random() * 4000);
      await new Promise((r) => setTimeout(r, ms));
      try {
        child.kill("SIGKILL");
      } catch {
        // it finished first
      }
      await child.output();
      const s = await served(sb);
      if (s.tier === "ssd") {
        for (const rel of FILES) {
          assertEquals(
            (await hashFile(`${sb.ssd}/${rel}`)).hash,
            (await hashFile(`${sb.hdd}/${rel}`)).hash,
            `iteration ${i}: served from the SSD, so ${rel} is whole`,
          );
        }
      } else {
        assertEquals(s.model, `${sb.hdd}/${SHARD1}`);
      }
      const recorded = withStore(sb, (st) => st.ssdCopies().length);
      outcomes.push(`after ${ms} ms: served from ${s.tier}; ${recorded} verified files recorded`);
      await oneModelAfterRescan(sb);
      if (s.tier === "ssd" && i % 2 === 0) {
        assertEquals((await sb.run(["--evict", "split"])).code, 0); // start over
      }
    }
    const last = await sb.run(["--cache", "split"]);
    assertEquals(last.code, 0, last.stderr);
    await assertWholeOnSsd(sb);
    console.log(`  kill points:\n    ${outcomes.join("\n    ")}`);
  } finally {
    await sb.cleanup();
  }
});

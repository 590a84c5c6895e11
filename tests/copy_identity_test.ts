/**
 * Source identity: a source rewritten in place while it is copied, with its
 * mtime put back afterwards (what `rsync --inplace -t` leaves), is never
 * recorded as a verified copy; and an SSD copy whose HDD original was
 * replaced by a same-size file is stale — not served, re-copied — not
 * "verified" for ever. Real processes do the rewriting (`dd`, `touch -r`).
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { cacheWorld } from "./cache_world.ts";
import { withStore } from "./sandbox.ts";
import { exists, writeRandomFile } from "./fs_util.ts";
import { hashFile } from "../lib/cache/hash.ts";
import { PARTIAL_DIR } from "../lib/cache/partials.ts";

const WORKER = new URL("./fixtures/copy_worker.ts", import.meta.url).pathname;
const MIB = 1 << 20;

/** Rewrites `bytes` bytes of `file` at `offset` in place, then puts its mtime back, as `rsync --inplace -t` would. */
async function rewriteInPlaceKeepingMtime(file: string, offsetMib: number, mib: number) {
  const script = `touch -r "$1" "$1.ref" && ` +
    `dd if=/dev/urandom of="$1" bs=1M count=${mib} seek=${offsetMib} conv=notrunc status=none && ` +
    `touch -m -r "$1.ref" "$1" && rm "$1.ref"`;
  const out = await new Deno.Command("sh", { args: ["-c", script, "sh", file] }).output();
  assert(out.success, new TextDecoder().decode(out.stderr));
}

async function listTree(root: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${root}${prefix}`)) {
    out.push(`${prefix}/${e.name}`);
    if (e.isDirectory) out.push(...(await listTree(root, `${prefix}/${e.name}`)));
  }
  return out.sort();
}

Deno.test("a source rewritten in place mid-copy with its mtime put back is never a verified copy", async () => {
  const dir = await Deno.makeTempDir({ prefix: "llama-pack-torn-" });
  try {
    const src = `${dir}/hdd/model.gguf`;
    const ssd = `${dir}/ssd`;
    await Deno.mkdir(`${dir}/hdd`);
    await Deno.mkdir(ssd);
    await writeRandomFile(src, 32 * MIB);
    const mtimeBefore = (await Deno.stat(src)).mtime?.getTime();
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        "--quiet",
        WORKER,
        src,
        `${ssd}/llm/model.gguf`,
        ssd,
        "--rate",
        String(16 * MIB),
        "--buffer",
        String(MIB),
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    // Once 6 MiB are copied, rewrite MiB 20–24 (not read yet) and put the mtime back.
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    let rewritten = false;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
      const progressed = [...text.matchAll(/"bytesDone":(\d+)/g)].some((m) =>
        Number(m[1]) >= 6 * MIB
      );
      if (!rewritten && progressed) {
        rewritten = true;
        await rewriteInPlaceKeepingMtime(src, 20, 4);
      }
    }
    await child.stdin.close();
    const status = await child.status;
    assert(rewritten, "the rewrite happened during the copy");
    assertEquals((await Deno.stat(src)).mtime?.getTime(), mtimeBefore, "mtime put back");
    const last = JSON.parse(text.trim().split("\n").at(-1)!);
    assertEquals(last.event, "error", `the torn copy was accepted: ${JSON.stringify(last)}`);
    assertEquals(status.code, 1);
    assertEquals(last.code, "COPY");
    assertStringIncludes(last.message, "source changed during the copy (its ctime changed");
    assertEquals(await listTree(ssd), [], "nothing under a final name, no temp file left");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an SSD copy whose HDD original was replaced by a same-size file is stale: not served, copied again", async (t) => {
  const sb = await cacheWorld();
  try {
    const hddFile = `${sb.hdd}/llm/Gemma2-9B-Q5_K_M.gguf`;
    const ssdFile = `${sb.ssd}/llm/Gemma2-9B-Q5_K_M.gguf`;
    assertEquals((await sb.run(["--cache", "gemma"])).code, 0);
    const oldHash = (await hashFile(ssdFile)).hash;
    // Same size, same mtime, different bytes: only the ctime tells.
    await rewriteInPlaceKeepingMtime(hddFile, 2, 1);
    const newHash = (await hashFile(hddFile)).hash;
    assert(newHash !== oldHash);

    await t.step("-m serves the HDD and says why", async () => {
      const r = await sb.run(["-m", "gemma", "-n"]);
      assertEquals(r.code, 0, r.stderr);
      assertStringIncludes(r.stdout, `would run (from hdd): `);
      assertStringIncludes(r.stdout, `-m ${hddFile}`);
      assertMatch(
        r.stderr,
        /note: not serving the SSD copy of Gemma2-9B-Q5_K_M\.gguf: its original .* changed since it was verified \(it was modified \(ctime\)\)/,
      );
      // --args shows the command line -m would run: from the HDD too.
      const a = await sb.run(["--args", "gemma"]);
      assertEquals(a.code, 0, a.stderr);
      assertStringIncludes(a.stdout, `llama-pack -m runs (from hdd): `);
      assertStringIncludes(a.stdout, `-m ${hddFile}`);
    });
    await t.step("--cache copies it again; then it is served", async () => {
      const r = await sb.run(["--cache", "gemma"]);
      assertEquals(r.code, 0, r.stderr);
      assertStringIncludes(r.stderr, "note: the SSD copy of Gemma2-9B-Q5_K_M.gguf is stale");
      assertStringIncludes(r.stdout, "verified (xxh64)");
      assertEquals((await hashFile(ssdFile)).hash, newHash);
      const m = await sb.run(["-m", "gemma", "-n"]);
      assertStringIncludes(m.stdout, `would run (from ssd): `);
      assertEquals(withStore(sb, (s) => s.ssdCopies().map((c) => c.hash)), [newHash]);
      assert(!(await exists(`${sb.ssd}/${PARTIAL_DIR}`)));
    });
  } finally {
    await sb.cleanup();
  }
});

/**
 * Source identity: a source rewritten in place while it is copied, with its
 * mtime put back afterwards (what `rsync --inplace -t` leaves), is never
 * recorded as a verified copy; and an SSD copy whose HDD original was
 * replaced by a same-size file is stale — not served, re-copied — not
 * "verified" for ever. Real processes do the rewriting (`dd`, `touch -r`).
 * `--serve` passes over a stale or damaged copy as `-m` does, and says so.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { cacheWorld } from "./cache_world.ts";
import { withStore } from "./sandbox.ts";
import { freePort } from "./fixtures/fake_server.ts";
import { followEvents } from "./api_world.ts";
import { type RunningServe, startServe } from "./serve_fixture.ts";
import { snapshotTree } from "./tree_snapshot.ts";
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

Deno.test("--serve passes over a stale or damaged SSD copy: serves the HDD original, logs the note, sends copy_passed_over", async (t) => {
  const first = freePort();
  const sb = await cacheWorld({
    cache: { auto: false },
    serve: { child_ports: `${first}-${first + 20}` },
  });
  let serve: RunningServe | undefined;
  try {
    for (const name of ["gemma", "qwen3"]) {
      const r = await sb.run(["--cache", name]);
      assertEquals(r.code, 0, r.stderr);
    }
    const touch = async (file: string) => {
      const { atime, mtime } = await Deno.stat(file);
      await Deno.utime(file, atime!, new Date(mtime!.getTime() + 60_000));
    };
    // Gemma's original touched after its copy was verified: stale. Qwen's SSD file touched: damaged.
    await touch(`${sb.hdd}/llm/Gemma2-9B-Q5_K_M.gguf`);
    await touch(`${sb.ssd}/llm/Qwen3-8B-Q4_K_M.gguf`);
    const ssdBefore = await snapshotTree(sb.ssd);
    serve = await startServe(sb);
    const running = serve;
    const log = await followEvents(running);
    const cases = [
      {
        model: "Gemma2-9B-Q5_K_M",
        id: "llm/Gemma2-9B-Q5_K_M.gguf",
        problem: "stale",
        reason:
          `its original ${sb.hdd}/llm/Gemma2-9B-Q5_K_M.gguf changed since it was verified (it was modified (mtime))`,
        after: "the stale copy is evicted or copied again by the usual rules",
      },
      {
        model: "Qwen3-8B-Q4_K_M",
        id: "llm/Qwen3-8B-Q4_K_M.gguf",
        problem: "damaged",
        reason:
          `its file ${sb.ssd}/llm/Qwen3-8B-Q4_K_M.gguf changed on the SSD (it was modified (mtime)) since it was verified`,
        after: "the SSD files are kept: llama-pack did not write them",
      },
    ];
    for (const c of cases) {
      await t.step(`a ${c.problem} copy`, async () => {
        const res = await fetch(`${running.url}/v1/chat/completions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ model: c.model, max_tokens: 2 }),
        });
        assertEquals(res.status, 200, await res.text());
        const props = await (await fetch(`${running.url}/props?model=${c.model}`)).json();
        assertEquals(props.model_path, `${sb.hdd}/${c.id}`);
        const message = `not serving the SSD copy of ${c.model}.gguf: ${c.reason}; ` +
          `serving from the HDD (${c.after})`;
        assertStringIncludes(running.stderr(), `note: ${message}\n`);
        assertStringIncludes(running.stderr(), `loading ${c.model}.gguf from hdd on port`);
        const event = await log.waitFor((e) =>
          e.type === "copy_passed_over" && e.data.model_id === c.id
        );
        assertEquals(event.data, {
          model_id: c.id,
          model_name: `${c.model}.gguf`,
          problem: c.problem,
          reason: c.reason,
          ssd_path: `${sb.ssd}/${c.id}`,
          served_path: `${sb.hdd}/${c.id}`,
          message,
        });
      });
    }
    await log.close();
    assertEquals((await running.stop()).code, 0, running.stderr());
    assertEquals(await snapshotTree(sb.ssd), ssdBefore, "--serve wrote to the SSD");
  } finally {
    await serve?.stop();
    await sb.run(["--killall"], { env: { LLAMA_PACK_STOP_GRACE_MS: "200" } });
    await sb.cleanup();
  }
});

/**
 * The copy and eviction safety rules, tried against real processes, real
 * kills, a real out-of-space tmpfs, a read-only file system, symlinks and
 * bind mounts. Mount-based tests need root; where mounting is not permitted
 * they are skipped with a printed message.
 */

import { assert, assertEquals, assertRejects, assertStringIncludes } from "./assert.ts";
import { copyToSsd } from "../lib/cache/copy.ts";
import { cleanupPartials, PARTIAL_DIR } from "../lib/cache/partials.ts";
import { deleteSsdCopy } from "../lib/cache/evict.ts";
import { hashFile } from "../lib/cache/hash.ts";
import { LlamaPackError } from "../lib/errors.ts";
import { statfs } from "node:fs/promises";
import { exists, writeRandomFile } from "./fs_util.ts";

const WORKER = new URL("./fixtures/copy_worker.ts", import.meta.url).pathname;
const MIB = 1 << 20;

// --- helpers ------------------------------------------------------------------

async function run(cmd: string, args: string[]): Promise<{ ok: boolean; stderr: string }> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
    return { ok: out.success, stderr: new TextDecoder().decode(out.stderr).trim() };
  } catch (err) {
    return { ok: false, stderr: String(err) };
  }
}

/** Whether this process may mount a tmpfs (probed once). */
const CAN_MOUNT = await (async () => {
  const dir = await Deno.makeTempDir({ prefix: "llama-pack-mount-probe-" });
  try {
    const m = await run("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir]);
    if (!m.ok) {
      console.log(`copy_safety_test: cannot mount tmpfs (${m.stderr}); mount tests skipped`);
      return false;
    }
    await run("umount", [dir]);
    return true;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
})();

async function listTree(root: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${root}${prefix}`)) {
    out.push(`${prefix}/${e.name}`);
    if (e.isDirectory) out.push(...(await listTree(root, `${prefix}/${e.name}`)));
  }
  return out.sort();
}

async function freeBytes(path: string): Promise<number> {
  const s = await statfs(path);
  return Number(s.bavail) * Number(s.bsize);
}

type WorkerEvent = {
  event: string;
  phase?: string;
  bytesDone?: number;
  totalBytes?: number;
  hash?: string;
  reused?: boolean;
  code?: string;
  message?: string;
  temp?: string;
};

/** A copy worker process and the events it printed. */
class Worker {
  readonly child: Deno.ChildProcess;
  readonly events: WorkerEvent[] = [];
  #waiters: Array<() => void> = [];
  #ended = false;
  readonly finished: Promise<void>;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;

  constructor(args: string[]) {
    this.child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "--quiet", WORKER, ...args],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#stdin = this.child.stdin.getWriter();
    this.finished = this.#read();
    this.child.stderr.pipeTo(new WritableStream()).catch(() => {});
  }

  async #read(): Promise<void> {
    let buf = "";
    for await (const chunk of this.child.stdout.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        this.events.push(JSON.parse(buf.slice(0, nl)));
        buf = buf.slice(nl + 1);
        for (const w of this.#waiters.splice(0)) w();
      }
    }
    this.#ended = true;
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Waits until an event matches, or the worker's output ends (returns undefined). */
  async waitFor(pred: (e: WorkerEvent) => boolean): Promise<WorkerEvent | undefined> {
    for (;;) {
      const found = this.events.find(pred);
      if (found) return found;
      if (this.#ended) return undefined;
      await new Promise<void>((r) => this.#waiters.push(r));
    }
  }

  async sendLine(): Promise<void> {
    await this.#stdin.write(new TextEncoder().encode("\n"));
  }

  async end(): Promise<Deno.CommandStatus> {
    await this.#stdin.close().catch(() => {});
    const status = await this.child.status;
    await this.finished;
    return status;
  }

  kill(): void {
    try {
      this.child.kill("SIGKILL");
    } catch {
      // already exited
    }
  }

  last(): WorkerEvent | undefined {
    return this.events.at(-1);
  }
}

async function withMount<T>(
  dir: string,
  options: string,
  fn: () => Promise<T>,
): Promise<T> {
  await Deno.mkdir(dir, { recursive: true });
  const m = await run("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir]);
  if (!m.ok) throw new Error(`mount failed: ${m.stderr}`);
  try {
    return await fn();
  } finally {
    const u = await run("umount", [dir]);
    if (!u.ok) await run("umount", ["-l", dir]);
  }
}

// --- kill -9 ------------------------------------------------------------------

Deno.test("copyToSsd() killed with SIGKILL at random points never leaves a bad final file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "llama-pack-kill-" });
  try {
    const src = `${dir}/hdd/model.gguf`;
    const ssd = `${dir}/ssd`;
    const dest = `${ssd}/llm/model.gguf`;
    await Deno.mkdir(`${dir}/hdd`);
    await Deno.mkdir(ssd);
    const size = 200 * MIB;
    await writeRandomFile(src, size);
    const srcHash = (await hashFile(src)).hash;
    const outcomes: string[] = [];
    const iterations = 10;
    for (let i = 0; i < iterations; i++) {
      // Throttled so kills land mid-copy: ~0.5 s of copying, then the verify pass.
      const w = new Worker([
        src,
        dest,
        ssd,
        "--rate",
        String(400 * MIB),
        "--buffer",
        String(4 * MIB),
      ]);
      const kind = i % 3;
      const frac = Math.random();
      let where: string;
      if (kind === 0) {
        const ms = Math.floor(Math.random() * 2500);
        await Promise.race([new Promise((r) => setTimeout(r, ms)), w.finished]);
        where = `after ${ms} ms`;
      } else {
        const phase = kind === 1 ? "copy" : "verify";
        await w.waitFor((e) =>
          e.event === "progress" && e.phase === phase && e.bytesDone! >= frac * size
        );
        where = `${phase} at ${Math.round(frac * 100)}%`;
      }
      w.kill();
      await w.end();
      const finalExists = await exists(dest);
      if (finalExists) {
        const st = await Deno.stat(dest);
        assertEquals(st.size, size, `iteration ${i} (${where}): final file has the wrong size`);
        assertEquals((await hashFile(dest)).hash, srcHash, `iteration ${i}: final file corrupt`);
      }
      const last = w.last();
      outcomes.push(
        `${where}: ${finalExists ? "complete" : "absent"} (last ${last?.event}/${
          last?.phase ?? ""
        })`,
      );
      // Whatever the kill left is inside the partial directory only, and cleanup removes it.
      for (const p of await listTree(ssd)) {
        assert(
          p.startsWith(`/${PARTIAL_DIR}`) || ["/llm", "/llm/model.gguf"].includes(p),
          `iteration ${i}: unexpected ${p}`,
        );
      }
      await cleanupPartials(ssd);
      assert(!(await exists(`${ssd}/${PARTIAL_DIR}`)), "cleanup leaves no partial directory");
      if (finalExists && i % 2 === 0) await Deno.remove(dest); // sometimes start over
    }
    // The next run completes (or reuses a verified copy) and is whole.
    const r = await copyToSsd(src, dest, { ssdRoot: ssd });
    assertEquals(r.hash, srcHash);
    assertEquals((await hashFile(dest)).hash, srcHash);
    console.log(`  kill points:\n    ${outcomes.join("\n    ")}`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// --- tampering from outside -----------------------------------------------------

Deno.test("copyToSsd() detects a temp file damaged by another process before the rename", async () => {
  const dir = await Deno.makeTempDir({ prefix: "llama-pack-tamper-" });
  try {
    const src = `${dir}/model.gguf`;
    const ssd = `${dir}/ssd`;
    await Deno.mkdir(ssd);
    await writeRandomFile(src, 16 * MIB);
    const w = new Worker([src, `${ssd}/model.gguf`, ssd, "--pause-before-verify"]);
    const paused = await w.waitFor((e) => e.event === "paused");
    assert(paused?.temp, "worker paused before verify");
    assertStringIncludes(paused.temp, `/${PARTIAL_DIR}/`);
    const f = await Deno.open(paused.temp, { write: true });
    await f.seek(8 * MIB, Deno.SeekMode.Start);
    await f.write(new Uint8Array(16).fill(0x55));
    f.close();
    await w.sendLine();
    const status = await w.end();
    assertEquals(status.code, 1);
    assertEquals(w.last()?.code, "COPY");
    assertStringIncludes(w.last()?.message ?? "", "verification failed");
    assertEquals(await listTree(ssd), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("copyToSsd() aborts when another process appends to the source mid-copy", async () => {
  const dir = await Deno.makeTempDir({ prefix: "llama-pack-srcchange-" });
  try {
    const src = `${dir}/model.gguf`;
    const ssd = `${dir}/ssd`;
    await Deno.mkdir(ssd);
    await writeRandomFile(src, 32 * MIB);
    const w = new Worker([
      src,
      `${ssd}/model.gguf`,
      ssd,
      "--rate",
      String(32 * MIB),
      "--buffer",
      String(MIB),
    ]);
    await w.waitFor((e) => e.event === "progress" && e.bytesDone! >= 4 * MIB);
    const f = await Deno.open(src, { append: true });
    await f.write(new Uint8Array(4096));
    f.close();
    const status = await w.end();
    assertEquals(status.code, 1);
    assertEquals(w.last()?.code, "COPY");
    assertStringIncludes(w.last()?.message ?? "", "source");
    assertEquals(await listTree(ssd), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// --- racing --------------------------------------------------------------------

Deno.test("two processes copying to the same destination give one whole copy", async () => {
  const dir = await Deno.makeTempDir({ prefix: "llama-pack-race-" });
  try {
    const src = `${dir}/model.gguf`;
    const ssd = `${dir}/ssd`;
    await Deno.mkdir(ssd);
    await writeRandomFile(src, 48 * MIB);
    const dest = `${ssd}/llm/model.gguf`;
    const workers = [new Worker([src, dest, ssd]), new Worker([src, dest, ssd])];
    const statuses = await Promise.all(workers.map((w) => w.end()));
    assertEquals(statuses.map((s) => s.code), [0, 0]);
    const done = workers.map((w) => w.last()!);
    assertEquals(done.map((d) => d.event), ["done", "done"]);
    assertEquals(done.filter((d) => d.reused === false).length, 1, "exactly one wrote the copy");
    const srcHash = (await hashFile(src)).hash;
    assertEquals(done.map((d) => d.hash), [srcHash, srcHash]);
    assertEquals((await hashFile(dest)).hash, srcHash);
    assertEquals(await listTree(ssd), ["/llm", "/llm/model.gguf"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// --- out of space, read-only -------------------------------------------------------

Deno.test({
  name: "copyToSsd() on a full 64 MiB tmpfs fails with COPY and leaves nothing behind",
  ignore: !CAN_MOUNT,
  fn: async (t) => {
    const dir = await Deno.makeTempDir({ prefix: "llama-pack-enospc-" });
    const ssd = `${dir}/ssd`;
    try {
      const src = `${dir}/model.gguf`;
      await writeRandomFile(src, 100 * MIB);
      await withMount(ssd, "size=64m", async () => {
        await Deno.writeTextFile(`${ssd}/keep.gguf`, "an unrelated model");
        const before = await freeBytes(ssd);
        await t.step("refused up front by the free-space check", async () => {
          const err = await assertRejects(
            () => copyToSsd(src, `${ssd}/llm/model.gguf`, { ssdRoot: ssd }),
            LlamaPackError,
          );
          assertEquals(err.code, "COPY");
          assertStringIncludes(err.message, "no space left on");
          assertStringIncludes(err.message, "needs 100.0 MiB");
        });
        await t.step("a real ENOSPC half-way through the write", async () => {
          let written = 0;
          const err = await assertRejects(
            () =>
              copyToSsd(src, `${ssd}/llm/model.gguf`, {
                ssdRoot: ssd,
                checkSpace: false,
                bufferSize: 4 * MIB,
                progressIntervalMs: 0,
                onProgress: (p) => (written = Math.max(written, p.bytesDone)),
              }),
            LlamaPackError,
          );
          assertEquals(err.code, "COPY");
          assertStringIncludes(err.message, "no space left on");
          assert(written > 32 * MIB, `it really wrote until the disk was full (${written})`);
        });
        assertEquals(await listTree(ssd), ["/keep.gguf"], "nothing left behind");
        assertEquals(await Deno.readTextFile(`${ssd}/keep.gguf`), "an unrelated model");
        assertEquals(await freeBytes(ssd), before, "free space is back to what it was");
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "copyToSsd() on a read-only SSD fails with a clear COPY error",
  ignore: !CAN_MOUNT,
  fn: async (t) => {
    const dir = await Deno.makeTempDir({ prefix: "llama-pack-erofs-" });
    const ssd = `${dir}/ssd`;
    try {
      await Deno.mkdir(`${dir}/hdd`);
      const src = `${dir}/hdd/model.gguf`;
      await writeRandomFile(src, 2 * MIB);
      await t.step("mounted read-only", async () => {
        await withMount(ssd, "ro,size=16m", async () => {
          const err = await assertRejects(
            () => copyToSsd(src, `${ssd}/llm/model.gguf`, { ssdRoot: ssd }),
            LlamaPackError,
          );
          assertEquals(err.code, "COPY");
          assertStringIncludes(err.message, "read-only file system");
          assertEquals(await listTree(ssd), []);
        });
      });
      await t.step("remounted read-only after a copy", async () => {
        await withMount(ssd, "size=16m", async () => {
          await copyToSsd(src, `${ssd}/a/model.gguf`, { ssdRoot: ssd });
          const r = await run("mount", ["-o", "remount,ro", ssd]);
          assert(r.ok, r.stderr);
          const err = await assertRejects(
            () => copyToSsd(src, `${ssd}/b/model.gguf`, { ssdRoot: ssd }),
            LlamaPackError,
          );
          assertStringIncludes(err.message, "read-only file system");
          assertEquals(await listTree(ssd), ["/a", "/a/model.gguf"]);
          // Eviction on a read-only SSD fails without touching the HDD original.
          const ev = await assertRejects(
            () =>
              deleteSsdCopy({
                ssdRoot: ssd,
                ssdPath: `${ssd}/a/model.gguf`,
                hddPath: src,
                expectedSize: 2 * MIB,
              }),
            LlamaPackError,
          );
          assertStringIncludes(ev.message, "cannot delete");
          assert(await exists(src));
        });
      });
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("copyToSsd() into an immutable directory (chattr +i) fails with permission denied", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "llama-pack-eperm-" });
  const ssd = `${dir}/ssd`;
  let immutable = false;
  try {
    await Deno.mkdir(ssd);
    const src = `${dir}/model.gguf`;
    await writeRandomFile(src, MIB);
    const c = await run("chattr", ["+i", ssd]);
    if (!c.ok) {
      console.log(`  skipped: chattr +i not possible here (${c.stderr})`);
      return;
    }
    immutable = true;
    await t.step("refused cleanly", async () => {
      const err = await assertRejects(
        () => copyToSsd(src, `${ssd}/llm/model.gguf`, { ssdRoot: ssd }),
        LlamaPackError,
      );
      assertEquals(err.code, "COPY");
      assertStringIncludes(err.message, "permission denied");
    });
    assertEquals(await listTree(ssd), []);
  } finally {
    if (immutable) await run("chattr", ["-i", ssd]);
    await Deno.remove(dir, { recursive: true });
  }
});

// --- SSD pointing at the HDD -----------------------------------------------------

Deno.test("an SSD directory symlinked or bind-mounted onto the HDD directory: copy and eviction refused", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "llama-pack-samedir-" });
  try {
    const hdd = `${dir}/hdd`;
    await Deno.mkdir(`${hdd}/llm`, { recursive: true });
    const src = `${hdd}/llm/model.gguf`;
    await writeRandomFile(src, MIB);
    const srcHash = (await hashFile(src)).hash;
    const check = async (ssd: string) => {
      // The "SSD copy" is the HDD file itself: copying must refuse (before
      // writing anything: no partial directory, no lock file), eviction must refuse.
      for (const sourceRoot of [undefined, hdd]) {
        const err = await assertRejects(
          () =>
            copyToSsd(src, `${ssd}/llm/model.gguf`, {
              ssdRoot: ssd,
              ...(sourceRoot ? { sourceRoot } : {}),
            }),
          LlamaPackError,
        );
        assertEquals(err.code, "UNSAFE");
        assertStringIncludes(err.message, "nothing was written");
        assertEquals(await listTree(hdd), ["/llm", "/llm/model.gguf"]);
      }
      const ev = await assertRejects(
        () =>
          deleteSsdCopy({
            ssdRoot: ssd,
            ssdPath: `${ssd}/llm/model.gguf`,
            hddPath: src,
            hddRoot: hdd,
            expectedSize: MIB,
          }),
        LlamaPackError,
      );
      assertEquals(ev.code, "UNSAFE");
      assertEquals((await hashFile(src)).hash, srcHash, "the HDD original is untouched");
    };
    await t.step("symlink", async () => {
      await Deno.symlink(hdd, `${dir}/ssd-link`);
      await check(`${dir}/ssd-link`);
    });
    await t.step({
      name: "bind mount",
      ignore: !CAN_MOUNT,
      fn: async () => {
        const ssd = `${dir}/ssd-bind`;
        await Deno.mkdir(ssd);
        const m = await run("mount", ["--bind", hdd, ssd]);
        if (!m.ok) {
          console.log(`  skipped: bind mount not permitted (${m.stderr})`);
          return;
        }
        try {
          await check(ssd);
          // An SSD-side name that is not the same path but the same directory tree.
          const ev = await assertRejects(
            () =>
              deleteSsdCopy({
                ssdRoot: ssd,
                ssdPath: `${ssd}/llm/model.gguf`,
                hddPath: src,
                hddRoot: hdd,
                expectedSize: MIB,
              }),
            LlamaPackError,
          );
          assertStringIncludes(ev.message, "same device and inode");
        } finally {
          await run("umount", [ssd]);
        }
      },
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

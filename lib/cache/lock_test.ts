import assert from "node:assert/strict";
import { acquireLock, isLocked, type LockInfo, readLockInfo, withLock } from "./lock.ts";
import { LlamaPackError } from "../errors.ts";

const LOCK_URL = new URL("./lock.ts", import.meta.url).href;

/** Starts a child process that holds `path` until its stdin closes. */
async function holdInChild(path: string): Promise<Deno.ChildProcess> {
  const code = `
    import { acquireLock } from ${JSON.stringify(LOCK_URL)};
    const lock = await acquireLock(${JSON.stringify(path)}, { note: "child" });
    console.log("locked");
    for await (const _ of Deno.stdin.readable) { /* wait for EOF */ }
    await lock.release();
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", code],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("locked")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`child exited before locking: ${out}`);
    out += value;
  }
  reader.releaseLock();
  return child;
}

Deno.test("acquireLock() gives the lock to one holder at a time in one process", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/sub/copy.lock`; // directory created as needed
    const first = await acquireLock(path, { note: "copying a" });
    assert.ok(first);
    assert.equal(await acquireLock(path, { wait: false }), null);
    assert.equal(await isLocked(path), true);
    assert.deepEqual(await readLockInfo(path), {
      pid: Deno.pid,
      since: (await readLockInfo(path))!.since,
      note: "copying a",
    });
    await first.release();
    await first.release(); // twice is harmless
    assert.equal(await isLocked(path), false);
    const second = await acquireLock(path, { wait: false });
    assert.ok(second);
    await second.release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("acquireLock() makes another process wait until the holder releases or dies", async (t) => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/copy.lock`;
    await t.step("released by the holder", async () => {
      const child = await holdInChild(path);
      try {
        assert.equal(await isLocked(path), true);
        assert.equal(await acquireLock(path, { wait: false }), null);
        let seen: LockInfo | undefined;
        let got = false;
        const waiting = acquireLock(path, { onWait: (h) => (seen = h) }).then((l) => {
          got = true;
          return l;
        });
        // Bounded poll: the waiter must still be waiting while the child holds the lock.
        for (let i = 0; i < 200 && seen === undefined; i++) {
          await new Promise((r) => setTimeout(r, 25));
        }
        assert.equal(seen?.pid, child.pid);
        assert.equal(seen?.note, "child");
        assert.equal(got, false);
        await child.stdin.close();
        const lock = await waiting;
        assert.ok(lock);
        assert.equal((await readLockInfo(path))?.pid, Deno.pid);
        await lock.release();
      } finally {
        await child.status;
      }
    });
    await t.step("holder killed with SIGKILL", async () => {
      const child = await holdInChild(path);
      assert.equal(await acquireLock(path, { wait: false }), null);
      child.kill("SIGKILL");
      await child.status;
      await child.stdin.close().catch(() => {});
      const lock = await acquireLock(path, { wait: false });
      assert.ok(lock, "a dead holder's lock is free");
      await lock.release();
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("withLock() serialises read-modify-write across processes, lock file removed each time", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/copy.lock`;
    const counter = `${dir}/counter`;
    await Deno.writeTextFile(counter, "0");
    const rounds = 30;
    const code = `
      import { withLock } from ${JSON.stringify(LOCK_URL)};
      for (let i = 0; i < ${rounds}; i++) {
        await withLock(${JSON.stringify(path)}, async () => {
          const n = Number(await Deno.readTextFile(${JSON.stringify(counter)}));
          await new Promise((r) => setTimeout(r, 1));
          await Deno.writeTextFile(${JSON.stringify(counter)}, String(n + 1));
        }, { removeOnRelease: true });
      }
    `;
    const run = () => new Deno.Command(Deno.execPath(), { args: ["eval", code] }).output();
    const results = await Promise.all([run(), run(), run()]);
    for (const r of results) assert.equal(r.code, 0, new TextDecoder().decode(r.stderr));
    assert.equal(await Deno.readTextFile(counter), String(3 * rounds));
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("acquireLock() stops waiting when its signal aborts", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/copy.lock`;
    const held = await acquireLock(path);
    const ctl = new AbortController();
    const waiting = acquireLock(path, { signal: ctl.signal, pollMs: 10 });
    ctl.abort(new Error("gave up"));
    await assert.rejects(waiting, /gave up/);
    await held!.release();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("acquireLock() fails with IO naming the path when it cannot create the file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/file`, "not a dir");
    await assert.rejects(acquireLock(`${dir}/file/copy.lock`), (e) => {
      assert.ok(e instanceof LlamaPackError);
      assert.equal(e.code, "IO");
      assert.match(e.message, /file\/copy\.lock/);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("withLock() releases the lock when the function throws", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/copy.lock`;
    await assert.rejects(
      withLock(path, () => Promise.reject(new Error("copy failed"))),
      /copy failed/,
    );
    assert.equal(await isLocked(path), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

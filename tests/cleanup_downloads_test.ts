/**
 * End-to-end: `--cleanup` and the hidden temp files `--pull` leaves, with
 * real files and real processes in a sandbox. Download rows are written the
 * way a pull writes them (`store.downloads.start`), then aged; each rule is
 * tried with a file that would break it: a live owner (a real child process
 * recorded as owner), a pull lock held by a real process, a recent download,
 * a symlink planted at the temp file's path pointing to a real file
 * elsewhere, a row without a recorded hash beside a file of the temp-file
 * pattern, a stray pattern-matching file without a row, and a final file
 * with the same stem. Only the abandoned temp files go; the rest of the HDD
 * tree is unchanged, byte for byte.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { exists } from "./fs_util.ts";
import { makeSandbox, type Sandbox, withStore } from "./sandbox.ts";
import { snapshotTree } from "./tree_snapshot.ts";
import { processOwner } from "../lib/cache/copy_jobs.ts";
import { isLocked } from "../lib/cache/lock.ts";
import { partialPathFor, pullLockPath } from "../lib/hub/download_partials.ts";
import type { ProcessOwner } from "../lib/core/records.ts";

const MIB = 1024 ** 2;
const DAY = 86400;
const DEAD: ProcessOwner = { pid: 999_999_999, startTime: 1 };

interface Planted {
  id: number;
  target: string;
  partial: string;
}

/** A download row as a pull writes it, aged to `age` seconds, and its temp file of `bytes` (none when `null`). */
async function plant(sb: Sandbox, o: {
  name: string;
  hash: string | null;
  state: "downloading" | "interrupted" | "failed";
  owner?: ProcessOwner;
  age: number;
  bytes: number | null;
}): Promise<Planted> {
  const dir = join(sb.hdd, "org", "m-GGUF");
  await Deno.mkdir(dir, { recursive: true });
  const target = join(dir, o.name);
  const partial = partialPathFor(target, { sha256: o.hash ?? "f".repeat(64) });
  const at = Date.now() / 1000 - o.age;
  if (o.bytes !== null) {
    await Deno.writeFile(partial, new Uint8Array(o.bytes).fill(7));
    await Deno.utime(partial, at, at);
  }
  const id = withStore(sb, (s) => {
    const id = s.downloads.start({
      repo: "org/m-GGUF",
      revision: "main",
      commit_id: "c0ffee",
      label: `org/m-GGUF:${o.name}`,
      repo_path: o.name,
      tier: "hdd",
      target_path: target,
      bytes_start: 0,
      bytes_total: 100 * MIB,
      content_hash: o.hash,
      pullArgs: ["--pull", `org/m-GGUF:${o.name}`],
      owner: o.owner ?? DEAD,
      now: at - 60,
    });
    s.downloads.update(id, { state: o.state, bytes_done: o.bytes ?? 0, now: at });
    return id;
  });
  return { id, target, partial };
}

/** Waits until `path` is locked by some process. */
async function lockedSoon(path: string): Promise<void> {
  for (let i = 0; i < 100 && !(await isLocked(path)); i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert(await isLocked(path), `${path} never got locked`);
}

Deno.test("--cleanup removes only the temp files of abandoned downloads, and their records", async () => {
  const sb = await makeSandbox();
  const sleeper = new Deno.Command("sleep", { args: ["300"], stdout: "null", stderr: "null" })
    .spawn();
  let locker: Deno.ChildProcess | undefined;
  try {
    const live = processOwner(sleeper.pid);
    assert(live !== undefined, "the child runs");
    const old = 10 * DAY;
    // Abandoned: these go.
    const a = await plant(sb, {
      name: "a-Q8_0.gguf",
      hash: "a1".repeat(32),
      state: "interrupted",
      age: old,
      bytes: 3 * MIB,
    });
    const b = await plant(sb, {
      name: "b-Q4_K_M.gguf",
      hash: "b2".repeat(32),
      state: "failed",
      age: old,
      bytes: MIB,
    });
    const bFinal = join(sb.hdd, "org", "m-GGUF", "b-Q4_K_M.gguf");
    await Deno.writeTextFile(bFinal, "an earlier, complete b-Q4_K_M.gguf");
    const gone = await plant(sb, {
      name: "f-Q2_K.gguf",
      hash: "f6".repeat(32),
      state: "interrupted",
      age: old,
      bytes: null,
    });
    const deadOwner = await plant(sb, {
      name: "d-Q6_K.gguf",
      hash: "d4".repeat(32),
      state: "downloading",
      age: old,
      bytes: 2 * MIB,
    });
    // Kept: each breaks one rule.
    const running = await plant(sb, {
      name: "c-Q5_K_M.gguf",
      hash: "c3".repeat(32),
      state: "downloading",
      owner: live,
      age: old,
      bytes: 2 * MIB,
    });
    const recent = await plant(sb, {
      name: "e-Q3_K_M.gguf",
      hash: "e5".repeat(32),
      state: "interrupted",
      age: DAY,
      bytes: MIB,
    });
    const linked = await plant(sb, {
      name: "g-IQ4_XS.gguf",
      hash: "97".repeat(32),
      state: "interrupted",
      age: old,
      bytes: null,
    });
    const elsewhere = join(sb.root, "elsewhere");
    await Deno.mkdir(elsewhere);
    const precious = join(elsewhere, "precious.gguf");
    await Deno.writeFile(precious, new Uint8Array(MIB).fill(9));
    await Deno.symlink(precious, linked.partial);
    const noHash = await plant(sb, {
      name: "h-Q8_0.gguf",
      hash: null,
      state: "interrupted",
      age: old,
      bytes: null,
    });
    const lookalike = join(
      sb.hdd,
      "org",
      "m-GGUF",
      ".h-Q8_0.gguf.0123456789abcdef.llama-pack-download",
    );
    await Deno.writeFile(lookalike, new Uint8Array(MIB));
    await Deno.utime(lookalike, 0, 0);
    const stray = join(sb.hdd, "org", "m-GGUF", ".stray.gguf.fedcba9876543210.llama-pack-download");
    await Deno.writeFile(stray, new Uint8Array(MIB));
    await Deno.utime(stray, 0, 0);
    const pulling = await plant(sb, {
      name: "j-Q4_0.gguf",
      hash: "0a".repeat(32),
      state: "interrupted",
      age: old,
      bytes: MIB,
    });
    const lock = pullLockPath(sb.state, pulling.target);
    await Deno.mkdir(join(sb.state, "locks"), { recursive: true });
    // A pull holding the file's lock: one real process that holds it (flock(2)) until killed.
    locker = new Deno.Command("sh", {
      args: ["-c", 'exec 9>"$0" && flock 9 && exec sleep 300', lock],
      stdout: "null",
    }).spawn();
    await lockedSoon(lock);

    const before = await snapshotTree(sb.hdd);
    const beforeElsewhere = await snapshotTree(elsewhere);

    const n = await sb.run(["--cleanup", "-n"]);
    assertEquals(n.code, 0, n.stderr);
    assertStringIncludes(
      n.stdout,
      "Leftovers of abandoned downloads (--pull):\n" +
        `     3.0 MiB  ${a.partial} — left by a download of org/m-GGUF:a-Q8_0.gguf (interrupted 10 days ago)\n` +
        `     1.0 MiB  ${b.partial} — left by a download of org/m-GGUF:b-Q4_K_M.gguf (failed 10 days ago)\n` +
        `              download record ${gone.id} (org/m-GGUF:f-Q2_K.gguf: ${gone.target}) — its temp file is gone (interrupted 10 days ago)\n` +
        `     2.0 MiB  ${deadOwner.partial} — left by a download of org/m-GGUF:d-Q6_K.gguf (its process died 10 days ago)\n\n`,
    );
    for (const kept of [running, recent, linked, pulling]) {
      assert(!n.stdout.includes(kept.partial), `${kept.partial} listed`);
    }
    for (const p of [lookalike, stray, bFinal, precious]) {
      assert(!n.stdout.includes(p), `${p} listed`);
    }
    assertMatch(n.stdout, /4 items; would free 6\.0 MiB\. Nothing was removed \(-n\)\.\n$/);
    assertEquals(await snapshotTree(sb.hdd), before, "-n removes nothing");

    const noTty = await sb.run(["--cleanup"]);
    assertEquals(noTty.code, 2);
    assertStringIncludes(noTty.stderr, "error: --cleanup: not on a terminal, so not asking\n");
    assertEquals(await snapshotTree(sb.hdd), before, "not asked: nothing removed");

    const yes = await sb.run(["--cleanup", "--yes"]);
    assertEquals(yes.code, 0, yes.stderr);
    assertEquals(yes.stdout.split("\n").at(-2), "Removed 4 of 4; freed 6.0 MiB.");
    const removed = [a.partial, b.partial, deadOwner.partial];
    for (const p of removed) assert(!(await exists(p)), `${p} removed`);
    // The tree is the same but for the removed files (and their directory's listing and mtime).
    const dir = join(sb.hdd, "org", "m-GGUF");
    const strip = (lines: string[]) =>
      lines.filter((l) =>
        !removed.some((p) => l.startsWith(`${p} `)) && !l.startsWith(`${dir} `) &&
        !l.startsWith(`${dir}/ listing `)
      );
    const after = await snapshotTree(sb.hdd);
    assertEquals(strip(after), strip(before));
    const names = (lines: string[]) =>
      JSON.parse(lines.find((l) => l.startsWith(`${dir}/ listing `))!.slice(dir.length + 10));
    assertEquals(
      names(after),
      names(before).filter((x: string) => !removed.some((p) => p.endsWith(`/${x}`))),
    );
    assertEquals(await snapshotTree(elsewhere), beforeElsewhere, "the symlink's target is intact");
    assert((await Deno.lstat(linked.partial)).isSymlink, "the planted symlink stays");
    withStore(sb, (s) => {
      assertEquals(
        s.downloads.all().map((r) => r.id).sort(),
        [running.id, recent.id, linked.id, noHash.id, pulling.id].sort(),
      );
    });

    // Once the owner and the pull holding the lock are gone, theirs go too.
    sleeper.kill("SIGKILL");
    await sleeper.status;
    locker.kill("SIGKILL");
    await locker.status;
    locker = undefined;
    const later = await sb.run(["--cleanup", "-n"]);
    assertEquals(later.code, 0, later.stderr);
    assertStringIncludes(later.stdout, `     2.0 MiB  ${running.partial} — left by a download`);
    assertStringIncludes(later.stdout, `     1.0 MiB  ${pulling.partial} — left by a download`);
    assertMatch(later.stdout, /2 items; would free 3\.0 MiB\./);
  } finally {
    try {
      sleeper.kill("SIGKILL");
    } catch { /* already gone */ }
    await sleeper.status;
    if (locker) {
      locker.kill("SIGKILL");
      await locker.status;
    }
    await sb.cleanup();
  }
});

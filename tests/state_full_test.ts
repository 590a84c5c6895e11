/**
 * A full state disk, for real: the state directory is a small tmpfs filled
 * until `ENOSPC`. Starting a server must not leave it running unrecorded,
 * and every command that needs to write the state says which disk is full
 * (exit 74), never "internal error" or "cannot rollback", and loses nothing.
 */

import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { makeSandbox, type Sandbox, withStore } from "./sandbox.ts";
import { freePort, pollUntil, seedModels } from "./fixtures/fake_server.ts";
import { CAN_MOUNT, fillDisk, withTmpfs } from "./mounts.ts";
import { StateStore } from "../lib/state/store.ts";
import { identityFields } from "../lib/server/records.ts";

/** Pids of processes whose command line mentions `text`. */
function processesMentioning(text: string): number[] {
  const out: number[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name) || Number(e.name) === Deno.pid) continue;
    try {
      if (Deno.readTextFileSync(`/proc/${e.name}/cmdline`).includes(text)) out.push(Number(e.name));
    } catch {
      // gone
    }
  }
  return out;
}

function portFree(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

/**
 * A sandbox whose state dir is a 4 MiB tmpfs, with two models recorded. The
 * server logs live on another disk (a `logs` symlink), so a server could run:
 * what is full is the database's disk.
 */
async function withFullState(
  fn: (sb: Sandbox, holder: StateStore) => Promise<void>,
  prepare: (store: StateStore) => void = () => {},
): Promise<void> {
  const sb = await makeSandbox();
  try {
    await withTmpfs(sb.state, "size=4m", async () => {
      await seedModels(sb, [
        { id: "Gemma2-9B-Q5_K.gguf", hdd: ["Gemma2-9B-Q5_K.gguf"] },
        { id: "Qwen3-8B-Q4_K_M.gguf", hdd: ["Qwen3-8B-Q4_K_M.gguf"] },
      ]);
      await Deno.mkdir(`${sb.root}/logs`);
      await Deno.symlink(`${sb.root}/logs`, `${sb.state}/logs`);
      // Another llama-pack (a foreground run) has the database open: reads
      // still work on the full disk, writes cannot.
      const holder = StateStore.open(sb.state);
      try {
        prepare(holder);
        holder.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
        await fillDisk(sb.state);
        await fn(sb, holder);
      } finally {
        holder.close();
        for (const pid of processesMentioning(sb.root)) {
          try {
            Deno.kill(pid, "SIGKILL");
          } catch {
            // gone
          }
        }
      }
    });
  } finally {
    await sb.cleanup();
  }
}

Deno.test({
  name: "-m -d on a full state disk: the server is never left running unrecorded",
  ignore: !CAN_MOUNT,
  fn: async () => {
    await withFullState(async (sb) => {
      const port = freePort();
      const r = await sb.run(["-m", "gemma", "-d", "-p", String(port)]);
      // Nothing of it runs: not on the port, not as a process.
      assert(await pollUntil(() => portFree(port), 3_000), "the port is free");
      await new Promise((res) => setTimeout(res, 500));
      assert(portFree(port), `no server came up later either (${r.stderr})`);
      assertEquals(processesMentioning(`${sb.hdd}/Gemma2-9B-Q5_K.gguf`), []);
      assertEquals(r.code, 74, r.stderr);
      assertStringIncludes(
        r.stderr,
        `error: no space left on the file system holding ${sb.state}: cannot write the state database ${sb.state}/state.db\n`,
      );
      assert(!r.stderr.includes("internal error"), r.stderr);
    });
  },
});

Deno.test({
  name: "--update, -k, --killall on a full state disk name the full disk, exit 74, lose nothing",
  ignore: !CAN_MOUNT,
  fn: async (t) => {
    const dead = new Deno.Command("true").spawn();
    await dead.status;
    // A record of a server that has exited: -k and --killall forget it, a write.
    const stale = (store: StateStore) =>
      store.addServer({
        host: "127.0.0.1",
        port: 1,
        ...identityFields({ pid: dead.pid, startTime: 1, cmdline: ["llama-server", "-m", "x"] }),
        model_id: "Gemma2-9B-Q5_K.gguf",
        model_path: "/x",
        tier: "hdd",
        log_path: "/x.log",
        started_at: 0,
        use_id: null,
      });
    await withFullState(async (sb, holder) => {
      const before = { models: holder.models(), files: holder.files(), servers: holder.servers() };
      const full = new RegExp(
        `^error: no space left on the file system holding ${sb.state}: cannot (write|read|open) the state database ${sb.state}/state\\.db\\nhint: free some space there`,
      );
      for (const args of [["-u"], ["-k", "-p", "1"], ["--killall"]]) {
        await t.step(args.join(" "), async () => {
          const r = await sb.run(args);
          assert(!r.stderr.includes("cannot rollback"), r.stderr);
          assert(!r.stderr.includes("internal error"), r.stderr);
          assertEquals(r.code, 74, r.stderr);
          assertMatch(r.stderr, full);
        });
      }
      await t.step("reading still works", async () => {
        const r = await sb.run(["-l"]);
        assertEquals(r.code, 0, r.stderr);
        assertStringIncludes(r.stdout, "Gemma2-9B-Q5_K.gguf");
      });
      await t.step("nothing was lost or half-written", () => {
        assertEquals(holder.models(), before.models);
        assertEquals(holder.files(), before.files);
        assertEquals(holder.servers(), before.servers);
      });
      await t.step("with no other connection, even opening says the disk is full", async () => {
        holder.close(); // its shared-memory file is gone: fill the room it left
        await fillDisk(sb.state);
        const r = await sb.run(["-l"]);
        assertEquals(r.code, 74, r.stderr);
        assertMatch(r.stderr, full);
      });
      await t.step("once there is room again, everything is there", async () => {
        for (const f of Deno.readDirSync(sb.state)) {
          if (f.name.startsWith(".filler")) await Deno.remove(`${sb.state}/${f.name}`);
        }
        const k = await sb.run(["--killall"]);
        assertEquals(k.code, 0, k.stderr);
        const models = withStore(sb, (s) => s.models().map((m) => m.id));
        assertEquals(models, before.models.map((m) => m.id));
        assertEquals(withStore(sb, (s) => s.servers()), []);
      });
    }, stale);
  },
});

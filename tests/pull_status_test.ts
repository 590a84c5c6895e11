/**
 * `--status` while `--pull` downloads, with real processes against the fake
 * hub: a slow pull in a child process shows in `--status` (text, `--json`,
 * `-v`) with its percent growing between two calls; after a `kill -9` it
 * shows as interrupted with the `--pull` that resumes it; running that
 * resumes with `Range` and leaves `--status` clean. A download started
 * through `--serve`'s `POST /api/models {hf_path}` shows too, owned by the
 * `--serve`. A state disk that is full or read-only stops a pull before a
 * byte is written (exit 74, naming the database).
 */

import { createHash } from "node:crypto";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { api, withApi } from "./api_world.ts";
import { type FakeHub, type FakeRepo, startFakeHub } from "./fixtures/fake_hub.ts";
import { ggufBytes } from "./fixtures/hub_models.ts";
import { CAN_MOUNT, fillDisk, runQuiet, withTmpfs } from "./mounts.ts";
import { makeSandbox, type Sandbox, withStore } from "./sandbox.ts";
import { StateStore } from "../lib/state/store.ts";

const MB = 1_000_000;
const Q8 = await ggufBytes("slow-Q8_0.gguf", 16 * MB, { fileType: "Q8_0" });
const REPOS: FakeRepo[] = [{
  id: "org/slow-GGUF",
  revisions: { main: [{ path: "slow-Q8_0.gguf", bytes: Q8 }] },
}];
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

interface Download {
  file: string;
  tier: string;
  target: string;
  state: string;
  percent: number;
  bytes_done: number;
  bytes_total: number;
  bytes_per_second: number | null;
  eta_s: number | null;
  pid: number;
  owner: string;
  resume: string | null;
  message: string | null;
}

async function withHub(fn: (sb: Sandbox, hub: FakeHub) => Promise<void>) {
  const hub = await startFakeHub({ repos: REPOS });
  const sb = await makeSandbox();
  sb.env.HF_ENDPOINT = hub.url;
  try {
    await fn(sb, hub);
  } finally {
    await sb.cleanup();
    await hub.close();
  }
}

async function statusDownloads(sb: Sandbox): Promise<Download[]> {
  const r = await sb.run(["--status", "--json"]);
  assertEquals(r.code, 0, r.stderr);
  return JSON.parse(r.stdout).downloads;
}

/** Polls `--status --json` until a download matches, or fails after 30 s. */
async function waitForDownload(sb: Sandbox, ok: (d: Download) => boolean): Promise<Download> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const found = (await statusDownloads(sb)).find(ok);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("no such download in --status");
}

const temps = (dir: string) =>
  [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) => n.endsWith(".llama-pack-download"));

Deno.test("--status shows a running --pull growing, then interrupted after kill -9, and clean once the same --pull resumed it", async () => {
  await withHub(async (sb, hub) => {
    hub.faults.throttle = 1.5 * MB;
    const child = sb.spawn(["--pull", "org/slow-GGUF:Q8_0", "--no-mmproj"]);
    const dir = `${sb.hdd}/org/slow-GGUF`;
    try {
      const target = `${dir}/slow-Q8_0.gguf`;
      const first = await waitForDownload(sb, (d) => d.bytes_done > 0);
      await new Promise((r) => setTimeout(r, 1500));
      const second = (await statusDownloads(sb))[0]!;
      assertEquals(
        [second.file, second.tier, second.target, second.state, second.pid, second.owner],
        ["slow-Q8_0.gguf", "hdd", target, "downloading", child.pid, `pid ${child.pid}`],
      );
      assert(second.percent > first.percent, `${first.percent}% then ${second.percent}%`);
      assert(second.percent < 100 && second.bytes_total === Q8.length, String(second.percent));
      assert(second.bytes_per_second! > 0 && second.bytes_per_second! < 3 * MB);
      assert(second.eta_s! > 0, String(second.eta_s));
      assertEquals(second.resume, null);

      const text = await sb.run(["--status", "-v"], { env: { COLUMNS: "200" } });
      assertEquals(text.code, 0, text.stderr);
      assertStringIncludes(text.stdout, "Downloads from Hugging Face:");
      assertMatch(text.stdout, /FILE +TO +STATE +PROGRESS +SPEED +ETA +BY\n/);
      assertMatch(
        text.stdout,
        new RegExp(
          `org/slow-GGUF/slow-Q8_0\\.gguf +hdd +downloading +\\d+% \\([\\d.]+ MiB of 15\\.3 MiB\\) +[\\d.]+ MB/s +(?:\\d+m )?\\d+s +pid ${child.pid}\\n`,
        ),
      );
      assertMatch(
        text.stdout,
        new RegExp(
          `  org/slow-GGUF:Q8_0 from org/slow-GGUF@main \\(commit ${
            hub.commit("org/slow-GGUF").slice(0, 10)
          }\\) to ${target}; started \\d+s ago, updated \\d+s ago\\n`,
        ),
      );

      // Killed once a first block is on disk (bytes arrive in 4 MiB blocks).
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        const t = temps(dir)[0];
        if (t !== undefined && Deno.statSync(`${dir}/${t}`).size > 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      child.kill("SIGKILL");
      assertEquals((await child.status).signal, "SIGKILL");
    } finally {
      await child.stdout.cancel().catch(() => {});
      await child.stderr.cancel().catch(() => {});
      try {
        child.kill("SIGKILL");
      } catch {
        // gone
      }
    }
    assertEquals(temps(dir).length, 1);
    assert(!(await Deno.stat(`${dir}/slow-Q8_0.gguf`).then(() => true, () => false)));

    const dead = (await statusDownloads(sb))[0]!;
    assertEquals([dead.state, dead.bytes_per_second, dead.eta_s, dead.owner], [
      "interrupted",
      null,
      null,
      `pid ${child.pid}, gone`,
    ]);
    assertEquals(dead.resume, "llama-pack --pull org/slow-GGUF:Q8_0 --no-mmproj");
    const text = await sb.run(["--status"], { env: { COLUMNS: "200" } });
    assertMatch(text.stdout, /org\/slow-GGUF\/slow-Q8_0\.gguf +hdd +interrupted +\d+% /);
    assertStringIncludes(
      text.stdout,
      `  interrupted: its process (pid ${child.pid}) stopped before the file was complete; to resume: llama-pack --pull org/slow-GGUF:Q8_0 --no-mmproj\n`,
    );

    // The very command it names resumes it.
    const kept = Deno.statSync(`${dir}/${temps(dir)[0]}`).size;
    hub.faults.throttle = 0;
    const before = hub.requests.length;
    const again = await sb.run(dead.resume!.split(" ").slice(1));
    assertEquals(again.code, 0, again.stderr);
    const cdn = hub.requests.slice(before).filter((r) => r.server === "cdn");
    assertEquals(cdn.map((r) => r.range), [`bytes=${kept}-`]);
    assertEquals(sha(await Deno.readFile(`${dir}/slow-Q8_0.gguf`)), sha(Q8));
    const rows = withStore(sb, (s) => s.downloads.all());
    assertEquals(rows.map((r) => [r.repo_path, r.state, r.bytes_start, r.bytes_done]), [
      ["slow-Q8_0.gguf", "done", kept, Q8.length],
    ]);
    assertEquals(await statusDownloads(sb), []);
    const clean = await sb.run(["--status"]);
    assert(!clean.stdout.includes("Downloads"), clean.stdout);
  });
});

Deno.test("--status shows a pull stopped with Ctrl-C as interrupted (its row says so, its owner still there or not)", async () => {
  await withHub(async (sb, hub) => {
    hub.faults.throttle = 1 * MB;
    const child = sb.spawn(["--pull", "org/slow-GGUF", "--to", sb.hdd]);
    await waitForDownload(sb, (d) => d.bytes_done > 0);
    child.kill("SIGINT");
    const out = await child.output();
    assertEquals(out.code, 130, new TextDecoder().decode(out.stderr));
    const [d] = await statusDownloads(sb);
    assertEquals(d!.state, "interrupted");
    assertEquals(d!.message, "stopped (interrupted); what was downloaded is kept to resume");
    // A directory target is resumed by its absolute path.
    assertEquals(d!.resume, `llama-pack --pull org/slow-GGUF --to ${sb.hdd}`);
  });
});

Deno.test("a download through --serve's POST /api/models {hf_path} shows in --status, owned by the --serve", async () => {
  const hub = await startFakeHub({ repos: REPOS });
  hub.faults.throttle = 1 * MB;
  try {
    await withApi(
      async (sb, serve) => {
        const r = await api(serve, "POST", "/api/models", {
          hf_path: "org/slow-GGUF",
          cache_location: "secondary",
        });
        assertEquals(r.status, 202, JSON.stringify(r.body));
        const d = await waitForDownload(sb, (x) => x.bytes_done > 0);
        assertEquals([d.file, d.tier, d.state, d.pid], [
          "slow-Q8_0.gguf",
          "hdd",
          "downloading",
          serve.pid,
        ]);
        assertMatch(d.owner, new RegExp(`^--serve 127\\.0\\.0\\.1:\\d+ \\(pid ${serve.pid}\\)$`));
        const text = await sb.run(["--status"], { env: { COLUMNS: "200" } });
        assertMatch(
          text.stdout,
          /org\/slow-GGUF\/slow-Q8_0\.gguf +hdd +downloading +\d+% .*--serve 127\.0\.0\.1:\d+ \(pid \d+\)\n/,
        );
        hub.faults.throttle = 0;
        const deadline = Date.now() + 30_000;
        while ((await statusDownloads(sb)).length > 0 && Date.now() < deadline) {
          await new Promise((res) => setTimeout(res, 200));
        }
        assertEquals(await statusDownloads(sb), []);
        assertEquals(withStore(sb, (s) => s.downloads.all().map((x) => x.state)), ["done"]);
      },
      {},
      { env: { HF_ENDPOINT: hub.url } },
    );
  } finally {
    await hub.close();
  }
});

Deno.test({
  name:
    "--pull on a full or read-only state disk fails before a byte is written: exit 74 naming the database",
  ignore: !CAN_MOUNT,
  fn: async (t) => {
    await withHub(async (sb, hub) => {
      await withTmpfs(sb.state, "size=4m", async () => {
        StateStore.open(sb.state).close(); // a migrated database, as any earlier run leaves it
        const cdn = () =>
          hub.requests.filter((r) => r.server === "cdn" || r.path.includes("/resolve/"));
        await t.step("full", async () => {
          const holder = StateStore.open(sb.state); // another llama-pack has it open
          try {
            holder.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
            await fillDisk(sb.state);
            const r = await sb.run(["--pull", "org/slow-GGUF"]);
            assertEquals(r.code, 74, r.stderr);
            assertStringIncludes(
              r.stderr,
              `error: no space left on the file system holding ${sb.state}: cannot write the state database ${sb.state}/state.db\n`,
            );
            assertEquals(cdn(), []);
            assertEquals(
              [...Deno.readDirSync(sb.hdd)],
              [],
              "nothing in the target, not even a directory",
            );
          } finally {
            holder.close();
            for (const f of Deno.readDirSync(sb.state)) {
              if (f.name.startsWith(".filler")) await Deno.remove(`${sb.state}/${f.name}`);
            }
          }
        });
        await t.step("read-only", async () => {
          const ro = await runQuiet("mount", ["-o", "remount,ro", sb.state]);
          assert(ro.ok, ro.stderr);
          try {
            const r = await sb.run(["--pull", "org/slow-GGUF"]);
            assertEquals(r.code, 74, r.stderr);
            assertMatch(
              r.stderr,
              new RegExp(`^error: cannot \\w+ the state database ${sb.state}/state\\.db: `),
            );
            assertEquals(cdn(), []);
            assertEquals([...Deno.readDirSync(sb.hdd)], []);
          } finally {
            await runQuiet("mount", ["-o", "remount,rw", sb.state]);
          }
        });
        await t.step("once the disk takes writes again, the pull runs", async () => {
          const r = await sb.run(["--pull", "org/slow-GGUF"]);
          assertEquals(r.code, 0, r.stderr);
          assertEquals(withStore(sb, (s) => s.downloads.all().map((x) => x.state)), ["done"]);
        });
      });
    });
  },
});

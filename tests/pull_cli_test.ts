/**
 * `llama-pack --pull` end to end: the real CLI against the fake hub on
 * loopback, in a sandbox. Downloads, layout, indexing, `-m`, JSON lines, the
 * progress bar, a `kill -9` mid-download and the resume, a real tmpfs with no
 * room (refused before a byte moves) and one that fills up mid-download,
 * corrupted bytes, unknown repositories and tags, a gated repository, and the
 * token never printed.
 */

import { createHash } from "node:crypto";
import { runApp } from "../lib/app.ts";
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { type FakeHub, type FakeRepo, startFakeHub } from "./fixtures/fake_hub.ts";
import { ggufBytes } from "./fixtures/hub_models.ts";
import { makeSandbox, type Sandbox } from "./sandbox.ts";

const MB = 1_000_000;
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

const FILES = {
  q4a: await ggufBytes("Q4_K_M/vision-Q4_K_M-00001-of-00002.gguf", 2 * MB, {
    fileType: "Q4_K_M",
    split: { no: 0, count: 2 },
  }),
  q4b: await ggufBytes("Q4_K_M/vision-Q4_K_M-00002-of-00002.gguf", 2 * MB, {
    fileType: "Q4_K_M",
    split: { no: 1, count: 2 },
  }),
  q8: await ggufBytes("vision-Q8_0.gguf", 10 * MB, { fileType: "Q8_0" }),
  mmproj: await ggufBytes("mmproj-F16.gguf", 500_000),
  gated: await ggufBytes("secret-Q4_K_M.gguf", 1 * MB),
};

const REPOS: FakeRepo[] = [
  {
    id: "org/vision-GGUF",
    revisions: {
      main: [
        { path: "README.md", bytes: new TextEncoder().encode("# vision\n") },
        { path: "Q4_K_M/vision-Q4_K_M-00001-of-00002.gguf", bytes: FILES.q4a },
        { path: "Q4_K_M/vision-Q4_K_M-00002-of-00002.gguf", bytes: FILES.q4b },
        { path: "vision-Q8_0.gguf", bytes: FILES.q8 },
        { path: "mmproj-F16.gguf", bytes: FILES.mmproj },
      ],
    },
  },
  {
    id: "org/gated-GGUF",
    gated: true,
    revisions: { main: [{ path: "secret-Q4_K_M.gguf", bytes: FILES.gated }] },
  },
];

async function withHub(fn: (sb: Sandbox, hub: FakeHub) => Promise<void>) {
  const hub = await startFakeHub({ repos: REPOS, tokens: ["hf_granted_token_0123456789"] });
  const sb = await makeSandbox();
  sb.env.HF_ENDPOINT = hub.url;
  try {
    await fn(sb, hub);
  } finally {
    await sb.cleanup();
    await hub.close();
  }
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...walk(p));
    else out.push(p);
  }
  return out.sort();
}

const downloads = (hub: FakeHub) =>
  hub.requests.filter((r) => r.server === "cdn" || r.path.includes("/resolve/"));

Deno.test("--pull downloads the shards and the projector into the HDD; -l lists the model and -m runs it", async () => {
  await withHub(async (sb, hub) => {
    const r = await sb.run(["--pull", "org/vision-GGUF"]);
    assertEquals(r.code, 0, r.stderr);
    const dir = `${sb.hdd}/org/vision-GGUF/Q4_K_M`;
    assertEquals(walk(sb.hdd), [
      `${dir}/mmproj-F16.gguf`,
      `${dir}/vision-Q4_K_M-00001-of-00002.gguf`,
      `${dir}/vision-Q4_K_M-00002-of-00002.gguf`,
    ]);
    assertEquals(
      sha(await Deno.readFile(`${dir}/vision-Q4_K_M-00002-of-00002.gguf`)),
      sha(FILES.q4b),
    );
    assertStringIncludes(r.stdout, "pulled org/vision-GGUF:Q4_K_M: 4.3 MiB downloaded");
    assertStringIncludes(r.stdout, "every sha256 verified");
    assertStringIncludes(r.stdout, "(+1 shard)");
    assertStringIncludes(r.stdout, 'run it: llama-pack -m "vision-Q4_K_M');
    assert(downloads(hub).every((x) => !x.path.includes("Q8_0")), "only the chosen quant");

    const list = await sb.run(["-l"]);
    assertEquals(list.code, 0, list.stderr);
    assertStringIncludes(list.stdout, "vision-Q4_K_M");
    const run = await sb.run(["-m", "vision", "-n"]);
    assertEquals(run.code, 0, run.stderr);
    assertStringIncludes(run.stdout, `-m ${dir}/vision-Q4_K_M-00001-of-00002.gguf`);
    assertStringIncludes(run.stdout, `--mmproj ${dir}/mmproj-F16.gguf`);
  });
});

Deno.test("--pull :TAG --no-mmproj --json prints the plan, progress and result as JSON lines", async () => {
  await withHub(async (sb) => {
    const r = await sb.run(["--pull", "org/vision-GGUF:q8_0", "--no-mmproj", "--json"]);
    assertEquals(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    assertEquals(lines[0].type, "plan");
    assertEquals(lines[0].files.map((f: { path: string }) => f.path), ["vision-Q8_0.gguf"]);
    assertEquals(lines.at(-1).type, "pulled");
    assertEquals(lines.at(-1).model.name, "vision-Q8_0.gguf");
    assertEquals(lines.at(-1).files[0].hash, sha(FILES.q8));
    const types = new Set(lines.map((l) => l.type));
    for (const t of ["start", "file", "progress", "file-done", "done"]) assert(types.has(t), t);
    assertEquals(walk(sb.hdd), [`${sb.hdd}/org/vision-GGUF/vision-Q8_0.gguf`]);
  });
});

Deno.test("--pull draws a progress bar on a terminal", async () => {
  await withHub(async (sb, hub) => {
    hub.faults.throttle = 8 * MB;
    let out = "";
    let err = "";
    const code = await runApp(["--pull", "org/vision-GGUF:Q8_0", "--no-mmproj"], {
      env: sb.env,
      isTty: true,
      columns: 120,
      out: (t) => out += t,
      err: (t) => err += t,
    });
    assertEquals(code, 0, err);
    assert(
      /\r\[#*\.*\] +\d+% {2}[\d.]+ MiB \/ 9\.5 MiB {2}[\d.]+ MB\/s {2}ETA /.test(err),
      JSON.stringify(err.slice(0, 300)),
    );
    assertStringIncludes(err, "vision-Q8_0.gguf");
    assertStringIncludes(out, "pulled org/vision-GGUF:Q8_0");
  });
});

Deno.test("--pull resumes with Range after a kill -9 of the real CLI, never leaving a partial file under its name", async () => {
  await withHub(async (sb, hub) => {
    hub.faults.throttle = 2 * MB;
    const dir = `${sb.hdd}/org/vision-GGUF`;
    const child = sb.spawn(["--pull", "org/vision-GGUF:Q8_0", "--no-mmproj"]);
    let kept = 0;
    const deadline = Date.now() + 30_000;
    while (kept === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      const temp = [...(await Array.fromAsync(Deno.readDir(dir)).catch(() => []))].find((e) =>
        e.name.endsWith(".llama-pack-download")
      );
      if (temp) kept = (await Deno.stat(`${dir}/${temp.name}`)).size;
    }
    child.kill("SIGKILL");
    const status = await child.status;
    await child.stdout.cancel();
    await child.stderr.cancel();
    assertEquals(status.signal, "SIGKILL");
    assert(kept > 0 && kept < FILES.q8.length, `killed with ${kept} bytes on disk`);

    const names = [...Deno.readDirSync(dir)].map((e) => e.name);
    assertEquals(names.length, 1);
    assert(
      names[0]!.startsWith(".vision-Q8_0.gguf.") && names[0]!.endsWith(".llama-pack-download"),
      names[0],
    );
    const update = await sb.run(["-u"]);
    assertEquals(update.code, 0, update.stderr);
    assert(
      !(await sb.run(["-l"])).stdout.includes("vision-Q8_0"),
      "a partial download is never indexed",
    );

    kept = (await Deno.stat(`${dir}/${names[0]}`)).size;
    hub.faults.throttle = 0;
    const before = hub.requests.length;
    const r = await sb.run(["--pull", "org/vision-GGUF:Q8_0", "--no-mmproj"]);
    assertEquals(r.code, 0, r.stderr);
    assertStringIncludes(r.stdout, `(resume from `);
    const again = hub.requests.slice(before).filter((x) => x.server === "cdn");
    assertEquals(again.map((x) => [x.range, x.status]), [[`bytes=${kept}-`, 206]]);
    assertEquals(again[0]!.sent, FILES.q8.length - kept, "only the missing bytes are fetched");
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), ["vision-Q8_0.gguf"]);
    assertEquals(sha(await Deno.readFile(`${dir}/vision-Q8_0.gguf`)), sha(FILES.q8));
    assertStringIncludes((await sb.run(["-l"])).stdout, "vision-Q8_0.gguf");
  });
});

Deno.test("--pull fails on corrupted bytes naming both hashes, and leaves nothing behind", async () => {
  await withHub(async (sb, hub) => {
    hub.faults.corrupt.add("vision-Q8_0.gguf");
    const r = await sb.run(["--pull", "org/vision-GGUF:Q8_0", "--no-mmproj"]);
    assertEquals(r.code, 1);
    assertStringIncludes(
      r.stderr,
      `error: vision-Q8_0.gguf: sha256 mismatch: expected ${sha(FILES.q8)}, got `,
    );
    assertStringIncludes(r.stderr, "the downloaded file was deleted");
    assertEquals(walk(sb.hdd), []);
  });
});

Deno.test("--pull refuses unknown repositories and tags, bad targets, and gated repositories without access", async (t) => {
  await withHub(async (sb, hub) => {
    const cases: [string, string[], Record<string, string>, number, string[]][] = [
      ["unknown repository", ["--pull", "org/nope-GGUF"], {}, 2, [
        `error: repository org/nope-GGUF not found on ${hub.url}`,
        "hint: if it is private, set HF_TOKEN",
      ]],
      ["unknown tag", ["--pull", "org/vision-GGUF:IQ1_S"], {}, 2, [
        "error: org/vision-GGUF has no model file for tag 'IQ1_S'; its tags: Q4_K_M, Q8_0",
      ]],
      ["unknown revision", ["--pull", "org/vision-GGUF", "--revision", "v9"], {}, 2, [
        "error: revision 'v9' not found in org/vision-GGUF",
      ]],
      ["not a configured directory", ["--pull", "org/vision-GGUF", "--to", "/elsewhere"], {}, 2, [
        "error: option '--to': /elsewhere is not a configured model directory",
      ]],
      ["gated, no token", ["--pull", "org/gated-GGUF"], {}, 1, [
        "error: org/gated-GGUF is gated: the hub needs a token (401)",
        `hint: accept its terms at ${hub.url}/org/gated-GGUF`,
      ]],
      [
        "gated, a token without access",
        ["--pull", "org/gated-GGUF"],
        { HF_TOKEN: "hf_not_granted_SECRET" },
        1,
        ["error: org/gated-GGUF is gated and the hub refused HF_TOKEN (403)"],
      ],
      [
        "a hub that is not there",
        ["--pull", "org/vision-GGUF"],
        { HF_ENDPOINT: "http://127.0.0.1:9" },
        1,
        ["error: cannot reach the hub at http://127.0.0.1:9"],
      ],
    ];
    for (const [name, args, env, code, want] of cases) {
      await t.step(name, async () => {
        const r = await sb.run(args, { env });
        assertEquals(r.code, code, r.stderr);
        for (const w of want) assertStringIncludes(r.stderr, w);
        assert(!r.stderr.includes("    at "), "no stack trace");
        assert(!`${r.stdout}${r.stderr}`.includes("SECRET"), "the token is never printed");
      });
    }
    assertEquals(downloads(hub).filter((x) => x.server === "cdn"), []);
    assertEquals(walk(sb.hdd), []);
    await t.step("gated, with a token the hub accepts", async () => {
      const r = await sb.run(["--pull", "org/gated-GGUF"], {
        env: { HF_TOKEN: "hf_granted_token_0123456789" },
      });
      assertEquals(r.code, 0, r.stderr);
      assert(!`${r.stdout}${r.stderr}`.includes("hf_granted"), "the token is never printed");
      assert(hub.requests.filter((x) => x.server === "cdn").every((x) => x.authorization === null));
    });
    for (const f of walk(sb.state)) {
      assert(!(await Deno.readFile(f)).toString().includes("hf_granted"), `token in ${f}`);
    }
  });
});

Deno.test("--pull --to primary puts the model on the SSD as an SSD-only model, and says so", async () => {
  await withHub(async (sb) => {
    const r = await sb.run(["--pull", "org/vision-GGUF:Q8_0", "--no-mmproj", "--to", "primary"]);
    assertEquals(r.code, 0, r.stderr);
    assertStringIncludes(r.stdout, "it lives on the SSD only, with no HDD copy");
    assertEquals(walk(sb.ssd), [`${sb.ssd}/org/vision-GGUF/vision-Q8_0.gguf`]);
    assertEquals(walk(sb.hdd), []);
    const list = await sb.run(["-l", "--json"]);
    const models = JSON.parse(list.stdout).models ?? JSON.parse(list.stdout);
    const m = (models as { name: string; ssdOnly?: boolean; ssd_only?: boolean }[]).find((x) =>
      x.name === "vision-Q8_0.gguf"
    );
    assert(m && (m.ssdOnly ?? m.ssd_only), list.stdout.slice(0, 400));
  });
});

/** Mounts a tmpfs of `size` on `dir` (root only); `false` when it cannot. */
async function mountTmpfs(dir: string, size: string): Promise<boolean> {
  const out = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir],
    stdout: "null",
    stderr: "null",
  }).output().catch(() => ({ success: false }));
  return out.success;
}

async function umount(dir: string): Promise<void> {
  await new Deno.Command("umount", { args: [dir], stdout: "null", stderr: "null" }).output();
}

Deno.test("--pull into a real tmpfs: refused before any download when it has no room", async () => {
  await withHub(async (sb, hub) => {
    if (!(await mountTmpfs(sb.hdd, "8m"))) {
      console.log("  (skipped: cannot mount a tmpfs here; needs root)");
      return;
    }
    try {
      const r = await sb.run(["--pull", "org/vision-GGUF:Q8_0"]);
      assertEquals(r.code, 1);
      assertStringIncludes(
        r.stderr,
        `error: not enough room for org/vision-GGUF:Q8_0 (10.0 MiB to download): 10.0 MiB does not fit on hdd (${sb.hdd}): 8.0 MiB free on the disk`,
      );
      assertStringIncludes(r.stderr, "hint: --recommend 0.1g: ssd: the SSD loads fastest");
      assertStringIncludes(r.stderr, "pull there with --to primary");
      assertEquals(downloads(hub), []);
      assertEquals(walk(sb.hdd), []);
    } finally {
      await umount(sb.hdd);
    }
  });
});

Deno.test("--pull into a real tmpfs that fills up mid-download keeps what it has and resumes once there is room", async () => {
  await withHub(async (sb, hub) => {
    if (!(await mountTmpfs(sb.hdd, "16m"))) {
      console.log("  (skipped: cannot mount a tmpfs here; needs root)");
      return;
    }
    try {
      hub.faults.throttle = 2 * MB;
      const child = sb.spawn(["--pull", "org/vision-GGUF:Q8_0", "--no-mmproj"]);
      const dir = `${sb.hdd}/org/vision-GGUF`;
      let temp: string | undefined;
      const deadline = Date.now() + 30_000;
      while (Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
        const seen = await Array.fromAsync(Deno.readDir(dir)).catch(() => []);
        const t = seen.find((e) => e.name.endsWith(".llama-pack-download"));
        if (t && (await Deno.stat(`${dir}/${t.name}`)).size > 0) {
          temp = `${dir}/${t.name}`;
          break;
        }
      }
      assert(temp, "the download started");
      // Another program fills the disk.
      const fill = await Deno.open(`${sb.hdd}/filler.bin`, { write: true, create: true });
      const chunk = new Uint8Array(256 * 1024);
      try {
        while (true) await fill.write(chunk);
      } catch {
        // ENOSPC: the tmpfs is full.
      }
      fill.close();
      hub.faults.throttle = 0;
      const out = await child.output();
      const stderr = new TextDecoder().decode(out.stderr);
      assertEquals(out.code, 1, stderr);
      assertStringIncludes(stderr, `no space left on ${dir}`);
      assertStringIncludes(stderr, "already downloaded is kept to resume");
      assert(
        !walk(sb.hdd).some((p) => p.endsWith("/vision-Q8_0.gguf")),
        "nothing under a final name",
      );
      const kept = (await Deno.stat(temp)).size;
      assert(kept > 0 && kept < FILES.q8.length, `kept ${kept}`);

      await Deno.remove(`${sb.hdd}/filler.bin`);
      const before = hub.requests.length;
      const r = await sb.run(["--pull", "org/vision-GGUF:Q8_0", "--no-mmproj"]);
      assertEquals(r.code, 0, r.stderr);
      const first = hub.requests.slice(before).find((x) => x.server === "cdn");
      assertEquals(first?.range, `bytes=${kept}-`);
      assertEquals(sha(await Deno.readFile(`${dir}/vision-Q8_0.gguf`)), sha(FILES.q8));
    } finally {
      await umount(sb.hdd);
    }
  });
});

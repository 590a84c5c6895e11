/**
 * Download throughput of llama-pack's hub download ({@linkcode downloadFile}:
 * redirect followed by hand, streamed to a temp file while hashing SHA-256,
 * fsynced, linked into place) against `curl` on loopback, from the fake hub
 * (`tests/fixtures/fake_hub.ts`) running as its own process.
 *
 * `deno run -A bench/pull_bench.ts [SIZE] [ROUNDS]` (default 1g, 5 rounds)
 * prints the median of each variant: `curl -L` alone (no hash, no fsync),
 * `curl -L` then `sha256sum` and `sync` (the same guarantees as ours), and
 * `downloadFile` — writing to the disk of the temp dir, and (as root) to a
 * tmpfs, where the disk is out of the way and the clients themselves are
 * measured. Under `deno bench` it registers a small in-process run.
 *
 * @module
 */

import { downloadFile } from "../lib/hub/download.ts";
import { hubFetch } from "../lib/hub/hub_client.ts";
import { formatSize, parseSize } from "../lib/core/units.ts";
import { startFakeHub } from "../tests/fixtures/fake_hub.ts";
import { writeRandomFile } from "../tests/fs_util.ts";

async function sh(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) throw new Error(`${cmd} failed: ${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

interface Source {
  hub: string;
  url: string;
  size: number;
  sha256: string;
}

const VARIANTS: { name: string; run: (s: Source, dest: string) => Promise<void> }[] = [
  { name: "curl -L", run: async (s, dest) => void await sh("curl", ["-sSfL", "-o", dest, s.url]) },
  {
    name: "curl -L + sha256sum + sync",
    run: async (s, dest) => {
      await sh("curl", ["-sSfL", "-o", dest, s.url]);
      if (!(await sh("sha256sum", [dest])).startsWith(s.sha256)) throw new Error("bad hash");
      await sh("sync", [dest]);
    },
  },
  {
    name: "llama-pack downloadFile",
    run: async (s, dest) => {
      await downloadFile({ url: s.url, size: s.size, sha256: s.sha256 }, dest, {
        fetch: hubFetch({ endpoint: s.hub }),
      });
    },
  },
];

async function main(): Promise<void> {
  const size = parseSize(Deno.args[0] ?? "1g", "size");
  const rounds = Number(Deno.args[1] ?? "5");
  const dir = await Deno.makeTempDir({ prefix: "llama-pack-pull-bench-" });
  const src = `${dir}/bench-Q4_K_M.gguf`;
  let hub: Deno.ChildProcess | undefined;
  let mounted: string | undefined;
  try {
    console.log(`writing ${formatSize(size)} of random data to ${src} ...`);
    await writeRandomFile(src, size);
    const sha256 = (await sh("sha256sum", [src])).split(" ")[0]!;
    hub = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("../tests/fixtures/fake_hub.ts", import.meta.url).pathname,
        "org/bench",
        src,
      ],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const reader = hub.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let first = "";
    while (!first.includes("\n")) first += (await reader.read()).value ?? "";
    const base = first.trim();
    const s: Source = {
      hub: base,
      url: `${base}/org/bench/resolve/main/bench-Q4_K_M.gguf`,
      size,
      sha256,
    };
    const targets: [string, string][] = [["disk", `${dir}/out`]];
    await Deno.mkdir(`${dir}/out`);
    await Deno.mkdir(`${dir}/tmpfs`);
    try {
      await sh("mount", [
        "-t",
        "tmpfs",
        "-o",
        `size=${size + (64 << 20)}`,
        "tmpfs",
        `${dir}/tmpfs`,
      ]);
      mounted = `${dir}/tmpfs`;
      targets.push(["tmpfs", mounted]);
    } catch {
      console.log("(cannot mount a tmpfs here: the tmpfs run is skipped)");
    }
    console.log(`${formatSize(size)}, ${rounds} rounds, median, loopback\n`);
    for (const [label, out] of targets) {
      const speeds = new Map<string, number[]>(VARIANTS.map((v) => [v.name, []]));
      for (let r = 0; r < rounds; r++) {
        for (let i = 0; i < VARIANTS.length; i++) {
          const v = VARIANTS[(i + r) % VARIANTS.length]!;
          const dest = `${out}/bench.gguf`;
          await Deno.remove(dest).catch(() => {});
          await sh("sync", []);
          const t = performance.now();
          await v.run(s, dest);
          speeds.get(v.name)!.push(size / ((performance.now() - t) / 1000));
          await Deno.remove(dest);
        }
      }
      const curl = median(speeds.get("curl -L")!);
      for (const [name, xs] of speeds) {
        const m = median(xs);
        console.log(
          `${label.padEnd(7)}${name.padEnd(30)}${(m / 1e6).toFixed(0).padStart(6)} MB/s  ${
            ((m / curl) * 100).toFixed(0).padStart(4)
          }% of curl`,
        );
      }
    }
  } finally {
    try {
      hub?.kill("SIGTERM");
      await hub?.status;
    } catch { /* already gone */ }
    if (mounted) await sh("umount", [mounted]);
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  await main();
} else {
  // `deno bench`: a 32 MiB download from an in-process fake hub.
  const bytes = new Uint8Array(32 << 20).map((_, i) => i * 7);
  const hub = await startFakeHub({
    repos: [{ id: "o/b", revisions: { main: [{ path: "b.gguf", bytes }] } }],
  });
  const dir = Deno.makeTempDirSync({ prefix: "llama-pack-bench-" });
  const sha256 = hub.sha256("o/b", "b.gguf");
  let n = 0;
  Deno.bench("downloadFile, 32 MiB over loopback", async () => {
    const dest = `${dir}/b-${n++}.gguf`;
    await downloadFile(
      { url: `${hub.url}/o/b/resolve/main/b.gguf`, size: bytes.length, sha256 },
      dest,
      {
        fetch: hubFetch({ endpoint: hub.url }),
      },
    );
    await Deno.remove(dest);
  });
  globalThis.addEventListener("unload", () => {
    Deno.removeSync(dir, { recursive: true });
    void hub.close();
  });
}

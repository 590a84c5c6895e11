/**
 * Throughput of {@linkcode copyToSsd} against `cp` (+ `sync` of the copy, since
 * copyToSsd fsyncs) on the same real-data (random, not sparse) file.
 *
 * `deno run -A bench/copy_bench.ts [SIZE] [ROUNDS] [--hdd-mbps N]` (default
 * 1g, 5 rounds) prints a table: same file system (temp dir on the disk) and,
 * when it can mount one (root), a tmpfs as a second file system. Page cache
 * is dropped before every run when `/proc/sys/vm/drop_caches` is writable, so
 * each run reads the source cold; otherwise all runs are warm (the table says
 * which). `--hdd-mbps N` throttles reads of the source's disk to N MB/s with
 * a cgroup-v1 blkio limit (root), so the source reads like a real HDD.
 *
 * Under `deno bench` it registers a small warm-cache comparison instead.
 *
 * @module
 */

import { copyToSsd } from "../lib/cache/copy.ts";
import { formatSize, parseSize } from "../lib/core/units.ts";
import { writeRandomFile } from "../tests/fs_util.ts";

async function run(cmd: string, args: string[]): Promise<boolean> {
  const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
  return out.success;
}

async function dropCaches(): Promise<boolean> {
  try {
    await run("sync", []);
    await Deno.writeTextFile("/proc/sys/vm/drop_caches", "3");
    return true;
  } catch {
    return false;
  }
}

interface Variant {
  name: string;
  copy: (src: string, dest: string, root: string) => Promise<void>;
}

const VARIANTS: Variant[] = [
  {
    name: "cp + sync",
    copy: async (src, dest) => {
      if (!(await run("cp", [src, dest]))) throw new Error("cp failed");
      if (!(await run("sync", [dest]))) throw new Error("sync failed");
    },
  },
  {
    name: "copyToSsd (verify)",
    copy: async (src, dest, root) => {
      await copyToSsd(src, dest, { ssdRoot: root });
    },
  },
  {
    name: "copyToSsd (no verify)",
    copy: async (src, dest, root) => {
      await copyToSsd(src, dest, { ssdRoot: root, verify: false });
    },
  },
];

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function measure(src: string, root: string, size: number, rounds: number, cold: boolean) {
  const speeds = new Map<string, number[]>(VARIANTS.map((v) => [v.name, []]));
  for (let r = 0; r < rounds; r++) {
    // Rotate the order so no variant always runs first.
    for (let i = 0; i < VARIANTS.length; i++) {
      const v = VARIANTS[(i + r) % VARIANTS.length]!;
      const dest = `${root}/bench-copy.gguf`;
      await Deno.remove(dest).catch(() => {});
      if (cold) await dropCaches();
      const t = performance.now();
      await v.copy(src, dest, root);
      const secs = (performance.now() - t) / 1000;
      speeds.get(v.name)!.push(size / secs);
      await Deno.remove(dest);
    }
  }
  return speeds;
}

const BLKIO = "/sys/fs/cgroup/blkio";

/** Puts this process (and its children) under a read limit on `path`'s disk. */
async function throttleReads(path: string, mbps: number): Promise<() => Promise<void>> {
  const dev = (await Deno.stat(path)).dev;
  const major = (dev >> 8) & 0xfff;
  const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
  const group = `${BLKIO}/llama-pack-bench-${Deno.pid}`;
  await Deno.mkdir(group);
  await Deno.writeTextFile(
    `${group}/blkio.throttle.read_bps_device`,
    `${major}:${minor} ${Math.round(mbps * 1e6)}`,
  );
  await Deno.writeTextFile(`${group}/cgroup.procs`, String(Deno.pid));
  return async () => {
    await Deno.writeTextFile(`${BLKIO}/cgroup.procs`, String(Deno.pid));
    await Deno.remove(group);
  };
}

async function main(): Promise<void> {
  const flags = Deno.args.filter((a, i, all) => a.startsWith("--") || all[i - 1] === "--hdd-mbps");
  const positional = Deno.args.filter((a) => !flags.includes(a));
  const size = parseSize(positional[0] ?? "1g", "size");
  const rounds = Number(positional[1] ?? "5");
  const mbpsAt = Deno.args.indexOf("--hdd-mbps");
  const hddMbps = mbpsAt >= 0 ? Number(Deno.args[mbpsAt + 1]) : undefined;
  let unthrottle: (() => Promise<void>) | undefined;
  const dir = await Deno.makeTempDir({ prefix: "llama-pack-bench-" });
  const mnt = `${dir}/tmpfs`;
  let mounted = false;
  try {
    const src = `${dir}/source.gguf`;
    console.log(`writing ${formatSize(size)} of random data to ${src} ...`);
    await writeRandomFile(src, size);
    const cold = await dropCaches();
    if (hddMbps !== undefined) {
      try {
        unthrottle = await throttleReads(src, hddMbps);
        console.log(`source disk reads limited to ${hddMbps} MB/s (blkio cgroup)`);
      } catch (err) {
        console.log(`(cannot limit the source disk's reads: ${err}; unthrottled)`);
      }
    }
    const targets: Array<[string, string]> = [];
    await Deno.mkdir(`${dir}/ssd`);
    targets.push(["same file system", `${dir}/ssd`]);
    await Deno.mkdir(mnt);
    mounted = await run("mount", ["-t", "tmpfs", "-o", `size=${size + (64 << 20)}`, "tmpfs", mnt]);
    if (mounted) targets.push(["to tmpfs (other fs)", mnt]);
    else console.log("(cannot mount a tmpfs here: cross-file-system run skipped)");
    console.log(
      `${rounds} rounds, page cache ${cold ? "dropped before each run (cold source)" : "warm"}\n`,
    );
    console.log(`${"target".padEnd(22)}${"variant".padEnd(24)}${"MB/s".padStart(8)}  of cp`);
    for (const [label, root] of targets) {
      const speeds = await measure(src, root, size, rounds, cold);
      const cp = median(speeds.get("cp + sync")!);
      for (const [name, xs] of speeds) {
        const m = median(xs);
        console.log(
          `${label.padEnd(22)}${name.padEnd(24)}${(m / 1e6).toFixed(0).padStart(8)}  ${
            ((m / cp) * 100).toFixed(0)
          }%`,
        );
      }
    }
  } finally {
    await unthrottle?.();
    if (mounted) await run("umount", [mnt]);
    await Deno.remove(dir, { recursive: true });
  }
}

if (import.meta.main) {
  await main();
} else {
  // `deno bench`: a quick warm comparison on 64 MiB.
  const dir = Deno.makeTempDirSync({ prefix: "llama-pack-bench-" });
  const src = `${dir}/source.gguf`;
  await writeRandomFile(src, 64 << 20);
  let n = 0;
  Deno.bench("cp + sync, 64 MiB", { group: "copy", baseline: true }, async () => {
    await VARIANTS[0]!.copy(src, `${dir}/cp-${n}.gguf`, dir);
    await Deno.remove(`${dir}/cp-${n++}.gguf`);
  });
  Deno.bench("copyToSsd (verify), 64 MiB", { group: "copy" }, async () => {
    await VARIANTS[1]!.copy(src, `${dir}/c-${n}.gguf`, dir);
    await Deno.remove(`${dir}/c-${n++}.gguf`);
  });
  globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
}

/**
 * Whether the SSD root and a source tier's root (an HDD directory) are
 * really separate directory trees. Paths can lie: a symlink, or a bind mount
 * of the HDD root — or of any directory below it — onto the SSD path, makes
 * the "SSD" show the HDD's files, and writing or deleting there would touch
 * the permanent copies. Two checks, both before anything is written:
 *
 * - device and inode of each root against the other root and every one of
 *   its ancestors (a symlink, or a bind mount of a root or an ancestor);
 * - for bind mounts of a subdirectory (whose ancestors, walked by path, are
 *   those of the mount point), `/proc/self/mountinfo`: each root's path
 *   inside its file system (the mount's root plus the path below the mount
 *   point) on the same device must not contain the other.
 *
 * @module
 */

import { dirname, isAbsolute, relative, resolve, sep } from "node:path";
import { LlamaPackError } from "../errors.ts";
import { statOrUndefined } from "./fs_checks.ts";

/** One line of `/proc/self/mountinfo`: a mount's device, its root inside the file system, and where it is mounted. */
export interface MountEntry {
  /** `major:minor` of the file system. */
  device: string;
  /** The directory of the file system shown at the mount point (`/` for a whole file system). */
  root: string;
  /** Where it is mounted. */
  mountPoint: string;
}

function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/**
 * Parses `/proc/self/mountinfo` (pure).
 *
 * @param text The file's content.
 * @returns One entry per mount, in mount order.
 *
 * @example A bind mount of a subdirectory
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseMountInfo } from "./tier_alias.ts";
 * const [m] = parseMountInfo("36 25 8:1 /data/hdd/sub /mnt/ssd rw,relatime shared:1 - ext4 /dev/sda1 rw\n");
 * assert(m?.device === "8:1" && m.root === "/data/hdd/sub" && m.mountPoint === "/mnt/ssd");
 * ```
 */
export function parseMountInfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(" ");
    if (f.length < 5 || f[2] === undefined || f[3] === undefined || f[4] === undefined) continue;
    out.push({ device: f[2], root: unescape(f[3]), mountPoint: unescape(f[4]) });
  }
  return out;
}

const inside = (root: string, path: string): boolean => {
  const rel = relative(root, path);
  return rel === "" || (rel !== ".." && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
};

/**
 * Where a real path lives: its file system's device and its path inside
 * that file system, from the mount that covers it (the last mounted of the
 * deepest mount points above it) (pure).
 *
 * @param mounts The mount table.
 * @param realPath An absolute path without symlinks.
 * @returns The device and the path inside it, or `undefined` when no mount covers it.
 *
 * @example A path below a bind mount
 * ```ts
 * import assert from "node:assert/strict";
 * import { fsLocation, parseMountInfo } from "./tier_alias.ts";
 * const mounts = parseMountInfo("1 0 8:1 / / rw - ext4 /dev/sda1 rw\n2 1 8:1 /data/hdd/sub /mnt/ssd rw - ext4 /dev/sda1 rw\n");
 * assert.deepEqual(fsLocation(mounts, "/mnt/ssd/llm"), { device: "8:1", path: "/data/hdd/sub/llm" });
 * assert.deepEqual(fsLocation(mounts, "/data/hdd"), { device: "8:1", path: "/data/hdd" });
 * ```
 */
export function fsLocation(
  mounts: readonly MountEntry[],
  realPath: string,
): { device: string; path: string } | undefined {
  let best: MountEntry | undefined;
  for (const m of mounts) {
    if (!inside(m.mountPoint, realPath)) continue;
    if (best === undefined || m.mountPoint.length >= best.mountPoint.length) best = m;
  }
  if (best === undefined) return undefined;
  const below = relative(best.mountPoint, realPath);
  return { device: best.device, path: below === "" ? best.root : resolve(best.root, below) };
}

function sameFile(a: Deno.FileInfo, b: Deno.FileInfo): boolean {
  return a.dev === b.dev && a.ino !== null && a.ino === b.ino;
}

/** The directory and each of its ancestors, by real path, with their stats. */
async function chain(realDir: string): Promise<{ path: string; info: Deno.FileInfo }[]> {
  const out: { path: string; info: Deno.FileInfo }[] = [];
  for (let d = realDir;; d = dirname(d)) {
    const info = await statOrUndefined(d);
    if (info !== undefined) out.push({ path: d, info });
    if (dirname(d) === d) return out;
  }
}

async function readMounts(): Promise<MountEntry[]> {
  try {
    return parseMountInfo(await Deno.readTextFile("/proc/self/mountinfo"));
  } catch {
    return []; // not Linux: the device-and-inode checks still run
  }
}

/** How two directories overlap. */
export interface TreeOverlap {
  /** `same`: one directory; `a-in-b`: the first lies inside the second; `b-in-a`: the other way. */
  kind: "same" | "a-in-b" | "b-in-a";
  /** In words. */
  why: string;
}

/**
 * Whether two directories are one directory tree (one inside the other, or
 * the same), or `undefined` when they are separate. Missing directories are
 * separate. Needs `--allow-read` (and `/proc/self/mountinfo`).
 *
 * @param a A directory.
 * @param b Another.
 * @returns How they overlap, or `undefined`.
 *
 * @example Two sibling directories and a symlink
 * ```ts
 * import assert from "node:assert/strict";
 * import { treeOverlap } from "./tier_alias.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/hdd/sub`, { recursive: true });
 * await Deno.mkdir(`${dir}/ssd`);
 * await Deno.symlink(`${dir}/hdd/sub`, `${dir}/link`);
 * assert(await treeOverlap(`${dir}/ssd`, `${dir}/hdd`) === undefined);
 * assert((await treeOverlap(`${dir}/link`, `${dir}/hdd`))?.kind === "a-in-b");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function treeOverlap(a: string, b: string): Promise<TreeOverlap | undefined> {
  let realA: string;
  let realB: string;
  try {
    realA = await Deno.realPath(a);
    realB = await Deno.realPath(b);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
  const [chainA, chainB] = [await chain(realA), await chain(realB)];
  const [infoA, infoB] = [chainA[0]?.info, chainB[0]?.info];
  if (infoA === undefined || infoB === undefined) return undefined;
  if (sameFile(infoA, infoB)) return { kind: "same", why: `${a} is ${b} (same device and inode)` };
  const upB = chainB.find((c) => sameFile(c.info, infoA));
  if (upB) {
    return {
      kind: "b-in-a",
      why: `${b} lies inside ${a} (${upB.path} is ${a}: same device and inode)`,
    };
  }
  const upA = chainA.find((c) => sameFile(c.info, infoB));
  if (upA) {
    return {
      kind: "a-in-b",
      why: `${a} lies inside ${b} (${upA.path} is ${b}: same device and inode)`,
    };
  }
  const mounts = await readMounts();
  const [locA, locB] = [fsLocation(mounts, realA), fsLocation(mounts, realB)];
  if (locA && locB && locA.device === locB.device) {
    const bind = (x: string, lx: string, ly: string) =>
      `a bind mount: on device ${locA.device}, ${x} is ${lx}, inside ${ly}`;
    if (inside(locB.path, locA.path)) {
      return { kind: "a-in-b", why: `${a} lies inside ${b} (${bind(a, locA.path, locB.path)})` };
    }
    if (inside(locA.path, locB.path)) {
      return { kind: "b-in-a", why: `${b} lies inside ${a} (${bind(b, locB.path, locA.path)})` };
    }
  }
  return undefined;
}

/**
 * Refuses, before anything is written anywhere, when the SSD root and a
 * source tier root are one directory tree (see the module doc).
 *
 * @param ssdRoot The SSD root (`ssd_path`).
 * @param sourceRoots The roots the model files come from (the HDD directories).
 * @param doing What would have been done, for the message, e.g. `copy to the SSD`.
 * @throws {LlamaPackError} `UNSAFE` naming both directories and why.
 *
 * @example Separate directories pass
 * ```ts
 * import { assertSeparateTiers } from "./tier_alias.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.mkdir(`${dir}/hdd`);
 * await Deno.mkdir(`${dir}/ssd`);
 * await assertSeparateTiers(`${dir}/ssd`, [`${dir}/hdd`], "copy to the SSD");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function assertSeparateTiers(
  ssdRoot: string,
  sourceRoots: readonly string[],
  doing: string,
): Promise<void> {
  for (const root of new Set(sourceRoots)) {
    const overlap = await treeOverlap(ssdRoot, root);
    if (overlap !== undefined) {
      throw new LlamaPackError(
        "UNSAFE",
        `refusing to ${doing}: the SSD directory ${ssdRoot} and the model directory ${root} ` +
          `are one directory tree (${overlap.why}); nothing was written`,
        {
          hint:
            "ssd_path must be a directory of its own, not a view of hdd_path (symlink or bind mount)",
        },
      );
    }
  }
}

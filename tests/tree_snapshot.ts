/**
 * A fingerprint of a whole directory tree for tests that must prove nothing
 * was written: every entry's type, mode, size and mtime, every link's target,
 * every directory's listing, and the SHA-256 of every regular file's bytes.
 * Links are recorded, not followed.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { join } from "node:path";

/**
 * Walks `root` and describes each entry in one line, sorted by path.
 *
 * @param root The directory.
 * @returns One line per entry (`path type mode size mtime detail`); equal
 *   arrays mean nothing in the tree changed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { snapshotTree } from "./tree_snapshot.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await Deno.writeTextFile(`${dir}/a`, "x");
 *   const before = await snapshotTree(dir);
 *   await Deno.writeTextFile(`${dir}/a`, "y");
 *   assert.notDeepEqual(await snapshotTree(dir), before);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function snapshotTree(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    const names: string[] = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    names.sort();
    out.push(`${dir}/ listing ${JSON.stringify(names)}`);
    for (const name of names) {
      const p = join(dir, name);
      const st = await Deno.lstat(p);
      const head = `${p} ${st.mode?.toString(8)} ${st.size} ${st.mtime?.getTime()}`;
      if (st.isSymlink) out.push(`${head} link -> ${await Deno.readLink(p)}`);
      else if (st.isDirectory) {
        out.push(`${head} dir`);
        await walk(p);
      } else out.push(`${head} file ${await sha256File(p)}`);
    }
  };
  await walk(root);
  return out.sort();
}

async function sha256File(path: string): Promise<string> {
  const h = createHash("sha256");
  using f = await Deno.open(path);
  const buf = new Uint8Array(1 << 20);
  for (;;) {
    const n = await f.read(buf);
    if (n === null) break;
    h.update(buf.subarray(0, n));
  }
  return h.digest("hex");
}

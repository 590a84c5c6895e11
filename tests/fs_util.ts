/**
 * Small file-system helpers for tests.
 *
 * @module
 */

/**
 * Whether a path exists (without following a final symlink).
 *
 * @param path The path.
 * @returns `true` when something is there.
 */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/**
 * Writes `size` bytes of random (incompressible, non-sparse) data and syncs
 * them to disk, so copies and hashes have real work to do.
 *
 * @param path The file (created or truncated).
 * @param size Bytes to write.
 */
export async function writeRandomFile(path: string, size: number): Promise<void> {
  const f = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    const buf = new Uint8Array(8 << 20);
    for (let done = 0; done < size;) {
      const n = Math.min(buf.length, size - done);
      for (let j = 0; j < n; j += 65536) {
        crypto.getRandomValues(buf.subarray(j, Math.min(n, j + 65536)));
      }
      let at = 0;
      while (at < n) at += await f.write(buf.subarray(at, n));
      done += n;
    }
    await f.sync();
  } finally {
    f.close();
  }
}

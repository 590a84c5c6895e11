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

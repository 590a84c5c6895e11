/**
 * Real mounts for tests that need a disk to fill up or a directory to alias:
 * a tmpfs of a given size, a bind mount, and filling a file system until
 * `ENOSPC`. Mounting needs root; {@linkcode CAN_MOUNT} says whether it works
 * here, and tests that need it are ignored (with a printed note) when not.
 *
 * @module
 */

/**
 * Runs a command, never throwing.
 *
 * @param cmd The program.
 * @param args Its arguments.
 * @returns Whether it succeeded and its stderr.
 */
export async function runQuiet(
  cmd: string,
  args: string[],
): Promise<{ ok: boolean; stderr: string }> {
  try {
    const out = await new Deno.Command(cmd, { args, stdout: "null", stderr: "piped" }).output();
    return { ok: out.success, stderr: new TextDecoder().decode(out.stderr).trim() };
  } catch (err) {
    return { ok: false, stderr: String(err) };
  }
}

/** Whether this process may mount a tmpfs (probed once). */
export const CAN_MOUNT: boolean = await (async () => {
  const dir = await Deno.makeTempDir({ prefix: "llama-pack-mount-probe-" });
  try {
    const m = await runQuiet("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir]);
    if (!m.ok) {
      console.log(`cannot mount a tmpfs here (${m.stderr}); tests that need one are skipped`);
      return false;
    }
    await runQuiet("umount", [dir]);
    return true;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
})();

/**
 * Mounts a tmpfs on `dir` (created if missing) for the length of `fn`.
 *
 * @param dir The mount point.
 * @param options tmpfs options, e.g. `size=64m`.
 * @param fn The work.
 * @returns What `fn` returns.
 */
export async function withTmpfs<T>(dir: string, options: string, fn: () => Promise<T>): Promise<T> {
  await Deno.mkdir(dir, { recursive: true });
  const m = await runQuiet("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir]);
  if (!m.ok) throw new Error(`mount failed: ${m.stderr}`);
  try {
    return await fn();
  } finally {
    const u = await runQuiet("umount", [dir]);
    if (!u.ok) await runQuiet("umount", ["-l", dir]);
  }
}

/**
 * Bind-mounts `source` on `target` (created if missing) for the length of `fn`.
 *
 * @param source The directory shown.
 * @param target Where it is shown too.
 * @param fn The work.
 * @returns What `fn` returns.
 */
export async function withBind<T>(
  source: string,
  target: string,
  fn: () => Promise<T>,
): Promise<T> {
  await Deno.mkdir(target, { recursive: true });
  const m = await runQuiet("mount", ["--bind", source, target]);
  if (!m.ok) throw new Error(`bind mount failed: ${m.stderr}`);
  try {
    return await fn();
  } finally {
    const u = await runQuiet("umount", [target]);
    if (!u.ok) await runQuiet("umount", ["-l", target]);
  }
}

/**
 * Fills the file system holding `dir` with a file until a write fails with
 * `ENOSPC` (down to the last 512 bytes).
 *
 * @param dir A directory on the file system to fill.
 * @returns The filler file; removing it gives the space back.
 */
export async function fillDisk(dir: string): Promise<string> {
  let path = `${dir}/.filler`;
  for (let n = 2; await Deno.lstat(path).then(() => true, () => false); n++) {
    path = `${dir}/.filler-${n}`;
  }
  const f = await Deno.open(path, { write: true, createNew: true });
  try {
    for (const size of [1 << 20, 65536, 4096, 512]) {
      const buf = new Uint8Array(size).fill(0x5a);
      try {
        for (;;) await f.write(buf);
      } catch (err) {
        if ((err as { code?: string }).code !== "ENOSPC" && !/No space left/.test(String(err))) {
          throw err;
        }
      }
    }
  } finally {
    f.close();
  }
  return path;
}

/**
 * A server's log file: its last lines, and following it as it grows (like
 * `tail -f`), noticing when it is started over (truncated by a new server on
 * the same port). Needs `--allow-read`.
 *
 * @module
 */

/** The end of a log. */
export interface LogTail {
  /** The last lines, as written (each ending with a newline). */
  text: string;
  /** How many lines came before them; `0` when the whole log is shown. */
  earlierLines: number;
  /** The file's size when read: where following starts. */
  size: number;
}

/**
 * Reads the last `lines` lines of a log.
 *
 * @param path The log file.
 * @param lines How many lines.
 * @returns The lines, how many came before, and the size; `undefined` when the file is missing.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readTail } from "./log_follow.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/log`, "a\nb\nc\n");
 * const tail = await readTail(`${dir}/log`, 2);
 * assert(tail?.text === "b\nc\n" && tail.earlierLines === 1 && tail.size === 6);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readTail(path: string, lines: number): Promise<LogTail | undefined> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw err;
  }
  const text = new TextDecoder().decode(bytes);
  const all = text.split("\n");
  if (all.at(-1) === "") all.pop();
  const kept = all.slice(Math.max(0, all.length - lines));
  return {
    text: kept.length === 0 ? "" : kept.join("\n") + (text.endsWith("\n") ? "\n" : ""),
    earlierLines: all.length - kept.length,
    size: bytes.length,
  };
}

/** Options of {@linkcode followLog}. */
export interface FollowLogOptions {
  /** Where to start reading (the size already shown). @default 0 */
  from?: number;
  /** Receives new text as it is written. */
  onText: (text: string) => void;
  /** Receives a note when the log is started over. @default ignore */
  onRestart?: () => void;
  /** Whether to keep following (e.g. the server still runs); checked every poll. */
  keepGoing: () => boolean;
  /** Stops following. */
  signal?: AbortSignal;
  /** Pause between polls. @default 200 */
  intervalMs?: number;
}

/**
 * Follows a log until `keepGoing` says no or `signal` aborts, printing what is
 * appended (and, once more after the end, what was written last).
 *
 * @param path The log file.
 * @param options Where to start and what to do with new text.
 * @returns Why it stopped: `"ended"` or `"aborted"`.
 *
 * @example Following a log that grows once
 * ```ts
 * import assert from "node:assert/strict";
 * import { followLog } from "./log_follow.ts";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/log`, "old\n");
 * let seen = "";
 * let polls = 0;
 * await followLog(`${dir}/log`, {
 *   from: 4,
 *   onText: (t) => seen += t,
 *   keepGoing: () => {
 *     if (++polls === 1) Deno.writeTextFileSync(`${dir}/log`, "new\n", { append: true });
 *     return polls < 3;
 *   },
 *   intervalMs: 1,
 * });
 * assert(seen === "new\n");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function followLog(
  path: string,
  options: FollowLogOptions,
): Promise<"ended" | "aborted"> {
  let offset = options.from ?? 0;
  const decoder = new TextDecoder();
  const drain = async () => {
    let size: number;
    try {
      size = (await Deno.stat(path)).size;
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) return;
      throw err;
    }
    if (size < offset) {
      offset = 0;
      options.onRestart?.();
    }
    if (size === offset) return;
    const file = await Deno.open(path, { read: true });
    try {
      await file.seek(offset, Deno.SeekMode.Start);
      const buf = new Uint8Array(Math.min(size - offset, 1024 * 1024));
      const n = await file.read(buf);
      if (n !== null && n > 0) {
        offset += n;
        options.onText(decoder.decode(buf.subarray(0, n), { stream: true }));
      }
    } finally {
      file.close();
    }
  };
  const interval = options.intervalMs ?? 200;
  for (;;) {
    if (options.signal?.aborted) return "aborted";
    const going = options.keepGoing();
    await drain();
    if (!going) return "ended";
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, interval);
      options.signal?.addEventListener("abort", done, { once: true });
      function done() {
        clearTimeout(timer);
        options.signal?.removeEventListener("abort", done);
        resolve();
      }
    });
  }
}

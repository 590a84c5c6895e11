/**
 * Snapshot assertions: compares text with `tests/__snapshots__/NAME.txt`.
 * Run with `UPDATE_SNAPSHOTS=1` to (re)write a snapshot deliberately; a
 * missing snapshot fails otherwise.
 *
 * @module
 */
import { assertEquals } from "./assert.ts";

/**
 * Asserts that `actual` equals the stored snapshot `name`.
 *
 * @param name The snapshot's file name, without `.txt`.
 * @param actual The text produced now.
 */
export async function assertSnapshot(name: string, actual: string): Promise<void> {
  const file = new URL(`./__snapshots__/${name}.txt`, import.meta.url);
  if (Deno.env.get("UPDATE_SNAPSHOTS") === "1") {
    await Deno.writeTextFile(file, actual);
    return;
  }
  let expected: string;
  try {
    expected = await Deno.readTextFile(file);
  } catch {
    throw new Error(`snapshot '${name}' is missing: run with UPDATE_SNAPSHOTS=1 to create it`);
  }
  assertEquals(actual, expected, `snapshot '${name}' differs (UPDATE_SNAPSHOTS=1 to accept)`);
}

import { assertEquals } from "../../tests/assert.ts";
import { followLog, readTail } from "./log_follow.ts";

Deno.test("readTail() gives the last lines and how many came before; nothing for a missing file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/log`, "1\n2\n3\n4\n");
    assertEquals(await readTail(`${dir}/log`, 10), {
      text: "1\n2\n3\n4\n",
      earlierLines: 0,
      size: 8,
    });
    assertEquals((await readTail(`${dir}/log`, 1))?.text, "4\n");
    assertEquals(await readTail(`${dir}/nope`, 1), undefined);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("followLog() notices a log started over and reads it from the start", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/log`;
    await Deno.writeTextFile(path, "old server line\n");
    let seen = "";
    let restarts = 0;
    let polls = 0;
    const why = await followLog(path, {
      from: 16,
      onText: (t) => seen += t,
      onRestart: () => restarts++,
      keepGoing: () => {
        polls++;
        if (polls === 1) Deno.writeTextFileSync(path, "new\n"); // truncated: a new server
        if (polls === 3) Deno.writeTextFileSync(path, "more\n", { append: true });
        return polls < 5;
      },
      intervalMs: 1,
    });
    assertEquals([why, seen, restarts], ["ended", "new\nmore\n", 1]);
    const stopped = new AbortController();
    stopped.abort();
    assertEquals(
      await followLog(path, { onText: () => {}, keepGoing: () => true, signal: stopped.signal }),
      "aborted",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

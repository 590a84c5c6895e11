import { assertEquals } from "../../tests/assert.ts";
import { StateStore } from "./store.ts";

Deno.test("StateStore queues and updates copy jobs", async () => {
  const dir = await Deno.makeTempDir();
  const s = StateStore.open(dir);
  try {
    const id = s.addCopyJob({
      modelId: "gemma",
      bytesTotal: 100,
      now: 10,
      owner: { pid: 1, startTime: 1 },
    });
    s.updateCopyJob(id, { state: "copying", bytes_done: 50, now: 11 });
    assertEquals(s.copyJobs(["copying"])[0]?.bytes_done, 50);
  } finally {
    s.close();
    await Deno.remove(dir, { recursive: true });
  }
});

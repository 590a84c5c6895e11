import { assertEquals } from "../../tests/assert.ts";
import { formatProgress } from "./progress_bar.ts";

const G = 1024 ** 3;

Deno.test("formatProgress() shows bar, bytes, MB/s and ETA", async (t) => {
  const cases: Array<[string, Parameters<typeof formatProgress>[0], string]> = [
    [
      "start, speed unknown",
      { phase: "copy", bytesDone: 0, totalBytes: 8 * G, bytesPerSecond: 0 },
      "[..........]   0%  0 B / 8.0 GiB  0.0 MB/s  ETA ?",
    ],
    [
      "38%",
      { phase: "copy", bytesDone: 3.04 * G, totalBytes: 8 * G, bytesPerSecond: 412.3e6 },
      "[###.......]  38%  3.0 GiB / 8.0 GiB  412.3 MB/s  ETA 13s",
    ],
    [
      "done",
      { phase: "copy", bytesDone: 8 * G, totalBytes: 8 * G, bytesPerSecond: 1e9 },
      "[##########] 100%  8.0 GiB / 8.0 GiB  1000.0 MB/s  ETA 0s",
    ],
    [
      "verifying",
      { phase: "verify", bytesDone: 8 * G, totalBytes: 8 * G, bytesPerSecond: 2e9 },
      "[##########] 100%  verifying 8.0 GiB  2000.0 MB/s",
    ],
    [
      "empty file",
      { phase: "copy", bytesDone: 0, totalBytes: 0, bytesPerSecond: 0 },
      "[##########] 100%  0 B / 0 B  0.0 MB/s  ETA ?",
    ],
  ];
  for (const [name, p, expected] of cases) {
    await t.step(name, () => assertEquals(formatProgress(p, { barWidth: 10 }), expected));
  }
});

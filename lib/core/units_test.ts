import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { LlamaPackError } from "../errors.ts";
import { formatDuration, formatElapsed, formatSize, parseDuration, parseSize } from "./units.ts";

Deno.test("parseSize() reads binary units and rejects typos with where and what", async (t) => {
  const good: [string, number][] = [
    ["4096b", 4096],
    ["100m", 100 * 1024 ** 2],
    ["1.5g", 1.5 * 1024 ** 3],
    ["2T", 2 * 1024 ** 4],
    [" 50 GiB ", 50 * 1024 ** 3],
    [".5k", 512],
  ];
  for (const [text, bytes] of good) {
    await t.step(`'${text}'`, () => assertEquals(parseSize(text), bytes));
  }
  const bad = [
    "",
    "g",
    "-5g",
    "1e9g",
    "12x",
    "NaNg",
    "Infinity",
    "1,5g",
    "99999999999999999999g",
    "2000t",
    "40",
  ];
  for (const text of bad) {
    await t.step(`bad '${text}'`, () => {
      const err = assertThrows(() => parseSize(text, "option '--check'"), LlamaPackError);
      assertEquals(err.code, "BAD_SIZE");
      assertEquals(err.exitCode, 2);
      assertEquals(err.message.startsWith(`option '--check': `), true, err.message);
    });
  }
});

Deno.test("parseSize() refuses a number without a unit, naming the units", () => {
  const err = assertThrows(() => parseSize("40", "option '--check'"), LlamaPackError);
  assertEquals(
    err.message,
    "option '--check': size '40' needs a unit: 40g (GiB), 40m (MiB), 40t (TiB) or 40b (bytes)",
  );
});

Deno.test("parseDuration() reads s/m/h/d/w and rejects nonsense", async (t) => {
  const good: [string, number][] = [["30", 30], ["30s", 30], ["15m", 900], ["2h", 7200], [
    "1.5d",
    129600,
  ], ["1w", 604800]];
  for (const [text, s] of good) {
    await t.step(`'${text}'`, () => assertEquals(parseDuration(text), s));
  }
  for (const text of ["", "h", "-1h", "1y", "2 hours", "99999999999999999999d", "101w0"]) {
    await t.step(`bad '${text}'`, () => {
      const err = assertThrows(() => parseDuration(text, "pattern"), LlamaPackError);
      assertEquals(err.code, "BAD_DURATION");
    });
  }
});

Deno.test("formatSize(), formatDuration() and formatElapsed() are short and exact", () => {
  assertEquals(
    [0, 512, 1536, 8 * 1024 ** 2, 40 * 1024 ** 3, 1.2 * 1024 ** 4, -2048].map(formatSize),
    ["0 B", "512 B", "1.5 KiB", "8.0 MiB", "40.0 GiB", "1.20 TiB", "-2.0 KiB"],
  );
  assertEquals([0, 42, 725, 11100, 187200].map(formatDuration), [
    "0s",
    "42s",
    "12m 05s",
    "3h 05m",
    "2d 04h",
  ]);
  assertEquals([0.04, 59.94, 61].map(formatElapsed), ["0.0s", "59.9s", "1m 01s"]);
});

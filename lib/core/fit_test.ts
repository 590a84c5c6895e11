import fc from "fast-check";
import { assert, assertEquals } from "../../tests/assert.ts";
import { fitColumns, shortenName, wrapText } from "./fit.ts";

Deno.test("shortenName() keeps the quant and the telling folder, in this order of sacrifice", async (t) => {
  const cases: [string, number, boolean, string][] = [
    ["Gemma2-9B-Q5_K_M.gguf", 30, false, "Gemma2-9B-Q5_K_M.gguf"],
    ["Gemma2-9B-Q5_K_M.gguf", 16, false, "Gemma2-9B-Q5_K_M"],
    ["Qwen2.5-72B-Instruct-Q4_K_M-00001-of-00003.gguf", 30, false, "Qwen2.5-72B-Instruct-Q4_K_M"],
    [
      "bartowski/Qwen3-30B-A3B-Instruct-2507-GGUF/Qwen3-30B-A3B-Instruct-2507-Q4_K_M.gguf",
      50,
      false,
      "bartowski/…/Qwen3-30B-A3B-Instruct-2507-Q4_K_M",
    ],
    [
      "bartowski/Qwen3-30B-A3B-Instruct-2507-GGUF/Qwen3-30B-A3B-Instruct-2507-Q4_K_M.gguf",
      30,
      false,
      "Qwen3-30B-A3B-Instruct-…Q4_K_M",
    ],
    ["unsloth/gemma-3-4b-it-Q4_K_M.gguf", 24, true, "unsloth/gemma-3-4…Q4_K_M"],
    ["Mixtral-8x7B-Instruct-v0.1.IQ3_XXS.gguf", 20, false, "Mixtral-8x7B…IQ3_XXS"],
    ["no-quant-in-this-rather-long-name.gguf", 20, false, "no-quant-i…long-name"],
  ];
  for (const [name, width, keepFolders, want] of cases) {
    await t.step(`${name} in ${width}`, () => {
      const got = shortenName(name, width, { keepFolders });
      assertEquals(got, want);
      assert(got.length <= width);
    });
  }
});

Deno.test("property: shortenName() never exceeds the width and keeps a quant that fits", () => {
  const quant = fc.constantFrom("Q4_K_M", "Q8_0", "IQ3_XXS", "F16", "Q5_K_S");
  const word = fc.stringMatching(/^[A-Za-z0-9.]{1,12}$/);
  fc.assert(
    fc.property(
      fc.array(word, { minLength: 1, maxLength: 6 }),
      quant,
      fc.integer({ min: 12, max: 80 }),
      (words, q, width) => {
        const name = `${words.join("-")}-${q}.gguf`;
        const got = shortenName(name, width);
        assert(got.length <= width, `${got} > ${width}`);
        // The quant token survives whenever it takes at most half the width.
        if (q.length <= (width - 1) / 2) assert(got.includes(q), got);
      },
    ),
  );
});

Deno.test("fitColumns() drops columns in order until the name has room, never below the floor", () => {
  const widths = [60, 4, 5, 3, 10, 4, 10, 6, 6, 9];
  const order = [6, 8, 5, 7, 4];
  assertEquals(fitColumns(widths, { width: undefined, dropOrder: order }).keep.length, 10);
  assertEquals(fitColumns(widths, { width: 200, dropOrder: order }).flexWidth, 60);
  assertEquals(fitColumns(widths, { width: 120, dropOrder: order }).keep.length, 10);
  assertEquals(fitColumns(widths, { width: 80, dropOrder: order }).keep, [0, 1, 2, 3, 4, 7, 9]);
  const tiny = fitColumns(widths, { width: 30, dropOrder: order });
  assertEquals([tiny.keep, tiny.flexWidth], [[0, 1, 2, 3, 9], 12]);
});

Deno.test("wrapText() wraps on spaces, measuring without colour codes", () => {
  const red = (s: string) => `\x1b[31m${s}\x1b[0m`;
  // deno-lint-ignore no-control-regex
  const measure = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "").length;
  const lines = wrapText(
    `Key: ${red("SSD")}=hot, ${red("ssd")}=cold, HDD=permanent`,
    20,
    "  ",
    measure,
  );
  assertEquals(lines.map(measure), [13, 11, 15]);
  assertEquals(wrapText("short", undefined), ["short"]);
});

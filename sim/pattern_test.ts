import { assertEquals, assertThrows } from "../tests/assert.ts";
import { LlamaPackError } from "../lib/errors.ts";
import { isPattern, parsePattern } from "./pattern.ts";

const G = 1024 ** 3;
const H = 3600;
const D = 86400;

Deno.test("parsePattern() reads good patterns", async (t) => {
  const cases: [string, [number, string, number, number][]][] = [
    ["test:10g=0s/1h,1d/2h", [[0, "test", 10 * G, H], [D, "test", 10 * G, 2 * H]]],
    ["test:10g=0s/1h,1d,2d", [[0, "test", 10 * G, H], [D, "test", 10 * G, H], [
      2 * D,
      "test",
      10 * G,
      H,
    ]]],
    ["a:1g=1h/30m;b:2g=0s/5m", [[0, "b", 2 * G, 300], [H, "a", G, 1800]]],
    [" a : 1.5g = 0s / 1h , 2h ", [[0, "a", 1.5 * G, H], [2 * H, "a", 1.5 * G, H]]],
    ["a:1g=1d9h/2h30m", [[D + 9 * H, "a", G, 2 * H + 1800]]],
    ["a:1g=1w/60;", [[7 * D, "a", G, 60]]],
    ["a:512m=0/0", [[0, "a", 512 * 1024 ** 2, 0]]],
    ["b:1g=5m/1m;a:1g=5m/1m", [[300, "b", G, 60], [300, "a", G, 60]]],
    ["a:1g=0s/1h;a:1g=1d/1h", [[0, "a", G, H], [D, "a", G, H]]],
  ];
  for (const [text, expected] of cases) {
    await t.step(text, () => {
      const loads = parsePattern(text);
      assertEquals(
        loads.map((l) => [l.at, l.model, l.size, l.duration]),
        expected,
      );
    });
  }
});

Deno.test("parsePattern() reports the column of the bad token", async (t) => {
  const cases: [string, string][] = [
    ["test=0s/1x", "pattern: column 9: bad duration '1x' (use s, m, h, d, w)"],
    ["test:10g=0s/1x", "pattern: column 13: bad duration '1x' (use s, m, h, d, w)"],
    ["test:10g=0s/1h,zz", "pattern: column 16: bad time 'zz' (use s, m, h, d, w)"],
    ["test:10x=0s/1h", "pattern: column 6: bad size '10x' (use e.g. 10g, 500m, 1.5g)"],
    ["test:=0s/1h", "pattern: column 6: missing size after 'test:'"],
    ["test:0g=0s/1h", "pattern: column 6: size of 'test' must be more than 0"],
    [":1g=0s/1h", "pattern: column 1: missing model name before '='"],
    [
      "a:1g=0s/1h; b:1g",
      "pattern: column 13: expected '=' after model 'b:1g' (e.g. test:10g=0s/1h)",
    ],
    [
      "test:1g=0s",
      "pattern: column 9: first time '0s' of 'test' needs a duration (e.g. 0s/1h)",
    ],
    ["test:1g=0s/1h,,2d", "pattern: column 15: missing load time for 'test'"],
    ["test:1g=", "pattern: column 9: missing load time for 'test'"],
    ["test:1g=/1h", "pattern: column 9: missing time before '/'"],
    ["test:1g=0s/", "pattern: column 12: missing duration after '/'"],
    ["test:1g=0s/1h/2h", "pattern: column 14: unexpected second '/' in a load"],
    [
      "gemma=0s/1h",
      "pattern: column 1: no size for model 'gemma' (write gemma:10g=..., or index a model that matches it)",
    ],
    ["a:1g=0s/1h;a:2g=1d/1h", "pattern: column 12: model 'a' appears again with a different size"],
    ["", "pattern: column 1: empty pattern (expected e.g. test:10g=0s/1h,1d/2h)"],
    [" ; ", "pattern: column 1: empty pattern (expected e.g. test:10g=0s/1h,1d/2h)"],
    ["test:1g=-1s/1h", "pattern: column 9: bad time '-1s' (use s, m, h, d, w)"],
    ["test:1g=1d2x/1h", "pattern: column 9: bad time '1d2x' (use s, m, h, d, w)"],
  ];
  for (const [text, message] of cases) {
    await t.step(JSON.stringify(text), () => {
      const err = assertThrows(() => parsePattern(text), LlamaPackError);
      assertEquals(err.message, message);
      assertEquals(err.code, "BAD_PATTERN");
      assertEquals(err.exitCode, 2);
    });
  }
});

Deno.test("parsePattern() takes missing sizes from the lookup", () => {
  const loads = parsePattern("gemma=0s/1h;qwen:2g=1h/1h", {
    resolveSize: (m) => (m === "gemma" ? 6 * G : undefined),
  });
  assertEquals(loads.map((l) => [l.model, l.size]), [["gemma", 6 * G], ["qwen", 2 * G]]);
  const err = assertThrows(
    () => parsePattern("x=0s/1h", { resolveSize: () => undefined, source: "preset daily" }),
    LlamaPackError,
  );
  assertEquals(err.message.startsWith("preset daily: column 1: no size for model 'x'"), true);
});

Deno.test("isPattern() tells patterns from preset names", () => {
  assertEquals(isPattern("daily_work"), false);
  assertEquals(isPattern("a=0s/1h"), true);
  assertEquals(isPattern("a;b"), true);
});

import { assertEquals, assertThrows } from "../tests/assert.ts";
import { LlamaPackError } from "../lib/errors.ts";
import { formatTrace, parseTrace } from "./trace.ts";

Deno.test("parseTrace() reads loads, sorts them and fills defaults", () => {
  const text = [
    '{"t": 7200, "model": "b", "size": 2000, "duration": 60}',
    "",
    '{"t": 0, "model": "a", "size": 1000}',
    '{"t": 7200, "model": "a", "size": 1000, "duration": 5, "extra": true}',
    "   ",
  ].join("\n");
  const loads = parseTrace(text, { defaultDuration: 42 });
  assertEquals(loads, [
    { at: 0, model: "a", size: 1000, duration: 42 },
    { at: 7200, model: "b", size: 2000, duration: 60 },
    { at: 7200, model: "a", size: 1000, duration: 5 },
  ]);
});

Deno.test("parseTrace() takes missing sizes from the lookup", () => {
  const loads = parseTrace('{"t": 1, "model": "gemma"}', {
    resolveSize: (m) => (m === "gemma" ? 5e9 : undefined),
  });
  assertEquals(loads[0]!.size, 5e9);
});

Deno.test("parseTrace() names file:line and key on bad input", async (t) => {
  const cases: [string, string][] = [
    ['{"t": 0, "model": "a", "size": 1}\n{"t": 0, "model": "a"', "h.jsonl:2: not valid JSON ("],
    ["[1, 2]", "h.jsonl:1: expected an object like"],
    ['{"model": "a", "size": 1}', "h.jsonl:1: key 't' is missing (seconds since the trace start)"],
    [
      '{"t": "noon", "model": "a", "size": 1}',
      `h.jsonl:1: key 't': expected seconds ≥ 0, got "noon"`,
    ],
    ['{"t": -5, "model": "a", "size": 1}', "h.jsonl:1: key 't': expected seconds ≥ 0, got -5"],
    ['{"t": 0, "size": 1}', "h.jsonl:1: key 'model' is missing"],
    ['{"t": 0, "model": 7, "size": 1}', "h.jsonl:1: key 'model': expected a model name, got 7"],
    ['{"t": 0, "model": "a", "size": 0}', "h.jsonl:1: key 'size': expected bytes > 0, got 0"],
    ['{"t": 0, "model": "a"}', "h.jsonl:1: key 'size' is missing and model 'a' is not indexed"],
    [
      '{"t": 0, "model": "a", "size": 1, "duration": "1h"}',
      `h.jsonl:1: key 'duration': expected seconds ≥ 0, got "1h"`,
    ],
    [
      '\n{"t": 0, "model": "a", "size": 1}\n{"t": 5, "model": "a", "size": 2}',
      "h.jsonl:3: key 'size': model 'a' had size 1 on line 2, now 2",
    ],
  ];
  for (const [text, message] of cases) {
    await t.step(message, () => {
      const err = assertThrows(() => parseTrace(text, { source: "h.jsonl" }), LlamaPackError);
      assertEquals(err.message.startsWith(message), true, err.message);
      assertEquals(err.exitCode, 2);
    });
  }
});

Deno.test("formatTrace() round-trips through parseTrace()", () => {
  const loads = [
    { at: 0, model: "a b", size: 123, duration: 0 },
    { at: 1.5, model: 'q"x', size: 9e10, duration: 3600 },
  ];
  assertEquals(parseTrace(formatTrace(loads)), loads);
  assertEquals(formatTrace([]), "");
});

import fc from "fast-check";
import { assertEquals } from "../../tests/assert.ts";
import { type JsoncNode, parseJsonc, propertyValue } from "./jsonc.ts";

/** Rebuilds the plain value a tree stands for. */
function toValue(n: JsoncNode): unknown {
  if (n.type === "object") {
    return Object.fromEntries(
      n.children!.map((p) => [p.children![0]!.value, toValue(p.children![1]!)]),
    );
  }
  if (n.type === "array") return n.children!.map(toValue);
  return n.value;
}

Deno.test("parseJsonc() reads any JSON exactly like JSON.parse", () => {
  fc.assert(
    fc.property(fc.jsonValue(), (v) => {
      const text = JSON.stringify(v, null, 1);
      const { root, error } = parseJsonc(text);
      assertEquals(error, undefined);
      assertEquals(toValue(root!), JSON.parse(text));
    }),
    { numRuns: 300 },
  );
});

Deno.test("parseJsonc() accepts comments and trailing commas, and keeps offsets", () => {
  const text = `/* head */ {\n  "a": [1, 2,], // note\n  "b": { "c": "x\\"y", },\n}\n`;
  const { root, error } = parseJsonc(text);
  assertEquals(error, undefined);
  assertEquals(toValue(root!), { a: [1, 2], b: { c: 'x"y' } });
  const c = propertyValue(propertyValue(root!, "b")!, "c")!;
  assertEquals(text.slice(c.offset, c.offset + c.length), `"x\\"y"`);
  assertEquals(propertyValue(root!, "zzz"), undefined);
});

Deno.test("parseJsonc() reports the first syntax error and where", async (t) => {
  const cases: [string, string, number][] = [
    [`{"a": 1 "b": 2}`, "comma expected", 8],
    [`{"a" 1}`, "colon expected", 5],
    [`{a: 1}`, "property name expected", 1],
    [`{"a": }`, "value expected", 6],
    [`{"a": 1`, "closing brace expected", 7],
    [`[1, 2`, "closing bracket expected", 5],
    [`{"a": "x}`, "unexpected end of string", 6],
    [`{"a": 01}`, "value expected", 6],
    [`{"a": tru}`, "value expected", 6],
    [`{} {}`, "end of file expected", 3],
    [`/* open`, "unexpected end of comment", 0],
    [``, "value expected", 0],
  ];
  for (const [text, message, offset] of cases) {
    await t.step(
      text || "(empty)",
      () => assertEquals(parseJsonc(text).error, { message, offset }),
    );
  }
});

Deno.test("parseJsonc() bounds nesting: 100,000 levels is an error at the bracket too deep, not a crash", () => {
  for (const open of ["[", '{"a":']) {
    const text = "\n  " + open.repeat(100_000);
    const { root, error } = parseJsonc(text);
    assertEquals(root, undefined);
    assertEquals(error, {
      message: "nested too deeply (more than 64 levels)",
      offset: 3 + 64 * open.length,
    });
  }
  // 64 levels are fine, with content after them.
  const ok = parseJsonc("[".repeat(64) + "1" + "]".repeat(64) + " // end");
  assertEquals(ok.error, undefined);
});

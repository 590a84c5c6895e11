import { assertEquals, assertThrows } from "../../tests/assert.ts";
import { LlamaPackError } from "../errors.ts";
import { checkServerArgs } from "./check_args.ts";
import type { FlagSpec } from "./adapter.ts";

const FLAGS: FlagSpec[] = [
  { names: ["-c", "--ctx-size"], value: "required" },
  { names: ["-n", "--predict"], value: "required" },
  { names: ["--jinja", "--no-jinja"], value: "none" },
  { names: ["-fa", "--flash-attn"], value: "optional", choices: ["on", "off", "auto"] },
  { names: ["--control-vector-layer-range"], value: "required", arity: 2 },
  { names: ["--port"], value: "required" },
];
const opts = {
  label: "the args to store",
  server: "llama-server",
  reserved: [{ key: "--port", what: "the port", instead: "use -p" }],
  ownFlags: ["-n"],
};

Deno.test("checkServerArgs() accepts what the server can take", async (t) => {
  const good: string[][] = [
    [],
    ["-c", "8192", "--jinja"],
    ["--ctx-size=4096", "-fa"],
    ["-fa", "on", "-c", "-1"],
    ["--control-vector-layer-range", "1", "9"],
  ];
  for (const args of good) {
    await t.step(
      args.join(" ") || "(none)",
      () => assertEquals(checkServerArgs(args, FLAGS, opts), []),
    );
  }
});

Deno.test("checkServerArgs() refuses what would break the server, saying where", async (t) => {
  const bad: [string[], string, string | undefined][] = [
    [
      ["-c", "8192", "-n"],
      "'-n' in the args to store needs a value",
      "everything after -- goes to llama-server; llama-pack's own -n goes before --",
    ],
    [
      ["-c", "--jinja"],
      "'-c' in the args to store needs a value, but is followed by the flag '--jinja'",
      undefined,
    ],
    [
      ["-c", "1", "x"],
      "unexpected argument 'x' in the args to store (llama-server args are flags, each followed by its value)",
      undefined,
    ],
    [
      ["--jinja", "yes"],
      "unexpected argument 'yes' in the args to store after '--jinja', which takes no value (llama-server args are flags, each followed by its value)",
      undefined,
    ],
    [["--jinja=1"], "'--jinja' in the args to store takes no value", undefined],
    [
      ["--port", "1"],
      "cannot pass --port in the args to store: llama-pack sets the port",
      "use -p",
    ],
    [
      ["--control-vector-layer-range", "1"],
      "'--control-vector-layer-range' in the args to store needs a value",
      "give its value after it, or leave --control-vector-layer-range out",
    ],
  ];
  for (const [args, message, hint] of bad) {
    await t.step(args.join(" "), () => {
      const err = assertThrows(() => checkServerArgs(args, FLAGS, opts), LlamaPackError);
      assertEquals([err.code, err.message, err.hint], ["USAGE", message, hint]);
    });
  }
});

Deno.test("checkServerArgs() warns about unknown flags and takes their value along", () => {
  assertEquals(checkServerArgs(["--ctx-sise", "8", "-c", "1"], FLAGS, opts), [
    "'--ctx-sise' in the args to store is not a flag llama-pack knows for llama-server (did you mean '--ctx-size'?); passed on as written",
  ]);
});

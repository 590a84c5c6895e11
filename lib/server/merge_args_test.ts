import { assertEquals, assertThrows } from "../../tests/assert.ts";
import fc from "fast-check";
import { LlamaPackError } from "../errors.ts";
import { LLAMA_SERVER_FLAGS } from "./llama_server.ts";
import { mergeArgs, splitArgs } from "./merge_args.ts";

Deno.test("mergeArgs() merges layers flag-aware", async (t) => {
  const cases: { name: string; layers: string[][]; want: string }[] = [
    {
      name: "short form replaces long form",
      layers: [["--ctx-size", "4096"], ["-c", "8192"]],
      want: "-c 8192",
    },
    {
      name: "long form replaces short form",
      layers: [["-c", "4096"], ["--ctx-size", "8192"]],
      want: "--ctx-size 8192",
    },
    {
      name: "three-way alias group",
      layers: [["-ngl", "10"], ["--gpu-layers", "20"], ["--n-gpu-layers", "99"]],
      want: "--n-gpu-layers 99",
    },
    {
      name: "position of first appearance is kept",
      layers: [["-c", "4096", "-t", "8", "--jinja"], ["-t", "4"]],
      want: "-c 4096 -t 4 --jinja",
    },
    {
      name: "new flags are appended in order",
      layers: [["-c", "4096"], ["-np", "2", "--metrics"]],
      want: "-c 4096 -np 2 --metrics",
    },
    {
      name: "boolean negation replaces the flag",
      layers: [["--jinja", "-c", "1"], ["--no-jinja"]],
      want: "--no-jinja -c 1",
    },
    {
      name: "unknown flag: later same spelling wins",
      layers: [["--frobnicate", "1"], ["--frobnicate", "2"]],
      want: "--frobnicate 2",
    },
    {
      name: "unknown flags of different spelling are both kept",
      layers: [["--frob", "1"], ["-frob", "2"]],
      want: "--frob 1 -frob 2",
    },
    {
      name: "unknown boolean flag followed by a flag",
      layers: [["--shiny", "-c", "5"], ["--shiny"]],
      want: "--shiny -c 5",
    },
    {
      name: "negative numbers are values",
      layers: [["-ngl", "-1", "--seed", "-5"], ["--unknown", "-3"]],
      want: "-ngl -1 --seed -5 --unknown -3",
    },
    {
      name: "duplicate within one layer: last wins",
      layers: [["-c", "1", "--ctx-size", "2"]],
      want: "--ctx-size 2",
    },
    {
      name: "repeatable flags are kept within a layer",
      layers: [["--lora", "a.gguf", "--lora", "b.gguf"]],
      want: "--lora a.gguf --lora b.gguf",
    },
    {
      name: "later layer replaces all repeats of a repeatable flag",
      layers: [["--lora", "a.gguf", "-c", "1", "--lora", "b.gguf"], ["--lora", "c.gguf"]],
      want: "--lora c.gguf -c 1",
    },
    {
      name: "optional value flag with and without value",
      layers: [["-fa", "on", "-c", "1"], ["--flash-attn"]],
      want: "--flash-attn -c 1",
    },
    {
      name: "optional value not a choice stays separate",
      layers: [["-fa", "-c", "1"]],
      want: "-fa -c 1",
    },
    {
      name: "--flag=value counts as the flag",
      layers: [["--ctx-size=4096"], ["-c", "8192"]],
      want: "-c 8192",
    },
    {
      name: "two-value flag",
      layers: [["--control-vector-layer-range", "1", "5", "-c", "3"]],
      want: "--control-vector-layer-range 1 5 -c 3",
    },
    { name: "empty layers", layers: [[], []], want: "" },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      assertEquals(mergeArgs(c.layers, LLAMA_SERVER_FLAGS).join(" "), c.want);
    });
  }
});

Deno.test("mergeArgs() rejects a value flag without its value", () => {
  const err = assertThrows(() => mergeArgs([["-c"]], LLAMA_SERVER_FLAGS), LlamaPackError);
  assertEquals(err.code, "USAGE");
  assertEquals(err.message, "missing value for server flag -c in layer 1");
});

Deno.test("splitArgs() names the label in errors", () => {
  const err = assertThrows(
    () => splitArgs(["--port"], LLAMA_SERVER_FLAGS, { label: "-- args" }),
    LlamaPackError,
  );
  assertEquals(err.message, "missing value for server flag --port in -- args");
});

// Generators over a small vocabulary of known and unknown flags.
const KNOWN_VALUE = [
  "-c",
  "--ctx-size",
  "-ngl",
  "--gpu-layers",
  "--n-gpu-layers",
  "-t",
  "--threads",
];
const KNOWN_BOOL = ["--jinja", "--no-jinja", "--mlock", "--metrics"];
const UNKNOWN = ["--zz", "--yy"];
const argPair = fc.oneof(
  fc.tuple(fc.constantFrom(...KNOWN_VALUE), fc.integer({ min: 0, max: 9999 }).map(String)),
  fc.constantFrom(...KNOWN_BOOL).map((f) => [f]),
  fc.tuple(fc.constantFrom(...UNKNOWN), fc.integer({ min: 0, max: 9 }).map(String)),
);
const layer = fc.array(argPair, { maxLength: 6 }).map((pairs) => pairs.flat());

Deno.test("mergeArgs() properties", async (t) => {
  await t.step("no flag group appears twice", () => {
    fc.assert(fc.property(fc.array(layer, { maxLength: 4 }), (layers) => {
      const keys = splitArgs(mergeArgs(layers, LLAMA_SERVER_FLAGS), LLAMA_SERVER_FLAGS)
        .map((i) => i.key);
      return new Set(keys).size === keys.length;
    }));
  });
  await t.step("every flag of the last layer keeps its last value there", () => {
    fc.assert(fc.property(fc.array(layer, { minLength: 1, maxLength: 4 }), (layers) => {
      const merged = splitArgs(mergeArgs(layers, LLAMA_SERVER_FLAGS), LLAMA_SERVER_FLAGS);
      const last = splitArgs(layers[layers.length - 1] ?? [], LLAMA_SERVER_FLAGS);
      for (const item of last) {
        const lastOfKey = last.filter((i) => i.key === item.key).at(-1);
        const got = merged.find((i) => i.key === item.key);
        if (got?.tokens.join(" ") !== lastOfKey?.tokens.join(" ")) return false;
      }
      return true;
    }));
  });
  await t.step("merging is idempotent", () => {
    fc.assert(fc.property(fc.array(layer, { maxLength: 4 }), (layers) => {
      const once = mergeArgs(layers, LLAMA_SERVER_FLAGS);
      return mergeArgs([once], LLAMA_SERVER_FLAGS).join(" ") === once.join(" ") &&
        mergeArgs([once, once], LLAMA_SERVER_FLAGS).join(" ") === once.join(" ");
    }));
  });
  await t.step("every flag of any layer survives", () => {
    fc.assert(fc.property(fc.array(layer, { maxLength: 4 }), (layers) => {
      const keys = new Set(
        splitArgs(mergeArgs(layers, LLAMA_SERVER_FLAGS), LLAMA_SERVER_FLAGS).map((i) => i.key),
      );
      return layers.every((l) => splitArgs(l, LLAMA_SERVER_FLAGS).every((i) => keys.has(i.key)));
    }));
  });
});

import { assertEquals } from "../../tests/assert.ts";
import {
  displayName,
  displayPath,
  friendlyName,
  modelLabels,
  parseShardName,
} from "./model_names.ts";

Deno.test("modelLabels() tells namesakes apart with the fewest folders", () => {
  const labels = modelLabels([
    { id: "bartowski/gemma.gguf", name: "gemma.gguf" },
    { id: "unsloth/gemma.gguf", name: "gemma.gguf" },
    { id: "a/x/q.gguf", name: "q.gguf" },
    { id: "b/x/q.gguf", name: "q.gguf" },
    { id: "llm/solo.gguf", name: "solo.gguf" },
    { id: "llm/twin.gguf", name: "twin.gguf" },
    { id: "llm/twin.gguf#2", name: "twin.gguf" },
    {
      id: "models--org--R-GGUF/snapshots/r1/R-Q4_K_M.gguf",
      name: "org/R-GGUF/R-Q4_K_M.gguf",
    },
  ]);
  assertEquals(Object.fromEntries(labels), {
    "bartowski/gemma.gguf": "bartowski/gemma.gguf",
    "unsloth/gemma.gguf": "unsloth/gemma.gguf",
    "a/x/q.gguf": "a/x/q.gguf",
    "b/x/q.gguf": "b/x/q.gguf",
    "llm/solo.gguf": "solo.gguf",
    "llm/twin.gguf": "llm/twin.gguf",
    "llm/twin.gguf#2": "llm/twin.gguf#2",
    "models--org--R-GGUF/snapshots/r1/R-Q4_K_M.gguf": "org/R-GGUF/R-Q4_K_M.gguf",
  });
});

Deno.test("displayPath(), displayName(), friendlyName() and parseShardName()", () => {
  assertEquals(displayPath("hf/models--a--b/snapshots/x/sub/c.gguf"), "hf/a/b/sub/c.gguf");
  assertEquals(displayName("hf/models--a--b/snapshots/x/c.gguf"), "a/b/c.gguf");
  assertEquals(friendlyName("a/b/Big-Q4_K_M-00002-of-00003.gguf"), "Big-Q4_K_M");
  assertEquals(friendlyName("plain.GGUF"), "plain");
  assertEquals(parseShardName("x-00004-of-00003.gguf"), null);
});

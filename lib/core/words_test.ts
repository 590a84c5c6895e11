import { assertEquals } from "../../tests/assert.ts";
import { didYouMean, splitWords } from "./words.ts";

Deno.test("didYouMean() and splitWords()", () => {
  assertEquals(didYouMean("hdd_paht", ["hdd_path", "ssd_path"]), "hdd_path");
  assertEquals(didYouMean("zzzzzz", ["hdd_path"]), undefined);
  assertEquals(splitWords(`  -c 4096  --alias "a b" 'c d' `), [
    "-c",
    "4096",
    "--alias",
    "a b",
    "c d",
  ]);
});

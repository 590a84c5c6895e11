import { assert } from "../../tests/assert.ts";
import { helpText } from "./help.ts";
import { parseCliArgs } from "./args.ts";

Deno.test("helpText() fits 80 columns", () => {
  for (const line of helpText("/home/user/.config/llama-pack/config.json").split("\n")) {
    assert(line.length <= 80, `${line.length}: ${line}`);
  }
});

Deno.test("every flag of the original tool's help parses", async (t) => {
  // The original README's --help, flag by flag.
  const cases: string[][] = [
    ["-m", "x"],
    ["--model", "x"],
    ["-m", "x", "-p", "8081"],
    ["-m", "x", "--port", "8081"],
    ["-m", "x", "--host", "0.0.0.0"],
    ["-m", "x", "--store", "--", "-c", "8192"],
    ["-m", "x", "--keep", "--", "-c", "8192"],
    ["-l"],
    ["--list"],
    ["-u"],
    ["--update"],
    ["--status"],
    ["--stat"],
    ["--st"],
    ["--ec"],
    ["--ce"],
    ["--edit-config"],
    ["-k"],
    ["--kill"],
    ["-k", "-p", "8080"],
    ["--killall"],
    ["--kall"],
    ["--simulate", "daily_work"],
    ["--simulate", "test:10g=0s/1h,1d/2h", "--sim-ssd-free", "50g"],
    ["-l", "-v", "-v"],
    ["-l", "--verbose"],
    ["-h"],
    ["--help"],
  ];
  for (const argv of cases) {
    await t.step(argv.join(" "), () => {
      parseCliArgs(argv);
    });
  }
});

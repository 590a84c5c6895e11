import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { type CliAction, FLAGS, parseCliArgs } from "./args.ts";
import { LlamaPackError } from "../errors.ts";
import { helpText } from "./help.ts";

Deno.test("parseCliArgs() maps every alias of the seed's --help to its action", async (t) => {
  const cases: [string[], CliAction["kind"]][] = [
    [["-m", "x"], "run"],
    [["--model", "x"], "run"],
    [["--model=x"], "run"],
    [["-l"], "list"],
    [["--list"], "list"],
    [["-u"], "update"],
    [["--update"], "update"],
    [["--status"], "status"],
    [["--stat"], "status"],
    [["--st"], "status"],
    [["--ec"], "edit-config"],
    [["--ce"], "edit-config"],
    [["--edit-config"], "edit-config"],
    [["-k"], "kill"],
    [["--kill"], "kill"],
    [["--killall"], "killall"],
    [["--kall"], "killall"],
    [["--simulate", "daily_work"], "simulate"],
    [["--simulate-history"], "simulate"],
    [["-h"], "help"],
    [["--help"], "help"],
    [[], "help"],
    [["--version"], "version"],
    [["--cache", "x"], "cache"],
    [["--evict", "x"], "evict"],
    [["--pin", "x"], "pin"],
    [["--unpin", "x"], "unpin"],
    [["--no-cache", "x"], "no-cache"],
    [["--allow-cache", "x"], "allow-cache"],
    [["--cache-stats"], "cache-stats"],
    [["--check", "40g"], "check"],
    [["--recommend", "40g"], "recommend"],
    [["--pull", "o/m"], "pull"],
  ];
  for (const [argv, kind] of cases) {
    await t.step(
      argv.join(" ") || "(none)",
      () => assertEquals(parseCliArgs(argv).action.kind, kind),
    );
  }
});

Deno.test("parseCliArgs() reads options, repeatable -v and passthrough args", () => {
  const cmd = parseCliArgs([
    "-v",
    "-m",
    "gemma5",
    "-p",
    "8081",
    "--host",
    "0.0.0.0",
    "--keep",
    "-vv",
    "-d",
    "--timeout",
    "2m",
    "--",
    "-c",
    "8192",
    "--",
    "x",
  ]);
  assertEquals(cmd.verbose, 3);
  assertEquals(cmd.port, 8081);
  assertEquals(cmd.host, "0.0.0.0");
  assertEquals(cmd.passthrough, ["-c", "8192", "--", "x"]);
  assertEquals(cmd.action, {
    kind: "run",
    model: "gemma5",
    store: true,
    detach: true,
    timeoutSeconds: 120,
    strict: false,
  });
  assertEquals(parseCliArgs(["-m", "x", "--store", "--"]).passthrough, []);
  assertEquals(parseCliArgs(["-m", "x"]).passthrough, undefined);
  const sim = parseCliArgs([
    "--simulate",
    "test:10g=0s/1h,1d/2h",
    "--sim-ssd-free",
    "1.5g",
    "--compare",
  ]);
  assertEquals(sim.action, {
    kind: "simulate",
    target: "test:10g=0s/1h,1d/2h",
    history: false,
    ssdFreeBytes: 1.5 * 1024 ** 3,
    compare: true,
  });
  assertEquals(parseCliArgs(["--check", "40g", "--tier", "ssd"]).action, {
    kind: "check",
    sizeBytes: 40 * 1024 ** 3,
    tier: "ssd",
  });
  assertEquals(parseCliArgs(["-k", "-p", "8080"]).port, 8080);
  const pull = parseCliArgs([
    "--pull",
    "unsloth/Qwen3-8B-GGUF:q4_k_m",
    "--to",
    "primary",
    "--revision",
    "v2",
    "--no-mmproj",
    "--json",
    "-n",
  ]);
  assertEquals(pull.action, {
    kind: "pull",
    ref: "unsloth/Qwen3-8B-GGUF:q4_k_m",
    to: "primary",
    revision: "v2",
    mmproj: false,
  });
  assertEquals([pull.json, pull.dryRun], [true, true]);
  assertEquals(parseCliArgs(["--pull=o/m"]).action, {
    kind: "pull",
    ref: "o/m",
    to: undefined,
    revision: undefined,
    mmproj: true,
  });
});

Deno.test("parseCliArgs() rejects bad input with one-line usage errors", async (t) => {
  const cases: [string[], string][] = [
    [["--bogus"], "unknown option '--bogus'"],
    [["--lsit"], "unknown option '--lsit' (did you mean '--list'?)"],
    [["-m"], "option '-m' needs a value (NAME)"],
    [["-m", "-l"], "option '-m' needs a value (NAME)"],
    [["-l", "-u"], "conflicting actions: '-l' and '-u'"],
    [["-m", "a", "--killall"], "conflicting actions: '-m' and '--killall'"],
    [["-p", "http"], "option '-p': 'http' is not a port number (1-65535)"],
    [["-k", "-p", "0"], "'0' is not a port number"],
    [["-l", "-l"], "option '-l' given twice"],
    [["--store"], "option '--store' only works with -m"],
    [["-l", "--", "-c", "1"], "server args after '--' need a model"],
    [["-l", "--store=1"], "option '--store' takes no value"],
    [["stray"], "unexpected argument 'stray'"],
    [["-m", "x", "--timeout", "0s"], "option '--timeout' must be greater than 0"],
    [["--simulate", "x", "--tier", "ssd"], "option '--tier' only works with --check"],
    [["--model="], "option '--model' needs a non-empty value"],
    [["--cache", " "], "option '--cache' needs a model name"],
    [["--pull", "just-a-name"], "not a Hugging Face repository: 'just-a-name'"],
    [["--pull", "o/m:Q4 K"], "not a quant tag: 'Q4 K'"],
    [["-l", "--to", "primary"], "option '--to' only works with --pull"],
    [["--no-mmproj"], "option '--no-mmproj' only works with --pull"],
    [["--pull", "o/m", "--revision", "a b"], "option '--revision': 'a b' is not a branch"],
    [["--pull", "o/m", "-m", "x"], "conflicting actions: '--pull' and '-m'"],
  ];
  for (const [argv, want] of cases) {
    await t.step(argv.join(" "), () => {
      const err = assertThrows(() => parseCliArgs(argv), LlamaPackError);
      assertEquals(err.exitCode, 2);
      assert(err.message.includes(want), `${err.message} !~ ${want}`);
      assert(!err.message.includes("\n"), "one line");
    });
  }
  await t.step("bad sizes and durations", () => {
    assertEquals(
      assertThrows(() => parseCliArgs(["--check", "big"]), LlamaPackError).code,
      "BAD_SIZE",
    );
    assertEquals(
      assertThrows(() => parseCliArgs(["-m", "x", "--timeout", "soon"]), LlamaPackError).code,
      "BAD_DURATION",
    );
  });
});

Deno.test("helpText() documents every flag", () => {
  const help = helpText("/cfg");
  for (const f of FLAGS) {
    if (f.names.includes("--run-copier") || f.names.includes("--complete-models")) continue;
    for (const n of f.names) {
      assert(new RegExp(`(^|[\\s,])${n}([\\s,=]|$)`, "m").test(help), `help lacks ${n}`);
    }
  }
});

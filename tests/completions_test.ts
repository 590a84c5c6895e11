/**
 * End-to-end: `--completions bash|zsh|fish` in the real shells (zsh and fish
 * when installed): flags, model names from the index (through the names
 * file the scan writes, so completing starts no llama-pack), fixed choices,
 * and how long a completion takes.
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { makeLibrary } from "./gguf_writer.ts";
import { makeSandbox, type Sandbox } from "./sandbox.ts";

async function world(): Promise<Sandbox> {
  const sb = await makeSandbox();
  await makeLibrary(sb.hdd, {
    "bartowski/gemma-3-4b-it-Q4_K_M.gguf": { name: "a" },
    "unsloth/gemma-3-4b-it-Q4_K_M.gguf": { name: "b" },
    "llm/Qwen3-8B-Q4_K_M.gguf": {},
  });
  assertEquals((await sb.run(["-u"])).code, 0);
  return sb;
}

async function shell(sb: Sandbox, cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args,
    env: sb.env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  assertEquals(out.code, 0, dec.decode(out.stderr));
  return dec.decode(out.stdout);
}

const has = async (cmd: string) => {
  try {
    return (await new Deno.Command(cmd, { args: ["--version"], stdout: "null", stderr: "null" })
      .output()).success;
  } catch {
    return false;
  }
};

Deno.test("--completions bash completes flags, model names and choices, in about a millisecond", async (t) => {
  const sb = await world();
  try {
    const script = `${sb.root}/llama-pack.bash`;
    await Deno.writeTextFile(script, (await sb.run(["--completions", "bash"])).stdout);
    const complete = async (...words: string[]) => {
      const out = await shell(sb, "bash", [
        "-c",
        `source ${script}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); ` +
        `COMP_CWORD=${words.length - 1}; _llama_pack; printf '%s\\n' "\${COMPREPLY[@]}"`,
      ]);
      return out.split("\n").filter(Boolean);
    };
    await t.step("model names after -m, by prefix, ignoring case", async () => {
      assertEquals(await complete("llama-pack", "-m", "UNS"), [
        "unsloth/gemma-3-4b-it-Q4_K_M.gguf",
      ]);
      assertEquals(await complete("llama-pack", "--cache", "qw"), ["Qwen3-8B-Q4_K_M.gguf"]);
    });
    await t.step("no prefix match: names that contain it", async () => {
      assertEquals(await complete("llama-pack", "-m", "gemma"), [
        "bartowski/gemma-3-4b-it-Q4_K_M.gguf",
        "unsloth/gemma-3-4b-it-Q4_K_M.gguf",
      ]);
    });
    await t.step("flags and choices", async () => {
      assertEquals(await complete("llama-pack", "--cache-s"), ["--cache-stats"]);
      assertEquals(await complete("llama-pack", "--tier", ""), ["ssd", "hdd"]);
      assertEquals(await complete("llama-pack", "--completions", "f"), ["fish"]);
      assertEquals(await complete("llama-pack", "-p", ""), []);
      assert(
        !(await complete("llama-pack", "--run")).includes("--run-copier"),
        "internal flags hidden",
      );
    });
    await t.step(
      "the names file is what the scan wrote; without it llama-pack is asked",
      async () => {
        assertEquals(
          await Deno.readTextFile(`${sb.state}/model-names.txt`),
          "bartowski/gemma-3-4b-it-Q4_K_M.gguf\nQwen3-8B-Q4_K_M.gguf\nunsloth/gemma-3-4b-it-Q4_K_M.gguf\n",
        );
        const asked = await sb.run(["--complete-models"]);
        assertEquals(asked.stdout, await Deno.readTextFile(`${sb.state}/model-names.txt`));
      },
    );
    await t.step("latency: 200 completions of a model name", async () => {
      const out = await shell(sb, "bash", [
        "-c",
        `source ${script}; start=$EPOCHREALTIME; for i in {1..200}; do ` +
        `COMP_WORDS=(llama-pack -m q); COMP_CWORD=2; _llama_pack; done; ` +
        `echo "$start $EPOCHREALTIME"`,
      ]);
      const [a, b] = out.trim().split(" ").map(Number) as [number, number];
      const perMs = ((b - a) * 1000) / 200;
      console.log(`bash model-name completion: ${perMs.toFixed(2)} ms each`);
      // No process is started per completion; even a loaded machine stays far below this.
      assert(perMs < 20, `${perMs} ms`);
    });
  } finally {
    await sb.cleanup();
  }
});

Deno.test({
  name: "--completions fish completes model names and flags (when fish is installed)",
  ignore: !(await has("fish")),
  fn: async () => {
    const sb = await world();
    try {
      const script = `${sb.root}/llama-pack.fish`;
      await Deno.writeTextFile(script, (await sb.run(["--completions", "fish"])).stdout);
      const complete = async (line: string) =>
        (await shell(sb, "fish", ["--no-config", "-c", `source ${script}; complete -C '${line}'`]))
          .split("\n").filter(Boolean).map((l) => l.split("\t")[0]);
      assertEquals(await complete("llama-pack -m unsl"), ["unsloth/gemma-3-4b-it-Q4_K_M.gguf"]);
      assertStringIncludes((await complete("llama-pack --cache-")).join(" "), "--cache-stats");
      assertEquals((await complete("llama-pack --tier ")).sort(), ["hdd", "ssd"]);
    } finally {
      await sb.cleanup();
    }
  },
});

Deno.test({
  name: "--completions zsh loads and registers itself (when zsh is installed)",
  ignore: !(await has("zsh")),
  fn: async () => {
    const sb = await world();
    try {
      const script = `${sb.root}/_llama-pack`;
      await Deno.writeTextFile(script, (await sb.run(["--completions", "zsh"])).stdout);
      await shell(sb, "zsh", ["-n", script]);
      const out = await shell(sb, "zsh", [
        "-f",
        "-c",
        `autoload -U compinit; compinit -u -D; source ${script}; print -r -- $_comps[llama-pack] $_comps[llp]`,
      ]);
      assertEquals(out.trim(), "_llama_pack _llama_pack");
    } finally {
      await sb.cleanup();
    }
  },
});

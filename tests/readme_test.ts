import { assert, assertEquals } from "./assert.ts";

const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
const pinned = (await Deno.readTextFile(new URL("../.deno-version", import.meta.url))).trim();

Deno.test("README's first lines are the demo and test commands with the pinned Deno", () => {
  const commands = readme.split("\n").filter((l) => l.startsWith("npx -y deno@")).slice(0, 2);
  assertEquals(commands.map((l) => l.split("#")[0]!.trim()), [
    `npx -y deno@${pinned} task demo`,
    `npx -y deno@${pinned} task test`,
  ]);
  assert(readme.indexOf(commands[0]!) < 200, "the commands come first");
});

Deno.test("README names only the pinned Deno version", () => {
  for (const m of readme.matchAll(/deno@(\d+\.\d+\.\d+)/g)) assertEquals(m[1], pinned);
});

Deno.test("deno.json has the tasks the README promises", async () => {
  const json = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  for (const t of ["demo", "test", "check", "bench", "compile", "install"]) {
    assert(t in json.tasks, t);
  }
  assert(json.tasks.test.includes("deno test"));
  assert(json.tasks.compile.includes("--output llama-pack"));
});

Deno.test("README's library example runs against mod.ts", async () => {
  const section = readme.slice(readme.indexOf("## Library use"), readme.indexOf("## Full --help"));
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  assert(code, "the Library use section has a ts example");
  const file = new URL(`./_readme_example_${Deno.pid}.ts`, import.meta.url);
  await Deno.writeTextFile(file, code.replaceAll('"./mod.ts"', '"../mod.ts"'));
  try {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", file.pathname],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
    assert(text.startsWith('true [ "big70" ] worth it:'), text);
    assert(text.includes("Gemma2-9B-Q5_K.gguf"), text);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("README's install route is the one .ci/run runs", async () => {
  const ci = await Deno.readTextFile(new URL("../.ci/run", import.meta.url));
  for (const step of ["npm install -g deno@", "deno task install", "llama-pack --help"]) {
    assert(readme.includes(step), `README: ${step}`);
    assert(ci.includes(step.replace("deno@", "")), `.ci/run: ${step}`);
  }
});

/** Splits a shell line into words (single and double quotes; stops at a comment). */
function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/'([^']*)'|"([^"]*)"|(#.*$)|(\S+)/g)) {
    if (m[3] !== undefined) break;
    out.push(m[1] ?? m[2] ?? m[4]!);
  }
  return out;
}

Deno.test("every llama-pack command the README shows is one llama-pack accepts", async () => {
  const { parseCliArgs } = await import("../lib/cli/args.ts");
  const blocks = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const commands = blocks.flatMap((b) => b.split("\n"))
    .map((l) => words(l.trim()))
    .filter((w) => w[0] === "llp" || w[0] === "llama-pack");
  assert(commands.length > 30, String(commands.length));
  for (const w of commands) {
    const argv = w.slice(1);
    try {
      parseCliArgs(argv);
    } catch (err) {
      throw new Error(`README: llama-pack ${argv.join(" ")}: ${(err as Error).message}`);
    }
  }
});

Deno.test("README says what the defaults do: one use copies into free room", () => {
  assert(!/3 within 7 days by default/.test(readme));
  assert(/\| `cache\.min_uses` +\| `1` +\|/.test(readme));
});

Deno.test("README's 80-column listing is what -l prints (tests/__snapshots__/list-80.txt)", async () => {
  const snapshot = await Deno.readTextFile(
    new URL("./__snapshots__/list-80.txt", import.meta.url),
  );
  const block = /fit the terminal[\s\S]*?```\n([\s\S]*?)```/.exec(readme)?.[1];
  assert(block, "the listing example");
  const rows = snapshot.split("\n");
  const shown = block.trimEnd().split("\n");
  assertEquals(shown[0], rows.find((l) => l.startsWith("Model ")));
  // The rows shown are rows of the snapshot, in its order.
  const at = shown.slice(1).map((l) => rows.indexOf(l));
  assert(at.every((i) => i > 0), shown.join("\n"));
  assertEquals(at, [...at].sort((a, b) => a - b));
});

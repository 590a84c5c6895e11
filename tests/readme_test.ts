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
  for (const t of ["demo", "test", "check", "bench", "compile"]) assert(t in json.tasks, t);
  assert(json.tasks.test.includes("deno test"));
  assert(json.tasks.compile.includes("--output llama-pack"));
});

Deno.test("README's library example runs against mod.ts", async () => {
  const section = readme.slice(readme.indexOf("## Library use"), readme.indexOf("## Full --help"));
  const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
  assert(code, "the Library use section has a ts example");
  const file = new URL(`./_readme_example_${Deno.pid}.ts`, import.meta.url);
  await Deno.writeTextFile(file, code.replaceAll("jsr:@llama-pack/llama-pack", "../mod.ts"));
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

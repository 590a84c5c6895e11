/**
 * The house layout (ARCHITECTURE.md) as tests: the pure core and the
 * simulator touch no file system, process, database or clock and import
 * nothing outside themselves; no non-test source file is over 400 lines.
 */
import { dirname, join, relative, resolve } from "node:path";
import { assertEquals } from "./assert.ts";

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "..");

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(join(ROOT, dir))) {
    const path = join(dir, e.name);
    if (e.isDirectory) out.push(...await sources(path));
    else if (e.name.endsWith(".ts") && !e.name.endsWith("_test.ts")) out.push(path);
  }
  return out.sort();
}

/** Import specifiers of a module's code (doc examples are comments and are skipped). */
function importsOf(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const specs: string[] = [];
  for (
    const m of code.matchAll(/(?:import|export)[^"';]*?from\s*"([^"]+)"|import\(\s*"([^"]+)"\s*\)/g)
  ) {
    specs.push(m[1] ?? m[2]!);
  }
  return specs;
}

/** What a pure module may not use: I/O, processes, the clock. */
const IMPURE = /\bDeno\.|\bDate\.now\(|new Date\(\)|performance\.now\(|\bsetTimeout\(|\bfetch\(/;
const IMPURE_IMPORTS = /^node:(fs|fs\/promises|child_process|sqlite|net|http|os|process)$/;

for (
  const [layer, allowed] of [["lib/core", ["lib/core", "lib/errors.ts"]], ["sim", [
    "sim",
    "lib/core",
    "lib/errors.ts",
  ]]] as const
) {
  Deno.test(`${layer}/ is pure: no I/O, no clock, imports only ${allowed.join(", ")}`, async () => {
    const problems: string[] = [];
    for (const file of await sources(layer)) {
      const text = await Deno.readTextFile(join(ROOT, file));
      const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
      const bad = IMPURE.exec(code);
      if (bad) problems.push(`${file}: uses ${bad[0]}`);
      for (const spec of importsOf(text)) {
        if (IMPURE_IMPORTS.test(spec)) problems.push(`${file}: imports ${spec}`);
        if (!spec.startsWith(".")) continue;
        const target = relative(ROOT, resolve(ROOT, dirname(file), spec));
        if (!allowed.some((a) => target === a || target.startsWith(a + "/"))) {
          problems.push(`${file}: imports ${target}`);
        }
      }
    }
    assertEquals(problems, []);
  });
}

Deno.test("no non-test source file is over 400 lines", async () => {
  const long: string[] = [];
  for (const dir of ["lib", "sim"]) {
    for (const file of await sources(dir)) {
      const lines = (await Deno.readTextFile(join(ROOT, file))).split("\n").length - 1;
      if (lines > 400) long.push(`${file}: ${lines} lines`);
    }
  }
  for (const file of ["mod.ts", "cli.ts"]) {
    const lines = (await Deno.readTextFile(join(ROOT, file))).split("\n").length - 1;
    if (lines > 400) long.push(`${file}: ${lines} lines`);
  }
  assertEquals(long, []);
});

Deno.test("only lib/commands/ and the entry points import lib/commands/", async () => {
  const problems: string[] = [];
  for (const dir of ["lib", "sim"]) {
    for (const file of await sources(dir)) {
      if (file.startsWith("lib/commands/") || file === "lib/app.ts") continue;
      for (const spec of importsOf(await Deno.readTextFile(join(ROOT, file)))) {
        if (!spec.startsWith(".")) continue;
        const target = relative(ROOT, resolve(ROOT, dirname(file), spec));
        if (target.startsWith("lib/commands/")) problems.push(`${file}: imports ${target}`);
      }
    }
  }
  assertEquals(problems, []);
});

/**
 * Regenerates llama-pack's built-in llama-server flag table
 * (`lib/server/llama_server_flags.ts`) from a real binary's `--help`:
 *
 *     deno run -A tests/real/flag_table.ts [path/to/llama-server]
 *
 * Without an argument it uses the one `deno task real-server` built. What
 * `--help` cannot tell (repeatable flags, optional values with their choices)
 * is kept from the current table.
 *
 * @module
 */

import { parseServerHelp } from "../../lib/server/help_flags.ts";
import { LLAMA_SERVER_FLAGS } from "../../lib/server/llama_server_flags.ts";
import { findRealServer } from "./real_env.ts";

const OUT = new URL("../../lib/server/llama_server_flags.ts", import.meta.url).pathname;

async function main(): Promise<void> {
  let binary = Deno.args[0];
  if (binary === undefined) {
    const real = await findRealServer();
    if (!real.ok) throw new Error(real.reason);
    binary = real.manifest.server;
  }
  const run = (args: string[]) =>
    new Deno.Command(binary!, { args, stdout: "piped", stderr: "piped", clearEnv: true }).output();
  const help = new TextDecoder().decode((await run(["--help"])).stdout);
  const v = await run(["--version"]);
  const version = new TextDecoder().decode(v.stderr).split("\n").find((l) =>
    l.startsWith("version")
  );
  const old = new Map<string, (typeof LLAMA_SERVER_FLAGS)[number]>();
  for (const f of LLAMA_SERVER_FLAGS) for (const n of f.names) old.set(n, f);
  const lines: string[] = [];
  for (const f of parseServerHelp(help)) {
    const prev = f.names.map((n) => old.get(n)).find((x) => x !== undefined);
    const env = f.env?.[0]?.replace(/^LLAMA_ARG_/, "") ?? "";
    const names = f.names.map((n) => JSON.stringify(n)).join(", ");
    const envArg = JSON.stringify(env);
    if (f.removed !== undefined) {
      lines.push(`  gone(${JSON.stringify(f.removed)}, ${envArg}, ${names}),`);
    } else if (f.value === "none") {
      lines.push(`  bool(${envArg}, ${names}),`);
    } else if (prev?.value === "optional") {
      lines.push(`  opt(${JSON.stringify(prev.choices ?? [])}, ${envArg}, ${names}),`);
    } else if (prev?.repeatable) {
      lines.push(`  many(${envArg}, ${names}),`);
    } else if ((f.arity ?? 1) > 1) {
      lines.push(`  req2(${envArg}, ${names}),`);
    } else {
      lines.push(`  req(${envArg}, ${names}),`);
    }
  }
  const text = (await Deno.readTextFile(OUT)).replace(
    /(\/\/ BEGIN GENERATED[^\n]*\n)[\s\S]*(\n\s*\/\/ END GENERATED)/,
    `$1  // from ${version ?? "llama-server"} --help\n${lines.join("\n")}$2`,
  );
  await Deno.writeTextFile(OUT, text);
  console.error(`wrote ${lines.length} flags to ${OUT}`);
}

if (import.meta.main) await main();

#!/usr/bin/env -S deno run --allow-all
/**
 * The `llama-pack` command. The only place that reads `Deno.args`, writes to
 * the real terminal and exits.
 *
 * @example Running the CLI
 * ```sh
 * deno run -A jsr:@llama-pack/llama-pack -m gemma5 -- -c 8192
 * ```
 *
 * @module
 */

import { ALL_PERMISSIONS_NEEDED, runApp } from "./lib/app.ts";

const PERMISSIONS = ["read", "write", "net", "env", "run", "sys", "ffi"] as const;

/** The permissions this Deno was not given (asking Deno, never prompting the user). */
function missingPermissions(): string[] {
  return PERMISSIONS.filter((name) => {
    try {
      return Deno.permissions.querySync({ name }).state !== "granted";
    } catch {
      return true;
    }
  });
}

/**
 * Runs llama-pack with the process's arguments and exits with its status.
 *
 * @param args The arguments. @default Deno.args
 * @returns Never: the process exits.
 */
export async function main(args: readonly string[] = Deno.args): Promise<never> {
  const enc = new TextEncoder();
  const missing = missingPermissions();
  if (missing.length > 0) {
    // One line instead of Deno's prompts or a NotCapable stack trace.
    Deno.stderr.writeSync(enc.encode(
      `error: ${ALL_PERMISSIONS_NEEDED}; missing: ${missing.join(", ")}\n` +
        `hint: deno run -A cli.ts, or install the command: deno task install\n`,
    ));
    Deno.exit(2);
  }
  const write = (fd: typeof Deno.stdout) => (text: string) => {
    const bytes = enc.encode(text);
    let off = 0;
    try {
      while (off < bytes.length) off += fd.writeSync(bytes.subarray(off));
    } catch (err) {
      // The reader went away (`llama-pack … | head`): keep working, quietly.
      if (!(err instanceof Deno.errors.BrokenPipe)) throw err;
    }
  };
  let columns: number | undefined;
  try {
    columns = Deno.consoleSize().columns;
  } catch { /* not a terminal */ }
  const code = await runApp(args, {
    env: Deno.env.toObject(),
    out: write(Deno.stdout),
    err: write(Deno.stderr),
    isTty: Deno.stdout.isTerminal(),
    ...(columns === undefined ? {} : { columns }),
    ...(Deno.stdin.isTerminal() ? { ask: askOnTerminal(write(Deno.stderr)) } : {}),
  });
  Deno.exit(code);
}

/** Writes the question, reads one line from stdin (without the newline). */
function askOnTerminal(write: (text: string) => void) {
  return async (question: string): Promise<string | null> => {
    write(question);
    const buf = new Uint8Array(1);
    const bytes: number[] = [];
    for (;;) {
      const n = await Deno.stdin.read(buf);
      if (n === null) return bytes.length ? new TextDecoder().decode(new Uint8Array(bytes)) : null;
      if (buf[0] === 10) return new TextDecoder().decode(new Uint8Array(bytes)).replace(/\r$/, "");
      bytes.push(buf[0]!);
    }
  };
}

if (import.meta.main) await main();

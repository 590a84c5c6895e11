/**
 * `deno task install`: installs the `llama-pack` command from this clone,
 * with the permissions it needs (`--allow-all`), next to the `deno` on your
 * PATH — after `npm install -g deno@<version>` that is npm's global bin
 * directory, which is already on PATH. Options: `--root DIR` installs into
 * `DIR/bin` instead (as `deno install --root`); `DENO_INSTALL_ROOT` does the
 * same.
 *
 * @example
 * ```sh
 * npm install -g deno@2.9.6   # the version in .deno-version
 * deno task install           # in the clone
 * llama-pack --help
 * ```
 *
 * @module
 */

import { basename, delimiter, dirname, join } from "node:path";

/** Where the command goes, and whether its directory is on PATH. */
export interface InstallPlace {
  /** The `--root` for `deno install` (the command lands in `root/bin`). */
  root: string;
  /** Whether `root/bin` is on PATH. */
  onPath: boolean;
}

/**
 * Chooses where to install: an explicit root, else the bin directory of the
 * `deno` on PATH that is this Deno, else Deno's default (`~/.deno`).
 *
 * @param options The explicit root, PATH's directories, this Deno's real path,
 *   a real-path function, the home directory.
 * @returns The root and whether its bin is on PATH; `undefined` when no
 *   `deno` on PATH is this one (the installed command could not run).
 *
 * @example npm's global bin directory
 * ```ts
 * import assert from "node:assert/strict";
 * import { installPlace } from "./install.ts";
 * const place = installPlace({
 *   root: undefined, path: ["/home/u/.npm-global/bin", "/usr/bin"], deno: "/n/deno/deno",
 *   realPath: (p) => p === "/home/u/.npm-global/bin/deno" ? "/n/deno/deno" : undefined, home: "/home/u",
 * });
 * assert.deepEqual(place, { root: "/home/u/.npm-global", onPath: true });
 * ```
 */
export function installPlace(options: {
  root: string | undefined;
  path: readonly string[];
  deno: string;
  realPath: (p: string) => string | undefined;
  home: string;
}): InstallPlace | undefined {
  const onPath = (root: string) => options.path.includes(join(root, "bin"));
  if (options.root !== undefined) return { root: options.root, onPath: onPath(options.root) };
  const denoDir = options.path.find((d) => options.realPath(join(d, "deno")) === options.deno);
  if (denoDir === undefined) return undefined;
  if (basename(denoDir) === "bin") return { root: dirname(denoDir), onPath: true };
  const fallback = join(options.home, ".deno");
  return { root: fallback, onPath: onPath(fallback) };
}

function realPath(p: string): string | undefined {
  try {
    return Deno.realPathSync(p);
  } catch {
    return undefined;
  }
}

async function run(cmd: string, args: string[], env?: Record<string, string>) {
  const out = await new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
    ...(env ? { env } : {}),
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, text: dec.decode(out.stdout) + dec.decode(out.stderr) };
}

async function main(args: string[]): Promise<number> {
  const at = args.indexOf("--root");
  const explicit = at >= 0 ? args[at + 1] : Deno.env.get("DENO_INSTALL_ROOT") || undefined;
  const path = (Deno.env.get("PATH") ?? "").split(delimiter).filter(Boolean);
  const home = Deno.env.get("HOME") ?? ".";
  const deno = realPath(Deno.execPath()) ?? Deno.execPath();
  const place = installPlace({ root: explicit, path, deno, realPath, home });
  if (place === undefined) {
    const version = (await Deno.readTextFile(new URL(".deno-version", import.meta.url))).trim();
    console.error(
      `error: this deno (${Deno.execPath()}) is not on your PATH, so an installed llama-pack could not start it\n` +
        `hint: npm install -g deno@${version}, then run deno task install again ` +
        `(npx runs a deno that stays off PATH)`,
    );
    return 1;
  }
  const repo = dirname(new URL(import.meta.url).pathname);
  const r = await run(Deno.execPath(), [
    "install",
    "--global",
    "--allow-all",
    "--force",
    "--name",
    "llama-pack",
    "--root",
    place.root,
    "--config",
    join(repo, "deno.json"),
    join(repo, "cli.ts"),
  ]);
  if (r.code !== 0) {
    console.error(`error: deno install failed:\n${r.text.trimEnd()}`);
    return 1;
  }
  const command = join(place.root, "bin", "llama-pack");
  const check = await run(command, ["--version"]);
  if (check.code !== 0) {
    console.error(`error: ${command} was installed but does not run:\n${check.text.trimEnd()}`);
    return 1;
  }
  console.log(`installed ${check.text.trim()}: ${command}`);
  console.log(
    `  runs ${join(repo, "cli.ts")} with deno run --allow-all (edits in the clone apply)`,
  );
  if (!place.onPath) {
    console.log(
      `  ${dirname(command)} is not on your PATH: export PATH="${dirname(command)}:$PATH"`,
    );
  }
  console.log(
    "  shell completions: source <(llama-pack --completions bash)   (or zsh; fish: | source)",
  );
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));

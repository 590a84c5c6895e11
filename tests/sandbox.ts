/**
 * End-to-end test helpers: a sandbox (temp HOME, config, state dir, an
 * "hdd" and an "ssd" directory) and a runner that executes the real CLI as a
 * subprocess against it. Nothing touches the real $HOME.
 *
 * @module
 */

import { dirname, join } from "node:path";
import { StateStore } from "../lib/state/store.ts";

/** The fake llama-server executable. */
export const FAKE_SERVER: string = new URL("./fixtures/llama-server", import.meta.url).pathname;
/** The CLI entry. */
export const CLI: string = new URL("../cli.ts", import.meta.url).pathname;

/** A temp world for one test. */
export interface Sandbox {
  /** The temp root (also $HOME). */
  root: string;
  /** The "HDD" models directory. */
  hdd: string;
  /** The "SSD" models directory. */
  ssd: string;
  /** The config file. */
  config: string;
  /** The state dir. */
  state: string;
  /** The environment to run the CLI with. */
  env: Record<string, string>;
  /** Rewrites the config (merged over the sandbox defaults). */
  writeConfig(extra?: Record<string, unknown>): Promise<void>;
  /** Starts the CLI as a child with piped output (for long-running commands). */
  spawn(args: string[]): Deno.ChildProcess;
  /** Runs the CLI; never throws on a non-zero exit. */
  run(
    args: string[],
    options?: { env?: Record<string, string>; stdin?: string },
  ): Promise<CliResult>;
  /** Removes everything. */
  cleanup(): Promise<void>;
}

/** What a CLI run produced. */
export interface CliResult {
  /** Exit status. */
  code: number;
  /** Standard output. */
  stdout: string;
  /** Standard error. */
  stderr: string;
}

/**
 * Creates a sandbox with a valid config whose server is the fake llama-server.
 *
 * @param extra Config keys to set or override.
 * @returns The sandbox; call `cleanup()` in `finally`.
 */
export async function makeSandbox(extra: Record<string, unknown> = {}): Promise<Sandbox> {
  const root = await Deno.makeTempDir({ prefix: "llama-pack-test-" });
  const hdd = join(root, "hdd");
  const ssd = join(root, "ssd");
  await Deno.mkdir(hdd, { recursive: true });
  await Deno.mkdir(ssd, { recursive: true });
  const config = join(root, "config", "config.json");
  const state = join(root, "state");
  // Start from the real environment (certificates, proxies, PATH) but move
  // everything llama-pack reads from $HOME into the sandbox, drop the
  // LLAMA_ARG_* (and other LLAMA_*) variables that would change what a real
  // llama-server does, and keep Deno's own
  // module cache where it is so runs do not download again.
  const env: Record<string, string> = { ...Deno.env.toObject() };
  for (const k of Object.keys(env)) {
    if (
      /^(LLAMA_|XDG_|FAKE_LLAMA_|HF_|HUGGINGFACE_)/.test(k) ||
      ["EDITOR", "VISUAL", "NO_COLOR", "OLLAMA_MODELS"].includes(k)
    ) {
      delete env[k];
    }
  }
  env.DENO_DIR ??= await denoDir() ?? join(env.HOME ?? root, ".cache", "deno");
  Object.assign(env, {
    HOME: root,
    // The running deno first, so fixtures with a `deno` shebang find it.
    PATH: `${dirname(Deno.execPath())}:${env.PATH ?? "/usr/bin:/bin"}`,
    LLAMA_PACK_CONFIG: config,
    LLAMA_PACK_STATE_DIR: state,
    NO_COLOR: "1",
    // The stores of other tools are looked for under the sandbox's HOME; this
    // keeps the Ollama system service's /usr/share/ollama out of tests too.
    OLLAMA_MODELS: join(root, ".ollama", "models"),
  });
  const sb: Sandbox = {
    root,
    hdd,
    ssd,
    config,
    state,
    env,
    async writeConfig(more: Record<string, unknown> = {}) {
      await Deno.mkdir(join(root, "config"), { recursive: true });
      await Deno.writeTextFile(
        config,
        JSON.stringify(
          {
            ssd_path: ssd,
            hdd_path: hdd,
            ssd_min_free_gb: 0,
            server_binary: FAKE_SERVER,
            ...extra,
            ...more,
          },
          null,
          2,
        ),
      );
    },
    spawn(args) {
      return new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", CLI, ...args],
        env,
        clearEnv: true,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
        cwd: root,
      }).spawn();
    },
    async run(args, options = {}) {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", CLI, ...args],
        env: { ...env, ...options.env },
        clearEnv: true,
        stdin: options.stdin === undefined ? "null" : "piped",
        stdout: "piped",
        stderr: "piped",
        cwd: root,
      }).spawn();
      if (options.stdin !== undefined) {
        const w = child.stdin.getWriter();
        await w.write(new TextEncoder().encode(options.stdin));
        await w.close();
      }
      const out = await child.output();
      const dec = new TextDecoder();
      return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
    },
    async cleanup() {
      // Background copiers (and servers a test left behind) outlive the CLI:
      // stop them first, so none writes into the sandbox after it is removed.
      await killSandboxProcesses(root);
      await Deno.remove(root, { recursive: true }).catch(() => {});
    },
  };
  await sb.writeConfig();
  return sb;
}

/**
 * Opens the sandbox's state store for `fn` and closes it after.
 *
 * @param sb The sandbox.
 * @param fn What to do with the store.
 * @returns What `fn` returned.
 */
export function withStore<T>(sb: Sandbox, fn: (s: StateStore) => T): T {
  const store = StateStore.open(sb.state);
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

let cachedDenoDir: Promise<string | undefined> | undefined;

/**
 * The module cache this Deno uses (`deno info --json`), so children with a
 * sandbox HOME find every dependency already downloaded.
 */
function denoDir(): Promise<string | undefined> {
  cachedDenoDir ??= new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output().then((out) => {
    try {
      const dir = JSON.parse(new TextDecoder().decode(out.stdout)).denoDir;
      return typeof dir === "string" ? dir : undefined;
    } catch {
      return undefined;
    }
  }).catch(() => undefined);
  return cachedDenoDir;
}

/**
 * SIGKILLs every process whose environment points into `root` (Linux /proc):
 * background copiers, and servers a test left behind on purpose (a `--serve`
 * killed with SIGKILL leaves its children to the next start, which a test
 * that ends there never makes).
 */
async function killSandboxProcesses(root: string): Promise<void> {
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir("/proc"));
  } catch {
    return;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e.name)) continue;
    try {
      if (Number(e.name) === Deno.pid) continue;
      const environ = await Deno.readTextFile(`/proc/${e.name}/environ`);
      if (environ.includes(`HOME=${root}\0`)) Deno.kill(Number(e.name), "SIGKILL");
    } catch {
      // The process ended meanwhile, or is not ours to read.
    }
  }
}

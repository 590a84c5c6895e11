/**
 * `deno task real-server`: builds a real `llama-server` and `llama-gguf-split`
 * from the llama.cpp source that the npm package `node-llama-cpp` ships as a
 * git bundle, and writes the tiny real models the end-to-end tests in
 * `tests/real/` use. Everything goes to a cache directory outside the repo
 * (see {@link realCacheDir}) and is reused when present, so only the first run
 * on a machine compiles (a few minutes on 2 cores).
 *
 * - `LLAMA_PACK_REAL_SERVER=/path/to/llama-server` uses that binary instead of
 *   building one (`llama-gguf-split` is looked for beside it, else built).
 * - `--install-deps` (what `.ci/run` passes) apt-get installs `cmake`,
 *   `python3-numpy` and `git` when missing; without it a missing tool is named
 *   with the command that installs it.
 * - `--force` rebuilds and rewrites everything.
 *
 * Exit 0 when `manifest.json` in the cache is complete; 3 when this machine
 * cannot build it (a tool missing and not installable, the npm registry out
 * of reach): the real tests then skip; 1 when the build itself failed. Either
 * way one line on stderr says what could not be done.
 *
 * @module
 */

import { join } from "node:path";
import {
  MANIFEST_NAME,
  NODE_LLAMA_CPP,
  realCacheDir,
  type RealManifest,
  writeJsonAtomic,
} from "./real_env.ts";

const MODELS_SCRIPT = new URL("./write_models.py", import.meta.url).pathname;

const CMAKE_FLAGS = [
  "-DCMAKE_BUILD_TYPE=Release",
  // (-O1 instead of Release's -O3 was measured: 15.3 against 16.1 CPU-minutes,
  // too little to trade the research's flags for.)
  "-DBUILD_SHARED_LIBS=OFF",
  "-DLLAMA_OPENSSL=OFF",
  "-DLLAMA_USE_PREBUILT_UI=OFF",
  "-DLLAMA_BUILD_UI=OFF",
  "-DGGML_NATIVE=OFF",
  "-DLLAMA_BUILD_TESTS=OFF",
  "-DLLAMA_BUILD_EXAMPLES=OFF",
  "-DLLAMA_BUILD_APP=OFF",
];

/** Why the build failed; `cannotRun` when this machine lacks what it needs (exit 3). */
class BuildError extends Error {
  constructor(message: string, readonly cannotRun = false) {
    super(message);
  }
}

function log(line: string): void {
  console.error(`real-server: ${line}`);
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Runs a command with inherited output; throws a BuildError naming it on failure. */
async function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; quiet?: boolean } = {},
): Promise<void> {
  const out = await new Deno.Command(cmd, {
    args,
    ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
    ...(opts.env === undefined ? {} : { env: opts.env }),
    stdin: "null",
    stdout: opts.quiet ? "piped" : "inherit",
    stderr: opts.quiet ? "piped" : "inherit",
  }).output().catch((e) => {
    throw new BuildError(`cannot run ${cmd}: ${e instanceof Error ? e.message : e}`);
  });
  if (!out.success) {
    const tail = opts.quiet
      ? new TextDecoder().decode(out.stderr).trim().split("\n").slice(-5)
      : [];
    for (const line of tail) console.error(line);
    throw new BuildError(`${cmd} ${args.slice(0, 3).join(" ")} failed (exit ${out.code})`);
  }
}

async function succeeds(cmd: string, args: string[]): Promise<boolean> {
  try {
    const out = await new Deno.Command(cmd, { args, stdin: "null", stdout: "null", stderr: "null" })
      .output();
    return out.success;
  } catch {
    return false;
  }
}

/** The python that can import numpy: Debian's first (python3-numpy), then PATH's. */
async function findPython(): Promise<string | undefined> {
  for (const py of ["/usr/bin/python3", "python3"]) {
    if (await succeeds(py, ["-c", "import numpy"])) return py;
  }
  return undefined;
}

async function ensureTools(installDeps: boolean, needCompiler: boolean): Promise<string> {
  const missing: string[] = [];
  if (!(await succeeds("git", ["--version"]))) missing.push("git");
  if (needCompiler && !(await succeeds("cmake", ["--version"]))) missing.push("cmake");
  if (needCompiler && !(await succeeds("c++", ["--version"]))) missing.push("g++");
  let python = await findPython();
  if (python === undefined) missing.push("python3-numpy");
  if (missing.length > 0) {
    if (!installDeps) {
      throw new BuildError(
        `missing ${missing.join(", ")}: apt-get install ${
          missing.join(" ")
        } (or pass --install-deps)`,
        true,
      );
    }
    log(`apt-get install ${missing.join(" ")}`);
    const env = { DEBIAN_FRONTEND: "noninteractive" };
    try {
      await run("apt-get", ["update", "-qq"], { env, quiet: true });
      await run("apt-get", ["install", "-y", "-qq", ...missing], { env, quiet: true });
    } catch (e) {
      throw new BuildError(`cannot install ${missing.join(", ")}: ${(e as Error).message}`, true);
    }
    python = await findPython();
    if (python === undefined) {
      throw new BuildError("python3-numpy installed but numpy not importable", true);
    }
  }
  return python!;
}

/** Fetches the npm package and clones llama.cpp's source from its bundle into `src`. */
async function fetchSource(cache: string, src: string): Promise<string> {
  const dl = join(cache, "download");
  await Deno.mkdir(dl, { recursive: true });
  const tgz = join(dl, `node-llama-cpp-${NODE_LLAMA_CPP}.tgz`);
  if (!(await exists(tgz))) {
    log(`npm pack node-llama-cpp@${NODE_LLAMA_CPP}`);
    const tmp = await Deno.makeTempDir({ dir: dl, prefix: "pack-" });
    await run("npm", ["pack", "--silent", `node-llama-cpp@${NODE_LLAMA_CPP}`], {
      cwd: tmp,
      quiet: true,
    }).catch((e) => {
      throw new BuildError(`cannot fetch the source: ${(e as Error).message}`, true);
    });
    await Deno.rename(join(tmp, `node-llama-cpp-${NODE_LLAMA_CPP}.tgz`), tgz);
    await Deno.remove(tmp, { recursive: true });
  }
  const bundle = join(dl, "package/llama/gitRelease.bundle");
  const info = join(dl, "package/llama/llama.cpp.info.json");
  if (!(await exists(bundle)) || !(await exists(info))) {
    const files = ["package/llama/gitRelease.bundle", "package/llama/llama.cpp.info.json"];
    await run("tar", ["-xzf", tgz, "-C", dl, ...files]);
  }
  const tag = (JSON.parse(await Deno.readTextFile(info)) as { tag: string }).tag;
  if (!(await exists(src))) {
    log(`git clone llama.cpp ${tag} from the bundle`);
    await Deno.remove(`${src}.partial`, { recursive: true }).catch(() => {});
    await run("git", ["clone", "-q", bundle, `${src}.partial`], { quiet: true });
    await Deno.rename(`${src}.partial`, src);
  }
  return tag;
}

async function compile(src: string, build: string, bin: string): Promise<void> {
  const started = performance.now();
  log("cmake configure");
  await run("cmake", ["-S", src, "-B", build, ...CMAKE_FLAGS], { quiet: true });
  const jobs = String(navigator.hardwareConcurrency || 2);
  log(`cmake --build (llama-server, llama-gguf-split) -j${jobs}: a few minutes`);
  await run("cmake", [
    "--build",
    build,
    "--target",
    "llama-server",
    "llama-gguf-split",
    "-j",
    jobs,
  ], { quiet: true });
  await Deno.mkdir(bin, { recursive: true });
  for (const name of ["llama-server", "llama-gguf-split"]) {
    await Deno.copyFile(join(build, "bin", name), join(bin, `${name}.partial`));
    await Deno.rename(join(bin, `${name}.partial`), join(bin, name));
  }
  log(`compiled in ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

async function versionOf(server: string): Promise<string> {
  const out = await new Deno.Command(server, {
    args: ["--version"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
  return text.split("\n").find((l) => l.startsWith("version:"))?.trim() ?? "unknown";
}

/** Writes the models into `dir` (replaced whole, via a temp sibling). */
async function writeModels(python: string, ggufPy: string, split: string, dir: string) {
  const tmp = `${dir}.partial`;
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
  await Deno.mkdir(tmp, { recursive: true });
  log("writing the test models (gguf-py)");
  await run(python, [MODELS_SCRIPT, tmp], { env: { PYTHONPATH: ggufPy }, quiet: true });
  log("splitting the split model (llama-gguf-split)");
  await run(split, [
    "--split",
    "--split-max-size",
    "4M",
    join(tmp, "split-source.gguf"),
    join(tmp, "real-split-F16"),
  ], { quiet: true });
  await Deno.remove(join(tmp, "split-source.gguf"));
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.rename(tmp, dir);
}

async function main(args: string[]): Promise<void> {
  const started = performance.now();
  const force = args.includes("--force");
  const installDeps = args.includes("--install-deps");
  const cache = realCacheDir();
  const manifestPath = join(cache, MANIFEST_NAME);
  const given = Deno.env.get("LLAMA_PACK_REAL_SERVER");
  if (!force && (await exists(manifestPath))) {
    const m = JSON.parse(await Deno.readTextFile(manifestPath)) as RealManifest;
    if ((given === undefined || m.server === given) && (await exists(m.server))) {
      log(`ready in ${cache} (${m.version}); --force rebuilds`);
      return;
    }
  }
  if (given !== undefined && !(await exists(given))) {
    throw new BuildError(`LLAMA_PACK_REAL_SERVER=${given}: no such file`);
  }
  await Deno.mkdir(cache, { recursive: true });
  await Deno.remove(manifestPath).catch(() => {});
  const givenSplit = given === undefined ? undefined : join(given, "..", "llama-gguf-split");
  const haveSplit = givenSplit !== undefined && (await exists(givenSplit));
  const bin = join(cache, "bin");
  const builtServer = join(bin, "llama-server");
  const builtSplit = join(bin, "llama-gguf-split");
  const needCompile = (given === undefined || !haveSplit) &&
    (force || !(await exists(builtServer)) || !(await exists(builtSplit)));
  const python = await ensureTools(installDeps, needCompile);
  const src = join(cache, "llama.cpp");
  const tag = await fetchSource(cache, src);
  if (needCompile) await compile(src, join(cache, "build"), bin);
  const server = given ?? builtServer;
  const split = haveSplit ? givenSplit! : builtSplit;
  const models = join(cache, "models");
  await writeModels(python, join(src, "gguf-py"), split, models);
  const manifest: RealManifest = {
    tag,
    version: await versionOf(server),
    server,
    split,
    models: {
      plain: join(models, "real-tiny-F16.gguf"),
      split: join(models, "real-split-F16-00001-of-00002.gguf"),
      slow: join(models, "real-slow-F16.gguf"),
      broken: join(models, "real-broken-F16.gguf"),
    },
  };
  for (const path of Object.values(manifest.models)) {
    if (!(await exists(path))) throw new BuildError(`model not written: ${path}`);
  }
  // The build tree is only needed again with --force; keep the source (gguf-py).
  await Deno.remove(join(cache, "build"), { recursive: true }).catch(() => {});
  await writeJsonAtomic(manifestPath, manifest);
  log(
    `ready in ${cache} (${manifest.version}) after ${
      ((performance.now() - started) / 1000).toFixed(0)
    } s`,
  );
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (e) {
    if (!(e instanceof BuildError)) throw e;
    log(`cannot build: ${e.message}`);
    Deno.exit(e.cannotRun ? 3 : 1);
  }
}

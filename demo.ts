/**
 * `deno task demo`: builds a sample model library in a temp dir (an "hdd"
 * and an "ssd" directory with real GGUF headers and sparse bodies, so 100 GB
 * of models cost nothing), points a config at it and at the test fake
 * `llama-server`, and runs every user command, labelled. It leaves nothing
 * behind: servers are stopped and the temp dir is removed.
 *
 * @module
 */

import { join } from "node:path";
import { makeLibrary, shardEntries } from "./tests/gguf_writer.ts";
import { makeSandbox, type Sandbox } from "./tests/sandbox.ts";
import { freePort } from "./tests/fixtures/fake_server.ts";

const GIB = 1024 ** 3;
const bold = (s: string) =>
  Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR") ? `\x1b[1m${s}\x1b[0m` : s;
const dim = (s: string) =>
  Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR") ? `\x1b[2m${s}\x1b[0m` : s;

function section(title: string): void {
  console.log(`\n${bold(`== DEMO: ${title}`)}`);
}

/** Runs the real CLI with the sandbox's environment, output straight to the terminal. */
async function llp(sb: Sandbox, args: string[], quiet = false): Promise<number> {
  console.log(dim(`$ llama-pack ${args.map((a) => /[\s;"]/.test(a) ? `'${a}'` : a).join(" ")}`));
  const env = { ...sb.env };
  if (Deno.stdout.isTerminal() && !Deno.env.get("NO_COLOR")) delete env.NO_COLOR;
  const out = await new Deno.Command(Deno.execPath(), {
    // --quiet: Deno's own lines (a dependency fetched on a first run) stay out of the demo.
    args: ["run", "--quiet", "--allow-all", join(import.meta.dirname!, "cli.ts"), ...args],
    env,
    clearEnv: true,
    stdin: "null",
    stdout: quiet ? "null" : "inherit",
    stderr: quiet ? "null" : "inherit",
  }).output();
  if (out.code !== 0) console.log(dim(`(exit status ${out.code})`));
  return out.code;
}

/** Waits (bounded) until no copy job is queued or running. */
async function waitForCopies(sb: Sandbox, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const r = await sb.run(["--status", "--json"]);
    try {
      const status = JSON.parse(r.stdout) as { copies?: { state: string }[] };
      if (!(status.copies ?? []).some((c) => c.state === "queued" || c.state === "copying")) return;
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Starts `--serve`, sends what a client would send, shows the answers, stops it with SIGTERM. */
async function serveDemo(sb: Sandbox): Promise<void> {
  const listen = freePort();
  const first = freePort();
  await sb.writeConfig({
    ssd_min_free_gb: 1,
    ssd_limit_gb: 4,
    global_llama_args: ["-ngl", "99"],
    serve: { listen: `127.0.0.1:${listen}`, child_ports: `${first}-${first + 20}` },
  });
  const base = `http://127.0.0.1:${listen}`;
  console.log(dim("$ llama-pack --serve &"));
  const env = { ...sb.env };
  const serve = new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "--allow-all", join(import.meta.dirname!, "cli.ts"), "--serve"],
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  try {
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const up = await fetch(`${base}/health`).then((r) => (r.body?.cancel(), r.ok), () => false);
      if (up) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const show = async (method: string, path: string, body?: unknown) => {
      const data = body === undefined ? "" : ` -d '${JSON.stringify(body)}'`;
      console.log(dim(`$ curl -s${method === "GET" ? "" : ` -X ${method}`} ${base}${path}${data}`));
      const res = await fetch(`${base}${path}`, {
        method,
        ...(body === undefined
          ? {}
          : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
      });
      return { status: res.status, json: await res.json() };
    };
    const chat = await show("POST", "/v1/chat/completions", {
      model: "gemma-3-1b",
      messages: [{ role: "user", content: "hi" }],
      max_tokens: 8,
    });
    console.log(`${chat.status} ${JSON.stringify(chat.json.choices?.[0]?.message ?? chat.json)}`);
    const models = await show("GET", "/v1/models");
    for (const m of models.json.data ?? []) console.log(`  ${m.id}: ${m.status?.value}`);
    const stats = await show("GET", "/api/cache/stats");
    const tier = (t: Record<string, unknown>) =>
      `${t.used_gb} GB used of ${t.limit_gb ?? "the disk"}, ${t.usage_percent}% (${t.color})`;
    console.log(
      `  primary: ${tier(stats.json.primary)}\n  secondary: ${tier(stats.json.secondary)}`,
    );
  } finally {
    console.log(dim("$ kill -TERM %1"));
    serve.kill("SIGTERM");
    await serve.status;
  }
}

if (import.meta.main) {
  const sb = await makeSandbox();
  const port = freePort();
  try {
    console.log(
      bold("llama-pack demo") + ` — everything happens in ${sb.root} and is removed at the end.`,
    );
    console.log(
      "The models are real GGUF headers with sparse bodies; the server is the test fake llama-server.",
    );

    // Every dependency, fetched now and quietly (a first run of the CLI as the
    // demo runs it): no download line lands in the demo's output.
    await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--allow-all", join(import.meta.dirname!, "cli.ts"), "--version"],
      env: sb.env,
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();

    section("first run writes a commented default config");
    await Deno.remove(sb.config);
    sb.env.LLAMA_PACK_CONFIG = join(sb.root, "first-run", "config.json");
    await llp(sb, ["--update"]);
    sb.env.LLAMA_PACK_CONFIG = sb.config;
    // A 4 GiB cache limit keeps the demo's real copies small.
    await sb.writeConfig({
      ssd_min_free_gb: 1,
      ssd_limit_gb: 4,
      global_llama_args: ["-ngl", "99"],
    });
    console.log(dim(`(the demo now uses its own config: ssd_path=${sb.ssd}, hdd_path=${sb.hdd})`));

    await makeLibrary(sb.hdd, {
      "llm/gemma-3-1b-it-Q5_K_M.gguf": {
        size: Math.floor(0.85 * GIB),
        architecture: "gemma3",
        parameterCount: 1.0e9,
        fileType: "Q5_K_M",
        contextLength: 32768,
      },
      "llm/Qwen3-30B-A3B-Q4_K_M.gguf": {
        size: Math.floor(17.3 * GIB),
        architecture: "qwen3moe",
        parameterCount: 30.5e9,
        fileType: "Q4_K_M",
        expertCount: 128,
      },
      "vision/Mistral-Small-3.2-24B-Q6_K.gguf": {
        size: Math.floor(18 * GIB),
        parameterCount: 23.6e9,
        fileType: "Q6_K",
      },
      "vision/mmproj-Mistral-Small-3.2-24B-F16.gguf": { projector: true, size: 800 * 1024 ** 2 },
      ...shardEntries("big/Llama-3.3-70B-Instruct-Q4_K_M", 2, {
        size: Math.floor(39.6 * GIB),
        parameterCount: 70.6e9,
        fileType: "Q4_K_M",
      }),
    });
    await makeLibrary(sb.ssd, {
      "scratch/tinyllama-1.1b-chat-Q8_0.gguf": {
        size: Math.floor(1.1 * GIB),
        parameterCount: 1.1e9,
        fileType: "Q8_0",
      },
    });

    section("scan the model directories");
    await llp(sb, ["--update"]);

    section("a rescan reads only new or changed files");
    await llp(sb, ["--update"]);

    section("list models (lowest rank first, the ones you use most end up last)");
    await llp(sb, ["-l"]);

    section("what would run (dry run): fuzzy name, merged args");
    await llp(sb, ["-m", "gemma5", "-n", "--", "-c", "4096", "--ctx-size", "16384"]);

    section(
      "load a model by a fuzzy name, in the background, storing its args; " +
        "it fits in the SSD cache, so a verified copy starts in the background",
    );
    await llp(sb, ["-m", "gemma5", "-d", "-p", String(port), "--store", "--", "-c", "8192"]);
    await llp(sb, ["--status"]);

    section(
      "loading another model on the same port replaces the running one; " +
        "17 GiB does not fit the 4 GiB cache limit and one use may not displace a copy",
    );
    await llp(sb, ["-m", "qwen3", "-d", "-p", String(port), "-v"]);
    await llp(sb, ["-k", "-p", String(port)]);
    await waitForCopies(sb, 60);

    section("the copy finished and was verified: the next load comes from the SSD");
    await llp(sb, ["-m", "gemma5", "-d", "-p", String(port)]);
    await llp(sb, ["--status"]);
    await llp(sb, ["--killall"]);

    section("list with paths and metadata (-v)");
    await llp(sb, ["-l", "-v"]);

    section("cache tiers: usage, fit checks, recommendations");
    await llp(sb, ["--cache-stats"]);
    await llp(sb, ["--check", "40g", "--tier", "ssd"]);
    await llp(sb, ["--recommend", "17g"]);

    section(
      "manual cache verbs: plans first, pinned copies are safe, SSD-only models are never evicted",
    );
    await llp(sb, ["--cache", "qwen3", "-n"]);
    await llp(sb, ["--pin", "gemma5"]);
    await llp(sb, ["--evict", "gemma5"]);
    await llp(sb, ["--unpin", "gemma5"]);
    await llp(sb, ["--evict", "gemma5", "-n"]);
    await llp(sb, ["--evict", "gemma5"]);
    await llp(sb, ["--evict", "tinyllama"]);
    await llp(sb, ["--no-cache", "llama70b"]);

    section(
      "--serve: one OpenAI-compatible endpoint; a request names its model, llama-pack starts it, " +
        "and serves the cache API",
    );
    await serveDemo(sb);

    section("simulate what the cache policy would do (the demo's 4 GiB cache limit lifted)");
    await sb.writeConfig({ ssd_min_free_gb: 1, global_llama_args: ["-ngl", "99"] });
    await llp(sb, ["--simulate", "simple"]);
    await llp(sb, [
      "--simulate",
      "test:10g=0s/1h,1d/2h,2d,3d;big:40g=0s/1h,2d",
      "--sim-ssd-free",
      "45g",
      "-v",
    ]);
    await llp(sb, ["--simulate", "daily_work", "--compare"]);
  } finally {
    await llp(sb, ["--killall"], true);
    await sb.cleanup();
    console.log(`\n${bold("demo done")} — removed ${sb.root}`);
  }
}

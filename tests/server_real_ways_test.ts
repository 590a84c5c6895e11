/**
 * What the real llama-server was seen to do (tests/real/), covered fast with
 * the fake: a stop while loading kills it (not a crash), a stop waits for
 * requests in flight, removed flags are named before starting, inherited
 * LLAMA_ARG_* variables are shown, UNIX sockets work, a missing binary is
 * reported before anything is announced.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { CLI, makeSandbox, type Sandbox, withStore } from "./sandbox.ts";
import { freePort, pollUntil, seedModels } from "./fixtures/fake_server.ts";
import { fetchServer, socketUrl } from "../lib/server/endpoint.ts";

async function withSandbox(fn: (sb: Sandbox) => Promise<void>) {
  const sb = await makeSandbox();
  try {
    await seedModels(sb, [{ id: "Gemma2-9B-Q5_K.gguf", hdd: ["Gemma2-9B-Q5_K.gguf"] }]);
    await fn(sb);
  } finally {
    await sb.run(["--killall"], { env: { LLAMA_PACK_STOP_GRACE_MS: "200" } });
    await sb.cleanup();
  }
}

function spawnCli(sb: Sandbox, args: string[], env: Record<string, string>): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", CLI, ...args],
    env: { ...sb.env, ...env },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    cwd: sb.root,
  }).spawn();
}

async function healthStatus(port: number): Promise<number> {
  return await fetch(`http://127.0.0.1:${port}/health`).then(
    async (r) => (await r.body?.cancel(), r.status),
    () => 0,
  );
}

Deno.test("-k while the server loads: -m -d says it was stopped, not crashed", async () => {
  await withSandbox(async (sb) => {
    const port = freePort();
    const child = spawnCli(sb, ["-m", "gemma", "-d", "-p", String(port)], {
      FAKE_LLAMA_LOAD_SECONDS: "60",
    });
    assert(await pollUntil(() => withStore(sb, (s) => s.servers().length === 1), 20_000));
    for (let i = 0; i < 200 && (await healthStatus(port)) !== 503; i++) {
      await new Promise((r) => setTimeout(r, 25));
    }
    const k = await sb.run(["-k", "-p", String(port)]);
    assertMatch(k.stdout, /stopped with SIGTERM while it was loading in/);
    const out = await child.output();
    const stderr = new TextDecoder().decode(out.stderr);
    assertEquals(out.code, 1, stderr);
    assertStringIncludes(
      stderr,
      "error: llama-server was stopped by SIGTERM while loading Gemma2-9B-Q5_K.gguf (llama-pack -k or --killall, or another program; not a crash)",
    );
  });
});

Deno.test("-k while a client holds a request: says it waits for it, reports the SIGKILL", async () => {
  await withSandbox(async (sb) => {
    const port = freePort();
    const env = { FAKE_LLAMA_WAIT_FOR_CLIENTS: "1" };
    const child = spawnCli(sb, ["-m", "gemma", "-d", "-p", String(port)], env);
    assertEquals((await child.output()).code, 0);
    const ac = new AbortController();
    const res = await fetch(`http://127.0.0.1:${port}/completion`, {
      method: "POST",
      body: JSON.stringify({ prompt: "hi", n_predict: 100000, stream: true }),
      signal: ac.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    const drain = (async () => {
      try {
        while (!(await reader.read()).done);
      } catch {
        // aborted
      }
    })();
    try {
      const k = await sb.run(["-k", "-p", String(port)], {
        env: { LLAMA_PACK_STOP_GRACE_MS: "2000" },
      });
      assertMatch(
        k.stderr,
        /is waiting for 1 request in flight to end before it exits; SIGKILL in \d\.\ds/,
      );
      assertMatch(
        k.stdout,
        /killed with SIGKILL after the 2\.0s grace period \(1 request was still in flight\) in/,
      );
    } finally {
      ac.abort();
      await drain;
    }
  });
});

Deno.test("flags the binary's --help does not list are named before starting, with their replacement", async () => {
  await withSandbox(async (sb) => {
    const r = await sb.run(["-m", "gemma", "-d", "-p", String(freePort()), "--", "--no-mmap"]);
    assertEquals(r.code, 2, r.stderr);
    assertStringIncludes(
      r.stderr,
      "does not accept --no-mmap (in the args after --): use --load-mode none instead\n",
    );
    assert(!r.stderr.includes("starting"), r.stderr);
    withStore(sb, (s) => s.setStoredArgs("Gemma2-9B-Q5_K.gguf", ["-c", "512", "--mlock"]));
    const n = await sb.run(["-m", "gemma", "-n"]);
    assertEquals(n.code, 2, n.stderr);
    assertStringIncludes(n.stderr, "--mlock (in the stored args of Gemma2-9B-Q5_K.gguf)");
    assertStringIncludes(n.stderr, "llama-pack -m Gemma2-9B-Q5_K.gguf --store -- -c 512\n");
    const cache = JSON.parse(await Deno.readTextFile(join(sb.state, "server-flags.json")));
    assert(cache.flags.length > 200);
  });
});

Deno.test("-n shows the LLAMA_ARG_* variables the server would inherit", async () => {
  await withSandbox(async (sb) => {
    const r = await sb.run(["-m", "gemma", "-n", "--", "-c", "512"], {
      env: { LLAMA_ARG_CTX_SIZE: "256", LLAMA_ARG_N_GPU_LAYERS: "99", LLAMA_ARG_BOGUS: "1" },
    });
    assertEquals(r.code, 0, r.stderr);
    assertStringIncludes(
      r.stdout,
      "  environment: LLAMA_ARG_CTX_SIZE=256 (-c/--ctx-size; overridden by -c 512), LLAMA_ARG_N_GPU_LAYERS=99 (-ngl/--gpu-layers/--n-gpu-layers)\n",
    );
  });
});

Deno.test("--host /path/x.sock: ready, --status and -k over the socket", async () => {
  await withSandbox(async (sb) => {
    const sock = join(sb.root, "fake.sock");
    const r = await sb.run(["-m", "gemma", "-d", "--host", sock]);
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stdout, new RegExp(`^ready: unix:${sock} \\(Gemma2-9B-Q5_K\\.gguf from hdd`));
    assertEquals((await fetchServer(socketUrl(sock, "/health"))).status, 200);
    const st = await sb.run(["--status"]);
    assertMatch(st.stdout, new RegExp(`\\n +-  ${sock}  Gemma2-9B-Q5_K\\.gguf  hdd .* ready\\n`));
    const k = await sb.run(["-k", "--host", sock]);
    assertEquals(k.code, 0, k.stderr);
    assertMatch(
      k.stdout,
      new RegExp(`^${sock}: Gemma2-9B-Q5_K\\.gguf \\(pid \\d+\\) stopped with SIGTERM`),
    );
  });
});

Deno.test("a missing server binary is reported before anything is announced", async () => {
  await withSandbox(async (sb) => {
    await sb.writeConfig({ server_binary: join(sb.root, "nope", "llama-server") });
    const r = await sb.run(["-m", "gemma", "-d", "-p", String(freePort())]);
    assertEquals(r.code, 1);
    assertStringIncludes(r.stderr, "error: cannot start server: ");
    assert(!r.stderr.includes("starting"), r.stderr);
  });
});

/**
 * A copy started through the cache API survives a `kill -9` of `--serve`
 * mid-copy: nothing partial is ever under a final name or served, the copy
 * job reads as failed, and the next `--serve` removes the leftovers when it
 * starts; the same copy then succeeds.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./assert.ts";
import { api, apiWorld, followEvents, MIB } from "./api_world.ts";
import { startServe } from "./serve_fixture.ts";
import { withStore } from "./sandbox.ts";
import { hashFile } from "../lib/cache/hash.ts";
import { pollUntil } from "./fixtures/fake_server.ts";

const exists = (p: string) => Deno.stat(p).then(() => true, () => false);
const partials = async (dir: string) =>
  await exists(dir) ? (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort() : [];

Deno.test("kill -9 of --serve mid-copy: nothing partial served, the next start cleans up", async () => {
  const sb = await apiWorld({}, {
    hdd: {
      "llm/Gemma2-9B-Q5_K_M.gguf": { size: 64 * MIB, architecture: "gemma2" },
      "llm/Qwen3-8B-Q4_K_M.gguf": { size: 6 * MIB, architecture: "qwen3" },
    },
  });
  const env = { FAKE_LLAMA_LOAD_SECONDS: "60" };
  const partialDir = join(sb.ssd, ".llama-pack-partial");
  const dest = join(sb.ssd, "llm/Gemma2-9B-Q5_K_M.gguf");
  let serve = await startServe(sb, { env });
  try {
    // Phi loads from the same disk for a minute: the copy pauses mid-way
    // (a copy never competes with a load), which is where we kill.
    assertEquals((await api(serve, "POST", "/models/load", { model: "Phi-4-mini" })).status, 200);
    assert(await pollUntil(() => withStore(sb, (s) => s.servers().length) === 1, 10_000));
    const r = await api(serve, "POST", "/api/models", {
      model_name: "Gemma2",
      cache_location: "primary",
    });
    assertEquals(r.status, 202, JSON.stringify(r.body));
    const jobId = r.body.job_id as number;
    const deadline = performance.now() + 15_000;
    while (!(await partials(partialDir)).some((n) => n.endsWith(".part"))) {
      assert(performance.now() < deadline, "the copy never started its temp file");
      await new Promise((res) => setTimeout(res, 20));
    }
    assertEquals(withStore(sb, (s) => s.copyJobs().find((j) => j.id === jobId)?.state), "copying");
    serve.kill("SIGKILL");
    await serve.status;

    // Nothing under a final name; nothing recorded as a copy; -m serves the HDD file.
    assert(!(await exists(dest)), "no partial file under the final name");
    assert((await partials(partialDir)).some((n) => n.endsWith(".part")), "the temp file is left");
    assertEquals(withStore(sb, (s) => s.ssdCopies().length), 0);
    const list = JSON.parse((await sb.run(["-l", "--json"])).stdout);
    const gemma = list.models.find((m: { id: string }) => m.id === "llm/Gemma2-9B-Q5_K_M.gguf");
    assert(gemma.ssd.state !== "verified", JSON.stringify(gemma.ssd));
    const dry = await sb.run(["-m", "Gemma2", "-n"]);
    assertEquals(dry.code, 0, dry.stderr);
    assertStringIncludes(dry.stdout, join(sb.hdd, "llm/Gemma2-9B-Q5_K_M.gguf"));
    assert(!dry.stdout.includes(sb.ssd), dry.stdout);

    // The next --serve cleans up: leftovers removed, the job failed, the orphan stopped.
    serve = await startServe(sb);
    await serve.waitFor(/removed \d leftover files? of interrupted copies in /);
    assertMatch(
      serve.stderr(),
      new RegExp(`copy job ${jobId} of Gemma2-9B-Q5_K_M\\.gguf did not finish: failed`),
    );
    assertEquals(await partials(partialDir), []);
    const job = withStore(sb, (s) => s.copyJobs().find((j) => j.id === jobId));
    assertEquals(job?.state, "failed");
    const models = (await api(serve, "GET", "/api/models")).body as unknown as Record<
      string,
      unknown
    >[];
    const row = models.find((m) => m.id === "llm/Gemma2-9B-Q5_K_M.gguf")!;
    assertEquals([row.on_ssd, row.cache_location, row.pinned], [false, "secondary", false]);

    // And the same copy now goes through, verified.
    const log = await followEvents(serve);
    const again = await api(serve, "POST", "/api/models", {
      model_name: "Gemma2",
      cache_location: "primary",
    });
    assertEquals(again.status, 202, JSON.stringify(again.body));
    const done = await log.waitFor((e) =>
      e.type === "copy_finished" && e.data.job_id === again.body.job_id
    );
    await log.close();
    assertEquals(done.data.state, "done", JSON.stringify(done.data));
    assertEquals(
      (await hashFile(dest)).hash,
      (await hashFile(join(sb.hdd, "llm/Gemma2-9B-Q5_K_M.gguf"))).hash,
    );
  } finally {
    await serve.stop();
    await sb.run(["--killall"], { env: { LLAMA_PACK_STOP_GRACE_MS: "200" } });
    await sb.cleanup();
  }
});

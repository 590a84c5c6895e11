/**
 * The background monitor of `--serve` end to end: timed passes rescan every
 * tier (a new file is indexed and announced), refill the SSD with what the
 * planner says deserves it — but not while a server is loading — and raise
 * and clear the tiers' warnings; `POST /api/cache/refresh` runs a pass now.
 */

import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { api, followEvents, MIB, withApi } from "./api_world.ts";
import { makeLibrary } from "./gguf_writer.ts";
import { withStore } from "./sandbox.ts";

Deno.test("the monitor rescans, refills the SSD once no server is loading, and raises and clears warnings", async () => {
  await withApi(async (sb, serve) => {
    const log = await followEvents(serve);
    try {
      // Phi loads for 3 s: a pass now does not refill.
      assertEquals((await api(serve, "POST", "/models/load", { model: "Phi-4-mini" })).status, 200);
      const now = await api(serve, "POST", "/api/cache/refresh");
      assertEquals(now.status, 200);
      assertEquals([now.body.trigger, now.body.refill_skipped, now.body.refill], [
        "refresh",
        "a server is loading",
        [],
      ]);
      for (const key of ["started_at", "seconds", "next_at", "scan", "stats"]) {
        assert(key in now.body);
      }

      // A new model on the HDD is found by the next timed pass.
      await makeLibrary(sb.hdd, { "new/Llama-3.2-1B-Q8_0.gguf": { size: MIB } });
      const scan = await log.waitFor((e) =>
        e.type === "scan" && (e.data.added as string[]).includes("new/Llama-3.2-1B-Q8_0.gguf")
      );
      assertEquals(scan.data.gone, []);
      await log.waitFor((e) =>
        e.type === "models_changed" && e.data.reason === "scan" &&
        (e.data.model_ids as string[]).includes("new/Llama-3.2-1B-Q8_0.gguf")
      );

      // Once Phi is loaded, a timed pass copies Qwen (used three times today) to the SSD.
      const pass = await log.waitFor(
        (e) => e.type === "monitor_pass" && (e.data.refill as unknown[]).length > 0,
        30_000,
      );
      assertEquals(pass.data.trigger, "timer");
      assertEquals((pass.data.refill as { model_id: string }[]).map((r) => r.model_id), [
        "llm/Qwen3-8B-Q4_K_M.gguf",
      ]);
      const started = await log.waitFor((e) =>
        e.type === "copy_started" && e.data.model_id === "llm/Qwen3-8B-Q4_K_M.gguf"
      );
      assert(String(started.data.reason).startsWith("refill: "), String(started.data.reason));
      const done = await log.waitFor((e) =>
        e.type === "copy_finished" && e.data.model_id === "llm/Qwen3-8B-Q4_K_M.gguf"
      );
      assertEquals(done.data.state, "done", JSON.stringify(done.data));
      assert(withStore(sb, (s) => s.ssdCopies("llm/Qwen3-8B-Q4_K_M.gguf").length) > 0);

      // 2 + 6 MiB under an 8.5 MiB limit: the next pass warns.
      const raised = await log.waitFor((e) => e.type === "cache_warning" && e.data.active === true);
      assertEquals([raised.data.location, raised.data.path, raised.data.usage_percent], [
        "primary",
        sb.ssd,
        94.1,
      ]);
      const stats = await api(serve, "GET", "/api/cache/stats");
      const primary = stats.body.primary as Record<string, unknown>;
      assertEquals([primary.color, primary.warning], ["red", true]);

      // Back under the threshold: cleared.
      const sec = await api(serve, "POST", "/api/models", {
        model_name: "Qwen3",
        cache_location: "secondary",
      });
      assertEquals(sec.status, 200, JSON.stringify(sec.body));
      const cleared = await log.waitFor((e) =>
        e.type === "cache_warning" && e.data.active === false
      );
      assertEquals(cleared.data.path, sb.ssd);
      // A client connecting now gets the last stats and no warning.
      const late = await followEvents(serve);
      await late.waitFor((e) => e.type === "cache_stats");
      await late.close();
      assert(!late.events.some((e) => e.type === "cache_warning"));
    } finally {
      await log.close();
    }
  }, {
    ssd_limit_gb: 8.5 / 1024,
    cache: { auto: true },
    serve: { monitor_interval_s: 1 },
  }, {
    env: { FAKE_LLAMA_LOAD_SECONDS: "3" },
    prepare: (sb) => {
      const now = Date.now() / 1000;
      withStore(sb, (s) => {
        // Phi's load must not promote it (that is -m's path); the refill is the monitor's.
        s.setFlag("phi/Phi-4-mini-Q4_K_M.gguf", "no_cache", true);
        for (const ago of [7200, 3600, 600]) {
          s.recordUse({
            modelId: "llm/Qwen3-8B-Q4_K_M.gguf",
            at: now - ago,
            tier: "hdd",
            duration: 300,
          });
        }
      });
      return Promise.resolve({});
    },
  });
});

Deno.test("the monitor leaves the SSD alone when cache.auto is off, and a refresh joins a pass in progress", async () => {
  await withApi(async (sb, serve) => {
    const [a, b] = await Promise.all([
      api(serve, "POST", "/api/cache/refresh"),
      api(serve, "POST", "/api/cache/refresh"),
    ]);
    assertEquals(a.body.started_at, b.body.started_at);
    assertEquals(a.body.refill_skipped, "cache.auto is off");
    assertEquals((a.body.scan as { models: number }).models, 4);
    assert(!(await Deno.stat(join(sb.ssd, "llm")).then(() => true, () => false)));
  });
});

Deno.test("a monitor pass sees files added, moved and removed (custom directory, HDD)", async () => {
  await withApi(async (sb, serve) => {
    type Scan = { added: string[]; gone: string[]; renamed: [string, string][]; models: number };
    const pass = async () => {
      const r = await api(serve, "POST", "/api/cache/refresh");
      assertEquals(r.status, 200, JSON.stringify(r.body));
      return r.body.scan as Scan;
    };
    const names = async () =>
      ((await api(serve, "GET", "/api/models")).body as unknown as { id: string }[])
        .map((m) => m.id).sort();

    // Added to the custom directory.
    await makeLibrary(sb.custom, { "new/Llama-3.2-1B-Q8_0.gguf": { size: MIB } });
    let scan = await pass();
    assertEquals([scan.added, scan.gone, scan.renamed, scan.models], [
      ["new/Llama-3.2-1B-Q8_0.gguf"],
      [],
      [],
      5,
    ]);

    // Moved within it: a rename, the model keeps its history.
    await Deno.mkdir(join(sb.custom, "moved"));
    await Deno.rename(
      join(sb.custom, "new/Llama-3.2-1B-Q8_0.gguf"),
      join(sb.custom, "moved/Llama-3.2-1B-Q8_0.gguf"),
    );
    scan = await pass();
    assertEquals([scan.added, scan.gone, scan.renamed], [[], [], [[
      "new/Llama-3.2-1B-Q8_0.gguf",
      "moved/Llama-3.2-1B-Q8_0.gguf",
    ]]]);
    assert((await names()).includes("moved/Llama-3.2-1B-Q8_0.gguf"));

    // Removed from the HDD: gone from the list.
    await Deno.remove(join(sb.hdd, "llm/Qwen3-8B-Q4_K_M.gguf"));
    scan = await pass();
    assertEquals([scan.added, scan.gone, scan.renamed, scan.models], [
      [],
      ["llm/Qwen3-8B-Q4_K_M.gguf"],
      [],
      4,
    ]);
    assert(!(await names()).includes("llm/Qwen3-8B-Q4_K_M.gguf"));
  });
});

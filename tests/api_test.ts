/**
 * The cache API of `--serve` end to end (issue 16): every route against a
 * real `--serve` in a sandbox with real GGUF files, the guide's field names,
 * bad input refused with nothing changed, the same keys as the model routes,
 * and registering models as primary, secondary and custom with the copies
 * verified and reported through `/api/events`.
 */

import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "./assert.ts";
import { api, type ApiWorld, followEvents, MIB, withApi } from "./api_world.ts";
import { withStore } from "./sandbox.ts";
import { hashFile } from "../lib/cache/hash.ts";
import type { RunningServe } from "./serve_fixture.ts";

const KEY = "api-key-0123456789abcdef";
const auth = { authorization: `Bearer ${KEY}` };

/** What must not change when a request is refused. */
async function snapshot(sb: ApiWorld): Promise<string> {
  const files: string[] = [];
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      const p = join(dir, e.name);
      if (e.isDirectory) await walk(p);
      else files.push(`${p} ${(await Deno.stat(p)).size}`);
    }
  };
  for (const d of [sb.ssd, sb.hdd, sb.custom]) await walk(d);
  const state = withStore(sb, (s) => ({
    models: s.models().map((m) => [m.id, m.pinned, m.no_cache]),
    jobs: s.copyJobs().length,
    copies: s.ssdCopies().length,
  }));
  return JSON.stringify({ files: files.sort(), state });
}

Deno.test("cache API: stats, check, recommend and models in the guide's shapes; --cache-stats --json is the same document", async () => {
  await withApi(async (sb, serve) => {
    const get = (path: string) => api(serve, "GET", path, undefined, auth);
    assertEquals((await api(serve, "GET", "/api/cache/stats")).status, 401);

    // The SSD holds the 2 MiB SSD-only model under a 4 MiB limit: 50%, green.
    const stats = await get("/api/cache/stats");
    assertEquals(stats.status, 200);
    const primary = stats.body.primary as Record<string, unknown>;
    for (
      const key of ["path", "limit_gb", "used_gb", "free_gb", "usage_percent", "warning", "color"]
    ) {
      assert(key in primary, `primary.${key}`);
    }
    assertEquals(
      [primary.path, primary.usage_percent, primary.warning, primary.color],
      [sb.ssd, 50, false, "green"],
    );
    const secondary = stats.body.secondary as Record<string, unknown>;
    assertEquals([secondary.path, secondary.paths, secondary.limit_gb], [sb.hdd, [sb.hdd], null]);
    assertEquals((stats.body.custom as { path: string }[]).map((c) => c.path), [sb.custom]);
    assertEquals(stats.body.threshold, 0.9);
    const cli = await sb.run(["--cache-stats", "--json"]);
    assertEquals(cli.code, 0, cli.stderr);
    const doc = JSON.parse(cli.stdout);
    assertEquals(Object.keys(doc), Object.keys(stats.body));
    assertEquals(doc.primary.usage_percent, 50);
    assertEquals(Object.keys(doc.secondary), Object.keys(secondary));

    // check: POST and GET, fits / past the warning / does not fit.
    const check = async (query: string, method = "POST") =>
      (await api(serve, method, `/api/cache/check?${query}`, undefined, auth)).body;
    assertEquals(await check("cache_location=primary&required_space_mb=1"), {
      cache_location: "primary",
      required_space_mb: 1,
      available_mb: 2,
      fits: true,
      would_exceed_warning: false,
      path: sb.ssd,
      usage_percent_after: 75,
      reason: `1.0 MiB fits on primary (${sb.ssd}): usage 50% -> 75%, 1.0 MiB left`,
    });
    const tight = await check("cache_location=primary&required_space_mb=1.9", "GET");
    assertEquals([tight.fits, tight.would_exceed_warning], [true, true]);
    const over = await check("cache_location=primary&required_space_mb=3");
    assertEquals([over.fits, over.available_mb], [false, 2]);
    assertMatch(String(over.reason), /does not fit on primary .*within the 4\.0 MiB limit/);
    assertEquals((await check("cache_location=secondary&required_space_mb=5000")).fits, true);
    assertEquals((await check("cache_location=secondary&required_space_mb=1e8")).fits, false);
    const custom = await check(
      `cache_location=custom&required_space_mb=1&cache_path=${sb.custom}/sub`,
    );
    assertEquals([custom.fits, custom.path], [true, sb.custom]);

    // recommend: --recommend's answer.
    const rec = (mb: number) => get(`/api/cache/recommend?estimated_size_mb=${mb}`);
    assertEquals((await rec(1)).body.recommended_cache, "primary");
    const big = (await rec(100)).body;
    assertEquals([big.recommended_cache, big.tier, big.path], ["secondary", "hdd", sb.hdd]);
    const cliRec = JSON.parse((await sb.run(["--recommend", "100m", "--json"])).stdout);
    assertEquals([cliRec.tier, cliRec.reason], [big.tier, big.reason]);

    // models: every indexed model with where it lives.
    const models = (await get("/api/models")).body as unknown as Record<string, unknown>[];
    assertEquals(
      models.map((m) => [m.model_name, m.cache_location, m.model_size_mb, m.on_ssd, m.status]),
      [
        ["Gemma2-9B-Q5_K_M.gguf", "secondary", 8, false, "unloaded"],
        ["Phi-4-mini-Q4_K_M.gguf", "custom", 3, false, "unloaded"],
        ["Private-3B-Q8_0.gguf", "primary", 2, true, "unloaded"],
        ["Qwen3-8B-Q4_K_M.gguf", "secondary", 6, false, "unloaded"],
      ],
    );
    assertEquals(models[1]!.cache_path, sb.custom);
    assertEquals(models[0]!.path, `${sb.hdd}/llm/Gemma2-9B-Q5_K_M.gguf`);
    for (const key of ["rank", "uses", "last_used", "pinned", "quant", "ssd", "id"]) {
      assert(key in models[0]!, key);
    }
  }, { ssd_limit_gb: 4 / 1024, serve: { api_keys: [KEY] } });
});

Deno.test("cache API: bad input answers 400 {error} and changes nothing", async () => {
  await withApi(async (sb, serve) => {
    const before = await snapshot(sb);
    const bad: [string, string, unknown, RegExp][] = [
      [
        "POST",
        "/api/cache/check?cache_location=primary&required_space_mb=abc",
        undefined,
        /number of MiB/,
      ],
      [
        "POST",
        "/api/cache/check?cache_location=primary&required_space_mb=-1",
        undefined,
        /0 or more/,
      ],
      [
        "GET",
        "/api/cache/check?cache_location=nvme&required_space_mb=1",
        undefined,
        /primary, secondary or custom/,
      ],
      [
        "GET",
        "/api/cache/check?cache_location=custom&required_space_mb=1&cache_path=/etc",
        undefined,
        /not a custom directory/,
      ],
      ["GET", "/api/cache/recommend?estimated_size_mb=", undefined, /is required/],
      ["POST", "/api/models", "{not json", /not valid JSON/],
      [
        "POST",
        "/api/models",
        { model_name: "gemma", cache_location: "nvme" },
        /cache_location must be/,
      ],
      [
        "POST",
        "/api/models",
        { model_name: "no-such-model-anywhere", cache_location: "primary" },
        /no-such-model-anywhere/,
      ],
      ["POST", "/api/models", {
        model_name: "gemma",
        cache_location: "primary",
        estimated_size_mb: -3,
      }, /0 or more/],
      ["POST", "/api/models", {
        model_name: "qwen",
        cache_location: "custom",
        cache_path: "relative/dir",
      }, /absolute path/],
      [
        "POST",
        "/api/models",
        { model_name: "qwen", cache_location: "custom", cache_path: sb.hdd },
        /not a custom directory/,
      ],
      ["POST", "/api/models", {
        model_name: "qwen",
        cache_location: "secondary",
        cache_path: sb.custom,
      }, /only for cache_location custom/],
    ];
    for (const [method, path, body, message] of bad) {
      const r = await api(serve, method, path, body);
      assertEquals(
        r.status,
        400,
        `${method} ${path} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`,
      );
      assertEquals(Object.keys(r.body), r.body.candidates ? ["error", "candidates"] : ["error"]);
      assertMatch(String(r.body.error), message);
    }
    assertEquals((await api(serve, "GET", "/api/nope")).status, 404);
    assertEquals(await snapshot(sb), before);
  });
});

/** Registers and waits for the copy it starts to finish; returns the events of that copy. */
async function registerAndWait(
  serve: RunningServe,
  body: Record<string, unknown>,
): Promise<{ type: string; data: Record<string, unknown> }[]> {
  const log = await followEvents(serve);
  try {
    const r = await api(serve, "POST", "/api/models", body);
    assertEquals(r.status, 202, JSON.stringify(r.body));
    assertEquals(r.body.status, "copying");
    const job = r.body.job_id;
    const done = await log.waitFor((e) => e.type === "copy_finished" && e.data.job_id === job);
    assertEquals(done.data.state, "done", JSON.stringify(done.data));
    await log.waitFor((e) => e.type === "models_changed" && e.data.reason === "copied");
    return log.events.filter((e) => e.data.job_id === job || e.type === "eviction");
  } finally {
    await log.close();
  }
}

Deno.test("POST /api/models primary: a verified copy, then pinned; no room is a 409 with the figures; evicting needs allow_evict", async () => {
  await withApi(async (sb, serve) => {
    const row = async (name: string) =>
      ((await api(serve, "GET", "/api/models")).body as unknown as Record<string, unknown>[])
        .find((m) => m.model_name === name)!;

    const events = await registerAndWait(serve, {
      model_name: "Gemma2",
      cache_location: "primary",
    });
    assertEquals(events.map((e) => e.type).filter((t, i, a) => a.indexOf(t) === i), [
      "copy_started",
      "copy_progress",
      "copy_finished",
    ]);
    const progress = events.filter((e) => e.type === "copy_progress").at(-1)!.data;
    assertEquals([progress.bytes_done, progress.bytes_total, progress.percent], [
      8 * MIB,
      8 * MIB,
      100,
    ]);
    const dest = `${sb.ssd}/llm/Gemma2-9B-Q5_K_M.gguf`;
    assertEquals(
      (await hashFile(dest)).hash,
      (await hashFile(`${sb.hdd}/llm/Gemma2-9B-Q5_K_M.gguf`)).hash,
    );
    const gemma = await row("Gemma2-9B-Q5_K_M.gguf");
    assertEquals(
      [gemma.cache_location, gemma.pinned, gemma.on_ssd, gemma.path, gemma.locations],
      ["primary", true, true, dest, ["primary", "secondary"]],
    );
    // The copy is a recorded copy job, as --status lists them while they run.
    const job = withStore(sb, (s) => s.copyJobs().find((j) => j.id === events[0]!.data.job_id));
    assertEquals([job?.state, job?.bytes_done], ["done", 8 * MIB]);

    // Qwen (6 MiB) does not fit beside the pinned Gemma under 12 MiB: 409, nothing changed.
    const before = await snapshot(sb);
    const full = await api(serve, "POST", "/api/models", {
      model_name: "Qwen3",
      cache_location: "primary",
    });
    assertEquals(full.status, 409, JSON.stringify(full.body));
    assertMatch(String(full.body.error), /^no room for Qwen3-8B-Q4_K_M\.gguf on primary/);
    assertEquals([full.body.required_mb, full.body.cache_location, full.body.path], [
      6,
      "primary",
      sb.ssd,
    ]);
    assertEquals(typeof full.body.available_mb, "number");
    assertEquals(await snapshot(sb), before);

    // secondary: the SSD copy goes (the original checked), kept off the SSD.
    const sec = await api(serve, "POST", "/api/models", {
      model_name: "Gemma2",
      cache_location: "secondary",
    });
    assertEquals(sec.status, 200, JSON.stringify(sec.body));
    assertMatch(
      String(sec.body.message),
      /stays on the HDD and off the SSD .*SSD copy was deleted/,
    );
    assert(!(await Deno.stat(dest).then(() => true, () => false)), "the SSD copy is gone");
    const g2 = await row("Gemma2-9B-Q5_K_M.gguf");
    assertEquals([g2.cache_location, g2.pinned, g2.no_cache, g2.on_ssd], [
      "secondary",
      false,
      true,
      false,
    ]);

    // An unpinned copy in the way: 409 naming it, unless allow_evict.
    assertEquals((await sb.run(["--cache", "gemma2"])).code, 0);
    const before2 = await snapshot(sb);
    const evict = await api(serve, "POST", "/api/models", {
      model_name: "Qwen3",
      cache_location: "primary",
    });
    assertEquals(evict.status, 409, JSON.stringify(evict.body));
    assertMatch(
      String(evict.body.error),
      /would evict Gemma2-9B-Q5_K_M\.gguf \(8\.0 MiB\); send "allow_evict": true/,
    );
    assertEquals((evict.body.would_evict as { model_id: string }[]).map((e) => e.model_id), [
      "llm/Gemma2-9B-Q5_K_M.gguf",
    ]);
    assertEquals(await snapshot(sb), before2);
    const moved = await registerAndWait(serve, {
      model_name: "Qwen3",
      cache_location: "primary",
      allow_evict: true,
    });
    const ev = moved.find((e) => e.type === "eviction")!;
    assertEquals([ev.data.model_id, ev.data.bytes], ["llm/Gemma2-9B-Q5_K_M.gguf", 8 * MIB]);
    assertEquals((await row("Qwen3-8B-Q4_K_M.gguf")).cache_location, "primary");
    assertEquals((await row("Gemma2-9B-Q5_K_M.gguf")).on_ssd, false);

    // An SSD-only model has no original to keep: 409.
    const only = await api(serve, "POST", "/api/models", {
      model_name: "Private",
      cache_location: "secondary",
    });
    assertEquals(only.status, 409);
    assertMatch(String(only.body.error), /lives only on the SSD/);
  }, { ssd_limit_gb: 12 / 1024 });
});

Deno.test("POST /api/models custom: a verified copy into a custom directory, indexed; no room there is a 409", async () => {
  await withApi(async (sb, serve) => {
    const events = await registerAndWait(serve, { model_name: "Qwen3", cache_location: "custom" });
    assertEquals(events.find((e) => e.type === "copy_started")!.data.destination, "custom");
    const dest = `${sb.custom}/llm/Qwen3-8B-Q4_K_M.gguf`;
    assertEquals(
      (await hashFile(dest)).hash,
      (await hashFile(`${sb.hdd}/llm/Qwen3-8B-Q4_K_M.gguf`)).hash,
    );
    const qwen =
      ((await api(serve, "GET", "/api/models")).body as unknown as Record<string, unknown>[])
        .find((m) => m.model_name === "Qwen3-8B-Q4_K_M.gguf")!;
    assertEquals([qwen.cache_location, qwen.cache_path, qwen.locations], ["custom", sb.custom, [
      "secondary",
      "custom",
    ]]);
    assertEquals((qwen.ssd as { state: string }).state, "none");
    // The same again: already there.
    const again = await api(serve, "POST", "/api/models", {
      model_name: "Qwen3",
      cache_location: "custom",
    });
    assertEquals([again.status, again.body.status], [200, "registered"]);
    // Into a directory inside it.
    await registerAndWait(serve, {
      model_name: "Gemma2",
      cache_location: "custom",
      cache_path: `${sb.custom}/big`,
    });
    assert(await Deno.stat(`${sb.custom}/big/llm/Gemma2-9B-Q5_K_M.gguf`).then(() => true));
    // A temp file never appears under a final name, and the hidden directory is gone.
    assert(!(await Deno.stat(`${sb.custom}/.llama-pack-partial`).then(() => true, () => false)));
  });
});

Deno.test("POST /api/models custom on a full disk: 409 with the figures, nothing written", async () => {
  if (Deno.uid() !== 0) return; // mounting a tmpfs needs root
  await withApi(
    async (sb, serve) => {
      const before = await snapshot(sb);
      const r = await api(serve, "POST", "/api/models", {
        model_name: "Gemma2",
        cache_location: "custom",
      });
      assertEquals(r.status, 409, JSON.stringify(r.body));
      assertEquals([r.body.required_mb, r.body.cache_location], [8, "custom"]);
      assert((r.body.available_mb as number) < 8);
      assertEquals(await snapshot(sb), before);
    },
    {},
    {
      prepare: async (sb) => {
        const small = join(sb.root, "small");
        await Deno.mkdir(small);
        const mount = await new Deno.Command("mount", {
          args: ["-t", "tmpfs", "-o", "size=4m", "tmpfs", small],
        }).output();
        assertEquals(mount.code, 0, new TextDecoder().decode(mount.stderr));
        return { custom_paths: [small] };
      },
      cleanup: async (sb) => {
        await new Deno.Command("umount", { args: [join(sb.root, "small")] }).output();
      },
    },
  );
});

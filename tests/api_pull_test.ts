/**
 * `POST /api/models` with an `hf_path` end to end: the download runs off the
 * request through `--pull`'s code against the fake hub, reports progress on
 * `/api/events`, and ends indexed in the location asked for; a model already
 * pulled is registered rather than fetched again; no room is a 409 with the
 * figures and nothing downloaded; an unknown repository is a 400.
 */

import { assert, assertEquals, assertMatch } from "./assert.ts";
import { api, followEvents, withApi } from "./api_world.ts";
import { type FakeRepo, startFakeHub } from "./fixtures/fake_hub.ts";
import { ggufBytes } from "./fixtures/hub_models.ts";

const MB = 1_000_000;

Deno.test("POST /api/models with hf_path downloads with progress, indexes, and refuses what does not fit", async () => {
  const repos: FakeRepo[] = [
    {
      id: "org/tiny-GGUF",
      revisions: {
        main: [{ path: "tiny-Q4_K_M.gguf", bytes: await ggufBytes("tiny-Q4_K_M.gguf", 3 * MB) }],
      },
    },
    {
      id: "org/big-GGUF",
      revisions: {
        main: [{ path: "big-Q4_K_M.gguf", bytes: await ggufBytes("big-Q4_K_M.gguf", 9 * MB) }],
      },
    },
  ];
  const hub = await startFakeHub({ repos });
  try {
    await withApi(
      async (sb, serve) => {
        const log = await followEvents(serve);
        try {
          const r = await api(serve, "POST", "/api/models", {
            model_name: "tiny",
            hf_path: "org/tiny-GGUF",
            cache_location: "secondary",
            estimated_size_mb: 3,
          });
          assertEquals(r.status, 202, JSON.stringify(r.body));
          assertEquals([r.body.status, r.body.label, r.body.cache_location, r.body.dir], [
            "downloading",
            "org/tiny-GGUF:Q4_K_M",
            "secondary",
            sb.hdd,
          ]);
          const id = r.body.download_id;
          const done = await log.waitFor((e) =>
            e.type === "download_finished" && e.data.download_id === id
          );
          assertEquals(done.data.state, "done", JSON.stringify(done.data));
          assertEquals(done.data.model_id, "org/tiny-GGUF/tiny-Q4_K_M.gguf");
          const started = log.events.find((e) => e.type === "download_started")!;
          assertEquals([started.data.hf_path, started.data.bytes_total], ["org/tiny-GGUF", 3 * MB]);
          const progress = log.events.filter((e) => e.type === "download_progress");
          assert(progress.length > 0, "progress was reported");
          assertEquals(progress.at(-1)!.data.bytes_total, 3 * MB);
          await log.waitFor((e) => e.type === "models_changed" && e.data.reason === "downloaded");

          const models = (await api(serve, "GET", "/api/models")).body as unknown as Record<
            string,
            unknown
          >[];
          const tiny = models.find((m) => m.id === "org/tiny-GGUF/tiny-Q4_K_M.gguf")!;
          assertEquals([tiny.cache_location, tiny.no_cache, tiny.path], [
            "secondary",
            true,
            `${sb.hdd}/org/tiny-GGUF/tiny-Q4_K_M.gguf`,
          ]);

          // Asked again for the SSD: it is local now, so it is copied, not fetched.
          const fetchedBefore = hub.requests.filter((q) => q.server === "cdn").length;
          const again = await api(serve, "POST", "/api/models", {
            model_name: "tiny",
            hf_path: "org/tiny-GGUF",
            cache_location: "primary",
          });
          assertEquals([again.status, again.body.status], [202, "copying"]);
          const copied = await log.waitFor((e) =>
            e.type === "copy_finished" && e.data.job_id === again.body.job_id
          );
          assertEquals(copied.data.state, "done", JSON.stringify(copied.data));
          assertEquals(hub.requests.filter((q) => q.server === "cdn").length, fetchedBefore);

          // 9 MB on an SSD with a 8 MiB limit: refused with the figures, nothing fetched.
          const big = await api(serve, "POST", "/api/models", {
            model_name: "big",
            hf_path: "org/big-GGUF",
            cache_location: "primary",
          });
          assertEquals(big.status, 409, JSON.stringify(big.body));
          assertMatch(String(big.body.error), /^not enough room for org\/big-GGUF:Q4_K_M/);
          assertEquals([big.body.cache_location, big.body.path, big.body.required_mb], [
            "primary",
            sb.ssd,
            9,
          ]);
          assertEquals(hub.requests.filter((q) => q.server === "cdn").length, fetchedBefore);
          assert(!(await Deno.stat(`${sb.ssd}/org/big-GGUF`).then(() => true, () => false)));

          // An unknown repository is bad input.
          const unknown = await api(serve, "POST", "/api/models", {
            hf_path: "org/missing-GGUF",
            cache_location: "secondary",
          });
          assertEquals(unknown.status, 400, JSON.stringify(unknown.body));
        } finally {
          await log.close();
        }
      },
      { ssd_limit_gb: 8 / 1024 },
      { env: { HF_ENDPOINT: hub.url } },
    );
  } finally {
    await hub.close();
  }
});

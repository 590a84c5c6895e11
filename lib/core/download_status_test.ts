import { assertEquals } from "../../tests/assert.ts";
import { downloadStatus, pullArgs, shownInStatus } from "./download_status.ts";
import type { DownloadRow } from "./records.ts";
import { renderStatus, statusJson } from "./status_view.ts";

const MiB = 1024 ** 2;
const row = (over: Partial<DownloadRow> = {}): DownloadRow => ({
  id: 3,
  repo: "unsloth/gemma-3-4b-it-GGUF",
  revision: "main",
  commit_id: "0123456789abcdef0123456789abcdef01234567",
  label: "unsloth/gemma-3-4b-it-GGUF:Q4_K_M",
  repo_path: "gemma-3-4b-it-Q4_K_M.gguf",
  tier: "hdd",
  target_path: "/hdd/unsloth/gemma-3-4b-it-GGUF/gemma-3-4b-it-Q4_K_M.gguf",
  state: "downloading",
  bytes_start: 100 * MiB,
  bytes_done: 1100 * MiB,
  bytes_total: 2600 * MiB,
  pid: 4242,
  owner_start: "99",
  started_at: 1000,
  updated_at: 1100,
  pull_args: JSON.stringify(pullArgs({ ref: "unsloth/gemma-3-4b-it-GGUF:Q4_K_M" })),
  message: null,
  ...over,
});

Deno.test("downloadStatus(): speed is this run's bytes over its time, slowing when the row stops moving", () => {
  const live = downloadStatus(row(), { ownerAlive: true, now: 1101 });
  // 1000 MiB (a resumed 100 MiB not counted) in 100 s; 1500 MiB to go.
  assertEquals([live.state, live.percent, live.bytesPerSecond, live.etaSeconds], [
    "downloading",
    42.3,
    10 * MiB,
    150,
  ]);
  const stalled = downloadStatus(row(), { ownerAlive: true, now: 1200 });
  assertEquals([stalled.bytesPerSecond, stalled.etaSeconds], [5 * MiB, 300]);
  const starting = downloadStatus(row({ bytes_done: 100 * MiB, updated_at: 1000 }), {
    ownerAlive: true,
    now: 1000,
  });
  assertEquals([starting.bytesPerSecond, starting.etaSeconds], [null, null]);
});

Deno.test("downloadStatus(): the owner — a --serve, a dead process — and how a stopped download resumes", () => {
  const serve = downloadStatus(row(), {
    ownerAlive: true,
    serve: "--serve 127.0.0.1:8080",
    now: 1100,
  });
  assertEquals([serve.owner, serve.resume], ["--serve 127.0.0.1:8080 (pid 4242)", null]);
  const killed = downloadStatus(row(), { ownerAlive: false, serve: undefined, now: 1100 });
  assertEquals([killed.state, killed.owner, killed.bytesPerSecond], [
    "interrupted",
    "pid 4242, gone",
    null,
  ]);
  assertEquals(killed.message, "its process (pid 4242) stopped before the file was complete");
  assertEquals(killed.resume, "llama-pack --pull unsloth/gemma-3-4b-it-GGUF:Q4_K_M");
  const stopped = downloadStatus(
    row({
      state: "interrupted",
      message: "stopped (interrupted); what was downloaded is kept to resume",
      pull_args: JSON.stringify(pullArgs({ ref: "o/m", to: "/my models", mmproj: false })),
    }),
    { ownerAlive: true, now: 1100 },
  );
  assertEquals([stopped.state, stopped.resume], [
    "interrupted",
    "llama-pack --pull o/m --to '/my models' --no-mmproj",
  ]);
  const failed = downloadStatus(row({ state: "failed", message: "sha256 mismatch" }), {
    ownerAlive: false,
    now: 1100,
  });
  assertEquals([failed.state, failed.message], ["failed", "sha256 mismatch"]);
});

Deno.test("shownInStatus(): done rows never, failed ones for a day, the rest always", () => {
  const at = (state: DownloadRow["state"], age: number) =>
    shownInStatus({ state, updated_at: 0 }, age);
  assertEquals(
    [at("downloading", 1e8), at("interrupted", 1e8), at("failed", 3600), at("failed", 90000)],
    [true, true, true, false],
  );
  assertEquals(at("done", 0), false);
});

Deno.test("renderStatus() lists downloads with percent, speed, ETA and owner; a stopped one says how to resume", () => {
  const downloads = [
    downloadStatus(row(), { ownerAlive: true, now: 1100 }),
    downloadStatus(row({ id: 4, repo_path: "mmproj-F16.gguf", bytes_done: 10 * MiB }), {
      ownerAlive: false,
      now: 1100,
    }),
  ];
  const text = renderStatus({ servers: [], copies: [], downloads, pruned: 0 });
  assertEquals(
    text,
    [
      "no llama-pack servers running",
      "",
      "Downloads from Hugging Face:",
      "FILE                                                  TO   STATE        PROGRESS                  SPEED      ETA     BY",
      "unsloth/gemma-3-4b-it-GGUF/gemma-3-4b-it-Q4_K_M.gguf  hdd  downloading  42% (1.1 GiB of 2.5 GiB)  10.5 MB/s  2m 30s  pid 4242",
      "unsloth/gemma-3-4b-it-GGUF/mmproj-F16.gguf            hdd  interrupted  0% (10.0 MiB of 2.5 GiB)  -          -       pid 4242, gone",
      "  interrupted: its process (pid 4242) stopped before the file was complete; to resume: llama-pack --pull unsloth/gemma-3-4b-it-GGUF:Q4_K_M",
      "",
    ].join("\n"),
  );
  // 80 columns: the owner, the tier and the ETA go before the name shortens.
  const narrow = renderStatus({ servers: [], copies: [], downloads, pruned: 0 }, { width: 80 });
  const head = narrow.split("\n")[3]!;
  assertEquals(head.replace(/ +/g, " "), "FILE STATE PROGRESS SPEED");
  assertEquals(narrow.split("\n").slice(3, 6).every((l) => l.length <= 80), true);
  // -v: where it comes from and goes, and when.
  const verbose = renderStatus({
    servers: [],
    copies: [],
    downloads: downloads.slice(0, 1),
    pruned: 0,
  }, {
    verbose: true,
    now: 1160,
  });
  assertEquals(
    verbose.split("\n")[5],
    "  unsloth/gemma-3-4b-it-GGUF:Q4_K_M from unsloth/gemma-3-4b-it-GGUF@main (commit 0123456789) to " +
      "/hdd/unsloth/gemma-3-4b-it-GGUF/gemma-3-4b-it-Q4_K_M.gguf; started 2m 40s ago, updated 1m 00s ago",
  );
  const json = JSON.parse(statusJson({ servers: [], copies: [], downloads, pruned: 0 })).downloads;
  assertEquals(json[0], {
    id: 3,
    label: "unsloth/gemma-3-4b-it-GGUF:Q4_K_M",
    repo: "unsloth/gemma-3-4b-it-GGUF",
    revision: "main",
    commit: "0123456789abcdef0123456789abcdef01234567",
    file: "gemma-3-4b-it-Q4_K_M.gguf",
    tier: "hdd",
    target: "/hdd/unsloth/gemma-3-4b-it-GGUF/gemma-3-4b-it-Q4_K_M.gguf",
    state: "downloading",
    bytes_done: 1100 * MiB,
    bytes_total: 2600 * MiB,
    percent: 42.3,
    bytes_per_second: 10 * MiB,
    eta_s: 150,
    pid: 4242,
    owner: "pid 4242",
    started_at: 1000,
    updated_at: 1100,
    message: null,
    resume: null,
  });
});

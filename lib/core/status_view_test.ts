import { assert, assertEquals } from "../../tests/assert.ts";
import { renderStatus, type ServerStatus, statusJson } from "./status_view.ts";

const server = (over: Partial<ServerStatus> = {}): ServerStatus => ({
  port: 8080,
  host: "127.0.0.1",
  model: "Gemma2-9B-Q5_K.gguf",
  modelPath: "/ssd/Gemma2-9B-Q5_K.gguf",
  tier: "ssd",
  pid: 4242,
  uptimeSeconds: 3 * 3600 + 5 * 60,
  memoryBytes: 6.1 * 1024 ** 3,
  state: "ready",
  url: "http://127.0.0.1:8080",
  log: "/state/logs/server-8080.log",
  ...over,
});

Deno.test("renderStatus() aligns servers and copy jobs", async (t) => {
  await t.step("nothing running", () => {
    assertEquals(
      renderStatus({ servers: [], copies: [], pruned: 0 }),
      "no llama-pack servers running\n",
    );
  });
  await t.step("two servers, one copy, pruned records", () => {
    const text = renderStatus({
      servers: [
        server(),
        server({
          port: 9000,
          host: "0.0.0.0",
          model: "Q.gguf",
          tier: "hdd",
          pid: 7,
          uptimeSeconds: 4,
          memoryBytes: null,
          state: "loading",
        }),
      ],
      copies: [{
        id: 3,
        model: "Q.gguf",
        state: "queued",
        bytesDone: 0,
        bytesTotal: 2 * 1024 ** 3,
      }],
      pruned: 2,
    });
    assertEquals(
      text,
      [
        "PORT  HOST       MODEL                TIER   PID  UPTIME      MEM  STATE",
        "8080  127.0.0.1  Gemma2-9B-Q5_K.gguf  ssd   4242  3h 05m  6.1 GiB  ready",
        "9000  0.0.0.0    Q.gguf               hdd      7  4s            ?  loading",
        "",
        "Copies to SSD:",
        "JOB  MODEL   STATE   PROGRESS",
        "  3  Q.gguf  queued  0% (0 B of 2.0 GiB)",
        "(forgot 2 stale server records)",
        "",
      ].join("\n"),
    );
  });
});

Deno.test("renderStatus() fits 80 columns: HOST goes first, long names shorten in the middle", () => {
  const long = "bartowski/Qwen3-30B-A3B-Instruct-2507-GGUF/Qwen3-30B-A3B-Instruct-2507-Q4_K_M.gguf";
  const text = renderStatus({ servers: [server({ model: long })], copies: [], pruned: 0 }, {
    width: 80,
  });
  assertEquals(text.split("\n"), [
    "PORT  MODEL                                   TIER   PID  UPTIME      MEM  STATE",
    "8080  Qwen3-30B-A3B-Instruct-2507-Q4_K_M      ssd   4242  3h 05m  6.1 GiB  ready",
    "",
  ]);
});

Deno.test("statusJson() uses snake_case keys and whole seconds", () => {
  const parsed = JSON.parse(
    statusJson({ servers: [server({ uptimeSeconds: 1.6 })], copies: [], pruned: 0 }),
  );
  assertEquals(parsed, {
    serves: [],
    servers: [{
      port: 8080,
      host: "127.0.0.1",
      model: "Gemma2-9B-Q5_K.gguf",
      model_path: "/ssd/Gemma2-9B-Q5_K.gguf",
      tier: "ssd",
      pid: 4242,
      uptime_s: 2,
      memory_bytes: 6.1 * 1024 ** 3,
      state: "ready",
      url: "http://127.0.0.1:8080",
      log: "/state/logs/server-8080.log",
      owner: null,
    }],
    copies: [],
    downloads: [],
    pruned: 0,
  });
});

Deno.test("renderStatus() names --serve and whose servers are whose", () => {
  const text = renderStatus({
    serves: [{ url: "http://127.0.0.1:8080", pid: 40, uptimeSeconds: 300 }],
    servers: [
      server({ port: 8100, owner: "--serve 127.0.0.1:8080" }),
      server({ port: 8101, owner: "orphan" }),
      server({ port: 9000 }),
    ],
    copies: [],
    pruned: 0,
  });
  const lines = text.split("\n");
  assertEquals(lines[0], "llama-pack --serve on http://127.0.0.1:8080 (pid 40, up 5m 00s)");
  assert(lines[1]!.trimEnd().endsWith("STATE  BY"), lines[1]);
  assert(lines[2]!.endsWith("ready  --serve 127.0.0.1:8080"), lines[2]);
  assert(lines[3]!.endsWith("ready  orphan"), lines[3]);
  assert(lines[4]!.endsWith("ready  -m"), lines[4]);
});

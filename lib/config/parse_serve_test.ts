import { assert, assertEquals } from "../../tests/assert.ts";
import { formatProblem, parseConfig } from "./parse.ts";

const base = (serve: string, more = "") =>
  `{
  "ssd_path": "/ssd",
  "hdd_path": "/hdd",${more}
  "serve": ${serve}
}`;

Deno.test("parseConfig() gives the serve section its defaults", () => {
  const { config, problems } = parseConfig(`{"ssd_path": "/s", "hdd_path": "/h"}`, "c.json");
  assertEquals(problems, []);
  assertEquals(config?.serve, {
    listen: { host: "127.0.0.1", port: 8080 },
    max_running: 1,
    idle_unload_s: undefined,
    child_ports: { first: 8100, last: 8199 },
    load_timeout_s: "adaptive",
    monitor_interval_s: 300,
    api_keys: [],
  });
  assertEquals(config?.aliases, {});
});

Deno.test("parseConfig() reads every serve key", () => {
  const { config, problems } = parseConfig(
    base(
      `{"listen": "[::1]:9090", "max_running": 2, "idle_unload": "30m", "child_ports": [9100, 9110],
        "load_timeout": 600, "monitor_interval_s": 60, "api_keys": ["0123456789abcdef-home"]}`,
      `\n  "aliases": {"coder": "qwen3-coder"},`,
    ),
    "c.json",
  );
  assertEquals(problems, []);
  assertEquals(config?.serve, {
    listen: { host: "::1", port: 9090 },
    max_running: 2,
    idle_unload_s: 1800,
    child_ports: { first: 9100, last: 9110 },
    load_timeout_s: 600,
    monitor_interval_s: 60,
    api_keys: ["0123456789abcdef-home"],
  });
  assertEquals(config?.aliases, { coder: "qwen3-coder" });
});

Deno.test("parseConfig() reports every bad serve key at its line and column", async (t) => {
  const text = `{
  "ssd_path": "/ssd",
  "hdd_path": "/hdd",
  "aliases": {"bad name": "x", "ok": ""},
  "serve": {
    "listen": "localhost:99999",
    "max_running": 0,
    "idle_unload": "soon",
    "child_ports": "9-1",
    "load_timeout": "fast",
    "api_keys": ["has space", 7, "short"],
    "listn": 1
  }
}`;
  const { config, problems } = parseConfig(text, "c.json");
  assertEquals(config, undefined);
  const lines = problems.map((p) => formatProblem("c.json", p));
  const want = [
    "c.json:4:15: aliases.bad name: an alias must be one word without spaces",
    "c.json:4:38: aliases.ok: must name a model (a non-empty string)",
    "c.json:6:15: serve.listen: 'localhost:99999': the port must be a number from 1 to 65535",
    "c.json:7:20: serve.max_running: must be at least 1, got 0",
    "c.json:8:20: serve.idle_unload: 'soon' is not a duration (e.g. 90s, 30m, 2h) or never",
    "c.json:9:20: serve.child_ports: '9-1': the last port is below the first",
    "c.json:10:21: serve.load_timeout: 'fast' is not a duration (e.g. 90s, 30m, 2h) or adaptive",
    "c.json:11:18: serve.api_keys[0]: must not contain spaces or control characters",
    "c.json:11:31: serve.api_keys[1]: must be a string, got the number 7",
    "c.json:11:34: serve.api_keys[2]: is shorter than 16 characters: easy to guess",
    "c.json:12:5: serve.listn: unknown key (did you mean 'serve.listen'?)",
  ];
  for (const line of want) {
    await t.step(line.split(": ")[1]!, () => assert(lines.includes(line), lines.join("\n")));
  }
  assertEquals(lines.length, want.length);
  // A key is never repeated in a message.
  assert(!lines.some((l) => l.includes("has space")));
});

Deno.test("parseConfig() refuses a listen port inside the child port range", () => {
  const { problems } = parseConfig(
    base(`{"listen": "127.0.0.1:9105", "child_ports": "9100-9199"}`),
    "c.json",
  );
  assertEquals(
    problems.map((p) => `${p.key}: ${p.message}`),
    ["serve.child_ports: 9100-9199 contains the listen port 9105"],
  );
});

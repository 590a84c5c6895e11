import { assert, assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { formatProblem, parseConfig } from "./parse.ts";

const ok = (extra = "") =>
  `{
  // comment
  "ssd_path": "/ssd",
  "hdd_path": ["/hdd1", "/hdd2",],
  ${extra}
}`;

Deno.test("parseConfig() accepts JSONC with comments and trailing commas", () => {
  const { config, problems } = parseConfig(ok(), "c.json");
  assertEquals(problems, []);
  assertEquals(config?.hdd_path, ["/hdd1", "/hdd2"]);
  assertEquals(config?.cache, { min_uses: 1, window_days: 7, auto: true, adaptive: true });
  assertEquals(config?.default_port, 8080);
  assertEquals(config?.ssd_limit_gb, undefined);
  assert(config !== undefined && "daily_work" in config.simulations);
});

Deno.test("parseConfig() expands ~ and splits a string of global args", () => {
  const { config } = parseConfig(
    `{"ssd_path": "~/s", "hdd_path": "~/h", "global_llama_args": "-ngl 99 -a 'my model'", "server_binary": "~/bin/llama-server"}`,
    "c.json",
    { env: { HOME: "/home/ann" } },
  );
  assertEquals(config?.ssd_path, "/home/ann/s");
  assertEquals(config?.hdd_path, ["/home/ann/h"]);
  assertEquals(config?.global_llama_args, ["-ngl", "99", "-a", "my model"]);
  assertEquals(config?.server_binary, "/home/ann/bin/llama-server");
});

Deno.test("parseConfig() reports every problem at once with line and column", async (t) => {
  const text = `{
  "ssd_path": "/ssd",
  "hdd_path": "/hdd",
  "ssd_min_free_gb": -5,
  "default_port": "8080",
  "ssd_pth": "/x",
  "cache": { "min_uses": 2.5, "windw_days": 3, "adaptive": "yes" },
  "cache_warning_threshold": 1.5,
  "simulations": { "bad=name": { "pattern": "a=0s", "ssd_free_gb": 1 } }
}`;
  const { config, problems } = parseConfig(text, "c.json");
  assertEquals(config, undefined);
  const lines = problems.map((p) => formatProblem("c.json", p));
  const cases: [string, string][] = [
    ["negative size", "c.json:4:22: ssd_min_free_gb: must be at least 0, got -5"],
    ["wrong type", `c.json:5:19: default_port: must be a number, got a string "8080"`],
    [
      "unknown key with did-you-mean",
      "c.json:6:3: ssd_pth: unknown key (did you mean 'ssd_path'?)",
    ],
    ["non-integer", "c.json:7:26: cache.min_uses: must be a whole number, got 2.5"],
    [
      "nested unknown key",
      "c.json:7:31: cache.windw_days: unknown key (did you mean 'cache.window_days'?)",
    ],
    [
      "boolean",
      `c.json:7:60: cache.adaptive: must be true or false, got a string "yes"`,
    ],
    ["range", "c.json:8:30: cache_warning_threshold: must be at most 1, got 1.5"],
    ["preset name", "c.json:9:20: simulations.bad=name: preset names may not contain '=' or ';'"],
  ];
  for (const [name, line] of cases) {
    await t.step(
      name,
      () => assert(lines.includes(line), `missing ${line}\nin:\n${lines.join("\n")}`),
    );
  }
  assertEquals(lines.length, cases.length);
});

Deno.test("parseConfig() rejects syntax errors, missing keys and overlapping tiers", async (t) => {
  const cases: [string, string, string][] = [
    ["syntax", `{"ssd_path": "/s" "hdd_path": "/h"}`, "(syntax): syntax error: comma expected"],
    ["missing hdd_path", `{"ssd_path": "/s"}`, "hdd_path: missing (required)"],
    ["not an object", `[1, 2]`, "(top): the config must be a JSON object"],
    [
      "empty hdd list",
      `{"ssd_path": "/s", "hdd_path": []}`,
      "hdd_path: must be a path or a non-empty list",
    ],
    [
      "same dir",
      `{"ssd_path": "/m", "hdd_path": "/m/"}`,
      "hdd_path: is the same directory as ssd_path",
    ],
    [
      "ssd inside hdd",
      `{"ssd_path": "/m/ssd", "hdd_path": "/m"}`,
      "hdd_path: '/m' contains ssd_path",
    ],
    [
      "hdd inside ssd",
      `{"ssd_path": "/fast", "hdd_path": ["/x", "/fast/hdd"]}`,
      "hdd_path[1]: '/fast/hdd' lies inside ssd_path",
    ],
    [
      "symlinked alias",
      `{"ssd_path": "/link", "hdd_path": "/real"}`,
      "hdd_path: is the same directory as ssd_path",
    ],
    [
      "custom_paths not a list of paths",
      `{"ssd_path": "/s", "hdd_path": "/h", "custom_paths": ["/c", 3]}`,
      "custom_paths[1]: must be a non-empty string",
    ],
    [
      "custom dir inside the HDD",
      `{"ssd_path": "/s", "hdd_path": "/h", "custom_paths": ["/h/usb"]}`,
      "custom_paths[0]: '/h/usb' lies inside hdd_path ('/h')",
    ],
    [
      "custom dir containing the SSD",
      `{"ssd_path": "/m/s", "hdd_path": "/h", "custom_paths": "/m"}`,
      "custom_paths: '/m' contains ssd_path",
    ],
    [
      "custom dir twice",
      `{"ssd_path": "/s", "hdd_path": "/h", "custom_paths": ["/c", "/c/"]}`,
      "custom_paths[1]: is the same directory as custom_paths[0] ('/c')",
    ],
    [
      "unknown server type",
      `{"ssd_path": "/s", "hdd_path": "/h", "server_type": "vllm"}`,
      "server_type: unknown server type 'vllm' (known: llama-server)",
    ],
    [
      "duplicate key",
      `{"ssd_path": "/s", "hdd_path": "/h", "hdd_path": "/h2"}`,
      "hdd_path: given twice",
    ],
    [
      "args type",
      `{"ssd_path": "/s", "hdd_path": "/h", "global_llama_args": [1, true]}`,
      "global_llama_args[1]: must be a string, got true",
    ],
  ];
  for (const [name, text, want] of cases) {
    await t.step(name, () => {
      const realPath = (p: string) => (p === "/link" ? "/real" : p);
      const { config, problems } = parseConfig(text, "c.json", { realPath });
      assertEquals(config, undefined);
      assert(
        problems.some((p) => `${p.key}: ${p.message}`.includes(want)),
        JSON.stringify(problems),
      );
    });
  }
});

Deno.test("parseConfig() warns about missing directories but never fails on them", () => {
  const { config, problems } = parseConfig(ok(), "c.json", { dirExists: (p) => p !== "/hdd2" });
  assert(config !== undefined);
  assertEquals(problems.map((p) => [p.severity, p.key]), [["warning", "hdd_path[1]"]]);
  assertStringIncludes(problems[0]!.message, "does not exist (llama-pack will not create it)");
});

Deno.test("parseConfig() reads stores and cleanup, and reports their problems at their keys", () => {
  const base = `"ssd_path": "/s", "hdd_path": "/h"`;
  const ok = parseConfig(
    `{${base}, "stores": {"llama_cpp": false, "lmstudio": "~/lms"}, "cleanup": {"unused_days": 14}}`,
    "c.json",
    { env: { HOME: "/home/ann" }, dirExists: (p) => p !== "/home/ann/lms" },
  );
  assertEquals(ok.config?.stores, {
    huggingface: true,
    llama_cpp: false,
    lmstudio: "/home/ann/lms",
    ollama: true,
  });
  assertEquals(ok.config?.cleanup, { forget_after_days: 90, unused_days: 14, partial_days: 7 });
  assertEquals(ok.problems.map((p) => `${p.severity} ${p.key}`), ["warning stores.lmstudio"]);

  const bad = parseConfig(
    `{${base}, "stores": {"olama": true, "huggingface": 1}, "cleanup": {"forget_after_days": "x"}}`,
    "c.json",
  );
  assertEquals(bad.config, undefined);
  assertEquals(bad.problems.map((p) => `${p.key}: ${p.message}`), [
    "stores.olama: unknown key (did you mean 'stores.ollama'?)",
    "stores.huggingface: must be true, false or a directory, got the number 1",
    'cleanup.forget_after_days: must be a number, got a string "x"',
  ]);
});

Deno.test("parseConfig() reads custom_paths: one path or a list, ~ expanded, [] by default", () => {
  const env = { HOME: "/home/a" };
  const one = parseConfig(
    `{"ssd_path": "/s", "hdd_path": "/h", "custom_paths": "~/usb"}`,
    "c.json",
    {
      env,
    },
  );
  assertEquals(one.config?.custom_paths, ["/home/a/usb"]);
  const two = parseConfig(
    `{"ssd_path": "/s", "hdd_path": "/h", "custom_paths": ["/c1", "/c2"]}`,
    "c.json",
  );
  assertEquals(two.config?.custom_paths, ["/c1", "/c2"]);
  assertEquals(
    parseConfig(`{"ssd_path": "/s", "hdd_path": "/h"}`, "c.json").config?.custom_paths,
    [],
  );
});

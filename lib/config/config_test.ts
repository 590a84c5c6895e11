import { assert, assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { defaultConfigText } from "./config.ts";
import { parseConfig } from "./parse.ts";

Deno.test("defaultConfigText() parses, and names every documented key", () => {
  const text = defaultConfigText({ HOME: "/h" });
  const { config, problems } = parseConfig(text, "c.json", { env: { HOME: "/h" } });
  assertEquals(problems, []);
  assertEquals(config?.ssd_path, "/h/models/ssd");
  for (const p of ["simple", "daily_work", "rapid_switch", "cache_pressure"]) {
    assert(config!.simulations[p]!.pattern.length > 0, p);
  }
  assertStringIncludes(text, `// "ssd_limit_gb": 200`);
});

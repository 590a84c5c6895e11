import { assertEquals } from "../../tests/assert.ts";
import { salvageConfig } from "./salvage.ts";

Deno.test("salvageConfig() keeps every valid key of a broken config", async (t) => {
  await t.step("a valid config is kept whole", () => {
    const s = salvageConfig(`{"ssd_path": "/s", "hdd_path": "/h", "default_port": 9}`, "c");
    assertEquals([s.dropped, s.config.default_port, s.config.ssd_path], [[], 9, "/s"]);
  });
  await t.step("a typo and a wrong type cost their own keys only", () => {
    const s = salvageConfig(
      `{ // comment\n"default_port": 9001, "default_host": 7, "ssd_min_fre_gb": 3, "server_type": "llama-server",}`,
      "c",
      { env: { HOME: "/home/u" } },
    );
    assertEquals(s.dropped, ["default_host", "ssd_min_fre_gb"]);
    assertEquals([s.config.default_port, s.config.default_host], [9001, "127.0.0.1"]);
    // ssd_path and hdd_path are missing too: they take ~/models/ssd and ~/models/hdd.
    assertEquals(s.problems.filter((p) => p.severity === "error").length, 4);
    assertEquals(s.config.ssd_path, "/home/u/models/ssd");
  });
  await t.step("a file that is not JSON gives the defaults", () => {
    const s = salvageConfig(`{ "default_port": `, "c", { env: { HOME: "/home/u" } });
    assertEquals([s.dropped, s.config.default_port, s.config.ssd_path], [
      ["(syntax)"],
      8080,
      "/home/u/models/ssd",
    ]);
  });
});

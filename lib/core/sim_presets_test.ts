import { assert, assertEquals } from "../../tests/assert.ts";
import { isPattern, parsePattern } from "../../sim/pattern.ts";
import { DEFAULT_SIMULATIONS } from "./sim_presets.ts";
import { comparePolicies } from "../../sim/simulate.ts";

Deno.test("DEFAULT_SIMULATIONS parse, run and show the cache at work", async (t) => {
  assertEquals(Object.keys(DEFAULT_SIMULATIONS), [
    "simple",
    "daily_work",
    "rapid_switch",
    "cache_pressure",
  ]);
  for (const [name, preset] of Object.entries(DEFAULT_SIMULATIONS)) {
    await t.step(name, async () => {
      assert(!isPattern(name), "preset names may not contain = or ;");
      assert(preset.description.length > 10);
      assert(preset.ssd_free_gb > 0);
      const loads = parsePattern(preset.pattern, { source: `preset ${name}` });
      const c = await comparePolicies({
        name,
        loads,
        ssdFreeBytes: preset.ssd_free_gb * 1024 ** 3,
        ssdMinFreeBytes: 20 * 1024 ** 3, // the config's default ssd_min_free_gb
      });
      const ours = c.summaries[0]!;
      assertEquals(ours.policy, "llama-pack");
      assert(ours.hits > 0, "the preset should show at least one hit");
      for (const row of c.rows) assert(row.ofBound !== null && row.ofBound <= 1 + 1e-6);
    });
  }
});

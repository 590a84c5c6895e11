import { assertEquals } from "../../tests/assert.ts";
import { choiceOf } from "../core/profiles.ts";
import { loadPolicyChoice, savePolicyChoice } from "./policy_file.ts";

Deno.test("loadPolicyChoice() falls back to steady, and adaptive false ignores the stored choice", async () => {
  const dir = await Deno.makeTempDir();
  const on = { cache: { min_uses: 1, window_days: 7, auto: true, adaptive: true } };
  const off = { cache: { ...on.cache, adaptive: false } };
  try {
    assertEquals((await loadPolicyChoice(dir, on)).profile.name, "steady"); // nothing stored
    await Deno.writeTextFile(`${dir}/policy.json`, "{not json");
    assertEquals((await loadPolicyChoice(dir, on)).profile.name, "steady");
    await savePolicyChoice(
      dir,
      choiceOf({ minUses: 1, windowSeconds: 604800 }, "rapid", [
        { name: "rapid", byteHitRatio: 0.5 },
      ]),
      0,
    );
    const stored = await loadPolicyChoice(dir, on);
    assertEquals([stored.profile.name, stored.policy.minUsesToEvict], ["rapid", 1]);
    assertEquals(stored.standings, [{ name: "rapid", byteHitRatio: 0.5 }]);
    assertEquals((await loadPolicyChoice(dir, off)).profile.name, "steady");
    // The configured gate holds over any profile.
    const strict = { cache: { ...on.cache, min_uses: 3 } };
    assertEquals((await loadPolicyChoice(dir, strict)).policy.minUsesToEvict, 3);
    assertEquals(
      [...Deno.readDirSync(dir)].map((e) => e.name),
      ["policy.json"],
      "no temp file left",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

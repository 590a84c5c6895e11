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

Deno.test("loadPolicyChoice() keeps write ratios, drops malformed standings, and a stored old profile falls back to steady", async () => {
  const dir = await Deno.makeTempDir();
  const on = { cache: { min_uses: 1, window_days: 7, auto: true, adaptive: true } };
  try {
    await savePolicyChoice(
      dir,
      choiceOf({ minUses: 1, windowSeconds: 604800 }, "session", [
        { name: "steady", byteHitRatio: 0.4, writeRatio: 0.05 },
        { name: "session", byteHitRatio: 0.6, writeRatio: 0.2 },
      ]),
      0,
    );
    const stored = await loadPolicyChoice(dir, on);
    assertEquals(stored.profile.name, "session");
    assertEquals(stored.standings.map((s) => s.writeRatio), [0.05, 0.2]);
    // A file written before this version: "shifting" is gone, a string ratio is not a ratio.
    await Deno.writeTextFile(
      `${dir}/policy.json`,
      JSON.stringify({
        profile: "shifting",
        standings: [{ name: "shifting", byteHitRatio: 0.5 }, {
          name: "rapid",
          byteHitRatio: 0.4,
          writeRatio: "lots",
        }],
      }),
    );
    const old = await loadPolicyChoice(dir, on);
    assertEquals(old.profile.name, "steady");
    assertEquals(old.standings, [{ name: "shifting", byteHitRatio: 0.5 }]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

import { assertEquals, assertRejects } from "../../tests/assert.ts";
import { loadConfig, writeDefaultConfig } from "./config_file.ts";
import { LlamaPackError } from "../errors.ts";

Deno.test("writeDefaultConfig() never overwrites; loadConfig() throws one line per error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/a/b/config.json`;
    assertEquals(await writeDefaultConfig(path, { HOME: dir }), true);
    await Deno.writeTextFile(path, `{"ssd_path": 5, "hdd_path": "/h", "bogus": 1}`);
    assertEquals(await writeDefaultConfig(path, { HOME: dir }), false);
    const err = await assertRejects(() => loadConfig(path, {}), LlamaPackError);
    assertEquals(err.code, "CONFIG");
    assertEquals(err.exitCode, 2);
    assertEquals(err.message.split("\n"), [
      `${path}:1:14: ssd_path: must be a non-empty string`,
      `${path}:1:35: bogus: unknown key`,
    ]);
    const missing = await assertRejects(() => loadConfig(`${dir}/nope.json`, {}), LlamaPackError);
    assertEquals(missing.code, "IO");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

import { assertEquals } from "../../tests/assert.ts";
import { makeLibrary } from "../../tests/gguf_writer.ts";
import { listLmStudio } from "./lmstudio.ts";

Deno.test("listLmStudio() lists publisher/repo/file.gguf, follows imported links, skips hidden and partial files", async () => {
  const dir = await Deno.realPath(await Deno.makeTempDir({ prefix: "lms_test_" }));
  try {
    const models = `${dir}/models`;
    await makeLibrary(dir, {
      "elsewhere/Mine-Q4_K_M.gguf": { size: 2e6 },
      "models/lmstudio-community/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf": { size: 5e6 },
      "models/lmstudio-community/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf.part": {
        kind: "text",
        content: "",
      },
      "models/imported/mine/Mine-Q4_K_M.gguf": {
        kind: "symlink",
        target: `${dir}/elsewhere/Mine-Q4_K_M.gguf`,
      },
      "models/.internal/x.gguf": {},
    });
    const r = await listLmStudio(models);
    assertEquals(r.warnings, []);
    assertEquals(r.files.map((f) => [f.modelId, f.rel, f.realPath]), [
      [
        "imported/mine/Mine-Q4_K_M.gguf",
        "lmstudio/imported/mine/Mine-Q4_K_M.gguf",
        `${dir}/elsewhere/Mine-Q4_K_M.gguf`,
      ],
      [
        "lmstudio-community/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf",
        "lmstudio/lmstudio-community/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf",
        `${models}/lmstudio-community/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf`,
      ],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

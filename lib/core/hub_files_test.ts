import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { LlamaPackError } from "../errors.ts";
import { bestProjector, chooseHubFiles, type HubFile, parseHubRef, repoTags } from "./hub_files.ts";

const files = (...paths: string[]): HubFile[] => paths.map((path) => ({ path, size: 1 }));
const chosen = (list: HubFile[], tag?: string, mmproj = true) => {
  const c = chooseHubFiles(list, { tag, mmproj, repo: "o/m" });
  return { model: c.model.map((f) => f.path), projector: c.projector?.path, tag: c.matchedTag };
};

Deno.test("parseHubRef() takes owner/name[:QUANT] and refuses anything else", async (t) => {
  for (
    const [text, repo, tag] of [
      ["bartowski/Qwen3-8B-GGUF", "bartowski/Qwen3-8B-GGUF", undefined],
      ["unsloth/gemma-3-4b-it-GGUF:UD-Q4_K_XL", "unsloth/gemma-3-4b-it-GGUF", "UD-Q4_K_XL"],
      ["o/m.v2:q8_0", "o/m.v2", "q8_0"],
    ] as const
  ) {
    await t.step(text, () => assertEquals(parseHubRef(text), { repo, tag }));
  }
  for (
    const bad of ["model", "a/b/c", "/m", "o/", "o/-m", "o/m-", "o//m", "o/m:Q4 K", "o/m:", "../x"]
  ) {
    await t.step(`refuses '${bad}'`, () => {
      const err = assertThrows(() => parseHubRef(bad), LlamaPackError);
      assertEquals(err.code, "USAGE");
    });
  }
});

Deno.test("chooseHubFiles() picks the model as llama.cpp's -hf does", async (t) => {
  const repo = files(
    "README.md",
    "m-IQ2_XXS.gguf",
    "m-Q8_0.gguf",
    "m-Q4_K_M.gguf",
    "m-q4_k_m-imatrix.gguf",
    "m.imatrix.gguf",
  );
  await t.step("no tag: Q4_K_M first", () => {
    assertEquals(chosen(repo).model, ["m-Q4_K_M.gguf"]);
    assertEquals(chosen(repo).tag, "Q4_K_M");
  });
  await t.step("no tag and no Q4_K_M: Q8_0", () => {
    assertEquals(chosen(files("m-IQ2_XXS.gguf", "m-Q8_0.gguf")).model, ["m-Q8_0.gguf"]);
  });
  await t.step("no tag, neither: the first model file, never a sidecar", () => {
    const c = chosen(files("imatrix.gguf", "mmproj-F16.gguf", "m-F16.gguf", "m-BF16.gguf"));
    assertEquals(c.model, ["m-F16.gguf"]);
    assertEquals(c.tag, undefined);
  });
  await t.step("a tag matches case-insensitively, followed by '.' or '-'", () => {
    assertEquals(chosen(repo, "iq2_xxs").model, ["m-IQ2_XXS.gguf"]);
    assertEquals(chosen(files("x-Q4_K_M-00001-of-00001.gguf"), "Q4_K_M").model, [
      "x-Q4_K_M-00001-of-00001.gguf",
    ]);
  });
  await t.step("Q4_K matches Q4_K_M only as llama.cpp does: followed by '.' or '-'", () => {
    const err = assertThrows(
      () => chooseHubFiles(repo, { tag: "Q4_K", repo: "o/m" }),
      LlamaPackError,
    );
    assertEquals(err.code, "NO_MATCH");
  });
  await t.step("the tag is matched in the whole path, still followed by '.' or '-'", () => {
    assertEquals(chosen(files("Q5_K_M-parts/model.gguf", "model-Q8_0.gguf"), "q5_k_m").model, [
      "Q5_K_M-parts/model.gguf",
    ]);
    const err = assertThrows(
      () => chooseHubFiles(files("Q5_K_M/model.gguf"), { tag: "Q5_K_M" }),
      LlamaPackError,
    );
    assertEquals(
      err.message,
      "the repository has no model file for tag 'Q5_K_M'; its model files: Q5_K_M/model.gguf",
    );
  });
  await t.step("an unknown tag lists the repository's tags", () => {
    const err = assertThrows(
      () => chooseHubFiles(repo, { tag: "Q3_K_S", repo: "o/m" }),
      LlamaPackError,
    );
    assertEquals(
      err.message,
      "o/m has no model file for tag 'Q3_K_S'; its tags: IQ2_XXS, Q8_0, Q4_K_M",
    );
  });
  await t.step("a repository without GGUF files", () => {
    const err = assertThrows(() => chooseHubFiles(files("model.safetensors")), LlamaPackError);
    assert(err.message.includes("has no GGUF model file"));
  });
});

Deno.test("chooseHubFiles() brings every shard of a split model, in order", async (t) => {
  const repo = files(
    "Q8_0/m-Q8_0-00002-of-00003.gguf",
    "Q8_0/m-Q8_0-00001-of-00003.gguf",
    "Q8_0/m-Q8_0-00003-of-00003.gguf",
    "Q4_K_M/m-Q4_K_M-00002-of-00002.gguf",
    "Q4_K_M/m-Q4_K_M-00001-of-00002.gguf",
    "other-Q4_K_M-00001-of-00003.gguf",
  );
  await t.step("the first shard is chosen, shards of the same prefix and count follow", () => {
    assertEquals(chosen(repo).model, [
      "Q4_K_M/m-Q4_K_M-00001-of-00002.gguf",
      "Q4_K_M/m-Q4_K_M-00002-of-00002.gguf",
    ]);
    assertEquals(chosen(repo, "q8_0").model, [
      "Q8_0/m-Q8_0-00001-of-00003.gguf",
      "Q8_0/m-Q8_0-00002-of-00003.gguf",
      "Q8_0/m-Q8_0-00003-of-00003.gguf",
    ]);
  });
  await t.step("a missing shard is an error naming it", () => {
    const err = assertThrows(
      () => chooseHubFiles(files("x-Q4_K_M-00001-of-00003.gguf", "x-Q4_K_M-00003-of-00003.gguf")),
      LlamaPackError,
    );
    assert(err.message.includes("shard 2 is missing"), err.message);
  });
});

Deno.test("chooseHubFiles() brings the closest projector of the same or a parent folder", async (t) => {
  const repo = files(
    "mmproj-F32.gguf",
    "mmproj-F16.gguf",
    "Q8_0/m-Q8_0.gguf",
    "Q4_K_M/m-Q4_K_M.gguf",
    "Q4_K_M/mmproj-BF16.gguf",
    "Q4_K_M/mmproj-Q8_0.gguf",
    "deeper/still/mmproj-Q4_0.gguf",
  );
  await t.step("the deepest folder wins, then the closest bit-width", () => {
    assertEquals(chosen(repo).projector, "Q4_K_M/mmproj-Q8_0.gguf");
  });
  await t.step("a parent folder's projector when the model's folder has none", () => {
    assertEquals(chosen(repo, "Q8_0").projector, "mmproj-F16.gguf");
  });
  await t.step("a projector in an unrelated folder is not taken", () => {
    assertEquals(bestProjector(files("a/mmproj-F16.gguf"), "b/m-Q4_K_M.gguf"), undefined);
  });
  await t.step("--no-mmproj leaves it", () => {
    assertEquals(chosen(repo, undefined, false).projector, undefined);
  });
});

Deno.test("repoTags() lists model tags once, skipping sidecars", () => {
  assertEquals(
    repoTags(
      files(
        "a-Q4_K_M-00001-of-00002.gguf",
        "a-Q4_K_M-00002-of-00002.gguf",
        "mmproj-F16.gguf",
        "a.Q8_0.gguf",
      ),
    ),
    ["Q4_K_M", "Q8_0"],
  );
});

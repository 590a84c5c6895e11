import { assertEquals } from "../../tests/assert.ts";
import {
  blobName,
  cacheFileName,
  countStoreModels,
  ollamaName,
  ollamaRelDir,
  parseManifestName,
  renderFoundStores,
  repoOfFolder,
  shardPaths,
} from "./stores.ts";

Deno.test("repoOfFolder() names hub cache model repositories only", () => {
  assertEquals(repoOfFolder("models--unsloth--gpt-oss-20b-GGUF"), "unsloth/gpt-oss-20b-GGUF");
  assertEquals(repoOfFolder("models--single"), "single");
  assertEquals(repoOfFolder("datasets--a--b"), undefined);
  assertEquals(repoOfFolder("models--"), undefined);
  assertEquals(repoOfFolder(".locks"), undefined);
});

Deno.test("parseManifestName(), cacheFileName() and shardPaths() follow llama.cpp's naming", () => {
  assertEquals(parseManifestName("manifest=unsloth=Qwen3-GGUF=Q4_K_M.json"), {
    owner: "unsloth",
    repo: "Qwen3-GGUF",
  });
  assertEquals(parseManifestName("manifest=a=b.json"), undefined);
  assertEquals(cacheFileName("a", "b", "c/d.gguf"), "a_b_c_d.gguf");
  assertEquals(shardPaths("x.gguf"), ["x.gguf"]);
  assertEquals(shardPaths("Big-00001-of-00003.gguf").length, 3);
});

Deno.test("ollamaName() shows names as Ollama does; blobName() accepts only sha256 digests", () => {
  assertEquals(ollamaName("registry.ollama.ai", "library", "qwen3", "latest"), "qwen3:latest");
  assertEquals(ollamaName("registry.ollama.ai", "bob", "m", "q4"), "bob/m:q4");
  assertEquals(ollamaName("example.com", "library", "m", "1"), "example.com/library/m:1");
  assertEquals(ollamaRelDir("localhost:5000/library/m:1"), "ollama/localhost_5000/library/m/1");
  assertEquals(blobName("sha256:" + "0".repeat(64)), "sha256-" + "0".repeat(64));
  assertEquals(blobName("sha256-" + "0".repeat(64)), "sha256-" + "0".repeat(64));
  assertEquals(blobName("sha256:ABC"), undefined);
  assertEquals(blobName(42), undefined);
});

Deno.test("countStoreModels() and renderFoundStores() count first files only", () => {
  assertEquals(countStoreModels(["x/mmproj.gguf", "x/a-00002-of-00002.gguf"]), 0);
  assertEquals(
    renderFoundStores([
      { kind: "huggingface", path: "/h/.cache/huggingface/hub", models: 1 },
      { kind: "ollama", path: "/h/.ollama/models", models: 12 },
    ]),
    "Found models of other tools (read-only; stores.huggingface in the config turns one off):\n" +
      "  Hugging Face cache  /h/.cache/huggingface/hub  1 model\n" +
      "  Ollama              /h/.ollama/models          12 models\n",
  );
});

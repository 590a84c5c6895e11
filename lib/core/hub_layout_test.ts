import { assert, assertEquals, assertThrows } from "../../tests/assert.ts";
import { LlamaPackError } from "../errors.ts";
import { chooseHubFiles, type HubFile } from "./hub_files.ts";
import { placeHubFiles } from "./hub_layout.ts";

const files = (...paths: string[]): HubFile[] => paths.map((path) => ({ path, size: 1 }));

Deno.test("placeHubFiles() keeps model folders, puts the projector beside the model, refuses unsafe paths", async (t) => {
  const c = chooseHubFiles(
    files(
      "Q4_K_M/m-Q4_K_M-00001-of-00002.gguf",
      "Q4_K_M/m-Q4_K_M-00002-of-00002.gguf",
      "mmproj-F16.gguf",
    ),
  );
  await t.step("layout", () => {
    assertEquals(placeHubFiles("o/m", c).map((f) => [f.role, f.localPath]), [
      ["model", "o/m/Q4_K_M/m-Q4_K_M-00001-of-00002.gguf"],
      ["model", "o/m/Q4_K_M/m-Q4_K_M-00002-of-00002.gguf"],
      ["mmproj", "o/m/Q4_K_M/mmproj-F16.gguf"],
    ]);
  });
  for (
    const bad of ["../x-Q4_K_M.gguf", ".hidden/x-Q4_K_M.gguf", "a//x-Q4_K_M.gguf", "/x-Q4_K_M.gguf"]
  ) {
    await t.step(`refuses '${bad}'`, () => {
      const choice = {
        model: [{ path: bad, size: 1 }],
        projector: undefined,
        matchedTag: undefined,
        quant: "",
      };
      const err = assertThrows(() => placeHubFiles("o/m", choice), LlamaPackError);
      assert(err.message.includes("refusing the repository path"), err.message);
    });
  }
});

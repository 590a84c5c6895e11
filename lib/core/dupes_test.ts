import { assert, assertEquals } from "../../tests/assert.ts";
import {
  confirmDuplicates,
  duplicatesJson,
  findDuplicates,
  type PermanentCopy,
  renderDuplicates,
} from "./dupes.ts";

const GIB = 1024 ** 3;
const copy = (
  place: PermanentCopy["place"],
  path: string,
  more: Partial<PermanentCopy> = {},
): PermanentCopy => ({
  modelId: path,
  name: "Qwen3-8B-Q4_K_M.gguf",
  place,
  path,
  files: [path],
  weightsSize: 5 * GIB,
  fingerprint: "f1",
  physical: path,
  ...more,
});

Deno.test("findDuplicates() groups by size and fingerprint, counts one physical file once, orders places", () => {
  const groups = findDuplicates([
    copy("ollama", "/o/blobs/sha256-1"),
    copy("hdd", "/hdd/q.gguf"),
    copy("huggingface", "/hub/snap/q.gguf", { physical: "9:1" }),
    copy("lmstudio", "/lms/q.gguf", { physical: "9:1" }), // a link to the same blob
    copy("hdd", "/hdd/other.gguf", { fingerprint: "f2", name: "other.gguf" }),
    copy("ssd", "/ssd/small.gguf", { weightsSize: GIB, fingerprint: "f3", name: "small.gguf" }),
    copy("hdd", "/hdd/small.gguf", { weightsSize: GIB, fingerprint: "f3", name: "small.gguf" }),
    copy("hdd", "/hdd/same-fp-other-size.gguf", { weightsSize: 2 * GIB }),
  ]);
  assertEquals(groups.map((g) => [g.copies.map((c) => c.path), g.reclaimable]), [
    [["/hdd/q.gguf", "/hub/snap/q.gguf", "/o/blobs/sha256-1"], 10 * GIB],
    [["/hdd/small.gguf", "/ssd/small.gguf"], GIB],
  ]);
});

Deno.test("confirmDuplicates() keeps only copies whose hashes agree", () => {
  const [g] = findDuplicates([copy("hdd", "/a"), copy("hdd", "/b"), copy("ollama", "/c")]);
  const confirmed = confirmDuplicates([g!], (p) => (p === "/c" ? "x" : "y"));
  assertEquals(confirmed.map((x) => [x.copies.map((c) => c.path), x.reclaimable, x.verified]), [
    [["/a", "/b"], 5 * GIB, true],
  ]);
});

Deno.test("renderDuplicates() and duplicatesJson() report groups, paths and reclaimable bytes", () => {
  const groups = findDuplicates([copy("hdd", "/hdd/q.gguf"), copy("huggingface", "/hub/q.gguf")]);
  const text = renderDuplicates(groups, { verified: false });
  assertEquals(text.split("\n").slice(0, 5), [
    "1 model is kept more than once (same size and header; --verify hashes); 5.0 GiB could be reclaimed by keeping one copy of each:",
    "",
    "Qwen3-8B-Q4_K_M.gguf  5.0 GiB x 2  (5.0 GiB reclaimable)",
    "  hdd       /hdd/q.gguf",
    "  hf-cache  /hub/q.gguf",
  ]);
  assert(text.includes("llama-pack deletes none of these"));
  const json = JSON.parse(duplicatesJson(groups, { verified: false }));
  assertEquals(json.reclaimable, 5 * GIB);
  assertEquals(json.groups[0].copies.map((c: { place: string }) => c.place), [
    "hdd",
    "huggingface",
  ]);
});

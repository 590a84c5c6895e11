import { assert, assertEquals } from "../../tests/assert.ts";
import { buildIndex } from "./model_index.ts";
import { modelAliases, resolveModelName } from "./serve_names.ts";

const row = (id: string, gone = 0) => ({
  id,
  name: id.slice(id.lastIndexOf("/") + 1),
  size: 1,
  fingerprint: null,
  first_seen: 0,
  last_seen: 0,
  gone,
  ssd_only: 0,
  metadata: null,
  pinned: 0,
  no_cache: 0,
  stored_args: null,
});
const file = (id: string) => ({
  path: `/h/${id}`,
  model_id: id,
  tier: "hdd" as const,
  root: "/h",
  rel: id,
  role: "model",
  size: 1,
  mtime: 0,
});
const ids = [
  "bartowski/gemma-3-4b-it-Q4_K_M.gguf",
  "unsloth/gemma-3-4b-it-Q4_K_M.gguf",
  "Qwen3-8B-Q4_K_M.gguf",
  "Llama-3.1-8B-Q5_K_M.gguf",
];
const index = buildIndex({
  models: [...ids.map((i) => row(i)), row("Old-Q4.gguf", 1)],
  files: ids.map(file),
  units: [],
  uses: [],
});
const aliases = { coder: "qwen3", broken: "nothing-like-this" };

Deno.test("resolveModelName() resolves ids, aliases, friendly names and unique matches", async (t) => {
  const cases: [string, string, string | undefined][] = [
    ["the id", "unsloth/gemma-3-4b-it-Q4_K_M.gguf", "unsloth/gemma-3-4b-it-Q4_K_M.gguf"],
    ["a config alias", "coder", "Qwen3-8B-Q4_K_M.gguf"],
    ["the friendly name", "Qwen3-8B-Q4_K_M", "Qwen3-8B-Q4_K_M.gguf"],
    ["ignoring case", "llama-3.1-8b-q5_k_m", "Llama-3.1-8B-Q5_K_M.gguf"],
    ["a unique part", "llama", "Llama-3.1-8B-Q5_K_M.gguf"],
    ["twins by file name are ambiguous", "gemma-3-4b-it-Q4_K_M", undefined],
    ["a gone model is not servable", "Old-Q4", undefined],
  ];
  for (const [name, query, want] of cases) {
    await t.step(name, () => {
      const r = resolveModelName(index, query, { aliases, now: 0 });
      assertEquals(r.ok ? r.model.id : undefined, want, JSON.stringify(r));
    });
  }
  const amb = resolveModelName(index, "8b", { now: 0 });
  assert(!amb.ok && amb.reason === "ambiguous");
  assertEquals(amb.candidates.sort(), ["Llama-3.1-8B-Q5_K_M.gguf", "Qwen3-8B-Q4_K_M.gguf"]);
  const unknown = resolveModelName(index, "gemmma-3", { now: 0 });
  assert(!unknown.ok && unknown.reason === "unknown");
  const broken = resolveModelName(index, "broken", { aliases, now: 0 });
  assert(!broken.ok && broken.message.startsWith("alias 'broken' names 'nothing-like-this'"));
});

Deno.test("modelAliases() lists unique friendly names and config aliases", () => {
  const a = modelAliases(index.filter((m) => !m.gone), aliases, 0);
  assertEquals(a.get("Qwen3-8B-Q4_K_M.gguf"), ["Qwen3-8B-Q4_K_M", "coder"]);
  assertEquals(a.get("unsloth/gemma-3-4b-it-Q4_K_M.gguf"), [], "twins share no friendly name");
});

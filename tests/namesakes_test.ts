/**
 * End-to-end: models that share a file name in different folders, the
 * Hugging Face layout and long names, through the real CLI — `-m` by folder,
 * id, full and relative path; labels in `-l`; `-l` and `--table` fitted to
 * 80 and 120 columns (snapshots, dates masked).
 */
import { assert, assertEquals, assertStringIncludes } from "./assert.ts";
import { hfEntries, makeLibrary } from "./gguf_writer.ts";
import { makeSandbox, type Sandbox } from "./sandbox.ts";
import { assertSnapshot } from "./snapshot.ts";

const GIB = 1024 ** 3;

/** Twins in bartowski/ and unsloth/, long plain names, a split model and a hub cache. */
async function namesakeWorld(): Promise<Sandbox> {
  const sb = await makeSandbox({ hdd_path: [] });
  const hf = `${sb.root}/hf`;
  await makeLibrary(sb.hdd, {
    "bartowski/gemma-3-4b-it-Q4_K_M.gguf": { size: 3 * GIB, parameterCount: 4e9, name: "a" },
    "unsloth/gemma-3-4b-it-Q4_K_M.gguf": { size: 3 * GIB, parameterCount: 4e9, name: "b" },
    "llm/Meta-Llama-3.1-8B-Instruct-Q8_0.gguf": {
      size: 8 * GIB,
      parameterCount: 8e9,
      fileType: "Q8_0",
    },
    "llm/Mistral-Small-3.2-24B-Instruct-2506-UD-Q4_K_XL.gguf": {
      size: 14 * GIB,
      parameterCount: 24e9,
    },
  });
  await makeLibrary(hf, {
    ...hfEntries("bartowski/Qwen3-30B-A3B-Instruct-2507-GGUF", {
      "Qwen3-30B-A3B-Instruct-2507-Q4_K_M.gguf": { size: 18 * GIB, parameterCount: 30e9 },
    }),
    ...hfEntries("unsloth/DeepSeek-R1-0528-Qwen3-8B-GGUF", {
      "DeepSeek-R1-0528-Qwen3-8B-UD-Q4_K_XL.gguf": { size: 5 * GIB, parameterCount: 8e9 },
    }),
  });
  await sb.writeConfig({ hdd_path: [sb.hdd, hf] });
  const r = await sb.run(["-u"]);
  assertEquals(r.code, 0, r.stderr);
  return sb;
}

const maskDates = (text: string) => text.replace(/\d{4}-\d{2}-\d{2}/g, "YYYY-MM-DD");

Deno.test("llama-pack -m reaches each of two models with one file name, by folder, id or path", async (t) => {
  const sb = await namesakeWorld();
  try {
    const served = async (args: string[], env: Record<string, string> = {}) => {
      const r = await sb.run(["-n", ...args], { env });
      assertEquals(r.code, 0, r.stderr);
      return { model: r.stderr.trim(), argv: r.stdout };
    };
    const unsloth = `${sb.hdd}/unsloth/gemma-3-4b-it-Q4_K_M.gguf`;
    for (
      const query of [
        "unsloth/gemma-3-4b",
        "unsloth/gemma-3-4b-it-Q4_K_M.gguf",
        "unsloth/q4km",
        unsloth,
      ]
    ) {
      await t.step(`-m ${query}`, async () => {
        const r = await served(["-m", query, "--strict"]);
        assertEquals(r.model, "model: unsloth/gemma-3-4b-it-Q4_K_M.gguf");
        assertStringIncludes(r.argv, `-m ${unsloth} `);
      });
    }
    await t.step("a path relative to the working directory", async () => {
      // The sandbox runs the CLI in its root: ./hdd/… is the file.
      const r = await served(["-m", "./hdd/bartowski/gemma-3-4b-it-Q4_K_M.gguf"]);
      assertEquals(r.model, "model: bartowski/gemma-3-4b-it-Q4_K_M.gguf");
    });
    await t.step("the shared name alone picks one and says which else matched", async () => {
      const r = await served(["-m", "gemma-3-4b"]);
      assertEquals(
        r.model,
        "model: bartowski/gemma-3-4b-it-Q4_K_M.gguf (also matched: unsloth/gemma-3-4b-it-Q4_K_M.gguf)",
      );
    });
    await t.step("--strict refuses the shared name, naming both by folder", async () => {
      const r = await sb.run(["-n", "-m", "gemma-3-4b-it-Q4_K_M.gguf", "--strict"]);
      assertEquals(r.code, 2);
      assertEquals(
        r.stderr,
        "error: model query 'gemma-3-4b-it-Q4_K_M.gguf' matches 2 models by exact name: " +
          "bartowski/gemma-3-4b-it-Q4_K_M.gguf, unsloth/gemma-3-4b-it-Q4_K_M.gguf\n" +
          "hint: give more of the name or its folder, e.g. -m 'bartowski/gemma-3-4b-it-Q4_K_M.gguf'\n",
      );
    });
    await t.step("a full path outside the index says so", async () => {
      const r = await sb.run(["-n", "-m", "/nowhere/x.gguf"]);
      assertEquals(r.code, 2);
      assertStringIncludes(r.stderr, "error: no model in the index has the file '/nowhere/x.gguf'");
    });
    await t.step("every label of -l --json is an exact, unambiguous -m", async () => {
      const doc = JSON.parse((await sb.run(["-l", "--json"])).stdout);
      assertEquals(doc.models.length, 6);
      for (const m of doc.models as { id: string; label: string }[]) {
        const r = await sb.run(["-n", "-m", m.label, "--strict"]);
        assertEquals(r.code, 0, `${m.label}: ${r.stderr}`);
        const also = await sb.run(["-n", "-m", m.id, "--strict"]);
        assertEquals(also.stderr, r.stderr, "the id finds the same model");
      }
    });
  } finally {
    await sb.cleanup();
  }
});

Deno.test("llama-pack -l, --table fit 80 and 120 columns, one line per model, the quant visible", async (t) => {
  const sb = await namesakeWorld();
  try {
    for (
      const [name, args, columns] of [
        ["list-80", ["-l"], 80],
        ["list-120", ["-l"], 120],
        ["list-table-80", ["-l", "--table"], 80],
      ] as const
    ) {
      await t.step(name, async () => {
        const r = await sb.run([...args], { env: { COLUMNS: String(columns) } });
        assertEquals(r.code, 0, r.stderr);
        for (const line of r.stdout.split("\n")) {
          assert(line.length <= columns, `${line.length} > ${columns}: ${line}`);
        }
        for (const quant of ["Q4_K_M", "Q8_0", "Q4_K_XL"]) assertStringIncludes(r.stdout, quant);
        await assertSnapshot(name, maskDates(r.stdout));
      });
    }
    await t.step("without COLUMNS and not on a terminal, names stay whole", async () => {
      const r = await sb.run(["-l"]);
      assertStringIncludes(
        r.stdout,
        "\nbartowski/Qwen3-30B-A3B-Instruct-2507-GGUF/Qwen3-30B-A3B-Instruct-2507-Q4_K_M.gguf ",
      );
    });
  } finally {
    await sb.cleanup();
  }
});

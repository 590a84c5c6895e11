import fc from "fast-check";
import { assert, assertEquals, assertStringIncludes, assertThrows } from "../../tests/assert.ts";
import { LlamaPackError } from "../errors.ts";
import { type MatchCandidate, matchModels, noMatch } from "./match.ts";
import { displayName, modelLabels } from "./model_names.ts";

const LIBRARY: MatchCandidate[] = [
  { id: "g9", name: "Gemma2-9B-Q5_K.gguf", rank: 6.5 },
  { id: "g27", name: "Gemma2-27B-Q4_K_M.gguf", rank: 1.2 },
  { id: "g3", name: "gemma-3-4b-it-q8_0.gguf", rank: 2 },
  { id: "l8", name: "Llama-3.1-8B-Instruct-Q5_K_M.gguf", rank: 3 },
  { id: "l8s", name: "Llama-3.1-8B-Instruct-Q4_K_S.gguf", rank: 0 },
  { id: "qc", name: "Qwen2.5-Coder-32B-Instruct-Q4_K_M.gguf", rank: 0 },
  { id: "mx", name: "Mixtral-8x7B-Instruct-v0.1.IQ3_XXS.gguf", rank: 0.4 },
  { id: "p4", name: "phi-4-F16.gguf", rank: 0 },
];

Deno.test("matchModels() finds the model a query means", async (t) => {
  const cases: { query: string; best: string; kind: string; reason?: string }[] = [
    { query: "gemma5", best: "g9", kind: "fuzzy", reason: "letters of 'gemma5' in order (2 runs)" },
    { query: "Gemma2-9B-Q5_K.gguf", best: "g9", kind: "exact", reason: "exact name" },
    { query: "Gemma2-9B-Q5_K", best: "g9", kind: "exact", reason: "exact name without .gguf" },
    {
      query: "gemma2-9b-q5_k.GGUF",
      best: "g9",
      kind: "exact-ci",
      reason: "exact name, ignoring case",
    },
    { query: "GEMMA2-27B-Q4_K_M", best: "g27", kind: "exact-ci" },
    { query: "q4km", best: "g27", kind: "fuzzy", reason: "quant Q4_K_M" },
    { query: "llama q4ks", best: "l8s", kind: "fuzzy", reason: "quant Q4_K_S" },
    { query: "coder", best: "qc", kind: "substring", reason: "contains 'coder' at a word start" },
    { query: "27b", best: "g27", kind: "substring" },
    { query: "iq3xxs", best: "mx", kind: "fuzzy", reason: "quant IQ3_XXS" },
    { query: "f16", best: "p4", kind: "substring", reason: "quant F16" },
    { query: "  phi  ", best: "p4", kind: "substring", reason: "at the start" },
    { query: "gemma", best: "g9", kind: "substring" }, // three equal substring matches: rank decides
    { query: "q5", best: "g9", kind: "substring" }, // Q5_K and Q5_K_M tie; rank 6.5 > 3
    { query: "llama8q5", best: "l8", kind: "fuzzy" },
    { query: "mixtral", best: "mx", kind: "substring" },
  ];
  for (const c of cases) {
    await t.step(`'${c.query}' → ${c.best}`, () => {
      const r = matchModels(c.query, LIBRARY);
      assertEquals(r.best?.id, c.best, JSON.stringify(r.candidates.slice(0, 3)));
      assertEquals(r.best?.kind, c.kind);
      assertEquals(r.candidates[0], r.best);
      if (c.reason) assertStringIncludes(r.best!.reason, c.reason);
    });
  }
});

Deno.test("matchModels() ranks tiers exact > ignoring case > substring > fuzzy", () => {
  const models: MatchCandidate[] = [
    { id: "fz", name: "a-b-c.gguf", rank: 100 },
    { id: "sub", name: "xabcx.gguf", rank: 50 },
    { id: "ci", name: "ABC.gguf", rank: 10 },
    { id: "ex", name: "abc.gguf", rank: 0 },
  ];
  const r = matchModels("abc", models);
  assertEquals(r.candidates.map((c) => [c.id, c.kind]), [
    ["ex", "exact"],
    ["ci", "exact-ci"],
    ["sub", "substring"],
    ["fz", "fuzzy"],
  ]);
});

Deno.test("matchModels() breaks equal scores by rank, then name, then id", () => {
  const models: MatchCandidate[] = [
    { id: "3", name: "foo-b.gguf", rank: 1 },
    { id: "2", name: "foo-a.gguf", rank: 1 },
    { id: "1", name: "foo-c.gguf", rank: 5 },
    { id: "0", name: "foo-a.gguf", rank: 1 },
  ];
  assertEquals(matchModels("foo", models).candidates.map((c) => c.id), ["1", "0", "2", "3"]);
});

Deno.test("matchModels() prefers word starts and contiguous runs", async (t) => {
  const cases: [string, string, string][] = [
    ["substring at the start beats one inside", "coder", "Coder-7B.gguf|Qwen-Xcoder.gguf"],
    ["whole word beats a word prefix", "8b", "Llama-8B.gguf|Llama-8Bx.gguf"],
    ["one run beats letters scattered", "abc", "x-a_b_c.gguf|xaybzc.gguf"],
    ["word starts beat mid-word letters", "lc", "Llama-Coder.gguf|olfact.gguf"],
  ];
  for (const [name, query, pair] of cases) {
    await t.step(name, () => {
      const [winner, loser] = pair.split("|") as [string, string];
      const r = matchModels(query, [
        { id: "loser", name: loser, rank: 99 },
        { id: "winner", name: winner, rank: 0 },
      ]);
      assertEquals(
        r.candidates.map((c) => c.id),
        ["winner", "loser"],
        JSON.stringify(r.candidates),
      );
      assert(r.candidates[0]!.score > r.candidates[1]!.score);
    });
  }
});

Deno.test("matchModels() does not match inside the .gguf extension", () => {
  const r = matchModels("g", [{ id: "a", name: "Llama.gguf", rank: 0 }, {
    id: "b",
    name: "gpt.gguf",
    rank: 0,
  }]);
  assertEquals(r.candidates.map((c) => c.id), ["b"]);
});

Deno.test("matchModels() strict mode fails on ambiguity, not on a clear winner", async (t) => {
  await t.step("two substring matches are ambiguous", () => {
    const err = assertThrows(
      () => matchModels("gemma2", LIBRARY, { strict: true }),
      LlamaPackError,
    );
    assertEquals(err.code, "AMBIGUOUS");
    assertEquals(err.exitCode, 2);
    assertStringIncludes(
      err.message,
      "matches 2 models by part of the name: Gemma2-9B-Q5_K.gguf, Gemma2-27B-Q4_K_M.gguf",
    );
  });
  await t.step("two fuzzy matches are ambiguous even with different scores", () => {
    const err = assertThrows(
      () => matchModels("llama8", LIBRARY, { strict: true }),
      LlamaPackError,
    );
    assertEquals(err.code, "AMBIGUOUS");
  });
  await t.step("an exact name wins over substring matches", () => {
    const models = [...LIBRARY, { id: "g", name: "Gemma2.gguf", rank: 0 }];
    assertEquals(matchModels("Gemma2", models, { strict: true }).best?.id, "g");
  });
  await t.step("the only substring match wins over fuzzy ones", () => {
    assertEquals(matchModels("coder", LIBRARY, { strict: true }).best?.id, "qc");
  });
  await t.step("a single fuzzy match is fine", () => {
    assertEquals(matchModels("gemma5", LIBRARY, { strict: true }).best?.id, "g9");
  });
  await t.step("exact namesakes are ambiguous", () => {
    const models = [{ id: "1", name: "x.gguf", rank: 0 }, { id: "2", name: "x.gguf", rank: 1 }];
    assertThrows(
      () => matchModels("x.gguf", models, { strict: true }),
      LlamaPackError,
      "matches 2 models by exact name",
    );
  });
  await t.step("non-strict returns the best with the rest as candidates", () => {
    const r = matchModels("gemma2", LIBRARY);
    assertEquals(r.best?.id, "g9");
    assertEquals(r.candidates.map((c) => c.id), ["g9", "g27"]);
  });
});

Deno.test("matchModels() rejects an empty query", async (t) => {
  for (const q of ["", "   ", "\t\n"]) {
    await t.step(JSON.stringify(q), () => {
      const err = assertThrows(
        () => matchModels(q, LIBRARY),
        LlamaPackError,
        "model query is empty",
      );
      assertEquals(err.code, "USAGE");
    });
  }
});

Deno.test("matchModels() reports no match with suggestions", async (t) => {
  await t.step("a close name is suggested", () => {
    const err = assertThrows(() => matchModels("gemmma", LIBRARY), LlamaPackError);
    assertEquals(err.code, "NO_MATCH");
    assertStringIncludes(err.message, "no model matches 'gemmma' (did you mean ");
    assertStringIncludes(err.message, "Gemma2-9B-Q5_K.gguf");
  });
  await t.step("strict mode says the same", () => {
    assertThrows(
      () => matchModels("lamma-3.2", LIBRARY, { strict: true }),
      LlamaPackError,
      "did you mean",
    );
  });
  await t.step("nothing close: says how many models there are", () => {
    const err = assertThrows(() => matchModels("zzzzzz", LIBRARY), LlamaPackError);
    assertEquals(err.message, "no model matches 'zzzzzz' among 8 models");
    assertEquals(err.hint, "list the models with llama-pack -l");
  });
  await t.step("an empty index says to scan", () => {
    const err = noMatch("x", []);
    assertEquals(err.message, "no model matches 'x': the model index is empty");
    assertStringIncludes(err.hint ?? "", "--update");
  });
  await t.step("at most three suggestions, closest first", () => {
    const models = ["alpha-1", "alpha-2", "alpha-3", "alpha-4", "alphx"].map((n, i) => ({
      id: String(i),
      name: `${n}.gguf`,
      rank: i,
    }));
    const err = noMatch("alphz", models);
    assertEquals(
      err.message,
      "no model matches 'alphz' (did you mean 'alphx.gguf', 'alpha-4.gguf' or 'alpha-3.gguf'?)",
    );
  });
});

// ---- properties ----

const nameArb = fc.stringMatching(/^[A-Za-z][A-Za-z0-9._-]{0,24}$/).map((s) => `${s}.gguf`);
const modelsArb = fc.uniqueArray(
  fc.record({
    id: fc.uuid(),
    name: nameArb,
    rank: fc.integer({ min: 0, max: 100 }).map((x) => x / 10),
  }),
  { selector: (m) => m.id, minLength: 1, maxLength: 12 },
);
const queryArb = fc.stringMatching(/^[A-Za-z0-9._-]{1,8}$/);

function isSubsequence(q: string, name: string): boolean {
  let i = 0;
  for (const ch of name.toLowerCase()) if (ch === q[i]) i++;
  return i === q.length;
}

Deno.test("property: every candidate contains the query's letters in order, best first", () => {
  fc.assert(
    fc.property(modelsArb, queryArb, (models, query) => {
      let r;
      try {
        r = matchModels(query, models);
      } catch (err) {
        // Nothing matched: then indeed no name holds the letters in order.
        return err instanceof LlamaPackError && err.code === "NO_MATCH" &&
          models.every((m) =>
            !isSubsequence(query.toLowerCase(), m.name.replace(/\.gguf$/, "")) ||
            query.toLowerCase().includes("gguf")
          );
      }
      const sorted = r.candidates.every((c, i) => i === 0 || r.candidates[i - 1]!.score >= c.score);
      return r.best === r.candidates[0] && sorted &&
        r.candidates.every((c) => isSubsequence(query.toLowerCase(), c.name));
    }),
  );
});

Deno.test("property: the result does not depend on the order of the models", () => {
  fc.assert(
    fc.property(modelsArb, queryArb, (models, query) => {
      const run = (ms: MatchCandidate[]) => {
        try {
          return matchModels(query, ms).candidates;
        } catch (err) {
          return (err as Error).message;
        }
      };
      assertEquals(run([...models].reverse()), run(models));
    }),
  );
});

Deno.test("property: a model's exact name always finds it, even in strict mode", () => {
  fc.assert(
    fc.property(
      modelsArb.filter((ms) => new Set(ms.map((m) => m.name)).size === ms.length),
      fc.nat(),
      (models, k) => {
        const target = models[k % models.length]!;
        return matchModels(target.name, models, { strict: true }).best?.id === target.id;
      },
    ),
  );
});

Deno.test("matchModels() counts a model with several names once, by its best-matching name", () => {
  const models = [
    { id: "llama3.2:3b", name: "llama3.2:3b", rank: 0 },
    { id: "llama3.2:3b", name: "llama3.2:latest", rank: 0 },
    { id: "qwen3:8b", name: "qwen3:8b", rank: 0 },
  ];
  const r = matchModels("llama3.2:latest", models, { strict: true });
  assertEquals([r.best?.id, r.best?.name, r.candidates.length], [
    "llama3.2:3b",
    "llama3.2:latest",
    1,
  ]);
  assertEquals(matchModels("llama3.2", models, { strict: true }).candidates.length, 1);
});

// ---- paths: models that share a file name ----

const TWINS: MatchCandidate[] = [
  {
    id: "bartowski/gemma-3-4b-it-Q4_K_M.gguf",
    name: "gemma-3-4b-it-Q4_K_M.gguf",
    rank: 3,
    label: "bartowski/gemma-3-4b-it-Q4_K_M.gguf",
    paths: ["/hdd/bartowski/gemma-3-4b-it-Q4_K_M.gguf"],
  },
  {
    id: "unsloth/gemma-3-4b-it-Q4_K_M.gguf",
    name: "gemma-3-4b-it-Q4_K_M.gguf",
    rank: 0,
    label: "unsloth/gemma-3-4b-it-Q4_K_M.gguf",
    paths: ["/hdd/unsloth/gemma-3-4b-it-Q4_K_M.gguf", "/ssd/unsloth/gemma-3-4b-it-Q4_K_M.gguf"],
  },
  {
    id: "models--bartowski--Qwen3-8B-GGUF/snapshots/abc/Qwen3-8B-Q4_K_M.gguf",
    name: "bartowski/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf",
    rank: 1,
    paths: ["/hf/models--bartowski--Qwen3-8B-GGUF/snapshots/abc/Qwen3-8B-Q4_K_M.gguf"],
  },
  { id: "llm/big/Llama-70B-Q4_K_M.gguf", name: "Llama-70B-Q4_K_M.gguf", rank: 0 },
];

Deno.test("matchModels() reaches each of two models that share a file name", async (t) => {
  const cases: { query: string; best: string; kind: string }[] = [
    { query: "unsloth/gemma-3-4b", best: "unsloth/gemma-3-4b-it-Q4_K_M.gguf", kind: "substring" },
    { query: "bartowski/gemma", best: "bartowski/gemma-3-4b-it-Q4_K_M.gguf", kind: "substring" },
    {
      query: "unsloth/gemma-3-4b-it-Q4_K_M.gguf",
      best: "unsloth/gemma-3-4b-it-Q4_K_M.gguf",
      kind: "exact",
    },
    {
      query: "UNSLOTH/gemma-3-4b-it-q4_k_m",
      best: "unsloth/gemma-3-4b-it-Q4_K_M.gguf",
      kind: "exact-ci",
    },
    { query: "unsloth/q4km", best: "unsloth/gemma-3-4b-it-Q4_K_M.gguf", kind: "fuzzy" },
    {
      query: "/ssd/unsloth/gemma-3-4b-it-Q4_K_M.gguf",
      best: "unsloth/gemma-3-4b-it-Q4_K_M.gguf",
      kind: "exact",
    },
    { query: "/hdd/unsloth/", best: "unsloth/gemma-3-4b-it-Q4_K_M.gguf", kind: "substring" },
    { query: "unsloth", best: "unsloth/gemma-3-4b-it-Q4_K_M.gguf", kind: "path" },
    { query: "big", best: "llm/big/Llama-70B-Q4_K_M.gguf", kind: "path" },
    {
      query: "bartowski/Qwen3-8B",
      best: "models--bartowski--Qwen3-8B-GGUF/snapshots/abc/Qwen3-8B-Q4_K_M.gguf",
      kind: "substring",
    },
  ];
  for (const c of cases) {
    await t.step(`'${c.query}' → ${c.best}`, () => {
      const r = matchModels(c.query, TWINS, { strict: true });
      assertEquals([r.best?.id, r.best?.kind], [c.best, c.kind], JSON.stringify(r.candidates));
    });
  }
  await t.step("the shared file name is ambiguous in strict mode, listed by label", () => {
    const err = assertThrows(
      () => matchModels("gemma-3-4b-it-Q4_K_M.gguf", TWINS, { strict: true }),
      LlamaPackError,
    );
    assertEquals(
      err.message,
      "model query 'gemma-3-4b-it-Q4_K_M.gguf' matches 2 models by exact name: " +
        "bartowski/gemma-3-4b-it-Q4_K_M.gguf, unsloth/gemma-3-4b-it-Q4_K_M.gguf",
    );
    assertEquals(
      err.hint,
      "give more of the name or its folder, e.g. -m 'bartowski/gemma-3-4b-it-Q4_K_M.gguf'",
    );
  });
  await t.step("a full path that is no model's file says so", () => {
    const err = assertThrows(() => matchModels("/elsewhere/x.gguf", TWINS), LlamaPackError);
    assertEquals(err.message, "no model in the index has the file '/elsewhere/x.gguf'");
  });
  await t.step("the id always matches exactly", () => {
    assertEquals(matchModels("llm/big/Llama-70B-Q4_K_M.gguf", TWINS).best?.score, 1000);
  });
});

Deno.test("property: every label from modelLabels() finds its model, even in strict mode", () => {
  const seg = fc.stringMatching(/^[a-z][a-z0-9-]{0,5}$/);
  // Plain folders, the Hugging Face layout, and `#2` for a second root's namesake.
  const pathArb = fc.tuple(
    fc.array(seg, { maxLength: 3 }),
    fc.option(fc.tuple(seg, seg), { nil: undefined }),
    fc.constantFrom("a.gguf", "b.gguf"),
    fc.constantFrom("", "", "#2"),
  ).map(([dirs, hf, file, n]) =>
    [...dirs, ...(hf ? [`models--${hf[0]}--${hf[1]}`, "snapshots", "r1"] : []), file].join("/") + n
  );
  fc.assert(
    fc.property(fc.uniqueArray(pathArb, { minLength: 1, maxLength: 8 }), (ids) => {
      const models = ids.map((id) => ({ id, name: displayName(id.replace(/#\d+$/, "")), rank: 0 }));
      const labels = modelLabels(models);
      for (const m of models) {
        const label = labels.get(m.id)!;
        const withLabels = models.map((x) => ({ ...x, label: labels.get(x.id)! }));
        assertEquals(matchModels(label, withLabels, { strict: true }).best?.id, m.id, label);
      }
    }),
  );
});

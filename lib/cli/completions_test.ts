import { assert, assertEquals, assertStringIncludes } from "../../tests/assert.ts";
import { completionScript, flagDescriptions, MODEL_FLAGS } from "./completions.ts";
import { helpText } from "./help.ts";
import { FLAGS } from "./flags.ts";

Deno.test("completionScript() offers every visible flag in every shell", async (t) => {
  const help = helpText("/c.json");
  const visible = FLAGS.flatMap((f) => f.names).filter((n) =>
    n !== "--run-copier" && n !== "--complete-models"
  );
  for (const shell of ["bash", "zsh", "fish"] as const) {
    await t.step(shell, () => {
      const script = completionScript(shell, help);
      for (const n of visible) {
        const spelled = shell === "fish"
          ? (n.startsWith("--") ? `-l ${n.slice(2)}` : `-s ${n.slice(1)}`)
          : n;
        assertStringIncludes(script, spelled, `${shell} lacks ${n}`);
      }
      assert(!script.includes("run-copier"), "internal flags are not offered");
      assertStringIncludes(script, "model-names.txt");
    });
  }
});

Deno.test("flagDescriptions() reads the help's option lines", () => {
  const d = flagDescriptions(helpText("/c.json"));
  assertEquals(d.get("-m"), d.get("--model"));
  assertStringIncludes(d.get("--cache-stats") ?? "", "Usage of each tier");
  for (const f of MODEL_FLAGS) assert(d.has(f), f);
});

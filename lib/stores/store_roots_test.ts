import { assertEquals } from "../../tests/assert.ts";
import { defaultStorePaths, OLLAMA_SYSTEM_DIR, storeRoots } from "./store_roots.ts";

Deno.test("defaultStorePaths() follows each tool's own precedence", async (t) => {
  const cases: [
    string,
    Parameters<typeof defaultStorePaths>[0],
    Record<string, string>,
    string[],
  ][] = [
    ["hf: HF_HUB_CACHE first", "huggingface", {
      HOME: "/h",
      HF_HUB_CACHE: "/a",
      HUGGINGFACE_HUB_CACHE: "/b",
      HF_HOME: "/c",
    }, ["/a"]],
    ["hf: legacy HUGGINGFACE_HUB_CACHE", "huggingface", {
      HOME: "/h",
      HUGGINGFACE_HUB_CACHE: "/b",
      HF_HOME: "/c",
    }, ["/b"]],
    ["hf: HF_HOME/hub", "huggingface", { HOME: "/h", HF_HOME: "/c", XDG_CACHE_HOME: "/x" }, [
      "/c/hub",
    ]],
    ["hf: XDG_CACHE_HOME", "huggingface", { HOME: "/h", XDG_CACHE_HOME: "/x" }, [
      "/x/huggingface/hub",
    ]],
    [
      "hf: blank variables are unset",
      "huggingface",
      { HOME: "/h", HF_HUB_CACHE: " ", HF_HOME: "" },
      ["/h/.cache/huggingface/hub"],
    ],
    ["hf: ~ expands", "huggingface", { HOME: "/h", HF_HOME: "~/hf" }, ["/h/hf/hub"]],
    [
      "llama.cpp: LLAMA_CACHE",
      "llama_cpp",
      { HOME: "/h", LLAMA_CACHE: "/l", XDG_CACHE_HOME: "/x" },
      ["/l"],
    ],
    ["llama.cpp: XDG_CACHE_HOME", "llama_cpp", { HOME: "/h", XDG_CACHE_HOME: "/x" }, [
      "/x/llama.cpp",
    ]],
    ["llama.cpp: default", "llama_cpp", { HOME: "/h" }, ["/h/.cache/llama.cpp"]],
    ["lmstudio: both folders", "lmstudio", { HOME: "/h" }, [
      "/h/.lmstudio/models",
      "/h/.cache/lm-studio/models",
    ]],
    ["ollama: OLLAMA_MODELS (quotes trimmed) replaces the defaults", "ollama", {
      HOME: "/h",
      OLLAMA_MODELS: '"/o"',
    }, ["/o"]],
    ["ollama: user and system service", "ollama", { HOME: "/h" }, [
      "/h/.ollama/models",
      OLLAMA_SYSTEM_DIR,
    ]],
  ];
  for (const [name, kind, env, want] of cases) {
    await t.step(name, () => assertEquals(defaultStorePaths(kind, env), want));
  }
});

Deno.test("storeRoots() uses defaults for true or missing, a path as given, nothing for false", () => {
  const env = { HOME: "/h" };
  assertEquals(storeRoots({}, env).map((r) => `${r.kind}:${r.path}:${r.explicit}`), [
    "huggingface:/h/.cache/huggingface/hub:false",
    "llama_cpp:/h/.cache/llama.cpp:false",
    "lmstudio:/h/.lmstudio/models:false",
    "lmstudio:/h/.cache/lm-studio/models:false",
    "ollama:/h/.ollama/models:false",
    `ollama:${OLLAMA_SYSTEM_DIR}:false`,
  ]);
  assertEquals(
    storeRoots({ huggingface: "~/hub", llama_cpp: false, lmstudio: false, ollama: true }, env)
      .map((r) => `${r.kind}:${r.path}:${r.explicit}`),
    [
      "huggingface:/h/hub:true",
      "ollama:/h/.ollama/models:false",
      `ollama:${OLLAMA_SYSTEM_DIR}:false`,
    ],
  );
  // The same directory named twice is scanned once (for the first store).
  assertEquals(
    storeRoots({ huggingface: "/m", llama_cpp: "/m", lmstudio: false, ollama: false }, env).length,
    1,
  );
});

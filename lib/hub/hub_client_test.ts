import { assert, assertEquals, assertRejects, assertThrows } from "../../tests/assert.ts";
import { startFakeHub } from "../../tests/fixtures/fake_hub.ts";
import { LlamaPackError } from "../errors.ts";
import {
  hubError,
  hubFetch,
  HubHttpError,
  hubSettingsFromEnv,
  listRepoFiles,
  resolveRevision,
} from "./hub_client.ts";

Deno.test("hubSettingsFromEnv() reads HF_ENDPOINT and HF_TOKEN, refuses a bad endpoint", () => {
  assertEquals(hubSettingsFromEnv({ HF_ENDPOINT: "http://127.0.0.1:5000//", HF_TOKEN: " t " }), {
    endpoint: "http://127.0.0.1:5000",
    token: "t",
  });
  assertEquals(hubSettingsFromEnv({ HF_TOKEN: "" }), { endpoint: "https://huggingface.co" });
  for (const bad of ["hub.local", "ftp://hub.local"]) {
    const err = assertThrows(() => hubSettingsFromEnv({ HF_ENDPOINT: bad }), LlamaPackError);
    assert(err.message.startsWith("HF_ENDPOINT: not a"), err.message);
  }
});

Deno.test("hubFetch() names the endpoint when the hub cannot be reached", async () => {
  const err = await assertRejects(
    () => hubFetch({ endpoint: "http://127.0.0.1:9", token: "hf_secret" })("http://127.0.0.1:9/x"),
    LlamaPackError,
  );
  assert(err.message.startsWith("cannot reach the hub at http://127.0.0.1:9: "), err.message);
  assert(!err.message.includes("hf_secret"));
});

Deno.test("hubError() turns the hub's error codes into one-line errors", async (t) => {
  const hub = { endpoint: "https://hub.test" };
  const cases: [HubHttpError, string, string][] = [
    [
      new HubHttpError(401, "RepoNotFound", "u", "x"),
      "NO_MATCH",
      "repository o/m not found on https://hub.test",
    ],
    [
      new HubHttpError(404, "RevisionNotFound", "u", "x"),
      "NO_MATCH",
      "revision 'v2' not found in o/m (a branch, tag or commit)",
    ],
    [new HubHttpError(404, "EntryNotFound", "u", "x"), "NO_MATCH", "a/b.gguf not found in o/m@v2"],
    [
      new HubHttpError(401, "GatedRepo", "u", "x"),
      "HUB",
      "o/m is gated: the hub needs a token (401)",
    ],
    [
      new HubHttpError(500, undefined, "u", "boom"),
      "HUB",
      "the hub at https://hub.test answered 500 for o/m/a/b.gguf: boom",
    ],
  ];
  for (const [err, code, message] of cases) {
    await t.step(message, () => {
      const onFile = err.errorCode !== "RepoNotFound" && err.errorCode !== "RevisionNotFound";
      const ctx = { repo: "o/m", revision: "v2", ...(onFile ? { path: "a/b.gguf" } : {}) };
      const e = hubError(err, hub, ctx);
      assertEquals([e.code, e.message], [code, message]);
    });
  }
});

Deno.test("resolveRevision() and listRepoFiles() go through @huggingface/hub to a custom endpoint", async () => {
  const hub = await startFakeHub({
    repos: [{
      id: "o/m",
      revisions: {
        main: [
          { path: "a/m-Q4_K_M.gguf", bytes: new Uint8Array(10) },
          { path: "README.md", bytes: new Uint8Array(3) },
        ],
      },
    }],
    pageSize: 1,
  });
  try {
    const settings = { endpoint: hub.url, token: "mirror-token-without-hf-prefix" };
    const rev = await resolveRevision("o/m", "main", settings);
    assertEquals(rev, { repo: "o/m", revision: "main", commit: hub.commit("o/m"), gated: false });
    const files = await listRepoFiles("o/m", rev.commit, settings);
    assertEquals(
      files.map((f) => [f.path, f.size, f.sha256 !== undefined, f.gitOid !== undefined]),
      [
        ["README.md", 3, false, true],
        ["a/m-Q4_K_M.gguf", 10, true, false],
      ],
    );
    assertEquals(hub.requests.filter((r) => r.path.includes("/tree/")).length, 3, "three pages");
    assert(hub.requests.every((r) => r.authorization === "Bearer mirror-token-without-hf-prefix"));
  } finally {
    await hub.close();
  }
});

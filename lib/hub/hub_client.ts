/**
 * The Hugging Face hub as llama-pack talks to it: which endpoint and token
 * (`HF_ENDPOINT`, `HF_TOKEN`), a `fetch` that sends the token only to the
 * hub's own origin and turns the hub's refusals into one-line errors, and the
 * two look-ups a download needs — the commit a revision names, and the
 * repository's files with their sizes and hashes. Both go through
 * `@huggingface/hub` (`modelInfo`, `listFiles`, which follows the listing's
 * pages); the library is loaded only when a pull runs.
 *
 * `@huggingface/hub` does not read `HF_ENDPOINT` (its `HUB_URL` is fixed to
 * the public hub), so the endpoint is passed as `hubUrl`; and it refuses
 * tokens that do not start with `hf_`, which mirrors may issue, so the token
 * travels in our `fetch`, never through the library.
 *
 * @module
 */

import { errorMessage, LlamaPackError } from "../errors.ts";
import type { Env } from "../config/paths.ts";
import type { HubFile } from "../core/hub_files.ts";
import { hubError, HubHttpError } from "./hub_errors.ts";

export { hubError, type HubErrorContext, HubHttpError } from "./hub_errors.ts";

/** The public hub. */
export const DEFAULT_HUB_ENDPOINT = "https://huggingface.co";

/** Where the hub is and who asks. */
export interface HubSettings {
  /** The hub's base URL, without a trailing `/` (`HF_ENDPOINT`). */
  endpoint: string;
  /** The access token (`HF_TOKEN`); sent only to the endpoint's origin, never printed. */
  token?: string | undefined;
  /**
   * The `User-Agent` header.
   * @default {"llama-pack"}
   */
  userAgent?: string;
  /**
   * The `fetch` to use underneath (tests, proxies).
   * @default {globalThis.fetch}
   */
  fetch?: typeof fetch;
}

/**
 * The hub settings from the environment: `HF_ENDPOINT` (default the public
 * hub; a mirror works) and `HF_TOKEN`.
 *
 * @param env The environment.
 * @returns The settings.
 * @throws {LlamaPackError} `CONFIG` when `HF_ENDPOINT` is not an http(s) URL.
 *
 * @example A mirror and a token
 * ```ts
 * import assert from "node:assert/strict";
 * import { hubSettingsFromEnv } from "./hub_client.ts";
 * const s = hubSettingsFromEnv({ HF_ENDPOINT: "https://hf-mirror.com/", HF_TOKEN: "hf_x" });
 * assert(s.endpoint === "https://hf-mirror.com" && s.token === "hf_x");
 * assert(hubSettingsFromEnv({}).endpoint === "https://huggingface.co");
 * ```
 */
export function hubSettingsFromEnv(env: Env): HubSettings {
  const raw = env.HF_ENDPOINT?.trim() || DEFAULT_HUB_ENDPOINT;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new LlamaPackError("CONFIG", `HF_ENDPOINT: not a URL: '${raw}'`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new LlamaPackError("CONFIG", `HF_ENDPOINT: not an http(s) URL: '${raw}'`);
  }
  const token = env.HF_TOKEN?.trim();
  return { endpoint: raw.replace(/\/+$/, ""), ...(token ? { token } : {}) };
}

/**
 * A `fetch` for the hub: adds the `User-Agent`, adds `Authorization: Bearer`
 * only for URLs on the endpoint's origin, and throws {@linkcode HubHttpError}
 * for 4xx/5xx answers (so `@huggingface/hub` never sees them) and an `HUB`
 * error naming the endpoint when it cannot be reached.
 *
 * @param settings Endpoint, token, agent, underlying fetch.
 * @returns The fetch.
 *
 * @example The token goes only to the hub's origin
 * ```ts
 * import assert from "node:assert/strict";
 * import { hubFetch } from "./hub_client.ts";
 * const seen: (string | null)[] = [];
 * const f = hubFetch({ endpoint: "https://hub.test", token: "t0k", fetch: (input, init) => {
 *   seen.push(new Headers(init?.headers).get("authorization"));
 *   return Promise.resolve(new Response("ok"));
 * } });
 * await f("https://hub.test/api/x");
 * await f("https://cdn.test/blob");
 * assert.deepEqual(seen, ["Bearer t0k", null]);
 * ```
 */
export function hubFetch(settings: HubSettings): typeof fetch {
  const origin = new URL(settings.endpoint).origin;
  const base = settings.fetch ?? globalThis.fetch;
  return async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    const headers = new Headers(init?.headers);
    headers.set("user-agent", settings.userAgent ?? "llama-pack");
    if (settings.token && new URL(url).origin === origin) {
      headers.set("authorization", `Bearer ${settings.token}`);
    } else {
      headers.delete("authorization");
    }
    let res: Response;
    try {
      res = await base(url, { ...init, headers });
    } catch (err) {
      if (init?.signal?.aborted) throw err;
      throw new LlamaPackError(
        "HUB",
        `cannot reach the hub at ${settings.endpoint}: ${errorMessage(err)}`,
        { cause: err, hint: "check the network, or HF_ENDPOINT for a mirror" },
      );
    }
    if (res.status >= 400) {
      let message = res.headers.get("x-error-message") ?? "";
      const body = await res.text().catch(() => "");
      if (!message) {
        try {
          message = String(JSON.parse(body).error ?? "");
        } catch {
          message = "";
        }
      }
      throw new HubHttpError(
        res.status,
        res.headers.get("x-error-code") ?? undefined,
        url,
        message || res.statusText || `HTTP ${res.status}`,
      );
    }
    return res;
  };
}

/** What a repository's revision resolves to. */
export interface RepoRevision {
  /** The repository, `owner/name`. */
  repo: string;
  /** The revision asked for (`main` by default). */
  revision: string;
  /** The 40-hex commit it names: every file is fetched at this commit. */
  commit: string;
  /** Whether the repository is gated (`auto` or `manual`) or not (`false`). */
  gated: false | "auto" | "manual";
}

/**
 * Resolves a revision (branch, tag or commit) of a model repository to its
 * commit, through `@huggingface/hub`'s `modelInfo`.
 *
 * @param repo `owner/name`.
 * @param revision A branch, tag or commit.
 * @param settings The hub.
 * @returns The commit and whether the repository is gated.
 * @throws {LlamaPackError} `NO_MATCH` for an unknown repository or revision;
 *   `HUB` when the hub refuses or cannot be reached.
 *
 * @example Resolving `main` on a stub hub
 * ```ts
 * import assert from "node:assert/strict";
 * import { resolveRevision } from "./hub_client.ts";
 * const sha = "a".repeat(40);
 * const fetch = () => Promise.resolve(Response.json({ _id: "1", id: "o/m", sha, gated: false }));
 * const r = await resolveRevision("o/m", "main", { endpoint: "https://hub.test", fetch });
 * assert(r.commit === sha && r.gated === false);
 * ```
 */
export async function resolveRevision(
  repo: string,
  revision: string,
  settings: HubSettings,
): Promise<RepoRevision> {
  const { modelInfo } = await import("@huggingface/hub");
  let info;
  try {
    info = await modelInfo({
      name: repo,
      revision,
      hubUrl: settings.endpoint,
      additionalFields: ["sha"],
      fetch: hubFetch(settings),
    });
  } catch (err) {
    throw hubError(err, settings, { repo, revision });
  }
  const commit = String(info.sha ?? "");
  if (!/^[0-9a-f]{40}$/i.test(commit)) {
    throw new LlamaPackError(
      "HUB",
      `the hub at ${settings.endpoint} gave no commit for ${repo}@${revision} (got '${commit}')`,
    );
  }
  const gated = info.gated === "auto" || info.gated === "manual" ? info.gated : false;
  return { repo, revision, commit: commit.toLowerCase(), gated };
}

/**
 * Lists every file of a model repository at a commit, with sizes and hashes
 * (`lfs.oid` as SHA-256, else the git blob id), through `@huggingface/hub`'s
 * `listFiles` (recursive, following the listing's pages).
 *
 * @param repo `owner/name`.
 * @param commit The commit (from {@linkcode resolveRevision}).
 * @param settings The hub.
 * @returns The files, in the hub's order.
 * @throws {LlamaPackError} `NO_MATCH` for an unknown repository or revision;
 *   `HUB` when the hub refuses, cannot be reached or answers nonsense.
 *
 * @example Listing on a stub hub
 * ```ts
 * import assert from "node:assert/strict";
 * import { listRepoFiles } from "./hub_client.ts";
 * const sha256 = "b".repeat(64);
 * const fetch = () => Promise.resolve(Response.json([
 *   { type: "directory", path: "q4", oid: "c".repeat(40), size: 0 },
 *   { type: "file", path: "q4/m-Q4_K_M.gguf", oid: "d".repeat(40), size: 9, lfs: { oid: sha256, size: 9, pointerSize: 130 } },
 * ]));
 * const files = await listRepoFiles("o/m", "a".repeat(40), { endpoint: "https://hub.test", fetch });
 * assert.deepEqual(files, [{ path: "q4/m-Q4_K_M.gguf", size: 9, sha256 }]);
 * ```
 */
export async function listRepoFiles(
  repo: string,
  commit: string,
  settings: HubSettings,
): Promise<HubFile[]> {
  const { listFiles } = await import("@huggingface/hub");
  const files: HubFile[] = [];
  try {
    for await (
      const e of listFiles({
        repo: { type: "model", name: repo },
        revision: commit,
        recursive: true,
        hubUrl: settings.endpoint,
        fetch: hubFetch(settings),
      })
    ) {
      if (e.type !== "file") continue;
      const size = e.lfs?.size ?? e.size;
      if (typeof e.path !== "string" || !Number.isSafeInteger(size) || size < 0) {
        throw new LlamaPackError(
          "HUB",
          `the hub's listing of ${repo} has a malformed entry: ${JSON.stringify(e).slice(0, 200)}`,
        );
      }
      const f: HubFile = { path: e.path, size };
      const sha256 = e.lfs?.oid;
      if (typeof sha256 === "string" && /^[0-9a-f]{64}$/i.test(sha256)) {
        f.sha256 = sha256.toLowerCase();
      } else if (typeof e.oid === "string" && /^[0-9a-f]{40}$/i.test(e.oid)) {
        f.gitOid = e.oid.toLowerCase();
      }
      files.push(f);
    }
  } catch (err) {
    throw hubError(err, settings, { repo, revision: commit });
  }
  return files;
}

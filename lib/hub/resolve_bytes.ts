/**
 * The HTTP side of a download: the `resolve` URL followed by hand to the
 * bytes, with the hub's headers checked against its listing on the way.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import type { DownloadSource } from "./download.ts";
import { HubHttpError } from "./hub_errors.ts";

/**
 * GETs a `resolve` URL from byte `from`, following redirects by hand (up to
 * 10) so the hub's `X-Linked-Size`, `X-Linked-Etag` and `X-Repo-Commit` are
 * checked against the listing at every hop, and returns the response that
 * carries the bytes: `206` with the asked `Content-Range`, or `200` with the
 * whole file (a server that ignores `Range`).
 *
 * @param source URL, size, hash and commit from the listing.
 * @param from The first byte wanted.
 * @param fetchHub The hub's fetch (token only to the hub's origin; throws on 4xx/5xx).
 * @param signal Aborts the request.
 * @param label How messages name the file.
 * @returns The response with the bytes (its body unread).
 * @throws {LlamaPackError} `DOWNLOAD` when the hub's headers or the range disagree with the listing.
 * @throws {HubHttpError} For other statuses and too many redirects.
 *
 * @example A stub server's bytes
 * ```ts
 * import assert from "node:assert/strict";
 * import { openResolvedBytes } from "./resolve_bytes.ts";
 * const fetch = () => Promise.resolve(new Response("abc", { headers: { "x-linked-size": "3" } }));
 * const res = await openResolvedBytes({ url: "https://hub.test/x", size: 3 }, 0, fetch, new AbortController().signal, "x");
 * assert((await res.text()) === "abc");
 * ```
 */
export async function openResolvedBytes(
  source: DownloadSource,
  from: number,
  fetchHub: typeof fetch,
  signal: AbortSignal,
  label: string,
): Promise<Response> {
  let url = source.url;
  for (let hop = 0; hop <= 10; hop++) {
    const headers: Record<string, string> = { "accept-encoding": "identity" };
    if (from > 0) headers.range = `bytes=${from}-`;
    const res = await fetchHub(url, { headers, redirect: "manual", signal });
    checkHubHeaders(res, source, label);
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get("location");
      await res.body?.cancel();
      if (!location) {
        throw new HubHttpError(res.status, undefined, url, "redirect without Location");
      }
      url = new URL(location, url).href;
      continue;
    }
    if (res.status === 206) {
      const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(res.headers.get("content-range") ?? "");
      if (!m || Number(m[1]) !== from || (m[3] !== "*" && Number(m[3]) !== source.size)) {
        await res.body?.cancel();
        throw new LlamaPackError(
          "DOWNLOAD",
          `${label}: asked for bytes ${from}- of ${source.size}, got '${
            res.headers.get("content-range")
          }'`,
        );
      }
      return res;
    }
    if (res.status === 200) {
      const length = res.headers.get("content-length");
      if (length !== null && Number(length) !== source.size) {
        await res.body?.cancel();
        throw new LlamaPackError(
          "DOWNLOAD",
          `${label}: the server sends ${length} bytes, the listing says ${source.size}`,
        );
      }
      return res;
    }
    await res.body?.cancel();
    throw new HubHttpError(res.status, undefined, url, `unexpected status ${res.status}`);
  }
  throw new HubHttpError(310, undefined, url, "more than 10 redirects");
}

/** `X-Linked-Size`, `X-Linked-Etag` and `X-Repo-Commit` must agree with the listing. */
function checkHubHeaders(res: Response, source: DownloadSource, label: string): void {
  const fail = (what: string) => {
    res.body?.cancel().catch(() => {});
    return new LlamaPackError(
      "DOWNLOAD",
      `${label}: the hub's answer disagrees with its listing: ${what}`,
    );
  };
  const size = res.headers.get("x-linked-size");
  if (size !== null && Number(size) !== source.size) {
    throw fail(`X-Linked-Size ${size}, listed ${source.size}`);
  }
  const etag = res.headers.get("x-linked-etag")?.replace(/^W\//, "").replaceAll('"', "");
  if (etag && source.sha256 && /^[0-9a-f]{64}$/i.test(etag) && etag !== source.sha256) {
    throw fail(`X-Linked-Etag ${etag}, listed sha256 ${source.sha256}`);
  }
  const commit = res.headers.get("x-repo-commit");
  if (commit && source.commit && commit.toLowerCase() !== source.commit.toLowerCase()) {
    throw fail(`X-Repo-Commit ${commit}, asked for ${source.commit}`);
  }
}

/**
 * Planning a pull, without writing anything: the commit a revision names,
 * the repository's files (from `@huggingface/hub`), which of them llama.cpp's
 * `-hf` would take, where they go, what an earlier pull left, and whether the
 * rest fits in the target tier (with a `--recommend`-style refusal when not).
 *
 * @module
 */

import { join } from "node:path";
import { statTier } from "../cache/tier_space.ts";
import { chooseHubFiles, parseHubRef } from "../core/hub_files.ts";
import { type PlacedFile, placeHubFiles } from "../core/hub_layout.ts";
import { type PullRoom, pullRoom, roomRefusal } from "../core/pull_room.ts";
import type { TierInput } from "../core/tiers.ts";
import { LlamaPackError } from "../errors.ts";
import { partialBytes } from "./download_partials.ts";
import {
  hubError,
  hubFetch,
  type HubSettings,
  listRepoFiles,
  resolveRevision,
} from "./hub_client.ts";

/** What to pull. */
export interface PullSpec {
  /** `owner/name[:QUANT]`. */
  ref: string;
  /** Branch, tag or commit. @default "main" */
  revision?: string | undefined;
  /** Bring the projector along (`--no-mmproj` is `false`). @default true */
  mmproj?: boolean | undefined;
}

/** Where a pull goes. */
export interface PullTarget {
  /** The directory the files go under (`<dir>/<owner>/<name>/…`); it must exist. */
  dir: string;
  /** The tier's name (`ssd`, `hdd`, `hdd2`, or the path). */
  name: string;
  /** `ssd` for the SSD (or a directory in it), else `hdd`. */
  kind: "ssd" | "hdd";
  /** Bytes that must stay free (`ssd_min_free_gb` on the SSD). */
  minFreeBytes: number;
  /** Most bytes the models may take (`ssd_limit_gb`). */
  limitBytes?: number | undefined;
}

/** One planned file. */
export interface PlannedFile extends PlacedFile {
  /** The final path. */
  dest: string;
  /** The `resolve/<commit>/<path>` URL. */
  url: string;
  /** Bytes an earlier, interrupted pull left (resumed, not fetched again). */
  partialBytes: number;
  /** The final path already holds a file of the right size (verified when the pull runs). */
  present: boolean;
}

/** Everything decided before a byte is downloaded. */
export interface PullPlan {
  /** `owner/name`. */
  repo: string;
  /** The tag asked for, if any. */
  tag: string | undefined;
  /** The model's quant, from its file name (e.g. `Q4_K_M`). */
  quant: string;
  /** How messages name the pull: `owner/name:QUANT`. */
  label: string;
  /** The revision asked for. */
  revision: string;
  /** The commit every file is fetched at. */
  commit: string;
  /** Whether the repository is gated. */
  gated: false | "auto" | "manual";
  /** The target. */
  target: PullTarget;
  /** The files, model shards first, then the projector. */
  files: PlannedFile[];
  /** Bytes of all files. */
  totalBytes: number;
  /** Bytes still to download (what is complete or partly there is not counted). */
  needBytes: number;
  /** The target tier, measured. */
  tier: TierInput;
  /** Whether `needBytes` fit, why, and a warning. */
  room: PullRoom;
  /** The path of the model's first shard once pulled. */
  modelPath: string;
}

/** Options of {@linkcode planPull}. */
export interface PlanPullOptions {
  /** The hub: endpoint, token. */
  hub: HubSettings;
  /** Where the files go. */
  target: PullTarget;
  /** `cache_warning_threshold`. @default 0.9 */
  threshold?: number;
  /** Measures the target (tests use a fake). @default statTier of `target.dir` */
  measure?: (target: PullTarget) => Promise<TierInput>;
}

/**
 * Looks a repository up and plans the pull: commit, files (as llama.cpp's
 * `-hf` picks them), where they go, what is already there, and whether the
 * rest fits. Writes nothing.
 *
 * @param spec The repository, tag, revision, projector choice.
 * @param options The hub, the target, the threshold.
 * @returns The plan; check `plan.room.fits` (or call {@linkcode assertRoom}).
 * @throws {LlamaPackError} `USAGE` for a bad reference; `NO_MATCH` for an
 *   unknown repository, revision or tag; `HUB` when the hub refuses (a gated
 *   repository without access); `IO` when the target cannot be measured;
 *   `COPY` when a final path holds a different file.
 *
 * @example Planning against a hub that is not there fails with one line
 * ```ts
 * import assert from "node:assert/strict";
 * import { planPull } from "./pull_plan.ts";
 * await assert.rejects(
 *   planPull({ ref: "o/m:Q4_K_M" }, {
 *     hub: { endpoint: "http://127.0.0.1:9" },
 *     target: { dir: "/tmp", name: "hdd", kind: "hdd", minFreeBytes: 0 },
 *   }),
 *   /cannot reach the hub at http:\/\/127.0.0.1:9/,
 * );
 * ```
 */
export async function planPull(spec: PullSpec, options: PlanPullOptions): Promise<PullPlan> {
  const { repo, tag } = parseHubRef(spec.ref);
  const revision = spec.revision ?? "main";
  const hub = options.hub;
  const rev = await resolveRevision(repo, revision, hub);
  const listing = await listRepoFiles(repo, rev.commit, hub);
  const choice = chooseHubFiles(listing, { tag, mmproj: spec.mmproj ?? true, repo });
  const placed = placeHubFiles(repo, choice);
  const label = `${repo}:${choice.quant || tag || "model"}`;
  const files: PlannedFile[] = [];
  for (const f of placed) {
    const dest = join(options.target.dir, ...f.localPath.split("/"));
    const url = `${hub.endpoint}/${repo}/resolve/${rev.commit}/${
      f.path.split("/").map(encodeURIComponent).join("/")
    }`;
    const existing = await Deno.lstat(dest).catch(() => undefined);
    if (existing && (!existing.isFile || existing.size !== f.size)) {
      throw new LlamaPackError(
        "DOWNLOAD",
        `${dest} already exists and is not ${f.path} of ${repo} (${
          existing.isFile ? `${existing.size} bytes, expected ${f.size}` : "not a regular file"
        }): not overwriting it`,
        { hint: "move it away, or pull into another directory with --to" },
      );
    }
    files.push({
      ...f,
      dest,
      url,
      present: existing !== undefined,
      partialBytes: existing ? 0 : await partialBytes(dest, f),
    });
  }
  if (rev.gated) await checkAccess(repo, rev.commit, files[0]!, hub);
  const totalBytes = files.reduce((s, f) => s + f.size, 0);
  const needBytes = files.reduce((s, f) => s + (f.present ? 0 : f.size - f.partialBytes), 0);
  const measure = options.measure ?? ((t: PullTarget) =>
    statTier(t.dir, {
      name: t.name,
      kind: t.kind,
      minFreeBytes: t.minFreeBytes,
      ...(t.limitBytes === undefined ? {} : { limitBytes: t.limitBytes }),
    }));
  const tier = await measure(options.target);
  return {
    repo,
    tag,
    quant: choice.quant,
    label,
    revision,
    commit: rev.commit,
    gated: rev.gated,
    target: options.target,
    files,
    totalBytes,
    needBytes,
    tier,
    room: pullRoom(needBytes, tier, options.threshold ?? 0.9),
    modelPath: files[0]!.dest,
  };
}

/** A gated repository: ask for the first file's headers now, so a refusal comes before any download. */
async function checkAccess(
  repo: string,
  commit: string,
  file: PlannedFile,
  hub: HubSettings,
): Promise<void> {
  try {
    const res = await hubFetch(hub)(file.url, { method: "HEAD", redirect: "manual" });
    await res.body?.cancel();
  } catch (err) {
    throw hubError(err, hub, { repo, revision: commit, path: file.path });
  }
}

/**
 * Throws the `NO_SPACE` refusal when a plan does not fit: the figures, and
 * where `--recommend` would put it.
 *
 * @param plan The plan.
 * @param tiers Every configured tier, measured, for the suggestion.
 * @param threshold `cache_warning_threshold`.
 * @throws {LlamaPackError} `NO_SPACE` when `plan.room.fits` is false.
 *
 * @example A plan that fits passes
 * ```ts
 * import { assertRoom, type PullPlan } from "./pull_plan.ts";
 * assertRoom({ room: { fits: true } } as PullPlan, []);
 * ```
 */
export function assertRoom(plan: PullPlan, tiers: readonly TierInput[], threshold = 0.9): void {
  if (plan.room.fits) return;
  const { message, hint } = roomRefusal(plan.label, plan.needBytes, plan.room, {
    tiers,
    threshold,
  });
  throw new LlamaPackError("NO_SPACE", message, { hint });
}

/**
 * What `--cleanup` may remove, decided from plain facts (pure: the clock is
 * an argument). Only llama-pack's own leftovers qualify:
 *
 * - **partial** — a temp file or sidecar of an interrupted copy in the SSD's
 *   `.llama-pack-partial/` whose copy is not running;
 * - **download** — the hidden temp file of a `--pull` download abandoned for
 *   `cleanup.partial_days`, and its record (`core/cleanup_downloads.ts`);
 * - **lock** — a lock file no process holds;
 * - **job** — a copy-job record whose copier is gone (died, or finished more
 *   than a day ago);
 * - **stats** — the record of a model whose files have been gone for
 *   `cleanup.forget_after_days` (its uses and settings are forgotten);
 * - **copy** — a verified SSD copy, with its original in place, not pinned
 *   and not in use, unused for `cleanup.unused_days`.
 *
 * An HDD file, a store file, an SSD-only model or an SSD file llama-pack
 * did not copy and verify is never an item.
 *
 * @module
 */

import { type DownloadLeftover, planDownloadCleanup } from "./cleanup_downloads.ts";
import { formatSize } from "./units.ts";

/** The kinds of leftovers, in the order they are listed and removed. */
export type CleanupKind = "partial" | "download" | "lock" | "job" | "stats" | "copy";

/** One thing `--cleanup` removes. */
export interface CleanupItem {
  /** What kind of leftover. */
  kind: CleanupKind;
  /** A path (partial, lock), a job or download row id, or a model id (stats, copy). */
  target: string;
  /** What to show: a path, or a model's name. */
  label: string;
  /** Bytes freed on disk (0 for records). */
  bytes: number;
  /** Why it can go. */
  reason: string;
}

/** The facts {@linkcode planCleanup} decides from. */
export interface CleanupFacts {
  /** Files in the SSD's partial directory, and whether their copy is running. */
  partials: readonly { path: string; bytes: number; busy: boolean }[];
  /** Download rows and what is on disk for them; none when omitted. */
  downloads?: readonly DownloadLeftover[];
  /** Lock files, and whether a process holds them. */
  locks: readonly { path: string; held: boolean }[];
  /** Copy-job records. */
  jobs: readonly {
    id: number;
    name: string;
    state: "queued" | "copying" | "done" | "failed";
    ownerAlive: boolean;
    updatedAt: number;
  }[];
  /** Models whose files are gone (stats only). */
  goneModels: readonly { id: string; name: string; lastSeen: number; uses: number }[];
  /** Models with SSD files. */
  ssdCopies: readonly {
    id: string;
    name: string;
    bytes: number;
    /** Every SSD file is a copy llama-pack verified, with the same size. */
    verified: boolean;
    /** The HDD or store original is there. */
    hasOriginal: boolean;
    /** Only on the SSD: never a cache copy. */
    ssdOnly: boolean;
    pinned: boolean;
    inUse: boolean;
    /** The last recorded use, unix seconds. */
    lastUse: number | undefined;
    /** When the copy was verified, unix seconds. */
    copiedAt: number;
  }[];
}

/** The ages of the config's `cleanup` section. */
export interface CleanupSettings {
  /** Days after which a gone model's record is forgotten. */
  forget_after_days: number;
  /** Days without use after which a verified SSD copy goes. */
  unused_days: number;
  /** Days after which an abandoned download's temp file goes. */
  partial_days: number;
}

/** Finished copy jobs stay this long, so `--status` can still tell about a failure. */
const FINISHED_JOB_SECONDS = 86400;

const KIND_ORDER: readonly CleanupKind[] = [
  "partial",
  "download",
  "lock",
  "job",
  "stats",
  "copy",
];

function days(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  return `${d} day${d === 1 ? "" : "s"}`;
}

/**
 * Decides what `--cleanup` removes.
 *
 * @param facts What is on disk and in the state store.
 * @param settings The ages from the config.
 * @param now The time, unix seconds.
 * @returns The items, by kind then target.
 *
 * @example An SSD copy unused for 40 days goes; a pinned one stays
 * ```ts
 * import assert from "node:assert/strict";
 * import { planCleanup } from "./cleanup.ts";
 * const copy = { id: "m", name: "m.gguf", bytes: 5e9, verified: true, hasOriginal: true, ssdOnly: false,
 *   pinned: false, inUse: false, lastUse: 0, copiedAt: 0 };
 * const facts = { partials: [], locks: [], jobs: [], goneModels: [],
 *   ssdCopies: [copy, { ...copy, id: "p", pinned: true }] };
 * const items = planCleanup(facts, { forget_after_days: 90, unused_days: 30, partial_days: 7 },
 *   40 * 86400);
 * assert.deepEqual(items.map((i) => i.target), ["m"]);
 * ```
 */
export function planCleanup(
  facts: CleanupFacts,
  settings: CleanupSettings,
  now: number,
): CleanupItem[] {
  const items: CleanupItem[] = [];
  for (const p of facts.partials) {
    if (p.busy) continue;
    items.push({
      kind: "partial",
      target: p.path,
      label: p.path,
      bytes: p.bytes,
      reason: "left by an interrupted copy",
    });
  }
  items.push(...planDownloadCleanup(facts.downloads ?? [], settings.partial_days, now));
  for (const l of facts.locks) {
    if (l.held) continue;
    items.push({
      kind: "lock",
      target: l.path,
      label: l.path,
      bytes: 0,
      reason: "no process holds it",
    });
  }
  for (const j of facts.jobs) {
    const active = j.state === "queued" || j.state === "copying";
    let reason: string | undefined;
    if (active && !j.ownerAlive) reason = `its copier is gone (job was ${j.state})`;
    else if (!active && now - j.updatedAt > FINISHED_JOB_SECONDS) {
      reason = `${j.state} ${days(now - j.updatedAt)} ago`;
    }
    if (reason) {
      items.push({
        kind: "job",
        target: String(j.id),
        label: `copy job ${j.id} (${j.name})`,
        bytes: 0,
        reason,
      });
    }
  }
  const forget = settings.forget_after_days * 86400;
  for (const m of facts.goneModels) {
    if (now - m.lastSeen < forget) continue;
    items.push({
      kind: "stats",
      target: m.id,
      label: m.name,
      bytes: 0,
      reason: `its files have been gone for ${days(now - m.lastSeen)}; ${m.uses} use${
        m.uses === 1 ? "" : "s"
      } forgotten`,
    });
  }
  const unused = settings.unused_days * 86400;
  for (const c of facts.ssdCopies) {
    if (!c.verified || !c.hasOriginal || c.ssdOnly || c.pinned || c.inUse) continue;
    const since = Math.max(c.lastUse ?? 0, c.copiedAt);
    if (now - since < unused) continue;
    items.push({
      kind: "copy",
      target: c.id,
      label: c.name,
      bytes: c.bytes,
      reason: c.lastUse === undefined || c.lastUse < c.copiedAt
        ? `not used since it was copied ${days(now - c.copiedAt)} ago`
        : `unused for ${days(now - c.lastUse)}`,
    });
  }
  return items.sort((a, b) =>
    KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) ||
    (a.target < b.target ? -1 : a.target > b.target ? 1 : 0)
  );
}

const HEADINGS: Readonly<Record<CleanupKind, string>> = {
  partial: "Leftovers of interrupted copies (SSD)",
  download: "Leftovers of abandoned downloads (--pull)",
  lock: "Lock files nobody holds",
  job: "Copy-job records",
  stats: "Records of models whose files are gone",
  copy: "SSD copies nobody uses (the original stays)",
};

/**
 * Renders the list of items, grouped by kind, with sizes and a total.
 *
 * @param items The plan.
 * @param options `dryRun` says "would free" and that nothing was removed.
 * @returns The text, ending with a newline.
 *
 * @example Nothing to do
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderCleanup } from "./cleanup.ts";
 * assert(renderCleanup([], { dryRun: true }) === "Nothing to clean up.\n");
 * ```
 */
export function renderCleanup(items: readonly CleanupItem[], options: { dryRun: boolean }): string {
  if (items.length === 0) return "Nothing to clean up.\n";
  const lines: string[] = [];
  for (const kind of KIND_ORDER) {
    const of = items.filter((i) => i.kind === kind);
    if (of.length === 0) continue;
    lines.push(`${HEADINGS[kind]}:`);
    for (const i of of) {
      const size = i.bytes > 0 ? `${formatSize(i.bytes).padStart(10)}  ` : " ".repeat(12);
      lines.push(`  ${size}${i.label} — ${i.reason}`);
    }
    lines.push("");
  }
  const bytes = items.reduce((s, i) => s + i.bytes, 0);
  const n = `${items.length} item${items.length === 1 ? "" : "s"}`;
  lines.push(
    options.dryRun
      ? `${n}; would free ${formatSize(bytes)}. Nothing was removed (-n).`
      : `${n}; ${formatSize(bytes)} to free.`,
  );
  return lines.join("\n") + "\n";
}

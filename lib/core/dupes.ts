/**
 * Finds models kept more than once across the HDD, the SSD-only area and
 * other tools' stores (pure: plain data in, plain data out). Two copies are
 * the same model when their weights have the same size and header
 * fingerprint; `--verify` hashes them to confirm. SSD cache copies are not
 * duplicates (they are the cache), and two paths to one physical file (a
 * hard link, a link into a blob) count once. Nothing here deletes anything:
 * the report says what could be reclaimed.
 *
 * @module
 */

import { formatSize } from "./units.ts";

/** Where a permanent copy lives: the HDD, the SSD (SSD-only model), or a store. */
export type CopyPlace = "hdd" | "ssd" | "huggingface" | "llama_cpp" | "lmstudio" | "ollama";

/** One permanent copy of a model. */
export interface PermanentCopy {
  /** The model it belongs to. */
  modelId: string;
  /** The model's display name. */
  name: string;
  /** Where it lives. */
  place: CopyPlace;
  /** Its first weight file (what `-m` runs). */
  path: string;
  /** Every file of the copy (weights first, then projectors). */
  files: string[];
  /** Bytes of the copy's weights. */
  weightsSize: number;
  /** Header fingerprint of its first weight file. */
  fingerprint: string;
  /**
   * The physical identity of its first weight file (`device:inode`): two
   * copies with the same one are one file reached twice.
   */
  physical: string;
}

/** Copies of one model found more than once. */
export interface DuplicateGroup {
  /** Bytes of the weights of one copy. */
  size: number;
  /** The shared fingerprint. */
  fingerprint: string;
  /** The copies, HDD first, then the SSD, then the stores; each physical file once. */
  copies: PermanentCopy[];
  /** Bytes that keeping one copy would free: size × (copies − 1). */
  reclaimable: number;
  /**
   * `true` when hashing confirmed every copy equal; `undefined` when not hashed.
   */
  verified?: boolean;
}

const PLACE_ORDER: readonly CopyPlace[] = [
  "hdd",
  "ssd",
  "huggingface",
  "llama_cpp",
  "lmstudio",
  "ollama",
];

/**
 * Groups permanent copies with the same weights size and fingerprint.
 *
 * @param copies Every permanent copy of every live model.
 * @returns Groups of two or more physical copies, most reclaimable first (ties by name).
 *
 * @example A model on the HDD and in the Hugging Face cache
 * ```ts
 * import assert from "node:assert/strict";
 * import { findDuplicates } from "./dupes.ts";
 * const c = (place: "hdd" | "huggingface", path: string) => ({ modelId: path, name: "q.gguf", place,
 *   path, files: [path], weightsSize: 5e9, fingerprint: "ab", physical: path });
 * const [g] = findDuplicates([c("hdd", "/hdd/q.gguf"), c("huggingface", "/hub/q.gguf")]);
 * assert(g?.copies.length === 2 && g.reclaimable === 5e9);
 * ```
 */
export function findDuplicates(copies: readonly PermanentCopy[]): DuplicateGroup[] {
  const byKey = new Map<string, PermanentCopy[]>();
  for (const c of copies) {
    const key = `${c.fingerprint}|${c.weightsSize}`;
    const list = byKey.get(key);
    if (list) list.push(c);
    else byKey.set(key, [c]);
  }
  const groups: DuplicateGroup[] = [];
  for (const list of byKey.values()) {
    const sorted = [...list].sort((a, b) =>
      PLACE_ORDER.indexOf(a.place) - PLACE_ORDER.indexOf(b.place) ||
      (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)
    );
    const seen = new Set<string>();
    const physical = sorted.filter((c) => !seen.has(c.physical) && seen.add(c.physical));
    if (physical.length < 2) continue;
    const size = physical[0]!.weightsSize;
    groups.push({
      size,
      fingerprint: physical[0]!.fingerprint,
      copies: physical,
      reclaimable: size * (physical.length - 1),
    });
  }
  return groups.sort((a, b) =>
    b.reclaimable - a.reclaimable || (a.copies[0]!.name < b.copies[0]!.name ? -1 : 1)
  );
}

/**
 * Splits groups by content hash after `--verify`: copies whose hashes agree
 * stay together (marked verified); a group that splits into singles is
 * dropped — its copies only looked alike.
 *
 * @param groups Groups from {@linkcode findDuplicates}.
 * @param hashOf The hash of a copy's weight files (one string per copy), by its path.
 * @returns The confirmed groups, each with `verified: true`.
 *
 * @example Two look-alikes that differ
 * ```ts
 * import assert from "node:assert/strict";
 * import { confirmDuplicates } from "./dupes.ts";
 * const c = (path: string) => ({ modelId: path, name: "m", place: "hdd" as const, path, files: [path],
 *   weightsSize: 1, fingerprint: "f", physical: path });
 * const g = { size: 1, fingerprint: "f", copies: [c("/a"), c("/b")], reclaimable: 1 };
 * assert(confirmDuplicates([g], (p) => p === "/a" ? "h1" : "h2").length === 0);
 * assert(confirmDuplicates([g], () => "h").at(0)?.verified === true);
 * ```
 */
export function confirmDuplicates(
  groups: readonly DuplicateGroup[],
  hashOf: (path: string) => string,
): DuplicateGroup[] {
  const out: DuplicateGroup[] = [];
  for (const g of groups) {
    const byHash = new Map<string, PermanentCopy[]>();
    for (const c of g.copies) {
      const h = hashOf(c.path);
      const list = byHash.get(h);
      if (list) list.push(c);
      else byHash.set(h, [c]);
    }
    for (const copies of byHash.values()) {
      if (copies.length < 2) continue;
      out.push({
        size: g.size,
        fingerprint: g.fingerprint,
        copies,
        reclaimable: g.size * (copies.length - 1),
        verified: true,
      });
    }
  }
  return out;
}

const PLACE_LABELS: Readonly<Record<CopyPlace, string>> = {
  hdd: "hdd",
  ssd: "ssd-only",
  huggingface: "hf-cache",
  llama_cpp: "llama.cpp",
  lmstudio: "lmstudio",
  ollama: "ollama",
};

/**
 * Renders the `--dupes` report.
 *
 * @param groups The groups (confirmed or not).
 * @param options Whether the groups were hashed.
 * @returns The text, ending with a newline.
 *
 * @example Nothing found
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderDuplicates } from "./dupes.ts";
 * assert(renderDuplicates([], { verified: false }) === "No model is kept more than once.\n");
 * ```
 */
export function renderDuplicates(
  groups: readonly DuplicateGroup[],
  options: { verified: boolean },
): string {
  if (groups.length === 0) return "No model is kept more than once.\n";
  const total = groups.reduce((s, g) => s + g.reclaimable, 0);
  const how = options.verified ? "same bytes (hashed)" : "same size and header; --verify hashes";
  const lines = [
    `${groups.length} model${
      groups.length === 1 ? " is" : "s are"
    } kept more than once (${how}); ` +
    `${formatSize(total)} could be reclaimed by keeping one copy of each:`,
    "",
  ];
  const width = Math.max(
    ...groups.flatMap((g) => g.copies.map((c) => PLACE_LABELS[c.place].length)),
  );
  for (const g of groups) {
    lines.push(
      `${g.copies[0]!.name}  ${formatSize(g.size)} x ${g.copies.length}  (${
        formatSize(g.reclaimable)
      } reclaimable)`,
    );
    for (const c of g.copies) lines.push(`  ${PLACE_LABELS[c.place].padEnd(width)}  ${c.path}`);
    lines.push("");
  }
  lines.push(
    "llama-pack deletes none of these. Remove a copy with the tool that made it " +
      "(hf cache delete, ollama rm, LM Studio's My Models) or by hand, then run llama-pack -u.",
  );
  return lines.join("\n") + "\n";
}

/**
 * The `--dupes --json` document.
 *
 * @param groups The groups.
 * @param options Whether they were hashed.
 * @returns JSON text with a trailing newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { duplicatesJson } from "./dupes.ts";
 * assert(JSON.parse(duplicatesJson([], { verified: true })).reclaimable === 0);
 * ```
 */
export function duplicatesJson(
  groups: readonly DuplicateGroup[],
  options: { verified: boolean },
): string {
  return JSON.stringify(
    {
      verified: options.verified,
      reclaimable: groups.reduce((s, g) => s + g.reclaimable, 0),
      groups: groups.map((g) => ({
        size: g.size,
        fingerprint: g.fingerprint,
        reclaimable: g.reclaimable,
        verified: g.verified ?? false,
        copies: g.copies.map((c) => ({
          id: c.modelId,
          name: c.name,
          place: c.place,
          path: c.path,
          files: c.files,
        })),
      })),
    },
    null,
    2,
  ) + "\n";
}

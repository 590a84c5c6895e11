/**
 * What a model file's name says: whether it is one shard of a split model
 * (`Name-00002-of-00003.gguf`) and how to name it for people (the Hugging
 * Face hub layout becomes `org/repo/file.gguf`).
 *
 * @module
 */

/** Parsed shard file name. */
export interface ShardName {
  /** Everything before `-0000i-of-0000n.gguf`. */
  prefix: string;
  /** 1-based shard number. */
  no: number;
  /** Number of shards. */
  count: number;
}

const SHARD_RE = /^(.*)-(\d{5})-of-(\d{5})\.gguf$/i;

/**
 * Parses a split-model file name such as `Qwen-72B-00002-of-00003.gguf`.
 *
 * @param fileName A file name (no directory).
 * @returns The prefix, shard number and count, or `null` when not a shard name.
 *
 * @example Parsing shard names
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseShardName } from "./model_names.ts";
 * assert(parseShardName("Big-00002-of-00003.gguf")?.no === 2);
 * assert(parseShardName("Big.gguf") === null);
 * ```
 */
export function parseShardName(fileName: string): ShardName | null {
  const m = SHARD_RE.exec(fileName);
  if (!m) return null;
  const no = Number(m[2]);
  const count = Number(m[3]);
  if (no < 1 || count < 1 || no > count) return null;
  return { prefix: m[1]!, no, count };
}

const HF_RE = /(?:^|\/)models--([^/]+)\/snapshots\/[^/]+\/(.+)$/;

/**
 * Names a file from its relative path: in the Hugging Face hub layout
 * (`models--org--name/snapshots/<rev>/x.gguf`) it is `org/name/x.gguf`,
 * otherwise the file name.
 *
 * @param relPath Relative path, `/`-separated.
 * @returns The display name.
 *
 * @example Naming files
 * ```ts
 * import assert from "node:assert/strict";
 * import { displayName } from "./model_names.ts";
 * assert(displayName("models--bartowski--Qwen3-8B-GGUF/snapshots/abc/Qwen3-8B-Q4_K_M.gguf")
 *   === "bartowski/Qwen3-8B-GGUF/Qwen3-8B-Q4_K_M.gguf");
 * assert(displayName("llm/x.gguf") === "x.gguf");
 * ```
 */
export function displayName(relPath: string): string {
  const m = HF_RE.exec(relPath);
  if (m) return `${m[1]!.replace("--", "/")}/${m[2]}`;
  return relPath.slice(relPath.lastIndexOf("/") + 1);
}

/**
 * A model's relative path as people read it: the Hugging Face hub layout
 * (`models--org--name/snapshots/<rev>/`) becomes `org/name/`.
 *
 * @param relPath The path relative to the tier root (a model id).
 * @returns The readable path.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { displayPath } from "./model_names.ts";
 * assert(displayPath("hub/models--unsloth--Q-GGUF/snapshots/abc/Q-Q4_K_M.gguf") === "hub/unsloth/Q-GGUF/Q-Q4_K_M.gguf");
 * assert(displayPath("llm/x.gguf") === "llm/x.gguf");
 * ```
 */
export function displayPath(relPath: string): string {
  return relPath.replace(
    /(^|\/)models--([^/]+)\/snapshots\/[^/]+\//,
    (_, lead: string, repo: string) => `${lead}${repo.replace("--", "/")}/`,
  );
}

/**
 * Short labels that tell models apart: a model's name when no other model has
 * it, otherwise the shortest end of its path (whole folders) that no other
 * namesake shares — `bartowski/gemma-3-4b-it-Q4_K_M.gguf` beside
 * `unsloth/gemma-3-4b-it-Q4_K_M.gguf`. Every label is also a query that
 * `-m` matches exactly.
 *
 * @param models Ids (relative paths) and names.
 * @returns Id → label.
 *
 * @example Two models with one file name
 * ```ts
 * import assert from "node:assert/strict";
 * import { modelLabels } from "./model_names.ts";
 * const labels = modelLabels([
 *   { id: "bartowski/g.gguf", name: "g.gguf" },
 *   { id: "unsloth/g.gguf", name: "g.gguf" },
 *   { id: "llm/q.gguf", name: "q.gguf" },
 * ]);
 * assert(labels.get("unsloth/g.gguf") === "unsloth/g.gguf");
 * assert(labels.get("llm/q.gguf") === "q.gguf");
 * ```
 */
export function modelLabels(
  models: readonly { id: string; name: string }[],
): Map<string, string> {
  const byName = new Map<string, { id: string; name: string }[]>();
  for (const m of models) {
    const group = byName.get(m.name);
    if (group) group.push(m);
    else byName.set(m.name, [m]);
  }
  const labels = new Map<string, string>();
  for (const [name, group] of byName) {
    if (group.length === 1) {
      labels.set(group[0]!.id, name);
      continue;
    }
    const isEnd = (text: string, end: string) => text === end || text.endsWith(`/${end}`);
    const parts = group.map((m) => displayPath(m.id).split("/"));
    for (const [i, m] of group.entries()) {
      const mine = parts[i]!;
      // The shortest end of its path that -m matches for this model alone:
      // not the end of the shared name, nor of another namesake's path.
      let label = m.id;
      for (let k = 1; k <= mine.length; k++) {
        const end = mine.slice(-k).join("/");
        if (isEnd(name, end) || (!end.includes("/") && end !== m.id)) continue;
        const shared = group.some((o, j) =>
          j !== i && (isEnd(parts[j]!.join("/"), end) || isEnd(o.id, end))
        );
        if (!shared) {
          label = end;
          break;
        }
      }
      labels.set(m.id, label);
    }
  }
  return labels;
}

/**
 * A model's friendly name: its name without folders, without `.gguf` and
 * without a shard suffix — what chat clients show and what a person types.
 *
 * @param name The model's name (or id, or path).
 * @returns E.g. `gemma-3-4b-it-Q4_K_M`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { friendlyName } from "./model_names.ts";
 * assert(friendlyName("unsloth/gemma-3-4b-it-Q4_K_M.gguf") === "gemma-3-4b-it-Q4_K_M");
 * assert(friendlyName("Qwen3-Q8_0-00001-of-00002.gguf") === "Qwen3-Q8_0");
 * ```
 */
export function friendlyName(name: string): string {
  const base = name.slice(name.lastIndexOf("/") + 1);
  const stem = base.toLowerCase().endsWith(".gguf") ? base.slice(0, -5) : base;
  return stem.replace(/-\d{5}-of-\d{5}$/, "");
}

/**
 * Validating the config's `stores` and `cleanup` sections (pure), for
 * `parse.ts`: which stores of other tools are read, and the ages
 * `--cleanup` goes by.
 *
 * @module
 */

import type { JsoncNode as Node } from "./jsonc.ts";
import { type Env, expandHome } from "./paths.ts";
import { STORE_KINDS, type StoreKind } from "../core/stores.ts";
import type { CleanupSettings } from "../core/cleanup.ts";
import { DEFAULT_PARTIAL_DAYS } from "../core/cleanup_downloads.ts";
import type { StoreSetting } from "./config.ts";

/** The checks `parse.ts` lends a section reader. */
export interface SectionReader {
  /** Records a problem at a node. */
  add(severity: "error" | "warning", node: Node | undefined, key: string, message: string): void;
  /** Reports unknown and repeated keys of an object. */
  checkUnknown(obj: Node, known: readonly string[], prefix: string): void;
  /** Reads a number with bounds, reporting a wrong type or range. */
  num(
    parent: Node,
    key: string,
    prefix: string,
    def: number | undefined,
    check?: { min?: number; max?: number; integer?: boolean; above?: number },
  ): number | undefined;
  /** Warns when a directory does not exist. */
  dirCheck(path: string, node: Node | undefined, key: string): void;
  /** The value of a key of an object node. */
  keyNode(parent: Node, key: string): Node | undefined;
}

/**
 * Describes a JSON value for a message: `a string "x"`, `the number 3`, `an array`.
 *
 * @param n The node.
 * @returns A short description.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { describe } from "./parse_sections.ts";
 * assert(describe({ type: "number", value: 3, offset: 0, length: 1 }) === "the number 3");
 * ```
 */
export function describe(n: Node): string {
  if (n.type === "string") return `a string ${JSON.stringify(n.value)}`;
  if (n.type === "number") return `the number ${n.value}`;
  if (n.type === "boolean") return `${n.value}`;
  if (n.type === "null") return "null";
  return `an ${n.type}`;
}

/**
 * Reads `stores`: each store `true` (its default folders, when they exist),
 * `false` (not read) or a directory. Missing keys are `true`.
 *
 * @param node The `stores` value, if present.
 * @param r The parser's checks.
 * @param env The environment for `~`.
 * @returns Every store's setting.
 *
 * @example Through the config parser
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseConfig } from "./parse.ts";
 * const text = `{"ssd_path": "/s", "hdd_path": "/h", "stores": {"ollama": false, "huggingface": "~/hub"}}`;
 * const { config } = parseConfig(text, "c.json", { env: { HOME: "/home/ann" } });
 * assert.deepEqual(config?.stores,
 *   { huggingface: "/home/ann/hub", llama_cpp: true, lmstudio: true, ollama: false });
 * ```
 */
export function readStores(
  node: Node | undefined,
  r: SectionReader,
  env: Env,
): Record<StoreKind, StoreSetting> {
  const out: Record<StoreKind, StoreSetting> = {
    huggingface: true,
    llama_cpp: true,
    lmstudio: true,
    ollama: true,
  };
  if (!node) return out;
  if (node.type !== "object") {
    r.add("error", node, "stores", `must be an object, got ${describe(node)}`);
    return out;
  }
  r.checkUnknown(node, STORE_KINDS, "stores.");
  for (const kind of STORE_KINDS) {
    const v = r.keyNode(node, kind);
    if (!v) continue;
    const key = `stores.${kind}`;
    if (v.type === "boolean") out[kind] = Boolean(v.value);
    else if (v.type === "string" && String(v.value).trim() !== "") {
      out[kind] = expandHome(String(v.value), env);
      r.dirCheck(out[kind] as string, v, key);
    } else {
      r.add("error", v, key, `must be true, false or a directory, got ${describe(v)}`);
    }
  }
  return out;
}

/**
 * Reads `cleanup`: the days after which `--cleanup` forgets a gone model's
 * record (`forget_after_days`, default 90) and removes an unused verified SSD
 * copy (`unused_days`, default 30) and an abandoned download's temp file
 * (`partial_days`, default 7).
 *
 * @param node The `cleanup` value, if present.
 * @param r The parser's checks.
 * @returns The settings.
 *
 * @example Through the config parser
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseConfig } from "./parse.ts";
 * const { problems } = parseConfig(`{"ssd_path": "/s", "hdd_path": "/h", "cleanup": {"unused_days": 0}}`, "c.json");
 * assert(problems[0]?.key === "cleanup.unused_days");
 * ```
 */
export function readCleanup(node: Node | undefined, r: SectionReader): CleanupSettings {
  const out: CleanupSettings = {
    forget_after_days: 90,
    unused_days: 30,
    partial_days: DEFAULT_PARTIAL_DAYS,
  };
  if (!node) return out;
  if (node.type !== "object") {
    r.add("error", node, "cleanup", `must be an object, got ${describe(node)}`);
    return out;
  }
  r.checkUnknown(node, ["forget_after_days", "unused_days", "partial_days"], "cleanup.");
  out.forget_after_days = r.num(node, "forget_after_days", "cleanup.", 90, { above: 0 })!;
  out.unused_days = r.num(node, "unused_days", "cleanup.", 30, { above: 0 })!;
  out.partial_days = r.num(node, "partial_days", "cleanup.", DEFAULT_PARTIAL_DAYS, { above: 0 })!;
  return out;
}

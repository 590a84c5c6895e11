/**
 * The config's tier paths, validated with positions (pure): `ssd_path`,
 * `hdd_path` (one path or a list), each `~`-expanded, missing directories
 * warned about, and the tiers kept in separate trees.
 *
 * @module
 */

import { isAbsolute, relative, resolve } from "node:path";
import { type JsoncNode as Node, propertyValue } from "./jsonc.ts";
import type { ConfigReader } from "./reader.ts";
import { type Env, expandHome } from "./paths.ts";

/** Options of {@linkcode parseTiers}. */
export interface ParseTiersOptions {
  /** The environment used for `~` expansion. */
  env: Env;
  /** Tells whether a directory exists; missing ones become warnings. @default no check */
  dirExists?: (path: string) => boolean;
  /** Resolves symlinks in a path (identity when it does not exist). @default identity */
  realPath?: (path: string) => string;
}

function isBelow(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== "" && rel !== ".." && !rel.startsWith("../") && !isAbsolute(rel);
}

/**
 * Reads `ssd_path` and `hdd_path`.
 *
 * @param r The reader collecting problems.
 * @param root The config's root object.
 * @param options Environment and directory checks.
 * @returns The expanded paths (`ssd_path` is `""` when missing).
 *
 * @example Two HDD paths
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJsonc } from "./jsonc.ts";
 * import { ConfigReader } from "./reader.ts";
 * import { parseTiers } from "./parse_tiers.ts";
 * const text = `{"ssd_path": "~/s", "hdd_path": ["/h1", "/h2"]}`;
 * const t = parseTiers(new ConfigReader(text), parseJsonc(text).root!, { env: { HOME: "/home/a" } });
 * assert(t.ssd_path === "/home/a/s" && t.hdd_path.length === 2);
 * ```
 */
export function parseTiers(
  r: ConfigReader,
  root: Node,
  options: ParseTiersOptions,
): { ssd_path: string; hdd_path: string[] } {
  const { env } = options;
  const dirCheck = (p: string, node: Node | undefined, key: string) => {
    if (options.dirExists && !options.dirExists(p)) {
      r.add(
        "warning",
        node,
        key,
        `directory '${p}' does not exist (llama-pack will not create it)`,
      );
    }
  };
  const ssdRaw = r.str(root, "ssd_path", "");
  const ssd_path = ssdRaw === undefined ? "" : expandHome(ssdRaw, env);
  if (ssdRaw !== undefined) dirCheck(ssd_path, propertyValue(root, "ssd_path"), "ssd_path");

  const hdd_path: string[] = [];
  const hddNode = propertyValue(root, "hdd_path");
  if (!hddNode) r.add("error", root, "hdd_path", "missing (required)");
  else if (hddNode.type === "string" && String(hddNode.value).trim() !== "") {
    hdd_path.push(expandHome(String(hddNode.value), env));
    dirCheck(hdd_path[0]!, hddNode, "hdd_path");
  } else if (hddNode.type === "array" && (hddNode.children?.length ?? 0) > 0) {
    hddNode.children!.forEach((c, i) => {
      if (c.type !== "string" || String(c.value).trim() === "") {
        r.add("error", c, `hdd_path[${i}]`, "must be a non-empty string");
      } else {
        const p = expandHome(String(c.value), env);
        hdd_path.push(p);
        dirCheck(p, c, `hdd_path[${i}]`);
      }
    });
  } else {
    r.add("error", hddNode, "hdd_path", "must be a path or a non-empty list of paths");
  }
  if (ssdRaw !== undefined) {
    // The tiers must be separate trees: llama-pack writes inside ssd_path and
    // never inside hdd_path, and a copy must never be its own original.
    const real = options.realPath ?? ((p: string) => p);
    const ssdReal = resolve(real(ssd_path));
    hdd_path.forEach((h, i) => {
      const key = hddNode?.type === "array" ? `hdd_path[${i}]` : "hdd_path";
      const node = hddNode?.type === "array" ? hddNode.children?.[i] : hddNode;
      const hReal = resolve(real(h));
      if (hReal === ssdReal) {
        r.add("error", node, key, `is the same directory as ssd_path ('${h}')`);
      } else if (isBelow(ssdReal, hReal)) {
        r.add(
          "error",
          node,
          key,
          `'${h}' lies inside ssd_path: the tiers must be separate directories`,
        );
      } else if (isBelow(hReal, ssdReal)) {
        r.add(
          "error",
          node,
          key,
          `'${h}' contains ssd_path: the tiers must be separate directories`,
        );
      }
    });
  }
  return { ssd_path, hdd_path };
}

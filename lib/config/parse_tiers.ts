/**
 * The config's tier paths, validated with positions (pure): `ssd_path`,
 * `hdd_path` (one path or a list) and `custom_paths` (a list), each
 * `~`-expanded, missing directories warned about, and the tiers kept in
 * separate trees.
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
 * Reads `ssd_path`, `hdd_path` and `custom_paths`.
 *
 * @param r The reader collecting problems.
 * @param root The config's root object.
 * @param options Environment and directory checks.
 * @returns The expanded paths (`ssd_path` is `""` when missing, `custom_paths` `[]`).
 *
 * @example Two HDD paths
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJsonc } from "./jsonc.ts";
 * import { ConfigReader } from "./reader.ts";
 * import { parseTiers } from "./parse_tiers.ts";
 * const text = `{"ssd_path": "~/s", "hdd_path": ["/h1", "/h2"]}`;
 * const t = parseTiers(new ConfigReader(text), parseJsonc(text).root!, { env: { HOME: "/home/a" } });
 * assert(t.ssd_path === "/home/a/s" && t.hdd_path.length === 2 && t.custom_paths.length === 0);
 * ```
 */
export function parseTiers(
  r: ConfigReader,
  root: Node,
  options: ParseTiersOptions,
): { ssd_path: string; hdd_path: string[]; custom_paths: string[] } {
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
  const custom_paths: string[] = [];
  const customNode = propertyValue(root, "custom_paths");
  const customNodes: (Node | undefined)[] = [];
  if (customNode?.type === "string" && String(customNode.value).trim() !== "") {
    custom_paths.push(expandHome(String(customNode.value), env));
    customNodes.push(customNode);
    dirCheck(custom_paths[0]!, customNode, "custom_paths");
  } else if (customNode?.type === "array") {
    customNode.children!.forEach((c, i) => {
      if (c.type !== "string" || String(c.value).trim() === "") {
        r.add("error", c, `custom_paths[${i}]`, "must be a non-empty string");
      } else {
        const p = expandHome(String(c.value), env);
        custom_paths.push(p);
        customNodes.push(c);
        dirCheck(p, c, `custom_paths[${i}]`);
      }
    });
  } else if (customNode) {
    r.add("error", customNode, "custom_paths", "must be a path or a list of paths");
  }

  // The tiers must be separate trees: llama-pack writes inside ssd_path (and
  // a custom directory only when asked to), never inside hdd_path, a copy
  // must never be its own original, and no file may be scanned twice.
  const real = options.realPath ?? ((p: string) => p);
  const tiers = [
    ...(ssdRaw !== undefined ? [{ key: "ssd_path", path: ssd_path, node: undefined }] : []),
    ...hdd_path.map((path, i) => ({
      key: hddNode?.type === "array" ? `hdd_path[${i}]` : "hdd_path",
      path,
      node: hddNode?.type === "array" ? hddNode.children?.[i] : hddNode,
    })),
    ...custom_paths.map((path, i) => ({
      key: customNode?.type === "array" ? `custom_paths[${i}]` : "custom_paths",
      path,
      node: customNodes[i],
    })),
  ].map((t) => ({ ...t, real: resolve(real(t.path)) }));
  const separate = (t: (typeof tiers)[number], other: (typeof tiers)[number]) => {
    const name = other.key === "ssd_path" ? "ssd_path" : `${other.key} ('${other.path}')`;
    let problem: string | undefined;
    if (t.real === other.real) problem = `is the same directory as ${name}`;
    else if (isBelow(other.real, t.real)) problem = `'${t.path}' lies inside ${name}`;
    else if (isBelow(t.real, other.real)) problem = `'${t.path}' contains ${name}`;
    if (problem === undefined) return;
    const why = t.real === other.real ? "" : ": the tiers must be separate directories";
    r.add("error", t.node, t.key, `${problem}${why}`);
  };
  // Each HDD path against the SSD (HDD paths may overlap one another); each
  // custom directory against the SSD, every HDD path and the ones before it.
  const ssdTier = tiers.find((t) => t.key === "ssd_path");
  for (const [i, t] of tiers.entries()) {
    if (t.key === "ssd_path") continue;
    if (t.key.startsWith("hdd_path")) {
      if (ssdTier) separate(t, ssdTier);
    } else {
      for (const other of tiers.slice(0, i)) separate(t, other);
    }
  }
  return { ssd_path, hdd_path, custom_paths };
}

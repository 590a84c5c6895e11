/**
 * The config's `simulations` presets for `--simulate NAME`, validated with
 * positions (pure).
 *
 * @module
 */

import { type JsoncNode as Node, propertyValue } from "./jsonc.ts";
import { type ConfigReader, describeNode } from "./reader.ts";
import { DEFAULT_SIMULATIONS, type SimulationPreset } from "../core/sim_presets.ts";

const PRESET_KEYS = ["description", "pattern", "ssd_free_gb"] as const;

/**
 * Reads `simulations` (the built-in presets when absent).
 *
 * @param r The reader collecting problems.
 * @param root The config's root object.
 * @returns The presets by name.
 *
 * @example The defaults when absent
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseJsonc } from "./jsonc.ts";
 * import { ConfigReader } from "./reader.ts";
 * import { parseSimulations } from "./parse_simulations.ts";
 * const sims = parseSimulations(new ConfigReader("{}"), parseJsonc("{}").root!);
 * assert("daily_work" in sims);
 * ```
 */
export function parseSimulations(r: ConfigReader, root: Node): Record<string, SimulationPreset> {
  const simulations: Record<string, SimulationPreset> = {};
  const simNode = propertyValue(root, "simulations");
  if (!simNode) return Object.assign(simulations, DEFAULT_SIMULATIONS);
  if (simNode.type !== "object") {
    r.add("error", simNode, "simulations", `must be an object, got ${describeNode(simNode)}`);
    return simulations;
  }
  for (const prop of simNode.children ?? []) {
    const name = String(prop.children?.[0]?.value);
    const val = prop.children?.[1];
    const key = `simulations.${name}`;
    if (/[=;]/.test(name)) {
      r.add("error", prop.children?.[0], key, "preset names may not contain '=' or ';'");
      continue;
    }
    if (!val || val.type !== "object") {
      r.add("error", val, key, "must be an object {description, pattern, ssd_free_gb}");
      continue;
    }
    r.checkUnknown(val, PRESET_KEYS, key + ".");
    const description = r.str(val, "description", key + ".", "") ?? "";
    const pattern = r.str(val, "pattern", key + ".");
    const ssd_free_gb = r.num(val, "ssd_free_gb", key + ".", undefined, { min: 0 });
    if (ssd_free_gb === undefined && !propertyValue(val, "ssd_free_gb")) {
      r.add("error", val, key + ".ssd_free_gb", "missing (required)");
    }
    if (pattern !== undefined && ssd_free_gb !== undefined) {
      simulations[name] = { description, pattern, ssd_free_gb };
    }
  }
  return simulations;
}

/**
 * The stored policy choice: `<stateDir>/policy.json`, written after each
 * replay so that `-l` can show ranks without replaying the uses.
 *
 * @module
 */

import { join } from "node:path";
import type { Config } from "../config/config.ts";
import { choiceOf, type PolicyChoice } from "../core/profiles.ts";
import { policyOf } from "../core/policy_choice.ts";

/**
 * Remembers the last choice in `<stateDir>/policy.json` (written to a temp
 * file, then renamed), so that `-l` can show ranks without a replay.
 *
 * @param stateDir The state directory.
 * @param choice The choice.
 * @param now When it was made, unix seconds.
 * @throws {Deno.errors.PermissionDenied} Or another I/O error when the file cannot be written.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { choiceOf } from "../core/profiles.ts";
 * import { loadPolicyChoice, savePolicyChoice } from "./policy_file.ts";
 * const dir = await Deno.makeTempDir();
 * await savePolicyChoice(dir, choiceOf({ minUses: 1, windowSeconds: 604800 }, "rapid"), 0);
 * const cache = { min_uses: 1, window_days: 7, auto: true, adaptive: true };
 * assert((await loadPolicyChoice(dir, { cache })).profile.name === "rapid");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function savePolicyChoice(
  stateDir: string,
  choice: PolicyChoice,
  now: number,
): Promise<void> {
  await Deno.mkdir(stateDir, { recursive: true });
  const path = join(stateDir, "policy.json");
  const tmp = `${path}.${Deno.pid}.tmp`;
  const data = { profile: choice.profile.name, standings: choice.standings, at: now };
  await Deno.writeTextFile(tmp, JSON.stringify(data) + "\n");
  await Deno.rename(tmp, path);
}

/**
 * The last stored choice (see {@linkcode savePolicyChoice}) over the current
 * config; `steady` when none is stored, the file is unreadable, or
 * `cache.adaptive` is false.
 *
 * @param stateDir The state directory.
 * @param config The `cache` section.
 * @returns The choice.
 *
 * @example Nothing stored yet
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadPolicyChoice } from "./policy_file.ts";
 * const dir = await Deno.makeTempDir();
 * const cache = { min_uses: 1, window_days: 7, auto: true, adaptive: true };
 * assert((await loadPolicyChoice(dir, { cache })).profile.name === "steady");
 * await Deno.remove(dir);
 * ```
 */
export async function loadPolicyChoice(
  stateDir: string,
  config: Pick<Config, "cache">,
): Promise<PolicyChoice> {
  const base = policyOf(config);
  if (!config.cache.adaptive) return choiceOf(base, undefined);
  try {
    const data = JSON.parse(await Deno.readTextFile(join(stateDir, "policy.json")));
    const standings = Array.isArray(data?.standings)
      ? data.standings.filter((s: unknown) =>
        typeof (s as { name?: unknown })?.name === "string" &&
        typeof (s as { byteHitRatio?: unknown })?.byteHitRatio === "number" &&
        ["number", "undefined"].includes(typeof (s as { writeRatio?: unknown })?.writeRatio)
      )
      : [];
    return choiceOf(base, typeof data?.profile === "string" ? data.profile : undefined, standings);
  } catch {
    return choiceOf(base, undefined);
  }
}

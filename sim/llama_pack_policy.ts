/**
 * llama-pack's own cache policy as a {@linkcode SimPolicy}: a thin adapter
 * that feeds the simulated loads to the same core functions the live tool
 * uses — {@linkcode PolicyTuner} for the ranks and the active profile, and
 * {@linkcode planPlacement} for admission and eviction, and, with
 * {@linkcode LlamaPackPolicyOptions.idleRefill}, {@linkcode planRefill} while
 * nothing loads. No policy logic lives here.
 *
 * @module
 */

import { POLICY_PROFILES, type PolicyProfile } from "../lib/core/profiles.ts";
import { PolicyTuner, type TunerOptions } from "../lib/core/tuner.ts";
import { admissionStep, planPlacement } from "../lib/core/placement.ts";
import { planRefill } from "../lib/core/refill.ts";
import { type CachePolicy, DEFAULT_CACHE_POLICY } from "../lib/core/cache_policy.ts";
import { formatRank, type RankOptions } from "../lib/core/rank.ts";
import type { CacheView, IdleDecision, PolicyDecision, SimPolicy } from "./policy_api.ts";

/** Options of {@linkcode llamaPackPolicy}. */
export interface LlamaPackPolicyOptions {
  /**
   * The configured admission policy (`cache.min_uses`, `cache.window_days`);
   * the active profile layers its settings over it.
   * @default DEFAULT_CACHE_POLICY (copy from the first use into free room)
   */
  cachePolicy?: CachePolicy;
  /**
   * A fixed rank tuning: runs one custom profile with these rank options (and
   * {@linkcode LlamaPackPolicyOptions.cachePolicy} as is) instead of choosing
   * among profiles. For the policy lab.
   * @default undefined (adaptive)
   */
  rank?: RankOptions;
  /**
   * The profiles to choose from (see {@link ../lib/core/profiles.ts}).
   * @default POLICY_PROFILES, or only the first when `adaptive` is false
   */
  profiles?: readonly PolicyProfile[];
  /**
   * Choose among the profiles with shadow caches (`cache.adaptive`); `false`
   * keeps the first profile (`steady`).
   * @default {true}
   */
  adaptive?: boolean;
  /**
   * Score half-life and switch margin of the shadows.
   * @default the tuner's defaults
   */
  tuner?: Omit<TunerOptions, "profiles">;
  /**
   * Idle-time refill: in a quiet spell (see the engine's `idleAfterSeconds`),
   * copy the models the planner would admit now ({@linkcode planRefill},
   * highest rank first, with the same admission as on a load). The copies
   * count as SSD writes; the LP bound does not cover them.
   * @default {false}
   */
  idleRefill?: boolean;
  /**
   * Name shown in reports.
   * @default "llama-pack"
   */
  name?: string;
}

/**
 * Creates llama-pack's policy for the simulator (a fresh instance per run).
 *
 * @param options Configured policy, profiles, rank tuning and the report name.
 * @returns The policy.
 *
 * @example Copy a model used on three days, then hit
 * ```ts
 * import assert from "node:assert/strict";
 * import { llamaPackPolicy } from "./llama_pack_policy.ts";
 * import { runSimulation } from "./engine.ts";
 * const loads = [0, 1, 2, 3].map((d) => ({ at: d * 86400, model: "a", size: 8e9, duration: 3600 }));
 * const { summary } = runSimulation({ name: "w", loads, ssdFreeBytes: 50e9 }, llamaPackPolicy());
 * assert(summary.copies === 1 && summary.hits === 3);
 * ```
 */
export function llamaPackPolicy(options: LlamaPackPolicyOptions = {}): SimPolicy {
  const cachePolicy = options.cachePolicy ?? DEFAULT_CACHE_POLICY;
  const profiles: readonly PolicyProfile[] = options.profiles ??
    (options.rank !== undefined
      ? [{ name: "custom", summary: "the lab's fixed rank", rank: options.rank, policy: {} }]
      : options.adaptive === false
      ? POLICY_PROFILES.slice(0, 1)
      : POLICY_PROFILES);
  let tuner: PolicyTuner | undefined;
  /** Every model loaded so far and its size: the refill's candidates. */
  const sizes = new Map<string, number>();
  const cachedCopies = (view: CacheView, t: PolicyTuner, now: number) =>
    view.entries.map((e) => ({
      id: e.model,
      size: e.size,
      rate: t.rate(e.model, now),
      pinned: false,
      inUse: e.state !== "ready" || e.inUseUntil > now,
      ssdOnly: false,
      lastUse: e.lastUse,
    }));
  const spaceOf = (view: CacheView) => ({
    freeBytes: view.freeBytes,
    minFreeBytes: view.minFreeBytes,
    cacheUsedBytes: view.usedBytes,
    ...(view.limitBytes === undefined ? {} : { limitBytes: view.limitBytes }),
  });
  const onIdle = (view: CacheView): IdleDecision => {
    if (tuner === undefined) return { evict: [], copy: [] };
    const now = view.now;
    const onSsd = new Set(view.entries.map((e) => e.model));
    const candidates = [...sizes].filter(([id]) => !onSsd.has(id)).map(([id, size]) => ({
      id,
      size,
      rate: tuner!.rate(id, now),
      usesInWindow: tuner!.usesInWindow(id, now),
      noCache: false,
    }));
    const plans = planRefill({
      space: spaceOf(view),
      cached: cachedCopies(view, tuner, now),
      candidates,
      policy: tuner.policy,
      now,
      explain: view.explain,
    });
    // Net effect: a later step may evict a copy an earlier step made.
    const evict: IdleDecision["evict"][number][] = [];
    const copy = new Map<string, IdleDecision["copy"][number]>();
    for (const plan of plans) {
      for (const e of plan.evict) {
        if (copy.has(e.id)) copy.delete(e.id);
        else evict.push({ model: e.id, reason: `idle refill: ${e.reason}` });
      }
      copy.set(plan.id, {
        model: plan.id,
        size: sizes.get(plan.id)!,
        reason: `idle refill: ${plan.reason}`,
      });
    }
    return { evict, copy: [...copy.values()] };
  };
  return {
    name: options.name ?? "llama-pack",
    ...(options.idleRefill ? { onIdle } : {}),
    onLoad(load, hit, view): PolicyDecision {
      const now = view.now;
      tuner ??= new PolicyTuner(cachePolicy, view.capacityBytes, { ...options.tuner, profiles });
      tuner.observe({ at: now, model: load.model, size: load.size });
      sizes.set(load.model, load.size);
      const rate = tuner.rate(load.model, now);
      if (hit) return { copy: false, evict: [], reason: `kept: rank ${formatRank(rate)}/wk` };
      if (view.entries.some((e) => e.model === load.model)) {
        return { copy: false, evict: [], reason: "copy in progress" };
      }
      const space = spaceOf(view);
      const candidate = {
        id: load.model,
        size: load.size,
        rate,
        usesInWindow: tuner.usesInWindow(load.model, now),
        noCache: false,
      };
      if (!view.explain) {
        // Without a timeline no reason is shown: skip ranking the copies when the plan
        // does not depend on them (the planner's own first step decides the same way).
        const first = admissionStep(space, candidate, tuner.policy);
        if (first === "fits") return { copy: true, evict: [], reason: "" };
        if (first !== "evict") return { copy: false, evict: [], reason: "" };
      }
      const plan = planPlacement({
        space,
        cached: cachedCopies(view, tuner, now),
        candidate,
        policy: tuner.policy,
        now,
        explain: view.explain,
      });
      const profile = profiles.length > 1 ? ` [${tuner.active.name}]` : "";
      return {
        copy: plan.copy,
        evict: plan.evict.map((e) => ({ model: e.id, reason: e.reason })),
        reason: plan.reason + profile,
      };
    },
  };
}

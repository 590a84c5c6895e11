/**
 * llama-pack: find your GGUF models, start `llama-server` on the one you
 * name, remember per-model arguments, and keep the models you actually use on
 * the fast SSD — copied in the background, evicted safely, never lost.
 *
 * This module is the library: the pure policy core (ranking, name matching,
 * admission and eviction planning), the simulator, and the adapters the CLI
 * is built from (config, state store, scanner, server lifecycle, safe copy).
 *
 * @example Parsing a command line and a size
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCliArgs, parseSize } from "./mod.ts";
 * const cmd = parseCliArgs(["-m", "gemma5", "--", "-c", "8192"]);
 * assert(cmd.action.kind === "run");
 * assert(parseSize("1.5g") === 1.5 * 1024 ** 3);
 * ```
 *
 * @module
 */

export * from "./lib/errors.ts";
export * from "./lib/units.ts";
export * from "./lib/paths.ts";
export * from "./lib/config.ts";
export * from "./lib/state.ts";
export * from "./lib/cli_args.ts";
export { helpText } from "./lib/help.ts";
export { type AppIo, runApp, VERSION } from "./lib/app.ts";
export type { Command, CommandContext, Output } from "./lib/commands/context.ts";
export * from "./lib/model_index.ts";
export * from "./lib/rank.ts";
export * from "./lib/match.ts";
export * from "./lib/plan.ts";
export * from "./lib/adapt.ts";
export * from "./lib/gguf.ts";
export * from "./lib/scan.ts";
export * from "./lib/library.ts";
export * from "./lib/list_view.ts";
export * from "./lib/server/adapter.ts";
export * from "./lib/server/llama_server.ts";
export * from "./lib/server/merge_args.ts";
export * from "./lib/server/process.ts";
export * from "./lib/server/health.ts";
export * from "./lib/server/lifecycle.ts";
export * from "./lib/cache/hash.ts";
export * from "./lib/cache/copy.ts";
export * from "./lib/cache/evict.ts";
export * from "./lib/cache/tiers.ts";
export * from "./lib/cache/lock.ts";
export * from "./lib/cache/progress_bar.ts";
export * from "./sim/workload.ts";
export * from "./sim/pattern.ts";
export * from "./sim/trace.ts";
export * from "./sim/engine.ts";
export * from "./sim/reference.ts";
export * from "./sim/llama_pack_policy.ts";
export * from "./sim/optimum.ts";
export * from "./sim/simulate.ts";
export * from "./sim/report.ts";
export * from "./sim/presets.ts";

// `deno run -A jsr:@llama-pack/llama-pack …` runs the CLI.
if (import.meta.main) {
  const { main } = await import("./cli.ts");
  await main();
}

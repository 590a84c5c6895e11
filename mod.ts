/**
 * llama-pack: find your GGUF models, start `llama-server` on the one you
 * name, remember per-model arguments, and keep the models you actually use on
 * the fast SSD — copied in the background, evicted safely, never lost.
 *
 * This module is the library: the pure policy core (ranking, name matching,
 * admission and eviction planning), the simulator, and the adapters the CLI
 * is built from (config, state store, scanner, server lifecycle, safe copy,
 * Hugging Face downloads: {@linkcode pullModel}).
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
export * from "./lib/core/units.ts";
export * from "./lib/config/paths.ts";
export * from "./lib/config/config.ts";
export * from "./lib/config/parse.ts";
export * from "./lib/config/config_file.ts";
export * from "./lib/core/words.ts";
export * from "./lib/core/records.ts";
export * from "./lib/state/store.ts";
export * from "./lib/state/load_index.ts";
export * from "./lib/cli/args.ts";
export { helpText } from "./lib/cli/help.ts";
export { type AppIo, runApp, VERSION } from "./lib/app.ts";
export type { Command, CommandContext, Output } from "./lib/commands/context.ts";
export * from "./lib/core/model_index.ts";
export * from "./lib/core/rank.ts";
export * from "./lib/core/match.ts";
export * from "./lib/core/cache_policy.ts";
export * from "./lib/core/placement.ts";
export * from "./lib/core/refill.ts";
export * from "./lib/core/profiles.ts";
export * from "./lib/core/tuner.ts";
export * from "./lib/core/scanned.ts";
export * from "./lib/scan/gguf.ts";
export * from "./lib/scan/scan.ts";
export * from "./lib/core/library.ts";
export * from "./lib/core/model_names.ts";
export * from "./lib/core/list_entry.ts";
export * from "./lib/core/list_view.ts";
export * from "./lib/core/list_json.ts";
export * from "./lib/core/stores.ts";
export * from "./lib/core/dupes.ts";
export * from "./lib/core/cleanup.ts";
export * from "./lib/core/cleanup_downloads.ts";
export * from "./lib/stores/store_roots.ts";
export * from "./lib/stores/store_scan.ts";
export * from "./lib/stores/store_listing.ts";
export * from "./lib/server/adapter.ts";
export * from "./lib/server/llama_server.ts";
export * from "./lib/server/merge_args.ts";
export * from "./lib/server/help_flags.ts";
export * from "./lib/server/learned_flags.ts";
export * from "./lib/server/flag_checks.ts";
export * from "./lib/server/endpoint.ts";
export * from "./lib/server/connections.ts";
export * from "./lib/server/process_identity.ts";
export * from "./lib/server/spawn_server.ts";
export * from "./lib/server/stop_server.ts";
export * from "./lib/server/port_check.ts";
export * from "./lib/server/health.ts";
export * from "./lib/server/lifecycle.ts";
export * from "./lib/cache/hash.ts";
export * from "./lib/cache/copy.ts";
export * from "./lib/cache/partials.ts";
export * from "./lib/cache/evict.ts";
export * from "./lib/core/tiers.ts";
export * from "./lib/cache/tier_space.ts";
export * from "./lib/cache/lock.ts";
export * from "./lib/core/progress_bar.ts";
export * from "./lib/core/hub_files.ts";
export * from "./lib/core/hub_layout.ts";
export * from "./lib/core/pull_room.ts";
export * from "./lib/hub/hub_client.ts";
export * from "./lib/hub/download.ts";
export * from "./lib/hub/pull.ts";
export * from "./lib/hub/pull_target.ts";
export * from "./sim/workload.ts";
export * from "./sim/pattern.ts";
export * from "./sim/trace.ts";
export * from "./sim/policy_api.ts";
export * from "./sim/engine.ts";
export * from "./sim/reference.ts";
export * from "./sim/llama_pack_policy.ts";
export * from "./sim/optimum.ts";
export * from "./sim/simulate.ts";
export * from "./sim/report.ts";
export * from "./lib/core/sim_presets.ts";

// `deno run -A jsr:@llama-pack/llama-pack …` runs the CLI.
if (import.meta.main) {
  const { main } = await import("./cli.ts");
  await main();
}
export * from "./lib/core/listen.ts";
export * from "./lib/core/load_timeout.ts";
export * from "./lib/core/serve_swap.ts";
export * from "./lib/core/serve_effects.ts";
export * from "./lib/core/serve_scheduler.ts";
export * from "./lib/core/serve_names.ts";
export * from "./lib/core/serve_listing.ts";
export * from "./lib/state/serves.ts";
export * from "./lib/state/downloads.ts";
export * from "./lib/serve/events.ts";
export * from "./lib/serve/http_error.ts";
export * from "./lib/serve/index_cache.ts";
export * from "./lib/serve/proxy.ts";
export * from "./lib/serve/supervisor.ts";
export * from "./lib/serve/children.ts";
export * from "./lib/core/api_events.ts";
export * from "./lib/core/api_models.ts";
export * from "./lib/core/cache_stats_doc.ts";
export * from "./lib/core/cache_warnings.ts";

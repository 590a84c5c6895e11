/**
 * The adapter for llama.cpp's `llama-server`: its flags and their aliases,
 * how to build its command line and how to read its `/health` endpoint.
 *
 * The flag table follows llama.cpp's `tools/server/README.md` (the options
 * generated from `common/arg.cpp`); a spelling and its negation
 * (`--jinja`/`--no-jinja`) share a group so the later one wins.
 *
 * @module
 */

import { LlamaPackError } from "../errors.ts";
import type { ArgLayer, FlagSpec, HealthState, ServerAdapter, ServerLaunch } from "./adapter.ts";
import { mergeArgs, splitArgs } from "./merge_args.ts";

const req = (...names: string[]): FlagSpec => ({ names, value: "required" });
const many = (...names: string[]): FlagSpec => ({ names, value: "required", repeatable: true });
const bool = (...names: string[]): FlagSpec => ({ names, value: "none" });
const opt = (choices: string[], ...names: string[]): FlagSpec => ({
  names,
  value: "optional",
  choices,
});
const ON_OFF_AUTO = ["on", "off", "auto"];

/**
 * llama-server's flags, grouped by meaning, with whether each takes a value.
 *
 * @example Looking up the aliases of the GPU layers flag
 * ```ts
 * import assert from "node:assert/strict";
 * import { LLAMA_SERVER_FLAGS } from "./llama_server.ts";
 * const ngl = LLAMA_SERVER_FLAGS.find((f) => f.names.includes("--n-gpu-layers"));
 * assert(ngl?.names.join(",") === "-ngl,--gpu-layers,--n-gpu-layers");
 * ```
 */
export const LLAMA_SERVER_FLAGS: readonly FlagSpec[] = [
  // common
  bool("-h", "--help", "--usage"),
  bool("--version"),
  req("-t", "--threads"),
  req("-tb", "--threads-batch"),
  req("-C", "--cpu-mask"),
  req("-Cr", "--cpu-range"),
  req("--cpu-strict"),
  req("--prio"),
  req("--poll"),
  req("-Cb", "--cpu-mask-batch"),
  req("-Crb", "--cpu-range-batch"),
  req("--cpu-strict-batch"),
  req("--prio-batch"),
  req("--poll-batch"),
  req("-c", "--ctx-size"),
  req("-n", "--predict", "--n-predict"),
  req("-b", "--batch-size"),
  req("-ub", "--ubatch-size"),
  req("--keep"),
  bool("--swa-full"),
  opt(ON_OFF_AUTO, "-fa", "--flash-attn"),
  bool("--perf", "--no-perf"),
  bool("-e", "--escape", "--no-escape"),
  req("--rope-scaling"),
  req("--rope-scale"),
  req("--rope-freq-base"),
  req("--rope-freq-scale"),
  req("--yarn-orig-ctx"),
  req("--yarn-ext-factor"),
  req("--yarn-attn-factor"),
  req("--yarn-beta-slow"),
  req("--yarn-beta-fast"),
  bool("-kvo", "--kv-offload", "-nkvo", "--no-kv-offload"),
  bool("--repack", "-nr", "--no-repack"),
  bool("--no-host"),
  req("-ctk", "--cache-type-k"),
  req("-ctv", "--cache-type-v"),
  req("-dt", "--defrag-thold"),
  req("--rpc"),
  req("-lm", "--load-mode"),
  bool("--mmap", "--no-mmap"),
  bool("--mlock"),
  bool("-dio", "--direct-io", "-ndio", "--no-direct-io"),
  req("-lzm", "--lazy-mode"),
  req("--numa"),
  req("-dev", "--device"),
  bool("--list-devices"),
  many("-ot", "--override-tensor"),
  bool("-cmoe", "--cpu-moe"),
  req("-ncmoe", "--n-cpu-moe"),
  req("--moe-cache-mib"),
  req("-ncffn", "--n-cpu-ffn"),
  req("-ngl", "--gpu-layers", "--n-gpu-layers"),
  req("-sm", "--split-mode"),
  req("-ts", "--tensor-split"),
  req("-mg", "--main-gpu"),
  opt(["on", "off"], "-fit", "--fit"),
  req("-fitt", "--fit-target"),
  req("-fitc", "--fit-ctx"),
  bool("--check-tensors"),
  many("--override-kv"),
  bool("--op-offload", "--no-op-offload"),
  many("--lora"),
  many("--lora-scaled"),
  many("--control-vector"),
  many("--control-vector-scaled"),
  { names: ["--control-vector-layer-range"], value: "required", arity: 2 },
  req("-m", "--model"),
  req("-mu", "--model-url"),
  req("-dr", "--docker-repo"),
  req("-hf", "-hfr", "--hf-repo"),
  req("-hff", "--hf-file"),
  req("-hft", "--hf-token"),
  bool("--log-disable"),
  req("--log-file"),
  bool("--log-jsonl", "--no-log-jsonl"),
  opt(ON_OFF_AUTO, "--log-colors"),
  bool("-v", "--verbose", "--log-verbose"),
  bool("--offline"),
  req("-lv", "--verbosity", "--log-verbosity"),
  bool("--log-prefix", "--no-log-prefix"),
  bool("--log-timestamps", "--no-log-timestamps"),
  req("-ctkd", "--cache-type-k-draft", "--spec-draft-type-k"),
  req("-ctvd", "--cache-type-v-draft", "--spec-draft-type-v"),
  // sampling
  req("--samplers"),
  req("-s", "--seed"),
  req("--sampling-seq", "--sampler-seq"),
  bool("--ignore-eos"),
  req("--temp", "--temperature"),
  req("--top-k"),
  req("--top-p"),
  req("--min-p"),
  req("--top-nsigma", "--top-n-sigma"),
  req("--xtc-probability"),
  req("--xtc-threshold"),
  req("--typical", "--typical-p"),
  req("--repeat-last-n"),
  req("--repeat-penalty"),
  req("--presence-penalty"),
  req("--frequency-penalty"),
  req("--dry-multiplier"),
  req("--dry-base"),
  req("--dry-allowed-length"),
  req("--dry-penalty-last-n"),
  many("--dry-sequence-breaker"),
  req("--adaptive-target"),
  req("--adaptive-decay"),
  req("--dynatemp-range"),
  req("--dynatemp-exp"),
  req("--mirostat"),
  req("--mirostat-lr"),
  req("--mirostat-ent"),
  many("-l", "--logit-bias"),
  req("--grammar"),
  req("--grammar-file"),
  req("-j", "--json-schema"),
  req("-jf", "--json-schema-file"),
  bool("-bs", "--backend-sampling"),
  // server
  req("-lcs", "--lookup-cache-static"),
  req("-lcd", "--lookup-cache-dynamic"),
  req("--kv-unified-per-slot"),
  req("-ctxcp", "--ctx-checkpoints", "--swa-checkpoints"),
  req("-cms", "--checkpoint-min-step"),
  req("-cram", "--cache-ram"),
  bool("-kvu", "--kv-unified", "-no-kvu", "--no-kv-unified"),
  bool("--cache-idle-slots", "--no-cache-idle-slots"),
  bool("--context-shift", "--no-context-shift"),
  many("-r", "--reverse-prompt"),
  bool("-sp", "--special"),
  bool("--warmup", "--no-warmup"),
  bool("--spm-infill"),
  req("--pooling"),
  req("-np", "--parallel"),
  bool("-cb", "--cont-batching", "-nocb", "--no-cont-batching"),
  req("-mm", "--mmproj"),
  req("-mmu", "--mmproj-url"),
  bool("--mmproj-auto", "--no-mmproj", "--no-mmproj-auto"),
  bool("--mmproj-offload", "--no-mmproj-offload"),
  req("-mmdev", "--mmproj-device"),
  req("--image-min-tokens"),
  req("--image-max-tokens"),
  req("-a", "--alias"),
  req("--tags"),
  req("--embd-normalize"),
  req("--host"),
  req("--port"),
  bool("--reuse-port"),
  req("--path"),
  req("--cors-origins"),
  req("--api-prefix"),
  req("--ui-config", "--webui-config"),
  req("--ui-config-file", "--webui-config-file"),
  bool("--ui", "--webui", "--no-ui", "--no-webui"),
  bool("--embedding", "--embeddings"),
  bool("--rerank", "--reranking"),
  req("--api-key"),
  req("--api-key-file"),
  req("--ssl-key-file"),
  req("--ssl-cert-file"),
  req("--chat-template-kwargs"),
  req("-to", "--timeout"),
  req("--sse-ping-interval"),
  req("--threads-http"),
  bool("--cache-prompt", "--no-cache-prompt"),
  req("--cache-reuse"),
  bool("--metrics"),
  bool("--props"),
  bool("--slots", "--no-slots"),
  req("--slot-save-path"),
  req("--media-path"),
  req("--models-dir"),
  req("--models-preset"),
  req("--models-max"),
  bool("--models-autoload", "--no-models-autoload"),
  bool("--jinja", "--no-jinja"),
  req("--reasoning-format"),
  opt(ON_OFF_AUTO, "-rea", "--reasoning"),
  req("--reasoning-effort"),
  req("--reasoning-budget"),
  req("--chat-template"),
  req("--chat-template-file"),
  bool("--prefill-assistant", "--no-prefill-assistant"),
  req("-sps", "--slot-prompt-similarity"),
  bool("--lora-init-without-apply"),
  req("--sleep-idle-seconds"),
  // speculative decoding
  req("-md", "--model-draft", "--spec-draft-model"),
  req("-ngld", "--gpu-layers-draft", "--n-gpu-layers-draft", "--spec-draft-ngl"),
  req("-devd", "--device-draft", "--spec-draft-device"),
  req("-td", "--threads-draft", "--spec-draft-threads"),
  req("-tbd", "--threads-batch-draft", "--spec-draft-threads-batch"),
  req("-hfd", "-hfrd", "--hf-repo-draft", "--spec-draft-hf"),
  req("--spec-draft-n-max"),
  req("--spec-draft-n-min"),
  req("--spec-type"),
  req("--draft", "--draft-n", "--draft-max"),
  req("--draft-min", "--draft-n-min"),
  req("--draft-p-min", "--spec-draft-p-min"),
];

/** Flags llama-pack sets itself, with what to use instead. */
const RESERVED: readonly { key: string; what: string; instead: string }[] = [
  { key: "-m", what: "the model", instead: "name it with llama-pack -m/--model" },
  { key: "--host", what: "the host", instead: "use llama-pack --host before --" },
  { key: "--port", what: "the port", instead: "use llama-pack -p/--port before --" },
];

/**
 * Checks that no user layer sets a flag llama-pack controls (`-m`, `--host`,
 * `--port`, in any spelling).
 *
 * @param layers The user's arg layers.
 * @throws {LlamaPackError} `USAGE` naming the flag, the layer and what to use instead.
 */
function checkReserved(layers: readonly ArgLayer[]): void {
  for (const layer of layers) {
    for (const item of splitArgs(layer.args, LLAMA_SERVER_FLAGS, { label: layer.label })) {
      const reserved = RESERVED.find((r) => r.key === item.key);
      if (reserved !== undefined) {
        throw new LlamaPackError(
          "USAGE",
          `cannot pass ${item.flag} in ${layer.label}: llama-pack sets ${reserved.what}`,
          { hint: reserved.instead },
        );
      }
    }
  }
}

/** The host to connect to for a listen address (wildcards become loopback). */
function connectHost(host: string): string {
  const first = host.split(",")[0]?.trim() ?? host;
  if (first === "" || first === "0.0.0.0") return "127.0.0.1";
  if (first === "::" || first === "[::]") return "[::1]";
  if (first.includes(":") && !first.startsWith("[")) return `[${first}]`;
  return first;
}

/**
 * The llama.cpp `llama-server` adapter.
 *
 * The command line is `-m <model> [--mmproj <file>] --host H --port P`
 * followed by the user's layers, merged flag-aware (see
 * {@linkcode mergeArgs}). `-m/--model`, `--host` and `--port` are set by
 * llama-pack only: passing them in any layer is a `USAGE` error telling the
 * user to use llama-pack's own `-m`, `--host` or `-p`. A user `--mmproj`
 * replaces the detected projector.
 *
 * @example Building a command line
 * ```ts
 * import assert from "node:assert/strict";
 * import { llamaServerAdapter } from "./llama_server.ts";
 * const argv = llamaServerAdapter.buildArgv({
 *   modelPath: "/ssd/gemma.gguf",
 *   host: "127.0.0.1",
 *   port: 8080,
 *   layers: [
 *     { label: "global_llama_args", args: ["--ctx-size", "4096", "--jinja"] },
 *     { label: "-- args", args: ["-c", "8192"] },
 *   ],
 * });
 * assert(argv.join(" ") === "-m /ssd/gemma.gguf --host 127.0.0.1 --port 8080 -c 8192 --jinja");
 * ```
 */
export const llamaServerAdapter: ServerAdapter = {
  name: "llama-server",
  flagAliases: LLAMA_SERVER_FLAGS,
  buildArgv(launch: ServerLaunch): string[] {
    checkReserved(launch.layers);
    const base = ["-m", launch.modelPath];
    if (launch.mmprojPath !== undefined) base.push("--mmproj", launch.mmprojPath);
    base.push("--host", launch.host, "--port", String(launch.port));
    return mergeArgs([base, ...launch.layers.map((l) => l.args)], LLAMA_SERVER_FLAGS);
  },
  healthUrl(host: string, port: number): string {
    return `http://${connectHost(host)}:${port}/health`;
  },
  interpretHealth(status: number, _body: string): HealthState {
    if (status === 200) return "ready";
    if (status === 503) return "loading";
    return "unhealthy";
  },
};

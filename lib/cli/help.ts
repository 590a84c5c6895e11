/**
 * The `--help` text, laid out like the original tool's: sections, examples,
 * and the real config path.
 *
 * @module
 */

/**
 * Renders the help text.
 *
 * @param configFile The config path to show on the last line.
 * @returns The full help, ending with a newline.
 *
 * @example The help names the config path
 * ```ts
 * import assert from "node:assert/strict";
 * import { helpText } from "./help.ts";
 * assert(helpText("/h/.config/llama-pack/config.json").endsWith("CONFIG: /h/.config/llama-pack/config.json\n"));
 * ```
 */
export function helpText(configFile: string): string {
  return `llama-pack: Manage and load LLM models with smart SSD caching.

RUNNING MODELS:
  -m, --model NAME     Load model by name/pattern: part of its name or folder,
                       its id, or a file path (best match wins; see --strict)
  -p, --port N         Server port (default: 8080, or default_port in config)
  --host ADDR          Server host (default: 127.0.0.1, use 0.0.0.0 for all
                       interfaces)
  --store, --keep      Save model-specific args for future runs (checked first;
                       nothing after -- clears them)
  -d, --detach         Start in the background, return once the model is loaded
  --timeout DURATION   How long -d waits for the model to load (default: 10m)
  --strict             Fail instead of guessing when NAME matches several models
  --args NAME          Show a model's stored args and command line; with
                       -- ARGS, store ARGS instead (no server is started)
  --clear-args NAME    Forget a model's stored args
SERVING (one OpenAI-compatible endpoint for every model):
  --serve              Start, swap and stop servers by each request's "model"
                       (foreground)
  --listen HOST:PORT   With --serve: where to listen (default: serve.listen,
                       127.0.0.1:8080)
MANAGING MODELS:
  -l, --list           List all models with stats and rankings
                       (-v: ids, paths, stored args; -v -v: reasons)
  --table              With -l: a boxed table (grid) view
  --json               With -l, --status, --cache-stats, --check, --recommend,
                       --simulate, --pull, --dupes: machine-readable output
  -u, --update         Scan directories and update model index
  --prune              With -u: forget models whose files are gone (stats only)
  --status, --stat, --st  Show running servers (uptime, memory), copy jobs
                       and downloads (-v: more about each)
  --logs [-f] [-p N]   Show a server's log (-f, --follow keeps printing it)
  --dupes              Models kept more than once (HDD, SSD-only, other tools'
                       stores) and the space one copy each would free; deletes
                       nothing
  --verify             With --dupes: hash the copies to confirm they are equal
  --cleanup            Remove llama-pack's leftovers: partial copies, downloads
                       abandoned for cleanup.partial_days, dead locks and job
                       records, records of long-gone models, SSD copies unused
                       for cleanup.unused_days (-n lists; asks unless -y)
  --ec --ce --edit-config  Edit, like: vim config_file
                       (Uses $VISUAL or $EDITOR, else vi; validated after)
SSD CACHE:
  --cache NAME         Copy a model to the SSD now (foreground, with progress;
                       asks before evicting other copies, -y: without asking)
  --evict NAME         Remove a model's SSD copy (only when its HDD original
                       is intact)
  --pin NAME           Keep a model on the SSD, never evict it
  --unpin NAME         Undo --pin
  --no-cache NAME      Never copy this model to the SSD
  --allow-cache NAME   Undo --no-cache
  -n, --dry-run        With the verbs above, -m, --args, --pull or --cleanup:
                       show the plan or command line, change nothing
  -y, --yes            With --cache or --cleanup: do it without asking
  --cache-stats        Usage of each tier: models, limit, disk free, colour bar
  --check SIZE         Does a model of SIZE fit? (exit 0 yes, 1 no)
                       [--tier ssd|hdd|PATH]; SIZE like 40g, 500m, 1.5t
  --recommend SIZE     Which tier a model of SIZE should live on, and why
DOWNLOADING (Hugging Face):
  --pull REPO[:QUANT]  Download a GGUF model as llama.cpp's -hf picks it
                       (default quant Q4_K_M, then Q8_0), shards and projector
                       included; room checked first, resumable, sha256-verified,
                       indexed at once
  --to WHERE           With --pull: secondary (the first HDD path, default),
                       primary (the SSD), hdd2, ... or a configured directory
  --revision REV       With --pull: branch, tag or commit (default: main)
  --no-mmproj          With --pull: leave the multimodal projector
KILLING SERVERS:
  -k, --kill           Kill server on specified port (use with -p/--port)
  --killall, --kall    Kill ALL llama-pack managed servers
SIMULATION:
  --simulate NAME      Run named simulation preset from config
  --simulate PATTERN   Run custom simulation pattern (contains = or ;)
                       model[:size]=time/duration[,time[/duration]]...;m2=...
                       times and durations take s, m, h, d, w
  --simulate FILE      Replay a JSON Lines trace:
                       {"t":s,"model":"x","size":bytes,"duration":s}
  --simulate-history   Replay your own recorded uses
  --sim-ssd-free SIZE  Override SSD free space (e.g. 50g, 100m, 1.5g)
  --compare            Also run LRU, LFU-DA, GDSF, the original rule and the
                       offline optimum
OTHER:
  -v, --verbose        Increase verbosity (use multiple times: -v -v)
  --no-color           No colours (also: NO_COLOR=1, or not a terminal)
  --completions SHELL  Print completions (flags, model names) for bash, zsh or
                       fish: source <(llama-pack --completions bash)
  -V, --version        Print the version
  -h, --help           This help
  --                   Everything after this goes to llama-server

EXAMPLES:
  llama-pack -m mymodel                    # Load model with saved args
  llama-pack -m mymodel -- -c 8192         # Override context size once
  llama-pack -m mymodel --store -- -c 8192 # Save new context size
  llama-pack --args mymodel                # Show saved args, command line
  llama-pack -m mymodel -d -p 8081         # Load in the background on 8081
  llama-pack -k -p 8080                    # Kill server on port 8080
  llama-pack --killall                     # Kill all running servers
  llama-pack --serve                       # One endpoint: 127.0.0.1:8080/v1
  llama-pack --status                      # Show what's running
  llama-pack --logs -f                     # Follow the running server's log
  llama-pack --dupes --verify              # Models kept twice (HDD, Ollama...)
  llama-pack --cleanup -n                  # What --cleanup would remove
  llama-pack --cache-stats                 # How full are the SSD and HDD?
  llama-pack --check 40g --tier ssd        # Would 40 GiB fit on the SSD?
  llama-pack --pull unsloth/Qwen3-8B-GGUF:Q4_K_M  # Download to the HDD, then -m
  llama-pack --simulate daily_work         # Run simulation preset
  llama-pack --simulate "test:10g=0s/1h,1d/2h" --sim-ssd-free 50g

*Note: Simulation preset names may not contain = or ;
Sizes are binary: 1g = 1 GiB = 1024^3 bytes; a size needs its unit.

ENVIRONMENT:
  LLAMA_PACK_CONFIG     Config file (default: $XDG_CONFIG_HOME/llama-pack/
                        config.json, else ~/.config/llama-pack/config.json)
  LLAMA_PACK_STATE_DIR  State dir (default: $XDG_STATE_HOME/llama-pack,
                        else ~/.local/state/llama-pack)
  HF_ENDPOINT           Hugging Face hub or mirror for --pull
                        (default: https://huggingface.co)
  HF_TOKEN              Access token for gated and private repositories
                        (never printed)
  HF_HUB_CACHE, HF_HOME, LLAMA_CACHE, OLLAMA_MODELS
                        Where the stores of other tools are (read-only; config
                        "stores")
  LLAMA_PACK_API_KEY    An API key --serve accepts (besides serve.api_keys)
  COLUMNS               Width for -l, --table, --status (default: terminal's)

CONFIG: ${configFile}
`;
}

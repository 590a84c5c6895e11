/**
 * Shell completion scripts (`llama-pack --completions bash|zsh|fish`): every
 * flag of the flag table (described from the help text), model names after
 * `-m` and the cache verbs, fixed choices (`--tier`, `--completions`), files
 * after `--`. Model names come from a plain file the scans keep
 * (`<state>/model-names.txt`), read by the shell itself — no llama-pack start
 * per keystroke; only when that file is missing does the script ask
 * `llama-pack --complete-models`. Pure: text in, text out.
 *
 * @module
 */

import { type CliFlagSpec, FLAGS } from "./flags.ts";

/** The shells completions are written for. */
export type Shell = "bash" | "zsh" | "fish";

/** Flags whose value is a model. */
export const MODEL_FLAGS: readonly string[] = [
  "-m",
  "--model",
  "--cache",
  "--evict",
  "--pin",
  "--unpin",
  "--no-cache",
  "--allow-cache",
  "--args",
  "--clear-args",
];

/** Flags that are llama-pack's own business, never completed. */
const HIDDEN = new Set(["--run-copier", "--complete-models"]);

/** Fixed values of some flags. */
const CHOICES: Readonly<Record<string, readonly string[]>> = {
  "--completions": ["bash", "zsh", "fish"],
  "--tier": ["ssd", "hdd"],
};

/** Flags whose value is a file (completed as such). */
const FILE_FLAGS = ["--simulate"];

/**
 * One description per flag spelling, from the help text's option lines
 * (`  -m, --model NAME     Load model by name/pattern …`).
 *
 * @param help The help text.
 * @returns Spelling → description.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { flagDescriptions } from "./completions.ts";
 * const d = flagDescriptions("  -l, --list           List all models\n");
 * assert(d.get("--list") === "List all models" && d.get("-l") === "List all models");
 * ```
 */
export function flagDescriptions(help: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of help.split("\n")) {
    const m = /^ {2}(-[^ ].*?)\s{2,}(\S.*)$/.exec(line);
    if (!m) continue;
    const text = m[2]!.replace(/\s*\(.*$/, "").trim();
    for (const name of m[1]!.matchAll(/--?[A-Za-z][\w-]*/g)) {
      if (!out.has(name[0])) out.set(name[0], text);
    }
  }
  return out;
}

/** The shell snippet that finds the state dir as llama-pack does. */
const STATE_DIR_SH = '"${LLAMA_PACK_STATE_DIR:-${XDG_STATE_HOME:-$HOME/.local/state}/llama-pack}"';

const visible = (flags: readonly CliFlagSpec[]) =>
  flags.filter((f) => !f.names.some((n) => HIDDEN.has(n)));

function bash(flags: readonly CliFlagSpec[]): string {
  const all = visible(flags).flatMap((f) => f.names).join(" ");
  const valued = visible(flags).filter((f) => f.value).flatMap((f) => f.names)
    .filter((n) => !MODEL_FLAGS.includes(n) && !(n in CHOICES) && !FILE_FLAGS.includes(n));
  // No subshells and no external commands on the way to a model name:
  // completing stays instant however loaded the machine is.
  return `# bash completion for llama-pack: source <(llama-pack --completions bash)
_llama_pack_offer() {
  local w low="\${cur,,}"
  for w in "$@"; do [[ "\${w,,}" == "$low"* ]] && COMPREPLY+=("\${w#"$colon"}"); done
  # Nothing starts so: offer what contains it (gemma finds unsloth/gemma-…).
  if ((\${#COMPREPLY[@]} == 0)) && [[ -n "$cur" ]]; then
    for w in "$@"; do [[ "\${w,,}" == *"$low"* ]] && COMPREPLY+=("\${w#"$colon"}"); done
  fi
}
_llama_pack() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" colon="" i
  COMPREPLY=()
  for ((i = 1; i < COMP_CWORD; i++)); do
    if [[ "\${COMP_WORDS[i]}" == "--" ]]; then
      COMPREPLY=($(compgen -f -- "$cur"))
      return
    fi
  done
  case "$prev" in
    ${MODEL_FLAGS.join("|")})
      local dir=${STATE_DIR_SH} models=()
      if [[ -r "$dir/model-names.txt" ]]; then
        mapfile -t models < "$dir/model-names.txt"
      else
        mapfile -t models < <(command llama-pack --complete-models 2>/dev/null)
      fi
      # A ':' (name:tag) splits words in bash: offer only what follows it.
      if [[ "$cur" == *:* && "$COMP_WORDBREAKS" == *:* ]]; then colon="\${cur%"\${cur##*:}"}"; fi
      _llama_pack_offer "\${models[@]}"
      return
      ;;
${
    Object.entries(CHOICES).map(([flag, values]) =>
      `    ${flag}) _llama_pack_offer ${values.join(" ")}; return ;;`
    ).join("\n")
  }
    ${FILE_FLAGS.join("|")}) COMPREPLY=($(compgen -f -- "$cur")); return ;;
    ${valued.join("|")}) return ;;
  esac
  _llama_pack_offer ${all}
}
complete -o default -F _llama_pack llama-pack llp
`;
}

const zshQuote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

function zsh(flags: readonly CliFlagSpec[], help: ReadonlyMap<string, string>): string {
  const described = visible(flags).flatMap((f) =>
    f.names.map((n) => zshQuote(`${n.replaceAll(":", "\\:")}:${help.get(n) ?? ""}`))
  );
  const valued = visible(flags).filter((f) => f.value).flatMap((f) => f.names)
    .filter((n) => !MODEL_FLAGS.includes(n) && !(n in CHOICES) && !FILE_FLAGS.includes(n));
  return `#compdef llama-pack llp
# zsh completion for llama-pack: source <(llama-pack --completions zsh)
# (or save it as _llama-pack in a directory of your $fpath)
_llama_pack() {
  local -a flags models
  if (( \${words[(I)--]} > 0 && \${words[(I)--]} < CURRENT )); then
    _files
    return
  fi
  case \${words[CURRENT-1]} in
    ${MODEL_FLAGS.join("|")})
      local dir=${STATE_DIR_SH}
      if [[ -r "$dir/model-names.txt" ]]; then
        models=(\${(f)"$(<$dir/model-names.txt)"})
      else
        models=(\${(f)"$(command llama-pack --complete-models 2>/dev/null)"})
      fi
      compadd -M 'm:{a-zA-Z}={A-Za-z} l:|=* r:|=*' -a models
      return
      ;;
${
    Object.entries(CHOICES).map(([flag, values]) =>
      `    ${flag}) compadd ${values.join(" ")}; return ;;`
    ).join("\n")
  }
    ${FILE_FLAGS.join("|")}) _files; return ;;
    ${valued.join("|")}) return ;;
  esac
  flags=(
    ${described.join("\n    ")}
  )
  _describe -t options 'llama-pack option' flags
}
if [[ "\${funcstack[1]}" == "_llama-pack" ]]; then
  _llama_pack "$@"
else
  compdef _llama_pack llama-pack llp
fi
`;
}

const fishQuote = (s: string) => `'${s.replaceAll("\\", "\\\\").replaceAll("'", "\\'")}'`;

function fish(flags: readonly CliFlagSpec[], help: ReadonlyMap<string, string>): string {
  const lines: string[] = [];
  for (const f of visible(flags)) {
    const shorts = f.names.filter((n) => /^-[^-]$/.test(n)).map((n) => `-s ${n.slice(1)}`);
    const longs = f.names.filter((n) => n.startsWith("--")).map((n) => `-l ${n.slice(2)}`);
    // Old-style single-dash words (none today) would need -o.
    const olds = f.names.filter((n) => /^-[^-]{2,}$/.test(n)).map((n) => `-o ${n.slice(1)}`);
    const parts = ["complete -c llama-pack", ...shorts, ...longs, ...olds];
    if (f.names.some((n) => MODEL_FLAGS.includes(n))) {
      parts.push("-x -a '(__llama_pack_models)'");
    } else if (f.names.some((n) => n in CHOICES)) {
      const values = CHOICES[f.names.find((n) => n in CHOICES)!]!;
      parts.push(`-x -a ${fishQuote(values.join(" "))}`);
    } else if (f.names.some((n) => FILE_FLAGS.includes(n))) {
      parts.push("-r -F");
    } else if (f.value) {
      parts.push("-x");
    }
    const d = f.names.map((n) => help.get(n)).find((x) => x !== undefined);
    if (d) parts.push(`-d ${fishQuote(d)}`);
    lines.push(parts.join(" "));
  }
  return `# fish completion for llama-pack: llama-pack --completions fish | source
# (or save it as ~/.config/fish/completions/llama-pack.fish)
function __llama_pack_models
    set -l dir $LLAMA_PACK_STATE_DIR
    if test -z "$dir"
        set -l base $XDG_STATE_HOME
        test -z "$base"; and set base $HOME/.local/state
        set dir $base/llama-pack
    end
    if test -r $dir/model-names.txt
        while read -l name
            echo $name
        end <$dir/model-names.txt
    else
        command llama-pack --complete-models 2>/dev/null
    end
end
complete -c llama-pack -f
complete -c llama-pack -n 'contains -- -- (commandline -opc)' -F
${lines.join("\n")}
complete -c llp -w llama-pack
`;
}

/**
 * The completion script for a shell.
 *
 * @param shell `bash`, `zsh` or `fish`.
 * @param help The help text, for the flags' descriptions (zsh, fish).
 * @param flags The flag table. @default FLAGS
 * @returns The script, to `source` (bash, zsh) or pipe to `source` (fish).
 *
 * @example Every visible flag is in the bash script
 * ```ts
 * import assert from "node:assert/strict";
 * import { completionScript } from "./completions.ts";
 * const script = completionScript("bash", "");
 * assert(script.includes("--model") && script.includes("complete -o default -F _llama_pack"));
 * assert(!script.includes("--run-copier"));
 * ```
 */
export function completionScript(
  shell: Shell,
  help: string,
  flags: readonly CliFlagSpec[] = FLAGS,
): string {
  const described = flagDescriptions(help);
  if (shell === "bash") return bash(flags);
  if (shell === "zsh") return zsh(flags, described);
  return fish(flags, described);
}

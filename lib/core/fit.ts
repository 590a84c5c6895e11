/**
 * Fitting tables to the terminal: which columns to keep at a given width and
 * how to shorten a model's name in the middle so its quantization stays
 * visible (`bartowski/…/Qwen3-30B-A3B…Q4_K_M`). Pure.
 *
 * @module
 */

import { quantInName } from "./match_score.ts";

/** Options of {@linkcode fitColumns}. */
export interface FitColumnsOptions {
  /** The terminal width; `undefined` keeps every column at its natural width. */
  width: number | undefined;
  /** The column that shrinks (the model name). @default 0 */
  flex?: number;
  /** Columns to drop, first to last, while the flexible column is narrower than `minFlex`. @default [] */
  dropOrder?: readonly number[];
  /** The flexible column's width worth dropping other columns for. @default 30 */
  minFlex?: number;
  /** The flexible column is never narrower than this. @default 12 */
  floor?: number;
  /** Characters between two columns (and around them, for borders). @default 2 */
  gap?: number;
  /** Characters outside the columns (a table's outer borders). @default 0 */
  frame?: number;
}

/** What {@linkcode fitColumns} decided. */
export interface FittedColumns {
  /** Indexes of the columns kept, in order. */
  keep: number[];
  /** The flexible column's width. */
  flexWidth: number;
}

/**
 * Chooses the columns that fit a width: drops columns in `dropOrder` while
 * the flexible column would be narrower than `minFlex` (or its natural
 * width), then gives the flexible column what is left.
 *
 * @param widths Each column's natural width (its widest cell or header).
 * @param options The width and the rules.
 * @returns The columns kept and the flexible column's width.
 *
 * @example Ten columns on 80 characters
 * ```ts
 * import assert from "node:assert/strict";
 * import { fitColumns } from "./fit.ts";
 * const widths = [60, 4, 5, 3, 10, 4, 10, 6, 6, 9];
 * const fit = fitColumns(widths, { width: 80, dropOrder: [6, 8, 5, 7] });
 * assert.deepEqual(fit.keep, [0, 1, 2, 3, 4, 7, 9]);
 * assert(fit.flexWidth === 31);
 * ```
 */
export function fitColumns(widths: readonly number[], options: FitColumnsOptions): FittedColumns {
  const flex = options.flex ?? 0;
  const gap = options.gap ?? 2;
  const frame = options.frame ?? 0;
  const natural = widths[flex] ?? 0;
  let keep = widths.map((_, i) => i);
  if (options.width === undefined) return { keep, flexWidth: natural };
  const room = (cols: number[]) =>
    options.width! - frame - cols.reduce((a, i) => a + (i === flex ? 0 : widths[i]!), 0) -
    gap * (cols.length - 1);
  const want = Math.min(natural, options.minFlex ?? 30);
  for (const d of options.dropOrder ?? []) {
    if (room(keep) >= want) break;
    keep = keep.filter((i) => i !== d);
  }
  const flexWidth = Math.max(options.floor ?? 12, Math.min(natural, room(keep)));
  return { keep, flexWidth };
}

/** Options of {@linkcode shortenName}. */
export interface ShortenNameOptions {
  /**
   * Keep the first folder (it tells the model from a namesake); otherwise
   * folders are the first thing dropped. @default false
   */
  keepFolders?: boolean;
  /** Drop `.gguf` even when the name fits (so a list shortens all names alike). @default false */
  stripExtension?: boolean;
}

/** Shortens a file name in the middle, keeping the quantization at its end. */
function shortenFile(file: string, width: number): string {
  if (file.length <= width) return file;
  if (width < 4) return file.slice(0, width);
  const q = quantInName(file);
  let tail = q ? file.slice(q.index) : "";
  const most = Math.floor((width - 1) / 2);
  if (tail.length > most || tail.length === 0) tail = file.slice(file.length - most);
  const head = file.slice(0, width - 1 - tail.length);
  return `${head}…${tail}`;
}

/**
 * Shortens a model's name or label to `width` characters, in this order:
 * drop `.gguf` and a shard suffix (`-00001-of-00003`), keep only the first
 * folder (`org/…/file`), drop the folders (unless `keepFolders`: then the
 * first folder stays), then cut the file name in the middle so that the
 * quantization (`Q4_K_M`) stays visible.
 *
 * @param name The name or label, e.g. `bartowski/Repo-GGUF/File-Q4_K_M.gguf`.
 * @param width The most characters to use.
 * @param options Whether the folders tell the model apart.
 * @returns The name, at most `width` characters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shortenName } from "./fit.ts";
 * assert(shortenName("Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf", 24) === "Meta-Llama-3.1-8B…Q4_K_M");
 * assert(shortenName("unsloth/gemma-3-4b-it-Q4_K_M.gguf", 28, { keepFolders: true }) === "unsloth/gemma-3-4b-it-Q4_K_M");
 * assert(shortenName("Qwen-72B-Q4_K_M-00001-of-00003.gguf", 20) === "Qwen-72B-Q4_K_M");
 * ```
 */
export function shortenName(name: string, width: number, options: ShortenNameOptions = {}): string {
  if (options.stripExtension) name = name.replace(/\.gguf$/i, "");
  if (name.length <= width) return name;
  const bare = name.replace(/\.gguf$/i, "").replace(/-\d{5}-of-\d{5}$/, "");
  if (bare.length <= width) return bare;
  const slash = bare.lastIndexOf("/");
  const file = bare.slice(slash + 1);
  if (slash < 0) return shortenFile(file, width);
  const folders = bare.slice(0, slash).split("/");
  const prefix = folders.length > 1 ? `${folders[0]}/…/` : `${folders[0]}/`;
  if (prefix.length + file.length <= width) return prefix + file;
  if (!options.keepFolders) return shortenFile(file, width);
  if (prefix.length > width * 0.4) return "…/" + shortenFile(file, width - 2);
  return prefix + shortenFile(file, width - prefix.length);
}

/**
 * Wraps text at spaces so no line is longer than `width` (a word longer than
 * the width gets a line of its own).
 *
 * @param text One line of text.
 * @param width The most characters per line; `undefined` keeps one line.
 * @param indent What continuation lines start with. @default ""
 * @param measure The visible length of a piece of text (e.g. without ANSI colours). @default its length
 * @returns The lines.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { wrapText } from "./fit.ts";
 * assert.deepEqual(wrapText("a bb ccc dd", 6, " "), ["a bb", " ccc", " dd"]);
 * ```
 */
export function wrapText(
  text: string,
  width: number | undefined,
  indent = "",
  measure: (s: string) => number = (s) => s.length,
): string[] {
  if (width === undefined || measure(text) <= width) return [text];
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    const next = line === "" ? word : `${line} ${word}`;
    if (measure(next) <= width || line.trim() === "") line = next;
    else {
      lines.push(line);
      line = indent + word;
    }
  }
  if (line !== "") lines.push(line);
  return lines;
}

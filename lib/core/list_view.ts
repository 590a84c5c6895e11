/**
 * Renders `llama-pack -l` (pure: entries in, text out).
 *
 * The layout follows the original tool: models sorted from the lowest to the
 * highest rank, so the most useful end up last, next to the prompt; for each
 * model a name line (with parameters, quantization and size) and a line with
 * rank, SSD marker, HDD marker, last use, uses and first-seen date; the header
 * repeated at the bottom; and a key to the markers:
 *
 * | marker   | meaning                                                |
 * |----------|--------------------------------------------------------|
 * | `SSD`    | cached on the SSD, hot                                 |
 * | `ssd`    | cached on the SSD, cold (first to go when space is short) |
 * | `{SSD}`  | should be cached; `{SSD}42%` while the copy runs       |
 * | `HDD`    | permanent copy on the HDD                              |
 * | `HF` `LCP` `LMS` `OLL` | permanent copy in the Hugging Face cache, llama.cpp's cache, LM Studio or Ollama (read-only) |
 * | `off`    | permanent copy on an HDD that is offline now (unplugged) |
 * | `st`     | stats only: the files are gone                         |
 * | `***`    | SSD only: no HDD copy, never evicted                   |
 *
 * `-v` adds the id, one line per copy (`ssd: <path>`, `hdd: <path>`) and the
 * metadata; `-v -v` adds the reasons behind the rank and cache decisions.
 * A compact table (cli-table3) suits wide terminals. Dates are UTC, `YYYY-MM-DD`.
 *
 * @module
 */

import Table from "cli-table3";
import { formatSize } from "./units.ts";
import { STORE_LABELS, STORE_MARKERS } from "./stores.ts";
import { fitColumns, shortenName, wrapText } from "./fit.ts";
import { shellQuote } from "./shell_quote.ts";
import {
  formatDate,
  formatParams,
  type ListEntry,
  type ListMeta,
  sortEntries,
} from "./list_entry.ts";

/** Options of {@linkcode renderList}. */
export interface RenderListOptions {
  /** Verbosity: 0, 1 (`-v`) or 2 (`-v -v`). @default 0 */
  verbose?: number;
  /** ANSI colours by tier. @default false */
  color?: boolean;
  /** `"lines"`: name line + stats line per model; `"table"`: one row per model. @default "lines" */
  view?: "lines" | "table";
  /** Terminal width: columns are dropped and names shortened to fit. @default no limit */
  width?: number;
}

const C = {
  reset: "\x1b[0m",
  title: "\x1b[7m",
  name: "\x1b[36m",
  dim: "\x1b[2m",
  hot: "\x1b[1;36m",
  cold: "\x1b[36m",
  should: "\x1b[35m",
  hdd: "\x1b[33m",
  st: "\x1b[38;5;208m",
  only: "\x1b[31m",
  date: "\x1b[34m",
} as const;
type Paint = (code: keyof typeof C, s: string) => string;

function ssdMarker(e: ListEntry, paint: Paint): [string, number] {
  let text: string;
  let code: keyof typeof C;
  if (e.statsOnly && e.ssd.state !== "verified") [text, code] = ["st", "st"];
  else if (e.ssd.state === "verified") [text, code] = e.ssd.hot ? ["SSD", "hot"] : ["ssd", "cold"];
  else if (e.ssd.state === "unverified") [text, code] = ["ssd?", "cold"];
  else if (e.ssd.state === "copying") {
    const p = e.ssd.progress;
    text = p === undefined ? "{SSD}" : `{SSD}${Math.floor(Math.min(1, Math.max(0, p)) * 100)}%`;
    code = "should";
  } else if (e.ssd.state === "should") [text, code] = ["{SSD}", "should"];
  else return ["", 0];
  return [paint(code, text), text.length];
}

function hddMarker(e: ListEntry, paint: Paint): [string, number] {
  if (e.hdd.present && e.hdd.offline) return [paint("st", "off"), 3];
  if (e.hdd.present) {
    const text = e.hdd.store ? STORE_MARKERS[e.hdd.store] : "HDD";
    return [paint("hdd", text), text.length];
  }
  if (e.ssdOnly) return [paint("only", "***"), 3];
  if (e.statsOnly) return [paint("st", "st"), 2];
  return ["", 0];
}

const rankText = (r: number) => (Number.isFinite(r) ? r.toFixed(1) : "-");

function metaLine(m: ListMeta): string {
  const parts: string[] = [];
  if (m.architecture) parts.push(m.architecture);
  if (m.layerCount) parts.push(`${m.layerCount} layers`);
  if (m.contextLength) parts.push(`ctx ${m.contextLength}`);
  if (m.expertCount) parts.push(`${m.expertCount} experts`);
  if (m.shardCount !== undefined && m.shardCount > 1) parts.push(`${m.shardCount} shards`);
  if (m.projectors && m.projectors.length > 0) parts.push(`mmproj: ${m.projectors.join(", ")}`);
  for (const f of m.flags ?? []) parts.push(f);
  return parts.join(", ");
}

/** The columns of `-l`, in order (both views). */
const COLUMNS: readonly string[] = [
  "Model",
  "Rank",
  "ssd",
  "hdd",
  "Last",
  "Uses",
  "First seen",
  "Params",
  "Quant",
  "Size",
];

/** The key line explaining the markers. */
export const LIST_KEY =
  "Key: SSD=cached+hot, ssd=cached+cold, {SSD}=should cache (NN%=copying), HDD=permanent, st=stats only (file gone), ***=SSD only";

function keyLine(paint: Paint, entries: readonly ListEntry[]): string {
  const unverified =
    (entries.some((e) => e.ssd.state === "unverified")
      ? `, ${paint("cold", "ssd?")}=on SSD, not verified`
      : "") +
    (entries.some((e) => e.hdd.offline) ? `, ${paint("st", "off")}=on an offline HDD` : "");
  return `Key: ${paint("hot", "SSD")}=cached+hot, ${paint("cold", "ssd")}=cached+cold, ${
    paint("should", "{SSD}")
  }=should cache (NN%=copying), ${paint("hdd", "HDD")}=permanent, ${
    paint("st", "st")
  }=stats only (file gone), ${paint("only", "***")}=SSD only${unverified}${
    storeKey(paint, entries)
  }`;
}

function storeKey(paint: Paint, entries: readonly ListEntry[]): string {
  const kinds = [...new Set(entries.flatMap((e) => (e.hdd.store ? [e.hdd.store] : [])))];
  if (kinds.length === 0) return "";
  return `, ${
    kinds.map((k) => `${paint("hdd", STORE_MARKERS[k])}=${STORE_LABELS[k]}`).join(", ")
  } (read-only stores)`;
}

/** Columns dropped, first to last, when the terminal is too narrow for the name. */
const DROP_ORDER = [6, 8, 5, 7, 4];

/** The cells of one row, in {@linkcode COLUMNS} order: [text, visible width]. */
type Cell = [text: string, visible: number];

function rowCells(e: ListEntry, paint: Paint): Cell[] {
  const plain = (t: string): Cell => [t, t.length];
  const last = formatDate(e.lastUsed);
  const first = formatDate(e.firstSeen, "-");
  return [
    plain(e.label ?? e.name),
    plain(rankText(e.rank)),
    ssdMarker(e, paint),
    hddMarker(e, paint),
    [e.lastUsed === null ? last : paint("date", last), last.length],
    plain(String(e.uses)),
    [paint("date", first), first.length],
    plain(formatParams(e.params)),
    plain(e.quant ?? "?"),
    plain(e.size === null ? "" : formatSize(e.size)),
  ];
}

/** Names that need their folders to be told apart (their file name is shared). */
function sharedFileNames(entries: readonly ListEntry[]): Set<string> {
  const count = new Map<string, number>();
  for (const e of entries) {
    const f = baseName(e.name);
    count.set(f, (count.get(f) ?? 0) + 1);
  }
  return new Set([...count].filter(([, n]) => n > 1).map(([f]) => f));
}
const baseName = (p: string) => p.slice(p.lastIndexOf("/") + 1);

/** How names are shortened: which keep their folders, and whether all drop `.gguf`. */
interface NameFit {
  width: number;
  shared: ReadonlySet<string>;
  stripExtension: boolean;
}

function nameFit(entries: readonly ListEntry[], width: number): NameFit {
  return {
    width,
    shared: sharedFileNames(entries),
    // Once one name is shortened, all drop `.gguf`, so the column reads alike.
    stripExtension: entries.some((e) => (e.label ?? e.name).length > width),
  };
}

/** The name column's text for one entry, shortened to fit. */
function nameText(e: ListEntry, fit: NameFit): string {
  return shortenName(e.label ?? e.name, fit.width, {
    keepFolders: fit.shared.has(baseName(e.name)),
    stripExtension: fit.stripExtension,
  });
}

/**
 * Renders the model list.
 *
 * Fits `width` when given: one line per model; the least useful columns go
 * first (First seen, Quant, Uses, Params, Last) until the name has about 30
 * characters, then names are shortened in the middle, keeping the
 * quantization and, for models that share a file name, the folder that tells
 * them apart. The key wraps.
 *
 * @param entries The models, in any order (they are sorted by rank).
 * @param options Verbosity, colour, view and width.
 * @returns The text to print, ending with a newline.
 *
 * @example Two models, plain text
 * ```ts
 * import assert from "node:assert/strict";
 * import { renderList } from "./list_view.ts";
 * import type { ListEntry } from "./list_entry.ts";
 * const base = { uses: 0, lastUsed: null, firstSeen: 1760227200, params: 9.2e9, quant: "Q5_K_M",
 *   size: null, statsOnly: false, ssdOnly: false } as const;
 * const entries: ListEntry[] = [
 *   { ...base, id: "a", name: "Used-A-Lot.gguf", rank: 5.8, uses: 6, lastUsed: 1764288000,
 *     ssd: { state: "verified", hot: true }, hdd: { present: true } },
 *   { ...base, id: "b", name: "Foo.gguf", rank: 0, ssd: { state: "none" }, hdd: { present: true } },
 * ];
 * const text = renderList(entries);
 * assert(text.indexOf("Foo.gguf") < text.indexOf("Used-A-Lot.gguf"));
 * assert(text.includes("   5.8  SSD  HDD  2025-11-28     6  2025-10-12"));
 * ```
 */
export function renderList(entries: readonly ListEntry[], options: RenderListOptions = {}): string {
  const color = options.color ?? false;
  const verbose = options.verbose ?? 0;
  const paint: Paint = (code, s) => (color && s !== "" ? `${C[code]}${s}${C.reset}` : s);
  const sorted = sortEntries(entries);
  const title = color
    ? `${C.title} Models (lowest to highest rank) ${C.reset}`
    : "Models (lowest to highest rank)";
  if (options.view === "table") return renderTable(sorted, title, paint, options);
  // One row per model, as the original's `-l`: the name first, the columns
  // aligned, the header repeated at the bottom next to the prompt.
  const RIGHT = new Set([1, 5, 7, 9]);
  const rows = sorted.map((e) => rowCells(e, paint));
  const widths = COLUMNS.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]![1])));
  const fit = fitColumns(widths, { width: options.width, dropOrder: DROP_ORDER });
  widths[0] = fit.flexWidth;
  const names = nameFit(sorted, fit.flexWidth);
  const line = (cells: Cell[]) =>
    fit.keep.map((i) => {
      const [text, visible] = cells[i]!;
      const gap = " ".repeat(Math.max(0, widths[i]! - visible));
      return RIGHT.has(i) ? gap + text : text + gap;
    }).join("  ").trimEnd();
  const header = line(COLUMNS.map((h): Cell => [h, h.length]));
  const out: string[] = [title, "", header];
  const ind = " ".repeat(3);
  for (const [i, e] of sorted.entries()) {
    const row = rows[i]!;
    const name = nameText(e, names);
    row[0] = [paint("name", name), name.length];
    out.push(line(row));
    if (verbose >= 1) {
      out.push(`${ind}id: ${e.id}`);
      if (e.ssd.path !== undefined) {
        const note = {
          verified: "",
          copying: " (copying)",
          unverified: " (not verified)",
          should: " (not copied yet)",
          none: "",
        }[e.ssd.state];
        out.push(`${ind}ssd: ${e.ssd.path}${note}`);
      }
      if (e.hdd.path !== undefined) {
        out.push(
          `${ind}${e.hdd.store ? STORE_LABELS[e.hdd.store] : "hdd"}: ${e.hdd.path}${
            e.hdd.offline ? " (offline)" : ""
          }`,
        );
      }
      if (e.meta) {
        const m = metaLine(e.meta);
        if (m !== "") out.push(`${ind}${m}`);
        if (e.meta.storedArgs && e.meta.storedArgs.length > 0) {
          out.push(`${ind}stored args: ${e.meta.storedArgs.map(shellQuote).join(" ")}`);
        }
      }
    }
    if (verbose >= 2) { for (const r of e.reasons ?? []) out.push(`${ind}why: ${r}`); }
  }
  if (sorted.length === 0) out.push("(no models: set hdd_path/ssd_path in the config and run -u)");
  out.push(header, ...wrapText(keyLine(paint, sorted), options.width, "     ", visibleLength));
  return out.join("\n") + "\n";
}

function renderTable(
  sorted: ListEntry[],
  title: string,
  paint: Paint,
  options: RenderListOptions,
): string {
  const cells = sorted.map((e) => rowCells(e, paint));
  const widths = COLUMNS.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]![1])));
  // A boxed table: "│ " + cells joined by " │ " + " │".
  const fit = fitColumns(widths, {
    width: options.width,
    dropOrder: DROP_ORDER,
    gap: 3,
    frame: 4,
  });
  const names = nameFit(sorted, fit.flexWidth);
  const ALIGN = [
    "left",
    "right",
    "left",
    "left",
    "left",
    "right",
    "left",
    "right",
    "left",
    "right",
  ];
  // A boxed table (cli-table3's own borders): the compact grid view of `--table`.
  const table = new Table({
    head: fit.keep.map((i) => COLUMNS[i]!),
    style: { "padding-left": 1, "padding-right": 1, head: [], border: [], compact: true },
    colAligns: fit.keep.map((i) => ALIGN[i]) as ("left" | "right")[],
  });
  for (const [n, e] of sorted.entries()) {
    const row = cells[n]!;
    row[0] = [paint("name", nameText(e, names)), 0];
    table.push(fit.keep.map((i) => row[i]![0]));
  }
  const body = table.toString().split("\n").map((l) => l.trimEnd()).filter((l) => l !== "");
  return [
    title,
    "",
    ...body,
    ...wrapText(keyLine(paint, sorted), options.width, "     ", visibleLength),
  ]
    .join("\n") + "\n";
}

// deno-lint-ignore no-control-regex
const visibleLength = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "").length;

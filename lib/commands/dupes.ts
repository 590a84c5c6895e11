/**
 * The command behind `--dupes [--verify] [--json]`: the models kept more than
 * once across the HDD, the SSD-only area and the stores of other tools, with
 * the bytes keeping one copy of each would free. It reads and (with
 * `--verify`) hashes; it never deletes, moves or writes a model file.
 *
 * @module
 */

import {
  confirmDuplicates,
  type CopyPlace,
  duplicatesJson,
  findDuplicates,
  type PermanentCopy,
  renderDuplicates,
} from "../core/dupes.ts";
import type { IndexedModel } from "../core/model_index.ts";
import { isStoreKind } from "../core/stores.ts";
import { formatSize } from "../core/units.ts";
import { hashFile } from "../cache/hash.ts";
import { loadIndex } from "../state/load_index.ts";
import type { CommandContext } from "./context.ts";

/** `device:inode` of a file through links, or `undefined` when it is gone. */
function physicalId(path: string): string | undefined {
  try {
    const st = Deno.statSync(path);
    return st.isFile ? `${st.dev}:${st.ino ?? path}` : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Every permanent copy of every live model: its HDD or store copy, other
 * HDD copies with the same content (from the scan), and SSD-only models.
 * Cached SSD copies are not permanent and are left out.
 *
 * @param index The model index.
 * @returns The copies whose files are present.
 */
export function permanentCopies(index: readonly IndexedModel[]): PermanentCopy[] {
  const out: PermanentCopy[] = [];
  for (const m of index) {
    if (m.gone || m.fingerprint === null) continue;
    const md = m.metadata ?? {};
    const add = (place: CopyPlace, path: string, files: string[], weightsSize: number) => {
      const physical = physicalId(path);
      if (physical === undefined) return;
      out.push({
        modelId: m.id,
        name: m.name,
        place,
        path,
        files,
        weightsSize,
        fingerprint: m.fingerprint!,
        physical,
      });
    };
    const weightsOf = (files: { role: string; path: string; size: number }[]) =>
      files.filter((f) => f.role !== "mmproj");
    if (m.hdd) {
      const weights = weightsOf(m.hdd.files);
      const size = typeof md.weightsSize === "number"
        ? md.weightsSize
        : weights.reduce((s, f) => s + f.size, 0);
      add(m.store ?? "hdd", m.hdd.path, weights.map((f) => f.path).sort(), size);
      for (const extra of Array.isArray(md.extraCopies) ? md.extraCopies : []) {
        const e = extra as { path?: unknown; files?: unknown; store?: unknown };
        if (typeof e.path !== "string" || !Array.isArray(e.files)) continue;
        const files = e.files.filter((f): f is string => typeof f === "string");
        add(isStoreKind(e.store) ? e.store : "hdd", e.path, files, size);
      }
    } else if (m.ssdOnly && m.ssd) {
      const weights = weightsOf(m.ssd.files);
      add(
        "ssd",
        m.ssd.path,
        weights.map((f) => f.path).sort(),
        weights.reduce((s, f) => s + f.size, 0),
      );
    }
  }
  return out;
}

/**
 * Runs `--dupes`.
 *
 * @param ctx The command context.
 * @returns 0.
 * @throws {LlamaPackError} `IO` when `--verify` cannot read a copy.
 */
export async function dupesCommand(ctx: CommandContext): Promise<number> {
  await ctx.config();
  const verify = ctx.cmd.action.kind === "dupes" && ctx.cmd.action.verify;
  let groups = findDuplicates(permanentCopies(loadIndex(ctx.state())));
  if (verify && groups.length > 0) {
    const files = [...new Set(groups.flatMap((g) => g.copies.flatMap((c) => c.files)))];
    const bytes = groups.reduce((s, g) => s + g.size * g.copies.length, 0);
    ctx.err(`hashing ${files.length} files (${formatSize(bytes)}) to confirm…\n`);
    const hashes = new Map<string, string>();
    for (const f of files) hashes.set(f, (await hashFile(f)).hash);
    const copyHash = new Map(
      groups.flatMap((g) => g.copies).map((
        c,
      ) => [c.path, c.files.map((f) => hashes.get(f)).join(",")]),
    );
    groups = confirmDuplicates(groups, (path) => copyHash.get(path)!);
  }
  ctx.out(
    ctx.cmd.json
      ? duplicatesJson(groups, { verified: verify })
      : renderDuplicates(groups, { verified: verify }),
  );
  return 0;
}

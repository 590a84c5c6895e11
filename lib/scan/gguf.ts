/**
 * Reads what llama-pack needs from a GGUF file's header — architecture, name,
 * parameter count, quantization, context length, layers, experts, split keys,
 * whether it is a multimodal projector — plus a content fingerprint, without
 * reading the tensor data (a 50 GiB model costs a few MiB of reads).
 *
 * Parsing goes through `@huggingface/gguf` reading the local file; the
 * fingerprint is xxh64 (`xxhash-wasm`) of the first MiB and the file size.
 *
 * @module
 */

import { GGMLFileQuantizationType, gguf, parseGGUFQuantLabel } from "@huggingface/gguf";
import xxhash from "xxhash-wasm";
import { LlamaPackError } from "../errors.ts";
import type { GgufInfo } from "../core/scanned.ts";

export type { GgufInfo } from "../core/scanned.ts";

/** A GGUF file's metadata and fingerprint, as {@linkcode readGgufHeader} returns them. */
export interface GgufHeader {
  /** The metadata. */
  info: GgufInfo;
  /** Hex xxh64 of the first MiB and the size: equal content ⇒ equal fingerprint. */
  fingerprint: string;
  /** File size in bytes when read. */
  size: number;
}

/** Bytes hashed for the fingerprint. */
export const FINGERPRINT_BYTES = 1024 * 1024;

type Hasher = Awaited<ReturnType<typeof xxhash>>;
let hasher: Promise<Hasher> | undefined;

/**
 * Names a `general.file_type` value, as llama.cpp's `--help` does.
 *
 * @param fileType The `general.file_type` number.
 * @returns e.g. `"Q4_K_M"`, or `null` for an unknown number.
 *
 * @example Naming file types
 * ```ts
 * import assert from "node:assert/strict";
 * import { quantName } from "./gguf.ts";
 * assert(quantName(15) === "Q4_K_M");
 * assert(quantName(7) === "Q8_0");
 * assert(quantName(9999) === null);
 * ```
 */
export function quantName(fileType: number): string | null {
  const name =
    (GGMLFileQuantizationType as unknown as Record<number, string | undefined>)[fileType];
  return typeof name === "string" ? name : null;
}

/**
 * Turns a size label into a parameter count: `8B` → 8e9, `8x7B` → 56e9,
 * `135M` → 135e6, `30B-A3B` → 30e9.
 *
 * @param label The `general.size_label` value.
 * @returns The parameter count, or `null` when the label is not a size.
 *
 * @example Reading size labels
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseSizeLabel } from "./gguf.ts";
 * assert(parseSizeLabel("8x7B") === 56e9);
 * assert(parseSizeLabel("1.5B") === 1.5e9);
 * assert(parseSizeLabel("large") === null);
 * ```
 */
export function parseSizeLabel(label: string): number | null {
  const m = /^\s*(?:(\d+)\s*x\s*)?(\d+(?:\.\d+)?)\s*([KMBT])/i.exec(label);
  if (!m) return null;
  const unit = { K: 1e3, M: 1e6, B: 1e9, T: 1e12 }[m[3]!.toUpperCase() as "K" | "M" | "B" | "T"];
  const experts = m[1] === undefined ? 1 : Number(m[1]);
  return Math.round(experts * Number(m[2]) * unit);
}

function num(v: unknown): number | null {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "bigint") return Number(v);
  return null;
}

function str(v: unknown): string | null {
  return typeof v === "string" ? v : null;
}

const TYPE_BYTES: Record<number, number> = { 0: 4, 1: 2, 24: 1, 25: 2, 26: 4, 27: 8, 28: 8, 30: 2 };

/**
 * Reads a GGUF file's header metadata and fingerprint. Reads the header (a few
 * MiB at most for big vocabularies) and the first MiB, never the whole file.
 * Checks that the file is long enough for what its header declares, so a
 * truncated download is reported rather than listed.
 *
 * Needs `--allow-read`.
 *
 * @param path The file to read.
 * @returns The metadata, fingerprint and size.
 * @throws {LlamaPackError} `BAD_GGUF` when the file is not a (complete) GGUF file,
 *   `IO` when it cannot be read.
 *
 * @example Reading a file written by the test writer
 * ```ts
 * import assert from "node:assert/strict";
 * import { readGgufHeader } from "./gguf.ts";
 * import { writeGguf } from "../../tests/gguf_writer.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await writeGguf(`${dir}/m.gguf`, { parameterCount: 8e9, fileType: "Q5_K_M", size: 5 * 1024 ** 3 });
 *   const h = await readGgufHeader(`${dir}/m.gguf`);
 *   assert(h.info.quant === "Q5_K_M" && h.info.parameterCount === 8e9);
 *   assert(h.size === 5 * 1024 ** 3 && h.fingerprint.length === 16);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function readGgufHeader(path: string): Promise<GgufHeader> {
  let size: number;
  try {
    const st = await Deno.stat(path);
    if (!st.isFile) {
      throw new LlamaPackError("BAD_GGUF", `${path}: not a GGUF file: not a regular file`);
    }
    size = st.size;
  } catch (err) {
    if (err instanceof LlamaPackError) throw err;
    throw new LlamaPackError("IO", `${path}: cannot read: ${errText(err)}`, { cause: err });
  }
  if (size < 24) {
    throw new LlamaPackError(
      "BAD_GGUF",
      `${path}: not a GGUF file: ${size === 0 ? "the file is empty" : `only ${size} bytes`}`,
    );
  }
  const fingerprint = await fingerprintFile(path, size);
  let parsed: Awaited<ReturnType<typeof gguf>>;
  try {
    parsed = await gguf(path, { allowLocalFile: true });
  } catch (err) {
    if (isFsError(err)) {
      throw new LlamaPackError("IO", `${path}: cannot read: ${errText(err)}`, { cause: err });
    }
    const reason = errText(err).replace(/^not a valid gguf file:\s*/i, "")
      .replace(
        /^not starting with GGUF magic number$/,
        "bad magic (the file does not start with 'GGUF')",
      );
    throw new LlamaPackError("BAD_GGUF", `${path}: not a GGUF file: ${reason}`, { cause: err });
  }
  const md = parsed.metadata as Record<string, unknown>;
  const dataStart = Number(parsed.tensorDataOffset);
  if (dataStart > size || Object.hasOwn(md, "")) {
    throw new LlamaPackError(
      "BAD_GGUF",
      `${path}: not a GGUF file: truncated header (the file has ${size} bytes, its header needs ${
        Math.max(dataStart, size + 1)
      })`,
    );
  }
  let dataEnd = dataStart;
  for (const t of parsed.tensorInfos) {
    const elems = t.shape.reduce((a, d) => a * Number(d), 1);
    const bytes = TYPE_BYTES[t.dtype] !== undefined ? elems * TYPE_BYTES[t.dtype]! : 1;
    dataEnd = Math.max(dataEnd, dataStart + Number(t.offset) + bytes);
  }
  if (dataEnd > size) {
    throw new LlamaPackError(
      "BAD_GGUF",
      `${path}: not a GGUF file: truncated (the file has ${size} bytes, its tensors need ${dataEnd})`,
    );
  }
  const arch = str(md["general.architecture"]);
  const fileType = num(md["general.file_type"]);
  const sizeLabel = str(md["general.size_label"]);
  const splitCount = num(md["split.count"]);
  let parameterCount = num(md["general.parameter_count"]);
  if (parameterCount === null && sizeLabel !== null) parameterCount = parseSizeLabel(sizeLabel);
  if (parameterCount === null && (splitCount === null || splitCount <= 1)) {
    const sum = parsed.tensorInfos.reduce(
      (a, t) => a + t.shape.reduce((b, d) => b * Number(d), 1),
      0,
    );
    parameterCount = sum > 0 ? sum : null;
  }
  const fileName = path.split("/").pop() ?? path;
  const type = str(md["general.type"]);
  const info: GgufInfo = {
    architecture: arch,
    name: str(md["general.name"]),
    parameterCount,
    sizeLabel,
    quant: (fileType === null ? null : quantName(fileType)) ??
      parseGGUFQuantLabel(fileName)?.toUpperCase() ?? null,
    contextLength: arch === null ? null : num(md[`${arch}.context_length`]),
    layerCount: arch === null ? null : num(md[`${arch}.block_count`]),
    expertCount: arch === null ? null : num(md[`${arch}.expert_count`]),
    splitNo: num(md["split.no"]),
    splitCount,
    isProjector: type === "mmproj" || arch === "clip",
  };
  return { info, fingerprint, size };
}

/**
 * Fingerprints a file: hex xxh64 of its first MiB followed by its size as a
 * little-endian u64. Two copies of one model have the same fingerprint; a
 * different model almost surely has another (the header holds its name, vocab
 * and tensor layout).
 *
 * Needs `--allow-read`.
 *
 * @param path The file.
 * @param size Its size if already known (saves a stat).
 * @returns 16 hex digits.
 * @throws {LlamaPackError} `IO` when the file cannot be read.
 *
 * @example Fingerprinting two equal files
 * ```ts
 * import assert from "node:assert/strict";
 * import { fingerprintFile } from "./gguf.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   await Deno.writeTextFile(`${dir}/a`, "same");
 *   await Deno.writeTextFile(`${dir}/b`, "same");
 *   assert(await fingerprintFile(`${dir}/a`) === await fingerprintFile(`${dir}/b`));
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function fingerprintFile(path: string, size?: number): Promise<string> {
  const h = await (hasher ??= xxhash());
  let file: Deno.FsFile | undefined;
  try {
    file = await Deno.open(path, { read: true });
    const total = size ?? (await file.stat()).size;
    const buf = new Uint8Array(Math.min(FINGERPRINT_BYTES, total) + 8);
    const want = buf.length - 8;
    let got = 0;
    while (got < want) {
      const n = await file.read(buf.subarray(got, want));
      if (n === null) break;
      got += n;
    }
    new DataView(buf.buffer).setBigUint64(got, BigInt(total), true);
    return h.h64Raw(buf.subarray(0, got + 8)).toString(16).padStart(16, "0");
  } catch (err) {
    throw new LlamaPackError("IO", `${path}: cannot read: ${errText(err)}`, { cause: err });
  } finally {
    file?.close();
  }
}

function isFsError(err: unknown): boolean {
  if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.PermissionDenied) {
    return true;
  }
  const code = err instanceof Error ? (err as Error & { code?: unknown }).code : undefined;
  return typeof code === "string" && /^E[A-Z]+$/.test(code);
}

function errText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    if (err instanceof Deno.errors.NotFound || code === "ENOENT") return "no such file";
    if (err instanceof Deno.errors.PermissionDenied || code === "EACCES") {
      return "permission denied";
    }
    return err.message.split("\n")[0] ?? String(err);
  }
  return String(err);
}

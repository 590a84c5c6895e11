/**
 * Writes real GGUF v3 files for tests and the demo: a valid header with the
 * metadata llama-pack reads (architecture, name, parameter count, file type,
 * context length, layers, experts, split keys, projector type) and at least one
 * tensor, then extends the file sparsely to the requested size, so a "40 GiB"
 * model costs a few hundred bytes of disk. It can also write broken files
 * (bad magic, bad version, truncated header, truncated data, empty, garbage).
 *
 * `makeLibrary()` builds a whole tree of models, symlinks, text files and
 * directories from one plain spec; `shardEntries()` and `hfEntries()` make the
 * specs for split models and the Hugging Face hub cache layout.
 *
 * Needs `--allow-write` (and `--allow-read` for symlinks).
 *
 * @module
 */

import { dirname, join } from "node:path";

/** GGUF metadata value types (the on-disk type ids). */
const T = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;

/** File types (`general.file_type`) by name, as llama.cpp numbers them. */
export const FILE_TYPES: Readonly<Record<string, number>> = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q4_1: 3,
  Q8_0: 7,
  Q5_0: 8,
  Q5_1: 9,
  Q2_K: 10,
  Q3_K_S: 11,
  Q3_K_M: 12,
  Q3_K_L: 13,
  Q4_K_S: 14,
  Q4_K_M: 15,
  Q5_K_S: 16,
  Q5_K_M: 17,
  Q6_K: 18,
  IQ2_XXS: 19,
  IQ2_XS: 20,
  Q2_K_S: 21,
  IQ3_XS: 22,
  IQ3_XXS: 23,
  IQ1_S: 24,
  IQ4_NL: 25,
  IQ3_S: 26,
  IQ3_M: 27,
  IQ2_S: 28,
  IQ2_M: 29,
  IQ4_XS: 30,
  IQ1_M: 31,
  BF16: 32,
  TQ1_0: 36,
  TQ2_0: 37,
  MXFP4_MOE: 38,
};

/** A metadata value: strings, booleans, numbers (u32 unless typed), bigints (u64). */
export type GgufValue =
  | string
  | boolean
  | number
  | bigint
  | { type: "u8" | "u16" | "u32" | "i32" | "u64" | "f32" | "f64"; value: number | bigint }
  | string[];

/** How a written file is broken on purpose. */
export type GgufCorruption =
  /** The first four bytes are not `GGUF`. */
  | "bad-magic"
  /** The version field is 99. */
  | "bad-version"
  /** The file ends in the middle of the metadata. */
  | "truncated-header"
  /** The header is complete but the file ends before its last tensor. */
  | "truncated-data"
  /** A zero-byte file. */
  | "empty"
  /** 4 KiB of text that has nothing to do with GGUF. */
  | "garbage";

/** Options of {@linkcode writeGguf}. */
export interface WriteGgufOptions {
  /** `general.architecture`. @default "llama" ("clip" for projectors) */
  architecture?: string;
  /** `general.name`. @default the file name without `.gguf` and shard suffix */
  name?: string;
  /** `general.parameter_count` (u64); omitted when undefined. @default undefined */
  parameterCount?: number;
  /** `general.size_label`, e.g. `"8B"` or `"8x7B"`; omitted when undefined. @default undefined */
  sizeLabel?: string;
  /** `general.file_type`, by name (`"Q4_K_M"`) or number. @default "Q4_K_M" (F16 for projectors) */
  fileType?: string | number;
  /** `<arch>.context_length`. @default 4096 */
  contextLength?: number;
  /** `<arch>.block_count`. @default 32 */
  blockCount?: number;
  /** `<arch>.expert_count`; omitted when undefined. @default undefined */
  expertCount?: number;
  /**
   * Split keys for one shard: `no` is 0-based as llama.cpp writes `split.no`.
   * @default undefined (not a shard)
   */
  split?: { no: number; count: number; tensorsCount?: number };
  /** Write a multimodal projector (`general.type = "mmproj"`, arch `clip`). @default false */
  projector?: boolean;
  /** More metadata keys, written after the standard ones. @default {} */
  metadata?: Record<string, GgufValue>;
  /**
   * Total file size in bytes; the file is extended sparsely (holes cost no
   * disk). Ignored when smaller than the header.
   * @default the header plus one small tensor
   */
  size?: number;
  /** Break the file on purpose. @default undefined (a valid file) */
  corrupt?: GgufCorruption;
  /** Modification time to set (seconds since the epoch, or a Date). @default now */
  mtime?: number | Date;
}

/** What {@linkcode writeGguf} wrote. */
export interface WrittenGguf {
  /** The path written. */
  path: string;
  /** The file's size in bytes. */
  size: number;
  /** Bytes before the tensor data (header, metadata, tensor infos, padding). */
  headerSize: number;
}

const ALIGNMENT = 32;
const enc = new TextEncoder();

class ByteWriter {
  #chunks: Uint8Array[] = [];
  #len = 0;
  get length(): number {
    return this.#len;
  }
  bytes(b: Uint8Array): void {
    this.#chunks.push(b);
    this.#len += b.length;
  }
  #scratch = new DataView(new ArrayBuffer(8));
  #num(n: number, set: (v: DataView) => void): void {
    set(this.#scratch);
    this.bytes(new Uint8Array(this.#scratch.buffer.slice(0, n)));
  }
  u8(v: number): void {
    this.#num(1, (d) => d.setUint8(0, v));
  }
  u16(v: number): void {
    this.#num(2, (d) => d.setUint16(0, v, true));
  }
  u32(v: number): void {
    this.#num(4, (d) => d.setUint32(0, v, true));
  }
  i32(v: number): void {
    this.#num(4, (d) => d.setInt32(0, v, true));
  }
  u64(v: number | bigint): void {
    this.#num(8, (d) => d.setBigUint64(0, BigInt(v), true));
  }
  f32(v: number): void {
    this.#num(4, (d) => d.setFloat32(0, v, true));
  }
  f64(v: number): void {
    this.#num(8, (d) => d.setFloat64(0, v, true));
  }
  str(s: string): void {
    const b = enc.encode(s);
    this.u64(b.length);
    this.bytes(b);
  }
  concat(): Uint8Array {
    const out = new Uint8Array(this.#len);
    let o = 0;
    for (const c of this.#chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

function writeValue(w: ByteWriter, v: GgufValue): void {
  if (typeof v === "string") {
    w.u32(T.STRING);
    w.str(v);
  } else if (typeof v === "boolean") {
    w.u32(T.BOOL);
    w.u8(v ? 1 : 0);
  } else if (typeof v === "bigint") {
    w.u32(T.UINT64);
    w.u64(v);
  } else if (typeof v === "number") {
    w.u32(T.UINT32);
    w.u32(v);
  } else if (Array.isArray(v)) {
    w.u32(T.ARRAY);
    w.u32(T.STRING);
    w.u64(v.length);
    for (const s of v) w.str(s);
  } else {
    const n = v.value;
    switch (v.type) {
      case "u8":
        w.u32(T.UINT8);
        w.u8(Number(n));
        break;
      case "u16":
        w.u32(T.UINT16);
        w.u16(Number(n));
        break;
      case "u32":
        w.u32(T.UINT32);
        w.u32(Number(n));
        break;
      case "i32":
        w.u32(T.INT32);
        w.i32(Number(n));
        break;
      case "u64":
        w.u32(T.UINT64);
        w.u64(BigInt(n));
        break;
      case "f32":
        w.u32(T.FLOAT32);
        w.f32(Number(n));
        break;
      case "f64":
        w.u32(T.FLOAT64);
        w.f64(Number(n));
        break;
    }
  }
}

function defaultName(path: string): string {
  const base = path.split("/").pop() ?? path;
  return base.replace(/\.gguf$/i, "").replace(/-\d{5}-of-\d{5}$/, "");
}

function fileTypeNumber(ft: string | number): number {
  if (typeof ft === "number") return ft;
  const n = FILE_TYPES[ft.toUpperCase()];
  if (n === undefined) throw new RangeError(`writeGguf: unknown file type '${ft}'`);
  return n;
}

function buildMetadata(path: string, o: WriteGgufOptions): [string, GgufValue][] {
  const projector = o.projector ?? false;
  const arch = o.architecture ?? (projector ? "clip" : "llama");
  const kv: [string, GgufValue][] = [
    ["general.architecture", arch],
    ["general.type", projector ? "mmproj" : "model"],
    ["general.name", o.name ?? defaultName(path)],
  ];
  if (o.sizeLabel !== undefined) kv.push(["general.size_label", o.sizeLabel]);
  if (o.parameterCount !== undefined) {
    kv.push(["general.parameter_count", BigInt(Math.round(o.parameterCount))]);
  }
  kv.push(["general.file_type", fileTypeNumber(o.fileType ?? (projector ? "F16" : "Q4_K_M"))]);
  kv.push(["general.quantization_version", 2]);
  kv.push(["general.alignment", ALIGNMENT]);
  if (projector) {
    kv.push(["clip.has_vision_encoder", true]);
    kv.push(["clip.projector_type", "mlp"]);
    kv.push([`clip.vision.block_count`, o.blockCount ?? 24]);
  } else {
    kv.push([`${arch}.context_length`, o.contextLength ?? 4096]);
    kv.push([`${arch}.block_count`, o.blockCount ?? 32]);
    kv.push([`${arch}.embedding_length`, 4096]);
    if (o.expertCount !== undefined) kv.push([`${arch}.expert_count`, o.expertCount]);
  }
  if (o.split) {
    kv.push(["split.no", { type: "u16", value: o.split.no }]);
    kv.push(["split.count", { type: "u16", value: o.split.count }]);
    kv.push(["split.tensors.count", { type: "i32", value: o.split.tensorsCount ?? o.split.count }]);
  }
  for (const [k, v] of Object.entries(o.metadata ?? {})) kv.push([k, v]);
  return kv;
}

/**
 * Builds the header (magic … tensor infos, padded) for a file of the given
 * total size: one 8-float F32 tensor at data offset 0 and, when the file is
 * large enough, an F32 tensor whose data ends exactly at `total`.
 */
function buildHeader(
  kv: [string, GgufValue][],
  total: number | undefined,
  version: number,
  bigTensorName: string,
): { header: Uint8Array; dataLength: number } {
  const kvw = new ByteWriter();
  for (const [k, v] of kv) {
    kvw.str(k);
    writeValue(kvw, v);
  }
  const kvBytes = kvw.concat();
  // Two passes: the header length decides how big the last tensor can be.
  const make = (big: { offset: number; elems: number } | undefined) => {
    const w = new ByteWriter();
    w.bytes(enc.encode("GGUF"));
    w.u32(version);
    w.u64(big ? 2 : 1);
    w.u64(kv.length);
    w.bytes(kvBytes);
    w.str("token_embd.weight");
    w.u32(1);
    w.u64(8);
    w.u32(0); // GGML_TYPE_F32
    w.u64(0);
    if (big) {
      w.str(bigTensorName);
      w.u32(2);
      w.u64(1024);
      w.u64(big.elems / 1024);
      w.u32(0);
      w.u64(big.offset);
    }
    const pad = (ALIGNMENT - (w.length % ALIGNMENT)) % ALIGNMENT;
    w.bytes(new Uint8Array(pad));
    return w.concat();
  };
  const smallData = 32; // 8 × f32
  if (total === undefined) return { header: make(undefined), dataLength: smallData };
  const probe = make({ offset: 0, elems: 1024 });
  const bigOffset = ALIGNMENT * Math.ceil(smallData / ALIGNMENT); // 32
  const room = total - probe.length - bigOffset;
  const elems = Math.floor(room / 4 / 1024) * 1024;
  if (elems < 1024) return { header: make(undefined), dataLength: smallData };
  const header = make({ offset: bigOffset, elems });
  return { header, dataLength: bigOffset + elems * 4 };
}

/**
 * Writes a GGUF v3 file (or a deliberately broken one) and extends it sparsely
 * to `options.size`.
 *
 * @param path Where to write; parent directories are created.
 * @param options Metadata, size and corruption; see {@linkcode WriteGgufOptions}.
 * @returns The path, final size and header size.
 * @throws {RangeError} On an unknown file-type name.
 *
 * @example Writing a sparse 40 GiB model
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeGguf } from "./gguf_writer.ts";
 * const dir = await Deno.makeTempDir();
 * try {
 *   const f = await writeGguf(`${dir}/llm/big.gguf`, { size: 40 * 1024 ** 3, parameterCount: 70e9 });
 *   assert(f.size === 40 * 1024 ** 3);
 *   assert((await Deno.stat(f.path)).size === f.size);
 * } finally {
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function writeGguf(
  path: string,
  options: WriteGgufOptions = {},
): Promise<WrittenGguf> {
  await Deno.mkdir(dirname(path), { recursive: true });
  const corrupt = options.corrupt;
  if (corrupt === "empty") {
    await Deno.writeFile(path, new Uint8Array(0));
    return await finish(path, options, 0);
  }
  if (corrupt === "garbage") {
    const text = "this is not a model, just some notes someone saved with the wrong name\n";
    await Deno.writeFile(
      path,
      enc.encode(text.repeat(Math.ceil(4096 / text.length)).slice(0, 4096)),
    );
    return await finish(path, options, 0);
  }
  const kv = buildMetadata(path, options);
  const version = corrupt === "bad-version" ? 99 : 3;
  const { header, dataLength } = buildHeader(
    kv,
    options.size,
    version,
    options.projector ? "mm.0.weight" : "output.weight",
  );
  if (corrupt === "bad-magic") header.set(enc.encode("GGML"), 0);
  let bytes = header;
  let size = Math.max(options.size ?? 0, header.length + dataLength);
  if (corrupt === "truncated-header") {
    bytes = header.slice(0, Math.floor(header.length / 2));
    size = bytes.length;
  } else if (corrupt === "truncated-data") {
    size = header.length + Math.floor(dataLength / 2);
  }
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  try {
    let off = 0;
    while (off < bytes.length) off += await file.write(bytes.subarray(off));
    // A little real tensor data, so the first bytes after the header are not all zero.
    if (size >= header.length + 32 && corrupt !== "truncated-header") {
      const data = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]);
      await file.write(new Uint8Array(data.buffer));
    }
    await file.truncate(size);
  } finally {
    file.close();
  }
  return await finish(path, options, header.length);
}

async function finish(path: string, o: WriteGgufOptions, headerSize: number): Promise<WrittenGguf> {
  if (o.mtime !== undefined) {
    const t = o.mtime instanceof Date ? o.mtime : new Date(o.mtime * 1000);
    await Deno.utime(path, t, t);
  }
  const st = await Deno.stat(path);
  return { path, size: st.size, headerSize };
}

/** One entry of a {@linkcode LibrarySpec}. */
export type LibraryEntry =
  /** A GGUF file (the default kind). */
  | (WriteGgufOptions & { kind?: "gguf" })
  /** A symbolic link; `target` is written as given (relative or absolute). */
  | { kind: "symlink"; target: string }
  /** A plain file with this text. */
  | { kind: "text"; content: string }
  /** A directory; `mode` is applied after everything else is written. */
  | { kind: "dir"; mode?: number };

/**
 * A tree to build: relative path → entry. Paths use `/`; parents are created.
 * A size string such as `"4g"` is not accepted here: pass bytes in `size`.
 */
export type LibrarySpec = Record<string, LibraryEntry>;

/**
 * Builds a tree of models, symlinks, text files and directories under `root`.
 * Directory modes (e.g. `0o000` for an unreadable directory) are applied last.
 *
 * @param root The directory to build in (created if missing).
 * @param spec Relative path → entry.
 * @returns Relative path → absolute path of everything created.
 * @throws {Deno.errors.AlreadyExists} When a symlink path exists already.
 *
 * @example A small HDD tree with a shard set and a projector
 * ```ts
 * import assert from "node:assert/strict";
 * import { makeLibrary, shardEntries } from "./gguf_writer.ts";
 * const root = await Deno.makeTempDir();
 * try {
 *   const paths = await makeLibrary(root, {
 *     "llm/Gemma2-9B-Q5_K.gguf": { size: 6 * 1024 ** 3, parameterCount: 9.2e9, fileType: "Q5_K_M" },
 *     "llm/mmproj-gemma2.gguf": { projector: true },
 *     ...shardEntries("big/Qwen-72B-Q4_K_M", 3, { size: 45 * 1024 ** 3 }),
 *     "notes.txt": { kind: "text", content: "hi" },
 *   });
 *   assert(paths["big/Qwen-72B-Q4_K_M-00002-of-00003.gguf"] !== undefined);
 * } finally {
 *   await Deno.remove(root, { recursive: true });
 * }
 * ```
 */
export async function makeLibrary(
  root: string,
  spec: LibrarySpec,
): Promise<Record<string, string>> {
  await Deno.mkdir(root, { recursive: true });
  const out: Record<string, string> = {};
  const modes: [string, number][] = [];
  for (const [rel, entry] of Object.entries(spec)) {
    const abs = join(root, rel);
    out[rel] = abs;
    if (entry.kind === "symlink") {
      await Deno.mkdir(dirname(abs), { recursive: true });
      await Deno.symlink(entry.target, abs);
    } else if (entry.kind === "text") {
      await Deno.mkdir(dirname(abs), { recursive: true });
      await Deno.writeTextFile(abs, entry.content);
    } else if (entry.kind === "dir") {
      await Deno.mkdir(abs, { recursive: true });
      if (entry.mode !== undefined) modes.push([abs, entry.mode]);
    } else {
      await writeGguf(abs, entry);
    }
  }
  for (const [abs, mode] of modes) await Deno.chmod(abs, mode);
  return out;
}

/**
 * Makes the spec entries of a split model: `<base>-0000i-of-0000n.gguf`, each
 * with `split.*` keys, the total size shared between the shards.
 *
 * @param base Relative path without the shard suffix and `.gguf`.
 * @param count Number of shards.
 * @param options Options of every shard; `size` is the total of all shards.
 * @returns Spec entries, first shard first.
 *
 * @example Three shards of 30 GiB in all
 * ```ts
 * import assert from "node:assert/strict";
 * import { shardEntries } from "./gguf_writer.ts";
 * const spec = shardEntries("llm/Big", 3, { size: 30 * 1024 ** 3 });
 * assert(Object.keys(spec)[0] === "llm/Big-00001-of-00003.gguf");
 * ```
 */
export function shardEntries(
  base: string,
  count: number,
  options: WriteGgufOptions = {},
): LibrarySpec {
  const spec: LibrarySpec = {};
  const pad = (n: number) => String(n).padStart(5, "0");
  for (let i = 0; i < count; i++) {
    const shard: WriteGgufOptions = {
      ...options,
      name: options.name ?? defaultName(base),
      split: { no: i, count, tensorsCount: count * 2 },
    };
    if (options.size !== undefined) shard.size = Math.floor(options.size / count);
    spec[`${base}-${pad(i + 1)}-of-${pad(count)}.gguf`] = shard;
  }
  return spec;
}

/** Options of {@linkcode hfEntries}. */
export interface HfEntriesOptions {
  /** The snapshot revision directory name. @default "0123456789abcdef0123456789abcdef01234567" */
  revision?: string;
}

/**
 * Makes the spec entries of one repository in the Hugging Face hub cache:
 * the real files in `models--org--name/blobs/<hash>` and relative symlinks
 * `models--org--name/snapshots/<rev>/<file>` → `../../blobs/<hash>`.
 *
 * @param repo `org/name`.
 * @param files File name (may contain `/`) → GGUF options.
 * @param options The revision.
 * @returns Spec entries (blobs first, then the snapshot symlinks).
 *
 * @example A hub cache repository with one model
 * ```ts
 * import assert from "node:assert/strict";
 * import { hfEntries } from "./gguf_writer.ts";
 * const spec = hfEntries("bartowski/Llama-3-8B-GGUF", { "Llama-3-8B-Q4_K_M.gguf": {} });
 * assert(Object.keys(spec).some((k) => k.includes("/snapshots/")));
 * ```
 */
export function hfEntries(
  repo: string,
  files: Record<string, WriteGgufOptions>,
  options: HfEntriesOptions = {},
): LibrarySpec {
  const rev = options.revision ?? "0123456789abcdef0123456789abcdef01234567";
  const dir = `models--${repo.replace("/", "--")}`;
  const spec: LibrarySpec = {};
  let i = 0;
  for (const [file, o] of Object.entries(files)) {
    const blob = `${(++i).toString(16).padStart(4, "0")}${rev.slice(0, 8)}`.padEnd(64, "e");
    spec[`${dir}/blobs/${blob}`] = { ...o, name: o.name ?? defaultName(file) };
    const depth = file.split("/").length - 1;
    const up = "../".repeat(2 + depth);
    spec[`${dir}/snapshots/${rev}/${file}`] = { kind: "symlink", target: `${up}blobs/${blob}` };
  }
  spec[`${dir}/refs/main`] = { kind: "text", content: rev };
  return spec;
}

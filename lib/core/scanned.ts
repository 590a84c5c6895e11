/**
 * What a scan of the model directories hands the pure core: each GGUF file
 * found, on which tier, with its header metadata. Types only — the scanner
 * (`lib/scan/`) fills them in, `library.ts` groups them into models.
 *
 * @module
 */

import type { StoreKind } from "./stores.ts";

/** A storage tier. */
export type Tier = "ssd" | "hdd";

/** The metadata llama-pack keeps for one GGUF file; unknown values are `null`. */
export interface GgufInfo {
  /** `general.architecture`, e.g. `"llama"`, `"qwen3moe"`, `"clip"`. */
  architecture: string | null;
  /** `general.name`. */
  name: string | null;
  /** Parameters: `general.parameter_count`, else from the size label, else summed tensor shapes. */
  parameterCount: number | null;
  /** `general.size_label`, e.g. `"8B"`, `"8x7B"`. */
  sizeLabel: string | null;
  /** Quantization named from `general.file_type` (e.g. `"Q4_K_M"`), else from the file name. */
  quant: string | null;
  /** `<arch>.context_length`: the trained context. */
  contextLength: number | null;
  /** `<arch>.block_count`: transformer layers. */
  layerCount: number | null;
  /** `<arch>.expert_count` for mixture-of-experts models. */
  expertCount: number | null;
  /** `split.no`: 0-based shard number of a split model. */
  splitNo: number | null;
  /** `split.count`: number of shards of a split model. */
  splitCount: number | null;
  /** True for a multimodal projector (`general.type = "mmproj"` or arch `clip`). */
  isProjector: boolean;
}

/** One GGUF file found by a scan (`scanTiers` in `lib/scan/scan.ts`). */
export interface ScannedFile {
  /** The tier of the root it was found under. */
  tier: Tier;
  /** That root, as configured. */
  root: string;
  /** Path relative to the root, `/`-separated, as found (through links). */
  relPath: string;
  /** Absolute path as found: `root/relPath`. */
  path: string;
  /** The real path (links resolved). */
  realPath: string;
  /** True when reached through a symlink. */
  viaSymlink: boolean;
  /** Size in bytes. */
  size: number;
  /** Modification time, milliseconds since the epoch. */
  mtimeMs: number;
  /** Header metadata. */
  info: GgufInfo;
  /** Header fingerprint (see `fingerprintFile` in `lib/scan/gguf.ts`). */
  fingerprint: string;
  /**
   * The store of another tool it was found in (`lib/stores/`); absent for
   * the configured tiers. A store file is a permanent, read-only copy (tier
   * `hdd`), and its `relPath` is where its SSD copy goes.
   */
  store?: StoreKind;
  /** For a store file: the id of the model whose first file it is (`org/repo/x.gguf`, `llama3.2:3b`). */
  modelId?: string;
  /** For a store file: other names of the same model (Ollama tags sharing its blobs). */
  aliases?: string[];
}

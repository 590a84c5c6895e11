/**
 * The model index as `--serve` sees it: read from the state store at most
 * once every few seconds, with request names resolved once per read, so the
 * proxy's hot path costs a map lookup rather than a database read.
 *
 * @module
 */

import type { IndexedModel } from "../core/model_index.ts";
import { type ResolvedName, resolveModelName } from "../core/serve_names.ts";

/** Options of {@linkcode IndexCache}. */
export interface IndexCacheOptions {
  /** Reads the index. */
  load: () => IndexedModel[];
  /** The config's `aliases`. */
  aliases: Readonly<Record<string, string>>;
  /** The clock, unix seconds. */
  now: () => number;
  /** How long one read stays fresh, seconds. @default 2 */
  maxAgeSeconds?: number;
}

/**
 * A short-lived cache of the index and of name resolutions.
 *
 * @example Resolving through the cache
 * ```ts
 * import assert from "node:assert/strict";
 * import { IndexCache } from "./index_cache.ts";
 * let reads = 0;
 * const m = { id: "g.gguf", name: "g.gguf", gone: false, hdd: {}, uses: [] } as never;
 * const cache = new IndexCache({ load: () => (reads++, [m]), aliases: {}, now: () => 0 });
 * assert(cache.resolve("g").ok && cache.resolve("g").ok && reads === 1);
 * ```
 */
export class IndexCache {
  readonly #options: IndexCacheOptions;
  #index: IndexedModel[] | undefined;
  #readAt = -Infinity;
  #names = new Map<string, ResolvedName>();

  /**
   * Creates the cache.
   *
   * @param options How to read the index, the aliases and the clock.
   */
  constructor(options: IndexCacheOptions) {
    this.#options = options;
  }

  /**
   * The index, read again when older than the maximum age.
   *
   * @returns The models.
   */
  index(): IndexedModel[] {
    const now = this.#options.now();
    if (this.#index === undefined || now - this.#readAt > (this.#options.maxAgeSeconds ?? 2)) {
      this.#index = this.#options.load();
      this.#readAt = now;
      this.#names.clear();
    }
    return this.#index;
  }

  /** Forgets the cached index (after a scan, a copy, a load). */
  invalidate(): void {
    this.#index = undefined;
  }

  /**
   * Resolves a request's model name (remembered until the next read).
   *
   * @param name The request's `model`.
   * @returns The model, or why not.
   */
  resolve(name: string): ResolvedName {
    const index = this.index();
    let r = this.#names.get(name);
    if (r === undefined) {
      r = resolveModelName(index, name, {
        aliases: this.#options.aliases,
        now: this.#options.now(),
      });
      this.#names.set(name, r);
    }
    return r;
  }
}

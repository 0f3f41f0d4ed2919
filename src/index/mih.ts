import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { HASH_TYPES, type HashType } from '../hash/types.js';
import { checkId, checkRadius, FlatStore, queryWords } from './flat.js';
import { chooseLayout, FAST_LAYOUT_COST } from './layout.js';
import { bytesToWords } from './linear.js';
import type { MihBase } from './mih-base.js';
import { buildBase, buildSteps, sortById } from './mih-build.js';
import type { SearchPool } from './search-pool.js';
import { alloc32 } from './shared.js';
import type { HashIndex, IndexMatch, IndexMode, IndexOptions } from './types.js';

/**
 * Defaults. The delta is scanned linearly on every search, so it stays a small fraction of the base's
 * probe work (8192 early-exit checks against ~10k candidates verified in the base at 10M PDQ); a slice
 * of 64k entries keeps each step of a background compaction to a few milliseconds.
 */
export const MIH_DEFAULTS = Object.freeze({ deltaLimit: 8192, sliceSize: 65_536, fastMaxEntries: 4_000_000 });

/**
 * Exact multi-index hashing. A bulk-built MihBase answers most of the list; additions land in a small
 * delta scanned linearly; removals are tombstones. Once the delta passes `deltaLimit` (or an eighth of
 * the base is tombstones) a compaction rebuilds the base in slices between event-loop turns and swaps
 * it in in one synchronous step, so searches never see a half-built base and never wait for one.
 */
export class MihIndex implements HashIndex {
  readonly type: HashType;
  readonly #bits: number;
  readonly #threshold: number;
  readonly #bytes: number;
  readonly #deltaLimit: number;
  readonly #sliceSize: number;
  /** 0: chosen from the entry count at each build. */
  readonly #substrings: number;
  readonly #mode: IndexMode;
  readonly #fastMaxEntries: number;
  readonly #shared: boolean;
  #base: MihBase | null = null;
  #delta: FlatStore;
  #compacting: Promise<void> | null = null;
  /** While compacting: delta slots below this are in the snapshot being rebuilt. */
  #cut = 0;
  /** While compacting: ids removed from the snapshot, to tombstone in the new base at the swap. */
  #pending: number[] = [];
  #closed = false;
  /** The last background compaction's failure, if any (the index keeps working from its delta). */
  lastCompactionError: unknown = null;

  constructor(type: HashType, options: IndexOptions = {}) {
    const info = HASH_TYPES[type];
    if (info.kind !== 'hamming') throw new RangeError(`${type} is not a Hamming hash type`);
    this.type = type;
    this.#bits = info.bits;
    this.#threshold = info.defaultThreshold;
    this.#bytes = info.bytes;
    this.#deltaLimit = options.deltaLimit ?? MIH_DEFAULTS.deltaLimit;
    this.#sliceSize = options.sliceSize ?? MIH_DEFAULTS.sliceSize;
    this.#substrings = options.substrings ?? 0;
    this.#mode = options.mode ?? 'auto';
    this.#fastMaxEntries = options.fastMaxEntries ?? MIH_DEFAULTS.fastMaxEntries;
    this.#shared = options.shared ?? true;
    this.#delta = new FlatStore(this.#bytes >>> 2);
  }

  /**
   * Bulk build from `hashes` (n·bytes, flat) and `ids` (n, distinct uint32) with radix sorts: the fast
   * path for loading a list. Ids in increasing order (rowid order) skip a reordering pass.
   * Throws RangeError on a repeated id or a length mismatch.
   */
  static build(type: HashType, hashes: Uint8Array, ids: Uint32Array, options: IndexOptions = {}): MihIndex {
    const index = new MihIndex(type, options);
    if (hashes.length !== ids.length * index.#bytes) {
      throw new RangeError(`expected ${ids.length * index.#bytes} hash bytes for ${ids.length} ids`);
    }
    if (ids.length > 0) {
      // The store hands rows over in rowid order, which is the storage order: then this is free.
      const own = alloc32(ids.length, index.#shared);
      own.set(ids);
      const input = sortById(bytesToWords(hashes, index.#shared), own, index.#bytes >>> 2);
      index.#base = buildBase(
        index.#layoutFor(ids.length, index.#fastFor(ids.length)),
        input.words,
        input.ids,
        index.#fastFor(ids.length),
        index.#shared,
      );
    }
    return index;
  }

  /** Whether the current bulk part has prefiltered (`fast`) tables (false before the first build). */
  get fast(): boolean {
    return this.#base?.wide != null;
  }

  /** The substring layout of the current bulk part (null before the first build). */
  get layout(): MihBase['layout'] | null {
    return this.#base?.layout ?? null;
  }

  get size(): number {
    return (this.#base?.liveCount ?? 0) + this.#delta.liveCount;
  }

  /** Entries waiting in the linear delta. */
  get deltaSize(): number {
    return this.#delta.liveCount;
  }

  add(id: number, hash: Uint8Array): void {
    checkId(id);
    const q = queryWords(hash, this.#bytes);
    this.remove(id);
    this.#delta.push(id, q);
    if (this.#delta.length >= this.#deltaLimit) this.#schedule();
  }

  remove(id: number): boolean {
    const slot = this.#delta.find(id);
    if (slot >= 0) {
      this.#delta.kill(slot);
      if (this.#compacting !== null && slot < this.#cut) this.#pending.push(id);
      return true;
    }
    const base = this.#base;
    const p = base === null ? -1 : base.find(id);
    if (base === null || p < 0) return false;
    base.kill(p);
    if (this.#compacting !== null) this.#pending.push(id);
    if (base.n - base.liveCount > base.n / 8) this.#schedule();
    return true;
  }

  search(hash: Uint8Array, radius: number): IndexMatch[] {
    checkRadius(radius);
    const q = queryWords(hash, this.#bytes);
    const out: IndexMatch[] = [];
    this.#base?.search(q, radius, out);
    this.#delta.scan(q, radius, out);
    return out;
  }

  /**
   * `search` for many hashes at once. With a SearchPool and a batch of at least `pool.minBatch`, the
   * bulk part is searched on the pool's threads (the base must be shared: IndexOptions.shared); the
   * delta is scanned here first, in the same synchronous step that picks the base, so a compaction
   * swapping in a new base while the threads work cannot hide an entry from both. Any pool failure
   * falls back to searching here. Same answers as `search`, per hash in order.
   */
  async searchMany(
    hashes: readonly Uint8Array[],
    radius: number,
    pool?: SearchPool | null,
  ): Promise<IndexMatch[][]> {
    checkRadius(radius);
    const queries = hashes.map((h) => queryWords(h, this.#bytes));
    const out = queries.map((q) => {
      const hits: IndexMatch[] = [];
      this.#delta.scan(q, radius, hits);
      return hits;
    });
    const base = this.#base;
    if (base === null) return out;
    let fromBase: IndexMatch[][] | null = null;
    if (pool != null && !pool.closed && queries.length >= pool.minBatch && base.descriptor() !== null) {
      try {
        fromBase = await pool.search(base, queries, radius);
      } catch {
        fromBase = null;
      }
    }
    queries.forEach((q, i) => {
      if (fromBase === null) base.search(q, radius, out[i]!);
      else for (const hit of fromBase[i]!) out[i]!.push(hit);
    });
    return out;
  }

  memoryBytes(): number {
    return (this.#base?.memoryBytes() ?? 0) + this.#delta.memoryBytes();
  }

  compact(): Promise<void> {
    if (this.#compacting !== null) return this.#compacting;
    const base = this.#base;
    if (this.#closed || (this.#delta.length === 0 && (base === null || base.liveCount === base.n))) {
      return Promise.resolve();
    }
    const run = this.#rebuild().finally(() => {
      this.#compacting = null;
      this.#pending = [];
      this.#cut = 0;
    });
    this.#compacting = run;
    return run;
  }

  close(): void {
    this.#closed = true;
  }

  #schedule(): void {
    if (this.#compacting !== null || this.#closed) return;
    this.compact().catch((err: unknown) => {
      this.lastCompactionError = err;
    });
  }

  #fastFor(n: number): boolean {
    return this.#mode === 'fast' || (this.#mode === 'auto' && n <= this.#fastMaxEntries);
  }

  #layoutFor(n: number, fast: boolean) {
    return chooseLayout(
      this.#bits,
      n,
      this.#threshold,
      this.#substrings || undefined,
      fast ? FAST_LAYOUT_COST : {},
    );
  }

  async #rebuild(): Promise<void> {
    const slice = this.#sliceSize;
    const base = this.#base;
    const delta = this.#delta;
    const cut = delta.length;
    this.#cut = cut;
    const W = this.#bytes >>> 2;
    // Gather the snapshot's live entries. Removals during the gather are in #pending, so an entry
    // copied just before its removal is still tombstoned at the swap.
    const cap = (base?.liveCount ?? 0) + delta.liveCount;
    // Gathered straight into shared memory when the base is to be shared (no copy at the end).
    const words = alloc32(cap * W, this.#shared);
    const ids = alloc32(cap, this.#shared);
    let n = 0;
    const take = (src: Uint32Array, o: number, id: number) => {
      if (n === cap) return;
      for (let k = 0; k < W; k++) words[n * W + k] = src[o + k]!;
      ids[n++] = id;
    };
    // Merge the base (already in id order) with the delta's snapshot sorted by id.
    const fresh: number[] = [];
    for (let s = 0; s < cut; s++) if (delta.live[s] === 1) fresh.push(s);
    fresh.sort((a, b) => delta.ids[a]! - delta.ids[b]!);
    let f = 0;
    const takeFreshBelow = (id: number) => {
      while (f < fresh.length && delta.ids[fresh[f]!]! < id) {
        const s = fresh[f++]!;
        if (delta.live[s] === 1) take(delta.words, s * W, delta.ids[s]!);
      }
    };
    if (base !== null) {
      for (let p = 0; p < base.n; p++) {
        if (base.isLive(p)) {
          takeFreshBelow(base.ids[p]!);
          take(base.words, p * W, base.ids[p]!);
        }
        if (p % slice === slice - 1) await yieldToLoop();
      }
    }
    takeFreshBelow(Number.POSITIVE_INFINITY);
    if (this.#closed) return;

    // Removals during the gather leave slack; trim it so memoryBytes stays honest.
    const exact = n === cap ? { words, ids } : { words: words.slice(0, n * W), ids: ids.slice(0, n) };
    const steps = buildSteps(
      this.#layoutFor(n, this.#fastFor(n)),
      exact.words,
      exact.ids,
      slice,
      this.#fastFor(n),
      this.#shared,
    );
    let step = steps.next();
    while (step.done !== true) {
      await yieldToLoop();
      if (this.#closed) return;
      step = steps.next();
    }
    const next = step.value;

    // The swap: one synchronous step, so no search sees a mix of old and new.
    for (const id of this.#pending) {
      const p = next.find(id);
      if (p >= 0) next.kill(p);
    }
    const rest = new FlatStore(W);
    for (let s = cut; s < delta.length; s++) {
      if (delta.live[s] === 1) rest.push(delta.ids[s]!, delta.words.subarray(s * W, s * W + W));
    }
    this.#base = next;
    this.#delta = rest;
  }
}

import { HashwardenError } from '../errors.js';
import { popcount32 } from '../hash/distance.js';
import type { IndexMatch } from './types.js';

/** Throws HW_ERR_BAD_HASH unless `hash` is `bytes` long. */
export function checkHash(hash: Uint8Array, bytes: number): void {
  if (hash.length !== bytes) {
    throw new HashwardenError('HW_ERR_BAD_HASH', `expected a ${bytes}-byte hash, got ${hash.length} bytes`);
  }
}

/** Throws HW_ERR_BAD_HASH unless `hash` is `bytes` long, and returns its big-endian words. */
export function queryWords(hash: Uint8Array, bytes: number): Uint32Array {
  checkHash(hash, bytes);
  const out = new Uint32Array(bytes >>> 2);
  for (let w = 0; w < out.length; w++) {
    const i = 4 * w;
    out[w] = ((hash[i]! << 24) | (hash[i + 1]! << 16) | (hash[i + 2]! << 8) | hash[i + 3]!) >>> 0;
  }
  return out;
}

/** Throws HW_ERR_BAD_OPTION unless `radius` is a non-negative integer. */
export function checkRadius(radius: number): void {
  if (!Number.isInteger(radius) || radius < 0) {
    throw new HashwardenError('HW_ERR_BAD_OPTION', `radius must be a non-negative integer, got ${radius}`);
  }
}

/** Throws HW_ERR_BAD_OPTION unless `id` fits a uint32 (the store's rowids do). */
export function checkId(id: number): void {
  if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) {
    throw new HashwardenError('HW_ERR_BAD_OPTION', `an index id is a uint32, got ${id}`);
  }
}

/**
 * Hamming distance between the query `q` (W words) and the hash at `words[o…]`, stopping as soon as it
 * passes `r`: a random 256-bit candidate is ~128 bits away, so most are rejected after two or three words.
 * Returns a value > r when the candidate is out of range.
 */
export function boundedDistance(words: Uint32Array, o: number, q: Uint32Array, W: number, r: number): number {
  let d = 0;
  for (let k = 0; k < W; k++) {
    d += popcount32(words[o + k]! ^ q[k]!);
    if (d > r) return d;
  }
  return d;
}

/**
 * A growable flat store of hashes with ids and live flags, scanned linearly: the brute-force index's
 * storage and MIH's delta of recent additions. Slots are never reused, so a slot number is stable.
 */
export class FlatStore {
  readonly W: number;
  words: Uint32Array;
  ids: Uint32Array;
  live: Uint8Array;
  length = 0;
  liveCount = 0;
  // Built on first use: a bulk-built brute-force index that is only searched never pays for it.
  #slotById: Map<number, number> | null = null;

  constructor(W: number, capacity = 1024) {
    this.W = W;
    this.words = new Uint32Array(Math.max(1, capacity) * W);
    this.ids = new Uint32Array(Math.max(1, capacity));
    this.live = new Uint8Array(Math.max(1, capacity));
  }

  /** Takes ownership of flat `words` (n·W) and `ids` (n), all live; ids must be distinct. */
  static from(W: number, words: Uint32Array, ids: Uint32Array): FlatStore {
    const s = new FlatStore(W, 1);
    s.words = words;
    s.ids = ids;
    s.live = new Uint8Array(ids.length).fill(1);
    s.length = ids.length;
    s.liveCount = ids.length;
    return s;
  }

  #map(): Map<number, number> {
    if (this.#slotById === null) {
      const m = new Map<number, number>();
      for (let i = 0; i < this.length; i++) if (this.live[i] === 1) m.set(this.ids[i]!, i);
      this.#slotById = m;
    }
    return this.#slotById;
  }

  /** Slot of the live entry with `id`, or −1. */
  find(id: number): number {
    return this.#map().get(id) ?? -1;
  }

  /** Appends a live entry; the caller has made sure `id` is not live here. Returns its slot. */
  push(id: number, q: Uint32Array): number {
    if (this.length === this.ids.length) this.#grow();
    const slot = this.length++;
    this.words.set(q, slot * this.W);
    this.ids[slot] = id;
    this.live[slot] = 1;
    this.liveCount++;
    this.#map().set(id, slot);
    return slot;
  }

  /** Marks `slot` dead (a tombstone). */
  kill(slot: number): void {
    if (this.live[slot] !== 1) return;
    this.live[slot] = 0;
    this.liveCount--;
    this.#map().delete(this.ids[slot]!);
  }

  #grow(): void {
    const cap = Math.max(16, this.ids.length * 2);
    const words = new Uint32Array(cap * this.W);
    words.set(this.words);
    const ids = new Uint32Array(cap);
    ids.set(this.ids);
    const live = new Uint8Array(cap);
    live.set(this.live);
    this.words = words;
    this.ids = ids;
    this.live = live;
  }

  /** Appends every live slot in `[from, to)` within `r` of `q` to `out`. */
  scan(q: Uint32Array, r: number, out: IndexMatch[], from = 0, to = this.length): void {
    const { W, words, ids, live } = this;
    for (let i = from, o = from * W; i < to; i++, o += W) {
      const d = boundedDistance(words, o, q, W, r);
      if (d <= r && live[i] === 1) out.push({ id: ids[i]!, distance: d });
    }
  }

  /** Bytes held by the arrays (capacity, not just length). */
  memoryBytes(): number {
    return this.words.byteLength + this.ids.byteLength + this.live.byteLength;
  }
}

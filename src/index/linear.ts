import { HASH_TYPES, type HashType } from '../hash/types.js';
import { checkId, checkRadius, FlatStore, queryWords } from './flat.js';
import { alloc32 } from './shared.js';
import type { HashIndex, IndexMatch } from './types.js';

/**
 * Brute force over one flat array: every search verifies every entry (with early exit). It is the
 * oracle of the contract tests and the baseline of the benchmark, and good enough for small lists.
 */
export class LinearIndex implements HashIndex {
  readonly type: HashType;
  readonly #bytes: number;
  readonly #store: FlatStore;

  constructor(type: HashType, store?: FlatStore) {
    this.type = type;
    this.#bytes = HASH_TYPES[type].bytes;
    this.#store = store ?? new FlatStore(this.#bytes >>> 2);
  }

  /** Bulk build from `hashes` (n·bytes, flat) and `ids` (n, distinct). The arrays are copied. */
  static build(type: HashType, hashes: Uint8Array, ids: Uint32Array): LinearIndex {
    const bytes = HASH_TYPES[type].bytes;
    if (hashes.length !== ids.length * bytes) {
      throw new RangeError(`expected ${ids.length * bytes} hash bytes for ${ids.length} ids`);
    }
    return new LinearIndex(type, FlatStore.from(bytes >>> 2, bytesToWords(hashes), ids.slice()));
  }

  get size(): number {
    return this.#store.liveCount;
  }

  add(id: number, hash: Uint8Array): void {
    checkId(id);
    const q = queryWords(hash, this.#bytes);
    const old = this.#store.find(id);
    if (old >= 0) this.#store.kill(old);
    this.#store.push(id, q);
  }

  remove(id: number): boolean {
    const slot = this.#store.find(id);
    if (slot < 0) return false;
    this.#store.kill(slot);
    return true;
  }

  search(hash: Uint8Array, radius: number): IndexMatch[] {
    checkRadius(radius);
    const out: IndexMatch[] = [];
    this.#store.scan(queryWords(hash, this.#bytes), radius, out);
    return out;
  }

  memoryBytes(): number {
    return this.#store.memoryBytes();
  }

  compact(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {}
}

/** Whether this platform stores a Uint32Array little-endian (x64 and arm64 do). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Packs n flat hashes (bytes a multiple of 4) into big-endian words: one copy, then a byte swap a word,
 * where assembling each word from four byte loads measured ~1.7× slower at 10M PDQ hashes. On a
 * SharedArrayBuffer when `shared` (see shared.ts).
 */
export function bytesToWords(hashes: Uint8Array, shared = false): Uint32Array {
  const out = alloc32(hashes.length >>> 2, shared);
  if (!LITTLE_ENDIAN) {
    for (let w = 0, i = 0; w < out.length; w++, i += 4) {
      out[w] = ((hashes[i]! << 24) | (hashes[i + 1]! << 16) | (hashes[i + 2]! << 8) | hashes[i + 3]!) >>> 0;
    }
    return out;
  }
  new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(hashes.subarray(0, out.length << 2));
  for (let w = 0; w < out.length; w++) {
    const x = out[w]!;
    out[w] = ((x << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
  }
  return out;
}

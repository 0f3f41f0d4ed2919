import { HASH_TYPES, type HashType } from '../hash/types.js';
import { checkHash, checkId, checkRadius } from './flat.js';
import type { HashIndex, IndexMatch } from './types.js';

/** A hash's bytes as a Latin-1 string: a compact, exact Map key (one UTF-16 unit a byte). */
function keyOf(hash: Uint8Array): string {
  return String.fromCharCode.apply(null, hash as unknown as number[]);
}

/**
 * Exact-value index for the cryptographic types (md5, sha1, sha256): a Map from value to the ids that
 * hold it. Any radius means equality here (their maxThreshold is 0); matches have distance 0.
 */
export class ExactIndex implements HashIndex {
  readonly type: HashType;
  readonly #bytes: number;
  /** value → id, or the ids when several entries (lists) hold the same value. */
  readonly #byValue = new Map<string, number | number[]>();
  readonly #byId = new Map<number, string>();

  constructor(type: HashType) {
    this.type = type;
    this.#bytes = HASH_TYPES[type].bytes;
  }

  /** Bulk build from `hashes` (n·bytes, flat) and `ids` (n, distinct). */
  static build(type: HashType, hashes: Uint8Array, ids: Uint32Array): ExactIndex {
    const index = new ExactIndex(type);
    const b = index.#bytes;
    if (hashes.length !== ids.length * b) {
      throw new RangeError(`expected ${ids.length * b} hash bytes for ${ids.length} ids`);
    }
    for (let i = 0; i < ids.length; i++) index.add(ids[i]!, hashes.subarray(i * b, i * b + b));
    return index;
  }

  get size(): number {
    return this.#byId.size;
  }

  add(id: number, hash: Uint8Array): void {
    checkId(id);
    const key = this.#key(hash);
    this.remove(id);
    const held = this.#byValue.get(key);
    if (held === undefined) this.#byValue.set(key, id);
    else if (typeof held === 'number') this.#byValue.set(key, [held, id]);
    else held.push(id);
    this.#byId.set(id, key);
  }

  remove(id: number): boolean {
    const key = this.#byId.get(id);
    if (key === undefined) return false;
    this.#byId.delete(id);
    const held = this.#byValue.get(key);
    if (typeof held === 'number' || held === undefined) {
      this.#byValue.delete(key);
    } else {
      held.splice(held.indexOf(id), 1);
      if (held.length === 1) this.#byValue.set(key, held[0]!);
    }
    return true;
  }

  search(hash: Uint8Array, radius: number): IndexMatch[] {
    checkRadius(radius);
    const held = this.#byValue.get(this.#key(hash));
    if (held === undefined) return [];
    if (typeof held === 'number') return [{ id: held, distance: 0 }];
    return held.map((id) => ({ id, distance: 0 }));
  }

  /** An estimate: the key strings and ids; Map overhead is the engine's and is not counted. */
  memoryBytes(): number {
    return this.#byId.size * (2 * this.#bytes + 8);
  }

  compact(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {}

  #key(hash: Uint8Array): string {
    checkHash(hash, this.#bytes);
    return keyOf(hash);
  }
}

/**
 * The in-memory indexes, one per hash type, behind one interface (`HashIndex`): MIH for the Hamming
 * types, a value map for the exact ones. `createIndex`/`buildIndex` choose per type; the classes are
 * exported for tests and benchmarks.
 */
import { HASH_TYPES, type HashType } from '../hash/types.js';
import { ExactIndex } from './exact.js';
import { MihIndex } from './mih.js';
import type { HashIndex, IndexOptions } from './types.js';

export { ExactIndex } from './exact.js';
export { LinearIndex } from './linear.js';
export { MIH_DEFAULTS, MihIndex } from './mih.js';
export type { HashIndex, IndexMatch, IndexMode, IndexOptions } from './types.js';
export { INDEX_MODES } from './types.js';

/** An empty index for `type`: MIH for Hamming types (PDQ, pHash), a value map for exact ones. */
export function createIndex(type: HashType, options: IndexOptions = {}): HashIndex {
  return HASH_TYPES[type].kind === 'exact' ? new ExactIndex(type) : new MihIndex(type, options);
}

/** Bulk-builds the index for `type` from `hashes` (n·bytes, flat) and `ids` (n distinct uint32). */
export function buildIndex(
  type: HashType,
  hashes: Uint8Array,
  ids: Uint32Array,
  options: IndexOptions = {},
): HashIndex {
  return HASH_TYPES[type].kind === 'exact'
    ? ExactIndex.build(type, hashes, ids)
    : MihIndex.build(type, hashes, ids, options);
}

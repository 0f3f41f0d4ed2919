import type { HashType } from '../hash/types.js';

/** One hit of a search: the caller's entry id and its Hamming distance to the query (0 for exact types). */
export interface IndexMatch {
  readonly id: number;
  readonly distance: number;
}

/**
 * An in-memory index of one hash type. Ids are the caller's uint32 entry ids (the store's rowids): an id
 * is live at most once, may be removed and added again, and the same hash value may sit under many ids.
 * Everything is synchronous and pure except `compact()`, which yields to the event loop between slices.
 */
export interface HashIndex {
  readonly type: HashType;
  /** Number of live entries. */
  readonly size: number;
  /** Adds `hash` under `id`; an id that is already live is replaced (so a change log can be replayed). */
  add(id: number, hash: Uint8Array): void;
  /** Removes the entry with `id`; returns false when no live entry has it. */
  remove(id: number): boolean;
  /** Every live entry with `distance <= radius` (inclusive), in no particular order. */
  search(hash: Uint8Array, radius: number): IndexMatch[];
  /** Bytes held by the index's arrays (hash words, ids and tables), not counting the JS engine's overhead. */
  memoryBytes(): number;
  /** Folds pending additions and removals into the bulk structure off the request path; idempotent. */
  compact(): Promise<void>;
  /** Stops background work; idempotent. The index stays searchable. */
  close(): void;
}

/** Options shared by the index constructors; every field has a default chosen by measurement. */
export interface IndexOptions {
  /** Pending additions scanned linearly before a background compaction starts (MIH only). */
  readonly deltaLimit?: number;
  /** Number of MIH substrings (tables); default from the layout rule in `layout.ts`. */
  readonly substrings?: number;
  /** Entries handled per slice of a background compaction, between yields to the event loop. */
  readonly sliceSize?: number;
  /**
   * MIH tables: `compact` (positions only, ~100 bytes an entry for PDQ at 10M), `fast` (each entry also
   * carries 96 bits of its hash, so almost no candidate costs a read of the stored hash: ~2× the search
   * speed for ~290 bytes an entry), or `auto` (default): `fast` up to `fastMaxEntries` entries.
   */
  readonly mode?: IndexMode;
  /** Largest entry count `auto` builds in `fast` mode (default 4,000,000: ~1.2 GB of PDQ index). */
  readonly fastMaxEntries?: number;
  /**
   * Build the MIH tables on SharedArrayBuffer (default true), so a SearchPool can search them from
   * worker threads and a large build can have another thread fault their pages in (prefault.ts).
   */
  readonly shared?: boolean;
}

export type IndexMode = 'auto' | 'compact' | 'fast';
export const INDEX_MODES: readonly IndexMode[] = ['auto', 'compact', 'fast'];

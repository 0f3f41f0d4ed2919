import type { HashType, PdqVariant } from '../hash/types.js';

/** `blocklist`: matches are reported as hits; `safelist`: matches vouch that an image is known-good. */
export type ListKind = 'blocklist' | 'safelist';
export const LIST_KINDS: readonly ListKind[] = Object.freeze(['blocklist', 'safelist']);

/** Per-type match radius a list allows (never looser than the registry's maxThreshold). */
export type Thresholds = Partial<Record<HashType, number>>;

/** Free labels carried by an entry, e.g. `{ "category": "A1" }`. */
export type Labels = Record<string, unknown>;

/** A hash list as stored. Times are ISO 8601 strings. */
export interface ListRecord {
  readonly id: number;
  readonly name: string;
  readonly description: string;
  /** Who provides the hashes (an NGO, a vendor, "internal"). */
  readonly source: string;
  /** The hash types the list may hold; empty means any. */
  readonly types: readonly HashType[];
  readonly kind: ListKind;
  /** The PDQ variant its PDQ hashes were made with. */
  readonly pdqVariant: PdqVariant;
  readonly thresholds: Thresholds;
  readonly enabled: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What `lists.create` takes; everything but the name has a default. */
export interface ListInput {
  readonly name: string;
  readonly description?: string;
  readonly source?: string;
  readonly types?: readonly HashType[];
  readonly kind?: ListKind;
  readonly pdqVariant?: PdqVariant;
  readonly thresholds?: Thresholds;
  readonly enabled?: boolean;
}

/** What `lists.update` takes: only the fields given change. */
export type ListPatch = Partial<Omit<ListInput, 'name'>>;

/** Counts of one list's entries for one hash type. */
export interface TypeCounts {
  readonly type: HashType;
  readonly active: number;
  readonly disabled: number;
  readonly removed: number;
}

/** One entry of a list. `value` is the raw hash bytes (fixed length per type). */
export interface EntryRecord {
  readonly id: number;
  readonly listId: number;
  readonly type: HashType;
  readonly value: Uint8Array;
  readonly externalId: string | null;
  readonly labels: Labels | null;
  readonly addedAt: string;
  readonly addedBy: string;
  readonly disabled: boolean;
  readonly removedAt: string | null;
  readonly removedBy: string | null;
}

/** One audit row: who did what to which list, when, with counts or details. */
export interface AuditRecord {
  readonly id: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly listId: number | null;
  readonly listName: string | null;
  readonly details: Record<string, unknown>;
}

/**
 * One step of the change log. Entry ops: `add`, `enable` (index the entry if it is active),
 * `remove`, `disable` (drop it from the index). `list`: the list's metadata changed (thresholds,
 * kind, enabled); entryId and type are null. Enabling or disabling a whole list also writes one
 * `enable`/`disable` row per affected entry, and removing a list one `remove` row per entry.
 * A bulk import writes one `add` range for all the entries it created (see `lastEntryId`).
 */
export type ChangeOp = 'add' | 'remove' | 'disable' | 'enable' | 'list';

export interface ChangeRecord {
  readonly seq: number;
  readonly entryId: number | null;
  readonly listId: number;
  readonly type: HashType | null;
  readonly op: ChangeOp;
  /**
   * Set on an `add` range (a bulk import): the row stands for every entry of `listId` with an id from
   * `entryId` to `lastEntryId` inclusive (ids may have gaps). `type` is the one hash type they share,
   * or null for several; `value` is null: read the entries that are still active with
   * `EntryRepository.iterateActiveRange`, later rows of the log then apply on top as usual.
   */
  readonly lastEntryId: number | null;
  /** The entry's hash bytes when the entry still exists (null after its list was removed, and for a range). */
  readonly value: Uint8Array | null;
}

/** A batch of active entries of one type, for building an index: `values` holds ids.length hashes back to back. */
export interface EntryBatch {
  readonly ids: Uint32Array;
  readonly values: Uint8Array;
}

/** A page of results with the cursor for the next one (null at the end). */
export interface Page<T> {
  readonly items: readonly T[];
  readonly next: number | null;
}

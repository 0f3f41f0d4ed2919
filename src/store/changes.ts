import type Database from 'better-sqlite3';
import type { HashType } from '../hash/types.js';
import type { Db } from './db.js';
import type { ChangeOp, ChangeRecord } from './types.js';
import { pageLimit } from './util.js';

interface ChangeRow {
  seq: number;
  entry_id: number | null;
  last_entry_id: number | null;
  list_id: number;
  type: HashType | null;
  op: ChangeOp;
  value: Buffer | null;
}

/**
 * The change log every process follows to keep its indexes current. Writers append inside the
 * transaction of the change; readers poll `latestChangeSeq()` and fetch `changesSince()`.
 */
export class ChangeRepository {
  readonly #insert: Database.Statement;
  readonly #insertRange: Database.Statement<[number, number, number, HashType | null]>;
  readonly #insertForList: Database.Statement;
  readonly #since: Database.Statement<[number, number], ChangeRow>;
  readonly #latest: Database.Statement<[], { seq: number }>;

  constructor(db: Db) {
    this.#insert = db.prepare('INSERT INTO changes (entry_id, list_id, type, op) VALUES (?, ?, ?, ?)');
    this.#insertRange = db.prepare(
      `INSERT INTO changes (entry_id, last_entry_id, list_id, type, op) VALUES (?, ?, ?, ?, 'add')`,
    );
    // One row per entry of a list that is active at the list level (not removed, not disabled).
    this.#insertForList = db.prepare(
      `INSERT INTO changes (entry_id, list_id, type, op)
       SELECT id, list_id, type, ? FROM entries
       WHERE list_id = ? AND removed_at IS NULL AND disabled = 0 ORDER BY id`,
    );
    // A range row has no single value (its entries are read in bulk by whoever follows the log).
    this.#since = db.prepare(
      `SELECT c.seq, c.entry_id, c.last_entry_id, c.list_id, c.type, c.op,
         CASE WHEN c.last_entry_id IS NULL THEN e.value END AS value
       FROM changes c LEFT JOIN entries e ON e.id = c.entry_id
       WHERE c.seq > ? ORDER BY c.seq LIMIT ?`,
    );
    // sqlite_sequence holds the AUTOINCREMENT high-water mark: one row read, however long the log.
    this.#latest = db.prepare(
      `SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'changes'), 0) AS seq`,
    );
  }

  /** Appends one row; call inside the transaction of the change. */
  append(op: ChangeOp, listId: number, entryId: number | null, type: HashType | null): void {
    this.#insert.run(entryId, listId, type, op);
  }

  /**
   * Appends one `add` row for the entries of `listId` with ids `firstId`..`lastId` (a bulk import,
   * inside its transaction); `type` when they all share one, else null.
   */
  appendAddRange(listId: number, firstId: number, lastId: number, type: HashType | null): void {
    this.#insertRange.run(firstId, lastId, listId, type);
  }

  /** Appends one `op` row per entry of the list that is neither removed nor disabled. */
  appendForActiveEntries(op: 'remove' | 'disable' | 'enable', listId: number): number {
    return this.#insertForList.run(op, listId).changes;
  }

  /** The newest sequence number (0 when the log is empty): the poller's cheap check. */
  latestChangeSeq(): number {
    return this.#latest.get()?.seq ?? 0;
  }

  /** Up to `limit` changes after `seq`, oldest first, with each entry's value when it still exists. */
  changesSince(seq: number, limit = 10_000): ChangeRecord[] {
    const n = pageLimit(limit, 10_000, 1_000_000);
    return this.#since.all(seq, n).map((r) => ({
      seq: r.seq,
      entryId: r.entry_id,
      lastEntryId: r.last_entry_id,
      listId: r.list_id,
      type: r.type,
      op: r.op,
      value: r.value === null ? null : new Uint8Array(r.value.buffer, r.value.byteOffset, r.value.length),
    }));
  }
}

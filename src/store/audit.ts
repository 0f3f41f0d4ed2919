import type Database from 'better-sqlite3';
import type { Db } from './db.js';
import type { AuditRecord, Page } from './types.js';
import { isoTime, pageLimit, parseStoredJson } from './util.js';

interface AuditRow {
  id: number;
  at: number;
  actor: string;
  action: string;
  list_id: number | null;
  list_name: string | null;
  details: string;
}

/** What one audit row records. */
export interface AuditInput {
  readonly actor: string;
  readonly action: string;
  readonly listId?: number | null;
  readonly listName?: string | null;
  readonly details?: Record<string, unknown>;
}

/** The audit trail: append-only, paged newest first. Statements are prepared once. */
export class AuditRepository {
  readonly #insert: Database.Statement;
  readonly #page: Database.Statement<[number, number], AuditRow>;
  readonly #pageList: Database.Statement<[string, number, number], AuditRow>;

  constructor(db: Db) {
    this.#insert = db.prepare(
      'INSERT INTO audit (at, actor, action, list_id, list_name, details) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.#page = db.prepare('SELECT * FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?');
    this.#pageList = db.prepare(
      'SELECT * FROM audit WHERE list_name = ? AND id < ? ORDER BY id DESC LIMIT ?',
    );
  }

  /** Appends one row; call it inside the transaction of the change it records. Returns its id. */
  append(input: AuditInput, at = Date.now()): number {
    const r = this.#insert.run(
      at,
      input.actor,
      input.action,
      input.listId ?? null,
      input.listName ?? null,
      JSON.stringify(input.details ?? {}),
    );
    return Number(r.lastInsertRowid);
  }

  /** Rows newest first, optionally of one list (by name, so removed lists keep their trail). */
  page(options: { list?: string; before?: number; limit?: number } = {}): Page<AuditRecord> {
    const limit = pageLimit(options.limit, 100, 1000);
    const before = options.before ?? Number.MAX_SAFE_INTEGER;
    const rows =
      options.list === undefined
        ? this.#page.all(before, limit)
        : this.#pageList.all(options.list, before, limit);
    const items = rows.map(toRecord);
    return { items, next: rows.length === limit ? (rows.at(-1)?.id ?? null) : null };
  }
}

function toRecord(r: AuditRow): AuditRecord {
  return {
    id: r.id,
    at: isoTime(r.at),
    actor: r.actor,
    action: r.action,
    listId: r.list_id,
    listName: r.list_name,
    details: parseStoredJson<Record<string, unknown>>(r.details, 'audit details'),
  };
}

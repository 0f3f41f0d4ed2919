import { Readable } from 'node:stream';
import type Database from 'better-sqlite3';
import { csvField } from '../csv.js';
import { bytesToHex } from '../hash/codec.js';
import type { HashType } from '../hash/types.js';
import type { Db } from './db.js';
import type { ListRecord } from './types.js';

/** The formats an export writes; both read back with the import formats of the same name. */
export type ExportFormat = 'ndjson' | 'csv';
export const EXPORT_FORMATS: readonly ExportFormat[] = Object.freeze(['ndjson', 'csv']);

type Row = [id: number, type: HashType, value: Buffer, externalId: string | null, labels: string | null];

/**
 * Writes a list's active entries (neither removed nor disabled) as text lines, each ending in "\n",
 * a page per chunk. Reads in
 * keyset pages of the (list_id, id) index, so memory stays constant and no read transaction is held
 * open across awaits. Statements are prepared once.
 */
export class Exporter {
  readonly #page: Database.Statement<[number, number, number], Row>;

  constructor(db: Db) {
    this.#page = db
      .prepare<[number, number, number], Row>(
        `SELECT id, type, value, external_id, labels FROM entries
         WHERE list_id = ? AND id > ? AND removed_at IS NULL AND disabled = 0 ORDER BY id LIMIT ?`,
      )
      .raw(true);
  }

  /** The lines of `list` in `format`, header first for csv. */
  *lines(list: ListRecord, format: ExportFormat, pageSize = 10_000): Generator<string> {
    if (format === 'csv') yield 'type,value,external_id,labels\n';
    let after = 0;
    for (;;) {
      const rows = this.#page.all(list.id, after, pageSize);
      let chunk = '';
      for (const [, type, value, ext, labels] of rows) {
        chunk += format === 'csv' ? csvLine(type, value, ext, labels) : jsonLine(type, value, ext, labels);
      }
      if (chunk !== '') yield chunk;
      if (rows.length < pageSize) return;
      after = rows[rows.length - 1]![0];
    }
  }

  /** The same lines as a byte stream (pulls a page only when the consumer wants more). */
  stream(list: ListRecord, format: ExportFormat): Readable {
    return Readable.from(this.lines(list, format), { objectMode: false });
  }
}

function jsonLine(type: HashType, value: Buffer, ext: string | null, labels: string | null): string {
  let s = `{"type":"${type}","value":"${bytesToHex(value)}"`;
  if (ext !== null) s += `,"external_id":${JSON.stringify(ext)}`;
  if (labels !== null) s += `,"labels":${labels}`;
  return `${s}}\n`;
}

function csvLine(type: HashType, value: Buffer, ext: string | null, labels: string | null): string {
  return `${type},${bytesToHex(value)},${csvField(ext ?? '')},${csvField(labels ?? '')}\n`;
}

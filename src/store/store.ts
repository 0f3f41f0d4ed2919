import type { Readable } from 'node:stream';
import { HashwardenError } from '../errors.js';
import type { HashType } from '../hash/types.js';
import { AuditRepository } from './audit.js';
import { ChangeRepository } from './changes.js';
import { type Db, type OpenOptions, openDatabase } from './db.js';
import { EntryRepository } from './entries.js';
import { Exporter, type ExportFormat } from './export.js';
import { Importer, type ImportOptions, type ImportSummary } from './import/importer.js';
import type { ImportSource } from './import/lines.js';
import { KeyRepository } from './keys.js';
import { ListRepository } from './lists.js';
import type { ChangeRecord, EntryBatch } from './types.js';

/**
 * The hash-list store: one SQLite connection and the repositories over it. Open one per process
 * (or per test) and `close()` it; every statement is prepared once, when the store opens.
 */
export class Store {
  readonly path: string;
  readonly lists: ListRepository;
  readonly entries: EntryRepository;
  readonly audit: AuditRepository;
  readonly changes: ChangeRepository;
  readonly keys: KeyRepository;
  readonly #db: Db;
  readonly #importer: Importer;
  readonly #exporter: Exporter;
  #closed = false;

  private constructor(path: string, db: Db) {
    this.path = path;
    this.#db = db;
    this.audit = new AuditRepository(db);
    this.changes = new ChangeRepository(db);
    this.lists = new ListRepository(db, this.audit, this.changes);
    this.entries = new EntryRepository(db, this.audit, this.changes);
    this.keys = new KeyRepository(db, this.audit);
    this.#importer = new Importer(db, this.audit, this.changes);
    this.#exporter = new Exporter(db);
  }

  /** Opens (creating and migrating when needed) the database at `path`. */
  static open(path: string, options: OpenOptions = {}): Store {
    const db = openDatabase(path, options);
    try {
      return new Store(path, db);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** True once `close()` has run. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Streams `source` into the list named `listName`: validated line by line, deduplicated, applied
   * in one transaction. Throws HW_ERR_IMPORT_REJECTED (ImportRejectedError) on bad lines unless
   * `skipInvalid`, HW_ERR_LIST_NOT_FOUND when the list does not exist.
   */
  async importEntries(
    listName: string,
    source: ImportSource,
    options: ImportOptions,
  ): Promise<ImportSummary> {
    this.#check();
    return this.#importer.import(this.lists.require(listName), source, options);
  }

  /** A list's active entries as lines of text (ndjson or csv), page by page. */
  exportEntries(listName: string, format: ExportFormat): Iterable<string> {
    this.#check();
    return this.#exporter.lines(this.lists.require(listName), format);
  }

  /** The same export as a Readable byte stream. */
  exportStream(listName: string, format: ExportFormat): Readable {
    this.#check();
    return this.#exporter.stream(this.lists.require(listName), format);
  }

  /** Shortcut for the poller: the newest change sequence number. */
  latestChangeSeq(): number {
    this.#check();
    return this.changes.latestChangeSeq();
  }

  /** Shortcut for the poller: changes after `seq`, oldest first. */
  changesSince(seq: number, limit?: number): ChangeRecord[] {
    this.#check();
    return this.changes.changesSince(seq, limit);
  }

  /** Shortcut for index builders: every active entry of `type` in batches. */
  iterateActiveEntries(type: HashType, batchSize?: number): Generator<EntryBatch> {
    this.#check();
    return this.entries.iterateActiveEntries(type, batchSize);
  }

  /** Size of the database in bytes (pages × page size, WAL not included). */
  sizeBytes(): number {
    this.#check();
    const pages = this.#db.pragma('page_count', { simple: true }) as number;
    const size = this.#db.pragma('page_size', { simple: true }) as number;
    return pages * size;
  }

  /** Checkpoints the WAL and closes the connection. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // Best effort: on a read-only or full database the checkpoint fails, and throwing here (often
      // from a `finally`) would replace the error that matters; the next open replays the WAL.
    } finally {
      this.#db.close();
    }
  }

  #check(): void {
    if (this.#closed) throw new HashwardenError('HW_ERR_DATABASE', 'the store is closed');
  }
}

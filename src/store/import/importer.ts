import { availableParallelism } from 'node:os';
import { Readable } from 'node:stream';
import type Database from 'better-sqlite3';
import { HashwardenError } from '../../errors.js';
import type { HashType } from '../../hash/types.js';
import type { AuditRepository } from '../audit.js';
import type { ChangeRepository } from '../changes.js';
import { type Db, isSqliteError } from '../db.js';
import type { ListRecord } from '../types.js';
import { createParser, type ImportFormat } from './formats.js';
import { type ImportSource, readLines } from './lines.js';
import { parseInThread } from './parse-thread.js';
import { parseBatches, type RejectedLine } from './parsed.js';
import { keyHasType, Stager, typeOfKey } from './staging.js';

export interface ImportProgress {
  readonly phase: 'read' | 'apply' | 'done';
  /** Bytes read from the source so far (0 for sources that yield lines). */
  readonly bytes: number;
  readonly lines: number;
  readonly valid: number;
  readonly rejected: number;
}

export interface ImportOptions {
  readonly format: ImportFormat;
  /** Hash type for `lines`, and the default where a row has none. */
  readonly type?: HashType | undefined;
  /** Import the good lines and report the bad ones, instead of rejecting the whole import. */
  readonly skipInvalid?: boolean;
  readonly actor: string;
  readonly onProgress?: (p: ImportProgress) => void;
  /** Called for every rejected line when skipInvalid is set (e.g. to write a rejects file). */
  readonly onReject?: (r: RejectedLine) => void;
  /** SQLite page cache during the apply, in KiB (default DEFAULT_APPLY_CACHE_KIB). */
  readonly cacheKiB?: number;
  /** Helper threads SQLite's sorter may use during the apply (default DEFAULT_SORT_THREADS). */
  readonly sortThreads?: number;
  /**
   * Parse a byte-stream source on a worker thread while this one stages rows (parse-thread.ts): worth
   * it past a few MiB (the thread costs ~30 ms to start). Default false; sources of lines are always
   * parsed here.
   */
  readonly parseThread?: boolean;
}

export interface ImportSummary {
  readonly list: string;
  /** New entries, plus previously removed ones brought back. */
  readonly added: number;
  /** Rows already in the list or repeated in the file. */
  readonly duplicates: number;
  readonly rejected: number;
  /** The first rejected lines (at most MAX_KEPT_REJECTS), whatever onReject did with all of them. */
  readonly rejects: readonly RejectedLine[];
  readonly seconds: number;
  /** Data rows (added + duplicates + rejected) per second, end to end. */
  readonly rowsPerSecond: number;
}

/** The thrown form of a rejected import: HW_ERR_IMPORT_REJECTED with the first bad lines. */
export class ImportRejectedError extends HashwardenError {
  readonly rejects: readonly RejectedLine[];
  constructor(list: string, rejects: readonly RejectedLine[]) {
    const lines = rejects.map((r) => `line ${r.line}: ${r.reason}`).join('; ');
    super('HW_ERR_IMPORT_REJECTED', `import into "${list}" rejected, the list is unchanged: ${lines}`);
    this.rejects = rejects;
  }
}

/** How many bad lines a rejection reports, and how many a summary keeps. */
export const MAX_REPORTED_REJECTS = 10;
export const MAX_KEPT_REJECTS = 100;
/**
 * Page cache while applying an import (KiB). Small on purpose: SQLite's sorter sizes its in-memory
 * runs by the page cache, and sorting 2 MiB runs (they stay in the CPU caches) then merging them took
 * about a third less CPU than sorting 256 MiB runs, at 1M and 3M rows. The inserts only append, so
 * a small cache costs them nothing, and the import's memory stays small whatever the file's size
 * (about 150 MB RSS at 10M rows, against 700 MB with a 256 MiB cache).
 */
export const DEFAULT_APPLY_CACHE_KIB = 2048;
/**
 * Helper threads for SQLite's sorter while applying an import (`PRAGMA threads`): it sorts its
 * in-memory runs on them while the statement goes on reading the staged rows. Measured on a 10M-row CSV
 * import here (2 cores): the sort and insert took 27.3 s with 2 threads against 36.2 s with none.
 */
export const DEFAULT_SORT_THREADS = Math.min(availableParallelism(), 4);

export type { RejectedLine } from './parsed.js';

/**
 * Streams rows into a per-connection TEMP staging table (outside the main database, so nothing is
 * locked while the file is read), then applies them in ONE synchronous IMMEDIATE transaction: sorted
 * INSERT OR IGNORE (B-tree appends instead of random inserts), one change row for the whole id range
 * it added, one audit row. A failure or a kill at any point leaves the list exactly as it was.
 * Statements are prepared once.
 */
export class Importer {
  readonly #db: Db;
  readonly #audit: AuditRepository;
  readonly #changes: ChangeRepository;
  readonly #stager: Stager;
  readonly #maxEntryId: Database.Statement<[], { seq: number }>;
  readonly #hasRemoved: Database.Statement<[number]>;
  readonly #listExists: Database.Statement<[number]>;
  readonly #apply: Database.Statement;
  readonly #revive: Database.Statement<[number, string, number]>;
  readonly #logRevived: Database.Statement;
  #busy: Promise<unknown> = Promise.resolve();

  constructor(db: Db, audit: AuditRepository, changes: ChangeRepository) {
    this.#db = db;
    this.#audit = audit;
    this.#changes = changes;
    this.#stager = new Stager(db);
    this.#maxEntryId = db.prepare(
      `SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'entries'), 0) AS seq`,
    );
    this.#listExists = db.prepare('SELECT 1 FROM lists WHERE id = ?');
    this.#hasRemoved = db.prepare(
      'SELECT 1 FROM entries WHERE list_id = ? AND removed_at IS NOT NULL LIMIT 1',
    );
    // ORDER BY the unique key (k orders as type then value, see sortKey): index and table pages fill
    // in order; rowid keeps the file's first copy.
    this.#apply = db.prepare(
      `INSERT OR IGNORE INTO entries (list_id, type, value, external_id, labels, added_at, added_by)
       SELECT ?, ${typeOfKey('s')}, s.value, s.external_id, s.labels, ?, ?
       FROM temp.import_staging s ORDER BY s.k, s.value, s.rowid`,
    );
    this.#revive = db.prepare(
      `UPDATE entries SET removed_at = NULL, removed_by = NULL, added_at = ?, added_by = ?
       WHERE list_id = ? AND removed_at IS NOT NULL
         AND EXISTS (SELECT 1 FROM temp.import_staging s
                     WHERE s.value = entries.value AND ${keyHasType('s', 'entries.type')})
       RETURNING id`,
    );
    this.#logRevived = db.prepare(
      `INSERT INTO changes (entry_id, list_id, type, op) SELECT id, list_id, type, 'add' FROM entries WHERE id = ?`,
    );
  }

  /** Imports `source` into `list`; runs after any import already in progress on this connection. */
  import(list: ListRecord, source: ImportSource, options: ImportOptions): Promise<ImportSummary> {
    const run = this.#busy.then(() => this.#run(list, source, options));
    this.#busy = run.catch(() => undefined);
    return run;
  }

  async #run(list: ListRecord, source: ImportSource, o: ImportOptions): Promise<ImportSummary> {
    const started = performance.now();
    const parse = createParser(o.format, { type: o.type, allowedTypes: list.types });
    const skip = o.skipInvalid === true;
    const rejects: RejectedLine[] = [];
    let lines = 0;
    let valid = 0;
    let rejected = 0;
    let bytes = 0;
    try {
      this.#stager.clear();
      const batches =
        o.parseThread === true && source instanceof Readable
          ? parseInThread(source, { format: o.format, type: o.type, allowedTypes: list.types })
          : parseBatches(readLines(source), parse);
      for await (const batch of batches) {
        bytes = batch.bytes;
        for (const reject of batch.rejects) {
          rejected++;
          if (rejects.length < MAX_KEPT_REJECTS) rejects.push(reject);
          if (!skip && rejected >= MAX_REPORTED_REJECTS) throw new ImportRejectedError(list.name, rejects);
          if (skip) o.onReject?.(reject);
        }
        valid += batch.entries.length;
        // Once the import is doomed, keep reading only to find the next few bad lines.
        if (rejected === 0 || skip) for (const e of batch.entries) this.#stager.push(e);
        lines = batch.first + batch.lines - 1;
        o.onProgress?.({ phase: 'read', bytes, lines, valid, rejected });
      }
      if (rejected > 0 && !skip) throw new ImportRejectedError(list.name, rejects);
      this.#stager.finish();
      o.onProgress?.({ phase: 'apply', bytes, lines, valid, rejected });
      const cacheKiB = o.cacheKiB ?? DEFAULT_APPLY_CACHE_KIB;
      const sortThreads = o.sortThreads ?? DEFAULT_SORT_THREADS;
      const added = this.#applyStaged(list, o.actor, cacheKiB, sortThreads, {
        lines,
        valid,
        rejected,
        format: o.format,
      });
      const seconds = (performance.now() - started) / 1000;
      o.onProgress?.({ phase: 'done', bytes, lines, valid, rejected });
      const total = valid + rejected;
      return {
        list: list.name,
        added,
        duplicates: valid - added,
        rejected,
        rejects,
        seconds,
        rowsPerSecond: seconds > 0 ? total / seconds : total,
      };
    } catch (err) {
      // Staging can fail too (its temp file on a full disk): a code, not a raw SqliteError.
      if (!isSqliteError(err)) throw err;
      throw new HashwardenError(
        'HW_ERR_DATABASE',
        `import into "${list.name}" failed, the list is unchanged: ${err.message}`,
        { cause: err },
      );
    } finally {
      try {
        this.#stager.clear();
      } catch {
        // On a full disk this DELETE fails too, and throwing here would hide the error above; the
        // staging table is TEMP (gone with the connection) and emptied again before the next import.
      }
    }
  }

  /** The one write transaction of an import. Returns the number of entries added (or revived). */
  #applyStaged(
    list: ListRecord,
    actor: string,
    cacheKiB: number,
    sortThreads: number,
    counts: Record<string, unknown>,
  ): number {
    const cacheSize = this.#db.pragma('cache_size', { simple: true }) as number;
    const threads = this.#db.pragma('threads', { simple: true }) as number;
    // The page cache also sizes the sorter's in-memory runs (see DEFAULT_APPLY_CACHE_KIB); the sorter
    // sorts those runs on helper threads (DEFAULT_SORT_THREADS). Connection-local, restored after.
    this.#db.pragma(`cache_size = ${-Math.max(1024, Math.trunc(cacheKiB))}`);
    this.#db.pragma(`threads = ${Math.max(0, Math.trunc(sortThreads))}`);
    try {
      return this.#applyTransaction(list, actor, counts);
    } catch (err) {
      if (err instanceof HashwardenError) throw err;
      // SQLITE_BUSY (another process held the write lock past busy_timeout), disk full, I/O error.
      const message = err instanceof Error ? err.message : String(err);
      throw new HashwardenError(
        'HW_ERR_DATABASE',
        `import into "${list.name}" failed, the list is unchanged: ${message}`,
        {
          cause: err,
        },
      );
    } finally {
      this.#db.pragma(`cache_size = ${cacheSize}`);
      this.#db.pragma(`threads = ${threads}`);
    }
  }

  #applyTransaction(list: ListRecord, actor: string, counts: Record<string, unknown>): number {
    return this.#db
      .transaction(() => {
        // The list may have been removed while this import was reading its file.
        if (this.#listExists.get(list.id) === undefined) {
          throw new HashwardenError(
            'HW_ERR_LIST_NOT_FOUND',
            `list "${list.name}" was removed during the import`,
          );
        }
        const now = Date.now();
        const maxId = this.#maxEntryId.get()?.seq ?? 0;
        let revived = 0;
        if (this.#hasRemoved.get(list.id) !== undefined) {
          // Rare path (the list has removed entries): index the staged keys so the lookup is not quadratic.
          this.#db.exec('CREATE INDEX IF NOT EXISTS temp.import_staging_key ON import_staging (value)');
          for (const row of this.#revive.all(now, actor, list.id) as { id: number }[]) {
            this.#logRevived.run(row.id);
            revived++;
          }
          this.#db.exec('DROP INDEX temp.import_staging_key');
        }
        const inserted = this.#apply.run(list.id, now, actor).changes;
        if (inserted > 0) {
          // AUTOINCREMENT ids only grow and we hold the write lock: every id above maxId is ours (rows
          // ignored as duplicates may leave gaps). One change row stands for all of them.
          const types = this.#stager.types;
          const type = types.size === 1 ? [...types][0]! : null;
          this.#changes.appendAddRange(list.id, maxId + 1, this.#maxEntryId.get()?.seq ?? maxId, type);
        }
        this.#audit.append(
          {
            actor,
            action: 'entries.import',
            listId: list.id,
            listName: list.name,
            details: { ...counts, inserted, revived },
          },
          now,
        );
        return inserted + revived;
      })
      .immediate();
  }
}

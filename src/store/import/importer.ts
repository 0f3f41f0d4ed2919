import type Database from 'better-sqlite3';
import { HashwardenError } from '../../errors.js';
import type { HashType } from '../../hash/types.js';
import type { AuditRepository } from '../audit.js';
import { type Db, isSqliteError } from '../db.js';
import type { ListRecord } from '../types.js';
import { createParser, type ImportFormat } from './formats.js';
import { type ImportSource, readLines } from './lines.js';

/** A line that was not imported, with its 1-based number, the reason and its text. */
export interface RejectedLine {
  readonly line: number;
  readonly reason: string;
  readonly text: string;
}

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
const STAGE_BATCH = 8192;
const ROWS_PER_INSERT = 64;
/** Page cache while applying an import (KiB): big enough that a 10M-row import rarely spills early. */
export const DEFAULT_APPLY_CACHE_KIB = 256 * 1024;

/**
 * Streams rows into a per-connection TEMP staging table (outside the main database, so nothing is
 * locked while the file is read), then applies them in ONE synchronous IMMEDIATE transaction: sorted
 * INSERT OR IGNORE (B-tree appends instead of random inserts), change rows by id range, one audit row.
 * A failure or a kill at any point leaves the list exactly as it was. Statements are prepared once.
 */
export class Importer {
  readonly #db: Db;
  readonly #audit: AuditRepository;
  readonly #stageOne: Database.Statement;
  readonly #stageMany: Database.Statement;
  readonly #stageBatch: Database.Transaction<(flat: unknown[], count: number) => void>;
  readonly #clear: Database.Statement;
  readonly #maxEntryId: Database.Statement<[], { seq: number }>;
  readonly #hasRemoved: Database.Statement<[number]>;
  readonly #listExists: Database.Statement<[number]>;
  readonly #apply: Database.Statement;
  readonly #revive: Database.Statement<[number, string, number]>;
  readonly #logAdds: Database.Statement;
  readonly #logRevived: Database.Statement;
  #busy: Promise<unknown> = Promise.resolve();

  constructor(db: Db, audit: AuditRepository) {
    this.#db = db;
    this.#audit = audit;
    db.exec(`CREATE TEMP TABLE IF NOT EXISTS import_staging (
      type TEXT NOT NULL, value BLOB NOT NULL, external_id TEXT, labels TEXT)`);
    this.#stageOne = db.prepare('INSERT INTO temp.import_staging VALUES (?, unhex(?), ?, ?)');
    // Many rows per statement: the per-call cost of better-sqlite3, not SQLite, dominates staging.
    this.#stageMany = db.prepare(
      `INSERT INTO temp.import_staging VALUES ${Array(ROWS_PER_INSERT).fill('(?, unhex(?), ?, ?)').join(', ')}`,
    );
    this.#stageBatch = db.transaction((flat: unknown[], count: number) => {
      const full = count - (count % ROWS_PER_INSERT);
      const args = new Array<unknown>(ROWS_PER_INSERT * 4);
      for (let r = 0; r < full; r += ROWS_PER_INSERT) {
        for (let j = 0; j < args.length; j++) args[j] = flat[r * 4 + j];
        this.#stageMany.run(args);
      }
      for (let r = full; r < count; r++) this.#stageOne.run(flat.slice(r * 4, r * 4 + 4));
    });
    this.#clear = db.prepare('DELETE FROM temp.import_staging');
    this.#maxEntryId = db.prepare(
      `SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'entries'), 0) AS seq`,
    );
    this.#listExists = db.prepare('SELECT 1 FROM lists WHERE id = ?');
    this.#hasRemoved = db.prepare(
      'SELECT 1 FROM entries WHERE list_id = ? AND removed_at IS NOT NULL LIMIT 1',
    );
    // ORDER BY the unique key: index and table pages fill in order; rowid keeps the file's first copy.
    this.#apply = db.prepare(
      `INSERT OR IGNORE INTO entries (list_id, type, value, external_id, labels, added_at, added_by)
       SELECT ?, type, value, external_id, labels, ?, ? FROM temp.import_staging ORDER BY type, value, rowid`,
    );
    this.#revive = db.prepare(
      `UPDATE entries SET removed_at = NULL, removed_by = NULL, added_at = ?, added_by = ?
       WHERE list_id = ? AND removed_at IS NOT NULL
         AND EXISTS (SELECT 1 FROM temp.import_staging s WHERE s.type = entries.type AND s.value = entries.value)
       RETURNING id`,
    );
    this.#logAdds = db.prepare(
      `INSERT INTO changes (entry_id, list_id, type, op) SELECT id, list_id, type, 'add' FROM entries WHERE id > ?`,
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
      this.#clear.run();
      const flat = new Array<unknown>(STAGE_BATCH * 4);
      let pending = 0;
      for await (const batch of readLines(source)) {
        bytes = batch.bytes;
        for (let i = 0; i < batch.lines.length; i++) {
          const text = batch.lines[i]!;
          const r = parse(text);
          if (r === null) continue;
          if (typeof r === 'string') {
            rejected++;
            const reject = { line: batch.first + i, reason: r, text };
            if (rejects.length < MAX_KEPT_REJECTS) rejects.push(reject);
            if (!skip && rejected >= MAX_REPORTED_REJECTS) throw new ImportRejectedError(list.name, rejects);
            if (skip) o.onReject?.(reject);
            continue;
          }
          valid++;
          // Once the import is doomed, keep reading only to find the next few bad lines.
          if (rejected > 0 && !skip) continue;
          const at = pending * 4;
          flat[at] = r.type;
          flat[at + 1] = r.hex;
          flat[at + 2] = r.externalId;
          flat[at + 3] = r.labels;
          if (++pending === STAGE_BATCH) {
            this.#stageBatch(flat, pending);
            pending = 0;
          }
        }
        lines = batch.first + batch.lines.length - 1;
        o.onProgress?.({ phase: 'read', bytes, lines, valid, rejected });
      }
      if (rejected > 0 && !skip) throw new ImportRejectedError(list.name, rejects);
      if (pending > 0) this.#stageBatch(flat, pending);
      o.onProgress?.({ phase: 'apply', bytes, lines, valid, rejected });
      const cacheKiB = o.cacheKiB ?? DEFAULT_APPLY_CACHE_KIB;
      const added = this.#applyStaged(list, o.actor, cacheKiB, { lines, valid, rejected, format: o.format });
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
        this.#clear.run();
      } catch {
        // On a full disk this DELETE fails too, and throwing here would hide the error above; the
        // staging table is TEMP (gone with the connection) and emptied again before the next import.
      }
    }
  }

  /** The one write transaction of an import. Returns the number of entries added (or revived). */
  #applyStaged(list: ListRecord, actor: string, cacheKiB: number, counts: Record<string, unknown>): number {
    const cacheSize = this.#db.pragma('cache_size', { simple: true }) as number;
    // A big page cache keeps the B-tree pages being filled (and the sorter's runs) out of the WAL
    // until commit; connection-local, restored after.
    this.#db.pragma(`cache_size = ${-Math.max(1024, Math.trunc(cacheKiB))}`);
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
          this.#db.exec('CREATE INDEX IF NOT EXISTS temp.import_staging_key ON import_staging (type, value)');
          for (const row of this.#revive.all(now, actor, list.id) as { id: number }[]) {
            this.#logRevived.run(row.id);
            revived++;
          }
          this.#db.exec('DROP INDEX temp.import_staging_key');
        }
        const inserted = this.#apply.run(list.id, now, actor).changes;
        // AUTOINCREMENT ids only grow and we hold the write lock: every id above maxId is ours.
        if (inserted > 0) this.#logAdds.run(maxId);
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

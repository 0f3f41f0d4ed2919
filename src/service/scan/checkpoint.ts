/**
 * The scan checkpoint: a small SQLite file (WAL, synchronous=FULL) holding the keys of every input
 * already accounted for and, in the same transaction, how many bytes of the report and errors files
 * those inputs produced. The scanner writes and fsyncs report rows *before* committing their keys, so
 * after any crash the files hold at least what the checkpoint says; on resume they are truncated back
 * to the recorded offsets and everything not recorded is scanned again: no row twice, no file skipped.
 * Lookups of "already done" go to the on-disk index, so a million-file scan resumes in flat memory.
 */
import type Database from 'better-sqlite3';
import { HashwardenError } from '../../errors.js';
import { type Db, openDatabase } from '../../store/db.js';

/** What the checkpoint remembers besides the done keys. */
export interface CheckpointState {
  readonly reportOffset: number;
  readonly errorsOffset: number;
  /** Cumulative counters over every run of this scan (scanner-defined). */
  readonly totals: Readonly<Record<string, number>>;
  /** True once a run reached the end of its inputs. */
  readonly finished: boolean;
}

const MIGRATIONS = [
  {
    version: 1,
    name: 'scan-checkpoint',
    sql: `CREATE TABLE scan_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
          CREATE TABLE scan_done (key TEXT PRIMARY KEY) WITHOUT ROWID;`,
  },
] as const;

const EMPTY: CheckpointState = Object.freeze({
  reportOffset: 0,
  errorsOffset: 0,
  totals: {},
  finished: false,
});

/** A scan's durable progress. Open with `Checkpoint.open`, `close()` when done. */
export class Checkpoint {
  readonly path: string;
  /** True when the file already held progress of this scan (a resume). */
  readonly resumed: boolean;
  #state: CheckpointState;
  readonly #db: Db;
  readonly #has: Database.Statement<[string], unknown>;
  readonly #insert: Database.Statement<[string]>;
  readonly #setMeta: Database.Statement<[string, string]>;
  readonly #commit: Database.Transaction<(keys: readonly string[], state: CheckpointState) => void>;
  #closed = false;

  private constructor(path: string, db: Db, fingerprint: string) {
    this.path = path;
    this.#db = db;
    // FULL: a commit survives power loss too, not only a killed process; commits are batched, so it is cheap.
    db.pragma('synchronous = FULL');
    let meta: Map<string, string>;
    try {
      meta = new Map(
        (db.prepare('SELECT key, value FROM scan_meta').all() as { key: string; value: string }[]).map(
          (r) => [r.key, r.value],
        ),
      );
      this.#has = db.prepare('SELECT 1 FROM scan_done WHERE key = ?');
      this.#insert = db.prepare('INSERT OR IGNORE INTO scan_done (key) VALUES (?)');
      this.#setMeta = db.prepare('INSERT OR REPLACE INTO scan_meta (key, value) VALUES (?, ?)');
    } catch (err) {
      throw new HashwardenError('HW_ERR_CHECKPOINT_MISMATCH', `${path} is not a scan checkpoint`, {
        cause: err,
      });
    }
    const stored = meta.get('fingerprint');
    if (stored !== undefined && stored !== fingerprint) {
      throw new HashwardenError(
        'HW_ERR_CHECKPOINT_MISMATCH',
        `${path} belongs to a scan with other inputs, outputs or match options; rerun that command, or use a new checkpoint`,
      );
    }
    this.resumed = stored !== undefined;
    this.#state = meta.has('state') ? (JSON.parse(meta.get('state')!) as CheckpointState) : EMPTY;
    this.#commit = db.transaction((keys: readonly string[], state: CheckpointState) => {
      for (const k of keys) this.#insert.run(k);
      this.#setMeta.run('fingerprint', fingerprint);
      this.#setMeta.run('state', JSON.stringify(state));
    });
    if (!this.resumed) this.#commit([], EMPTY);
  }

  /**
   * Opens or creates the checkpoint at `path`. `fingerprint` names the scan (inputs, outputs, match
   * options); a checkpoint made by a different scan is refused with HW_ERR_CHECKPOINT_MISMATCH.
   */
  static open(path: string, fingerprint: string): Checkpoint {
    const db = openDatabase(path, { migrations: MIGRATIONS });
    try {
      return new Checkpoint(path, db, fingerprint);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** The state as of the last commit. */
  get state(): CheckpointState {
    return this.#state;
  }

  /** True when `key` was committed by this or an earlier run. */
  has(key: string): boolean {
    return this.#has.get(key) !== undefined;
  }

  /** Records `keys` as done together with the new state, atomically and durably. */
  commit(keys: readonly string[], state: CheckpointState): void {
    if (this.#closed) throw new HashwardenError('HW_ERR_INTERNAL', 'the checkpoint is closed');
    this.#commit(keys, state);
    this.#state = state;
  }

  /** Closes the file. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}

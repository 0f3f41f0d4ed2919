import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { HashwardenError } from '../errors.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';

/** The database file used when neither a flag nor the config names one. */
export const DEFAULT_DB_PATH = './data/hashwarden.db';

/** A better-sqlite3 connection (the type other store modules take). */
export type Db = Database.Database;

export interface OpenOptions {
  /** How long a writer waits for another process's lock before SQLITE_BUSY, in ms. */
  readonly busyTimeoutMs?: number;
  /** Run pending migrations (default true); false fails on a database that is behind instead. */
  readonly migrate?: boolean;
  /** Migrations to apply instead of the built-in list (tests). */
  readonly migrations?: readonly Migration[];
}

/**
 * Opens (creating file and directory when needed) the hashwarden database: WAL, synchronous=NORMAL
 * (durable across process crashes, at most the last commits lost on power loss), foreign keys on, a
 * busy timeout, then every pending migration. The only place in the code base that opens SQLite.
 */
export function openDatabase(path: string, options: OpenOptions = {}): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  let db: Db;
  try {
    db = new Database(path);
  } catch (err) {
    throw new HashwardenError('HW_ERR_DATABASE', `cannot open database ${path}: ${messageOf(err)}`, {
      cause: err,
    });
  }
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
    // Staging tables and big sorts spill to temp files, so an import's memory does not grow with its size.
    db.pragma('temp_store = FILE');
    migrate(db, options.migrations ?? MIGRATIONS, options.migrate ?? true);
    return db;
  } catch (err) {
    db.close();
    if (err instanceof HashwardenError) throw err;
    throw new HashwardenError('HW_ERR_DATABASE', `cannot prepare database ${path}: ${messageOf(err)}`, {
      cause: err,
    });
  }
}

/** True for an error raised by SQLite itself (better-sqlite3's SqliteError), not by our code. */
export function isSqliteError(err: unknown): err is InstanceType<typeof Database.SqliteError> {
  return err instanceof Database.SqliteError;
}

/**
 * Runs `fn` in one IMMEDIATE write transaction. SQLite's own failures (a read-only file, a full disk,
 * an I/O error, a lock held past busy_timeout) become HW_ERR_DATABASE: the transaction has rolled
 * back, so nothing changed, and callers see a code instead of a raw SqliteError (an HTTP 500 with
 * no code, or an uncaught CLI crash). HashwardenErrors thrown by `fn` pass through.
 */
export function writeTransaction<T>(db: Db, what: string, fn: () => T): T {
  try {
    return db.transaction(fn).immediate();
  } catch (err) {
    if (!isSqliteError(err)) throw err;
    throw new HashwardenError('HW_ERR_DATABASE', `${what} failed, nothing was changed: ${err.message}`, {
      cause: err,
    });
  }
}

/** The schema version recorded in the database (0 for a new file). */
export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Applies the migrations newer than the recorded version, each in its own IMMEDIATE transaction
 * together with its version bump, so a crash leaves either the old or the new schema.
 */
function migrate(db: Db, migrations: readonly Migration[], apply: boolean): void {
  const latest = migrations.length;
  const current = schemaVersion(db);
  if (current > latest) {
    throw new HashwardenError(
      'HW_ERR_DATABASE',
      `the database has schema version ${current}, newer than this hashwarden knows (${latest}); upgrade hashwarden`,
    );
  }
  if (current === latest) return;
  if (!apply) {
    throw new HashwardenError('HW_ERR_DATABASE', `the database is at schema ${current}, ${latest} is needed`);
  }
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  for (const m of migrations) {
    const step = db.transaction(() => {
      // Re-read inside the write lock: another process may have migrated meanwhile.
      if (schemaVersion(db) >= m.version) return;
      db.exec(m.sql);
      record.run(m.version, m.name, Date.now());
      db.pragma(`user_version = ${m.version}`);
    });
    step.immediate();
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

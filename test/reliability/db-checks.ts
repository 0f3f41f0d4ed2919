/**
 * Database failure checks shared by test/reliability/db-failure.test.ts and the reliability report:
 * a write against a read-only database or a full disk must fail with HW_ERR_DATABASE, leave every
 * row as it was and pass `PRAGMA integrity_check`. Writes run in a child process (db-child.mjs, with
 * the compiled store) that is made unable to write: as another user when the tests run as root
 * (root ignores file modes), and under a file-size limit (`ulimit -f`) for the full disk, which is
 * portable where mounting a tiny tmpfs is not.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { Store } from '../../src/store/index.js';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The test sources, whether this module runs from test/ (vitest) or dist/test/ (the report). */
const TEST_DIR = HERE.includes(join('dist', 'test'))
  ? join(HERE, '..', '..', '..', 'test', 'reliability')
  : HERE;
const REPO = join(TEST_DIR, '..', '..');
const CHILD = join(TEST_DIR, 'db-child.mjs');
export const STORE_JS = join(REPO, 'dist', 'src', 'store', 'index.js');

export type DbAction = 'create-list' | 'create-key' | 'remove-entry' | 'import';

export interface DbCheck {
  readonly scenario: 'read-only file' | 'read-only directory' | 'full disk' | 'disk fills during import';
  readonly action: DbAction;
  /** What the child's write ended in: `ok` or `Name CODE`. */
  readonly outcome: string;
  readonly message: string;
  /** Store.close() threw (it must not: it runs in `finally` blocks). */
  readonly closeThrew: boolean;
  readonly integrity: string;
  readonly unchanged: boolean;
}

/** Every row of every table, as text: "unchanged" means exactly equal. */
export function dumpDatabase(path: string): string {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all() as string[];
    return JSON.stringify(
      tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}"`).raw().all()]),
      (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('hex') : v),
    );
  } finally {
    db.close();
  }
}

/** `PRAGMA integrity_check` ('ok' when the file is sound). */
export function integrityCheck(path: string): string {
  const db = new Database(path, { fileMustExist: true });
  try {
    return (db.pragma('integrity_check', { simple: true }) as string) ?? 'no answer';
  } finally {
    db.close();
  }
}

async function seedDatabase(): Promise<{ dir: string; path: string }> {
  const dir = await mkdtemp(join(os.tmpdir(), 'hw-dbfail-'));
  const path = join(dir, 'store.db');
  const store = Store.open(path);
  store.lists.create({ name: 'victim' }, 'seed');
  async function* lines() {
    for (let i = 0; i < 200; i++) yield i.toString(16).padStart(64, 'c');
  }
  await store.importEntries('victim', lines(), { format: 'lines', type: 'pdq', actor: 'seed' });
  store.close();
  return { dir, path };
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

function runChild(
  path: string,
  action: DbAction,
  scenario: DbCheck['scenario'],
): { out: Record<string, unknown> } {
  const args = [CHILD, STORE_JS, path, action, '300000'];
  const asNobody = scenario !== 'full disk' && isRoot() ? { uid: 65534, gid: 65534 } : {};
  const stdout =
    scenario === 'full disk'
      ? // SIGXFSZ ignored, so a write past the limit fails with EFBIG instead of killing the process.
        execFileSync(
          '/bin/sh',
          ['-c', `trap '' XFSZ; ulimit -f 0; exec "$0" "$@"`, process.execPath, ...args],
          {
            encoding: 'utf8',
          },
        )
      : execFileSync(process.execPath, args, { encoding: 'utf8', ...asNobody });
  return { out: JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Record<string, unknown> };
}

/** Runs one write in one failure scenario and reports what happened. */
export async function checkDatabaseFailure(
  scenario: DbCheck['scenario'],
  action: DbAction,
): Promise<DbCheck> {
  if (!existsSync(STORE_JS)) throw new Error(`${STORE_JS} is missing: run \`npm run build\` first`);
  const { dir, path } = await seedDatabase();
  try {
    const before = dumpDatabase(path);
    if (scenario === 'read-only file') {
      chmodSync(dir, 0o777); // the directory stays writable: SQLite may create -wal/-shm there
      chmodSync(path, 0o444);
    } else if (scenario === 'read-only directory') {
      chmodSync(path, 0o444);
      chmodSync(dir, 0o555);
    }
    const { out } = runChild(path, action, scenario);
    chmodSync(dir, 0o755);
    chmodSync(path, 0o644);
    return {
      scenario,
      action,
      outcome: out.ok === true ? 'ok' : `${String(out.name)} ${String(out.code)}`,
      message: String(out.message ?? ''),
      closeThrew: out.closeError !== undefined,
      integrity: integrityCheck(path),
      unchanged: dumpDatabase(path) === before,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ChangeRepository } from '../../src/store/changes.js';
import { type Db, openDatabase, schemaVersion } from '../../src/store/db.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';

describe('openDatabase and migrations', () => {
  let dir: string;
  const open: Db[] = [];
  beforeEach(async () => {
    dir = await mkdtemp(join(os.tmpdir(), 'hw-mig-'));
  });
  afterEach(async () => {
    for (const db of open.splice(0)) if (db.open) db.close();
    await rm(dir, { recursive: true, force: true });
  });
  const openAt = (name: string, opts = {}) => {
    const db = openDatabase(join(dir, name), opts);
    open.push(db);
    return db;
  };

  it('creates the directory, sets the pragmas and applies every migration', () => {
    const db = openAt('sub/dir/a.db');
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    const tables = db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
      .pluck()
      .all() as string[];
    expect(tables).toEqual(
      expect.arrayContaining(['audit', 'changes', 'entries', 'lists', 'schema_migrations']),
    );
    const recorded = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
    expect(recorded).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
  });

  it('is idempotent on reopen', () => {
    openAt('a.db').close();
    const db = openAt('a.db');
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    expect(db.prepare('SELECT count(*) FROM schema_migrations').pluck().get()).toBe(MIGRATIONS.length);
  });

  it('applies later migrations in order, once', () => {
    openAt('a.db').close();
    const more = [
      ...MIGRATIONS,
      { version: MIGRATIONS.length + 1, name: 'x', sql: 'CREATE TABLE x (a INTEGER)' },
      { version: MIGRATIONS.length + 2, name: 'y', sql: 'ALTER TABLE x ADD COLUMN b TEXT' },
    ];
    const db = openAt('a.db', { migrations: more });
    expect(schemaVersion(db)).toBe(MIGRATIONS.length + 2);
    db.prepare('INSERT INTO x (a, b) VALUES (1, ?)').run('ok');
  });

  it('rolls a failed migration back and refuses a newer database', () => {
    openAt('a.db').close();
    const bad = [
      ...MIGRATIONS,
      { version: MIGRATIONS.length + 1, name: 'bad', sql: 'CREATE TABLE z (a); NONSENSE' },
    ];
    expect(() => openAt('a.db', { migrations: bad })).toThrow(
      expect.objectContaining({ code: 'HW_ERR_DATABASE' }),
    );
    const db = openAt('a.db');
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    expect(db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'z'").pluck().get()).toBe(0);
    db.pragma(`user_version = ${MIGRATIONS.length + 5}`);
    db.close();
    expect(() => openAt('a.db')).toThrow(expect.objectContaining({ code: 'HW_ERR_DATABASE' }));
  });

  it('003 keeps the change log of an older database: its rows stay single changes', () => {
    const old = openAt('old.db', { migrations: MIGRATIONS.slice(0, 2) });
    old.prepare("INSERT INTO lists (name, created_at, updated_at) VALUES ('l', 0, 0)").run();
    old
      .prepare("INSERT INTO entries (list_id, type, value, added_at, added_by) VALUES (1, 'md5', ?, 0, 't')")
      .run(Buffer.alloc(16, 7));
    old.prepare("INSERT INTO changes (entry_id, list_id, type, op) VALUES (1, 1, 'md5', 'add')").run();
    old.close();
    const db = openAt('old.db');
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    const changes = new ChangeRepository(db);
    expect(changes.changesSince(0)).toEqual([
      {
        seq: 1,
        entryId: 1,
        lastEntryId: null,
        listId: 1,
        type: 'md5',
        op: 'add',
        value: new Uint8Array(16).fill(7),
      },
    ]);
    changes.appendAddRange(1, 2, 9, null);
    expect(changes.changesSince(1)).toEqual([
      { seq: 2, entryId: 2, lastEntryId: 9, listId: 1, type: null, op: 'add', value: null },
    ]);
    expect(changes.latestChangeSeq()).toBe(2);
  });
});

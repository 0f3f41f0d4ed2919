/**
 * kill -9 at several points of an import's apply, commit included (issue 7; test/store/kill.test.ts
 * covers the read phase and the WAL spill). After each kill the file passes `PRAGMA integrity_check`
 * and the list is all-or-nothing: exactly as before, or holding every imported row.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.js';
import { ACTOR, asLines, makeHex } from '../store/helpers.js';
import { integrityCheck, STORE_JS } from './db-checks.js';

const CHILD = join(import.meta.dirname, '..', 'store', 'import-child.mjs');
const ROWS = 150_000;
/** ms after the child reports its apply phase; the last ones land around or after the commit. */
const DELAYS = [0, 40, 120, 250, 400, 700];

function activeCount(path: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return db
      .prepare(
        "SELECT count(*) FROM entries e JOIN lists l ON l.id = e.list_id WHERE l.name = 'victim' AND e.removed_at IS NULL",
      )
      .pluck()
      .get() as number;
  } finally {
    db.close();
  }
}

function importThenKill(path: string, file: string, delayMs: number): Promise<{ killed: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, STORE_JS, path, file, 'victim', '2048'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let killed = false;
    let armed = false;
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      if (!armed && text.includes('"apply"')) {
        armed = true;
        setTimeout(() => {
          killed = child.kill('SIGKILL');
        }, delayMs);
      }
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => resolve({ killed: killed && signal === 'SIGKILL' }));
  });
}

describe('kill -9 during an import, at several points of the apply', () => {
  let dir: string;
  let file: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(os.tmpdir(), 'hw-kill2-'));
    file = join(dir, 'rows.txt');
    const next = makeHex(4242, 32);
    const out = createWriteStream(file);
    for (let i = 0; i < ROWS; i++) out.write(`${next()}\n`);
    await new Promise<void>((r) => out.end(() => r()));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('each kill leaves a sound file and an all-or-nothing list', async () => {
    const seen: string[] = [];
    for (const delay of DELAYS) {
      const path = join(dir, `kill-${delay}.db`);
      const store = Store.open(path);
      store.lists.create({ name: 'victim' }, ACTOR);
      await store.importEntries('victim', asLines([makeHex(1, 32)()]), {
        format: 'lines',
        type: 'pdq',
        actor: ACTOR,
      });
      store.close();
      const { killed } = await importThenKill(path, file, delay);
      expect(integrityCheck(path), `delay ${delay}`).toBe('ok');
      const n = activeCount(path);
      expect([1, 1 + ROWS], `delay ${delay}`).toContain(n);
      seen.push(`${delay}ms:${killed ? 'killed' : 'finished'}:${n === 1 ? 'unchanged' : 'complete'}`);
    }
    // At least one kill landed before the commit (the list unchanged).
    expect(
      seen.some((s) => s.includes('killed:unchanged')),
      seen.join(' '),
    ).toBe(true);
  });
});

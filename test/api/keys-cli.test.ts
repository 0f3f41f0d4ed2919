/** `hashwarden keys create | ls | revoke` against a temp database. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/index.js';
import { Store } from '../../src/store/store.js';

let dir: string;
let db: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hw-keys-'));
  db = join(dir, 'hw.db');
});
afterEach(async () => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
  await rm(dir, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    out += String(s);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    err += String(s);
    return true;
  });
  try {
    const code = await main(['node', 'hashwarden', ...args, '--db', db]);
    return { code, out, err };
  } finally {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  }
}

describe('hashwarden keys', () => {
  it('creates a key printed once, lists it without the key, and revokes it', async () => {
    const created = await run('keys', 'create', 'scanner', '--scopes', 'match,lists:read', '--lists', 'a,b');
    expect(created.code).toBe(0);
    const key = created.out.trim();
    expect(key).toMatch(/^hw_[A-Za-z0-9_-]{40,}$/);
    const store = Store.open(db);
    try {
      expect(store.keys.verify(key)).toMatchObject({
        name: 'scanner',
        scopes: ['lists:read', 'match'],
        lists: ['a', 'b'],
      });
    } finally {
      store.close();
    }
    const ls = await run('keys', 'ls');
    expect(ls.out).toContain('scanner');
    expect(ls.out).not.toContain(key);
    expect((await run('keys', 'revoke', 'scanner')).out).toContain('revoked');
    const again = await run('keys', 'create', 'scanner', '--scopes', 'match');
    expect(again.err).toContain('HW_ERR_KEY_EXISTS');
    expect((await run('keys', 'create', 'x', '--scopes', 'everything')).err).toContain('HW_ERR_BAD_OPTION');
  });
});

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerImportExportCommands } from '../../src/cli/import-export.js';
import { parseThresholds, registerListCommands } from '../../src/cli/lists.js';
import { Store } from '../../src/store/index.js';
import { tempStore } from './helpers.js';

const P1 = 'c'.repeat(64);
const P2 = 'd'.repeat(64);

describe('lists, import and export commands', () => {
  let dir: string;
  let db: string;
  let cleanup: () => Promise<void>;
  let out: string;
  let err: string;
  beforeEach(async () => {
    const t = await tempStore();
    t.store.close();
    ({ dir, cleanup } = t);
    db = t.path;
    out = '';
    err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      out += String(s);
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
      err += String(s);
      return true;
    });
    process.exitCode = undefined;
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
    await cleanup();
  });

  const cli = async (...args: string[]) => {
    const program = new Command('hashwarden').exitOverride();
    registerListCommands(program);
    registerImportExportCommands(program);
    await program.parseAsync([...args, '--db', db, '--actor', 'cli-test'], { from: 'user' });
    return process.exitCode ?? 0;
  };

  it('creates, shows, imports, exports, updates and removes', async () => {
    expect(
      await cli('lists', 'create', 'hot', '--types', 'pdq', '--threshold', 'pdq=24', '--kind', 'safelist'),
    ).toBe(0);
    expect(await cli('lists', 'create', 'hot')).toBe(1);
    expect(err).toMatch(/HW_ERR_LIST_EXISTS/);
    process.exitCode = undefined;

    const file = join(dir, 'in.txt');
    await writeFile(file, `${P1}\nbad\n${P2}\n`);
    expect(await cli('import', 'hot', file, '--type', 'pdq')).toBe(1);
    expect(err).toMatch(/line 2: a pdq hash is 64 hex digits/);
    process.exitCode = undefined;

    const rejects = join(dir, 'rejects.tsv');
    expect(await cli('import', 'hot', file, '--type', 'pdq', `--skip-invalid=${rejects}`)).toBe(0);
    expect(out).toMatch(/imported into hot: added 2, duplicates 0, rejected 1/);
    expect(await readFile(rejects, 'utf8')).toBe(
      'line\treason\ttext\n2\ta pdq hash is 64 hex digits, got 3\tbad\n',
    );

    out = '';
    expect(await cli('lists', 'show', 'hot', '--json')).toBe(0);
    expect(JSON.parse(out)).toMatchObject({
      kind: 'safelist',
      thresholds: { pdq: 24 },
      counts: [{ type: 'pdq', active: 2 }],
    });

    const exported = join(dir, 'out.csv');
    expect(await cli('export', 'hot', '--format', 'csv', '--out', exported)).toBe(0);
    expect(await readFile(exported, 'utf8')).toBe(
      `type,value,external_id,labels\npdq,${P1},,\npdq,${P2},,\n`,
    );
    expect(await cli('import', 'copy', exported, '--create')).toBe(0);

    expect(await cli('lists', 'update', 'hot', '--disable', '--description', 'off for now')).toBe(0);
    expect(await cli('lists', 'rm', 'hot', '--yes')).toBe(0);
    out = '';
    expect(await cli('lists', 'ls')).toBe(0);
    expect(out).toMatch(/^copy\s+blocklist/);

    const store = Store.open(db);
    try {
      const actions = store.audit.page().items.map((a) => `${a.actor}:${a.action}`);
      expect(actions).toContain('cli-test:list.remove');
      expect(actions).toContain('cli-test:entries.import');
    } finally {
      store.close();
    }
  });

  it('parses thresholds', () => {
    expect(parseThresholds('pdq=31, phash=10')).toEqual({ pdq: 31, phash: 10 });
    expect(() => parseThresholds('pdq')).toThrow(expect.objectContaining({ code: 'HW_ERR_BAD_OPTION' }));
    expect(() => parseThresholds('nope=1')).toThrow(
      expect.objectContaining({ code: 'HW_ERR_UNKNOWN_HASH_TYPE' }),
    );
  });
});

/**
 * Hostile strings (issue 7): hash values of the wrong length or alphabet, and list names with path,
 * SQL or control characters, each refused with its typed error and without touching the database.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseHash, parseHashType, tryHexToBytes } from '../../src/hash/codec.js';
import { HASH_TYPES, type HashType } from '../../src/hash/types.js';
import type { Store } from '../../src/store/index.js';
import { ACTOR, asLines, tempStore } from '../store/helpers.js';
import { Rng } from './prng.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? `untyped: ${String(err)}`;
  }
}

const BAD_HEX = [
  '',
  ' ',
  'g'.repeat(64),
  `0x${'a'.repeat(62)}`,
  `-${'a'.repeat(63)}`,
  `${'a'.repeat(32)} ${'a'.repeat(31)}`,
  `${'a'.repeat(63)}\0`,
  '０'.repeat(64), // full-width digits
  `${'a'.repeat(62)}é`,
  `${'a'.repeat(62)}😀`,
  'a'.repeat(65),
  'a'.repeat(63),
  'a'.repeat(100_000),
  `${'a'.repeat(60)}'; --`,
];

describe('hash strings', () => {
  it('every wrong length or alphabet is HW_ERR_BAD_HASH, for every type', () => {
    for (const type of Object.keys(HASH_TYPES) as HashType[]) {
      for (const text of BAD_HEX)
        expect(
          codeOf(() => parseHash(type, text)),
          `${type} ${JSON.stringify(text.slice(0, 80))}`,
        ).toBe('HW_ERR_BAD_HASH');
    }
  });

  it('random strings: the codec agrees with a regular-expression oracle and never throws untyped', () => {
    const rng = new Rng(7);
    const alphabet = '0123456789abcdefABCDEFgxz -\0\u00e9\u0660\uff10\ud83d';
    for (let i = 0; i < 20_000; i++) {
      const type = rng.pick(Object.keys(HASH_TYPES) as HashType[]);
      const { hexLength, bytes } = HASH_TYPES[type];
      const len = rng.chance(0.5) ? hexLength : rng.int(hexLength * 2 + 2);
      let text = '';
      for (let k = 0; k < len; k++)
        text += rng.chance(0.9) ? rng.pick([...'0123456789abcdefABCDEF']) : rng.pick([...alphabet]);
      const valid = new RegExp(`^\\s*[0-9a-fA-F]{${hexLength}}\\s*$`).test(text);
      expect(tryHexToBytes(text, bytes) !== null).toBe(valid);
      expect(codeOf(() => parseHash(type, text))).toBe(valid ? 'ok' : 'HW_ERR_BAD_HASH');
    }
  });

  it('unknown type names are HW_ERR_UNKNOWN_HASH_TYPE', () => {
    for (const name of ['', 'PDQ2', 'pdq\0', '__proto__', 'constructor', 'toString', 'md5; DROP', 'ｐｄｑ']) {
      expect(
        codeOf(() => parseHashType(name)),
        JSON.stringify(name),
      ).toBe('HW_ERR_UNKNOWN_HASH_TYPE');
    }
  });
});

const HOSTILE_NAMES = [
  '../x',
  '..',
  '/etc/passwd',
  'a/b',
  'a\\b',
  'a;DROP TABLE lists',
  "a' OR '1'='1",
  'a"--',
  'victim\0',
  '\0',
  'naïve',
  'списки',
  '😀',
  'Victim',
  ' victim',
  'victim ',
  '',
  'a'.repeat(65),
  '%2e%2e%2fx',
  'victim\n',
];

describe('list names', () => {
  let store: Store;
  let path: string;
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store, path, dir, cleanup } = await tempStore());
    store.lists.create({ name: 'victim' }, ACTOR);
    await store.importEntries('victim', asLines(['a'.repeat(64)]), {
      format: 'lines',
      type: 'pdq',
      actor: ACTOR,
    });
  });
  afterEach(async () => {
    await cleanup();
  });

  /** Every row of every table: "changes nothing" means exactly this is equal. */
  function dump(): string {
    const db = new Database(path, { readonly: true });
    try {
      const tables = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .pluck()
        .all() as string[];
      return JSON.stringify(
        tables.map((t) => [t, db.prepare(`SELECT * FROM "${t}"`).raw().all()]),
        (_k, v) => (Buffer.isBuffer(v) ? v.toString('hex') : v),
      );
    } finally {
      db.close();
    }
  }

  it('creating one is HW_ERR_INVALID_LIST_NAME; using one is HW_ERR_LIST_NOT_FOUND; nothing changes', async () => {
    const before = dump();
    for (const name of HOSTILE_NAMES) {
      const label = JSON.stringify(name);
      expect(
        codeOf(() => store.lists.create({ name }, ACTOR)),
        label,
      ).toBe('HW_ERR_INVALID_LIST_NAME');
      if (name === 'victim') continue;
      expect(
        codeOf(() => store.lists.require(name)),
        label,
      ).toBe('HW_ERR_LIST_NOT_FOUND');
      const imported = await store
        .importEntries(name, asLines(['b'.repeat(64)]), { format: 'lines', type: 'pdq', actor: ACTOR })
        .then(
          () => 'ok',
          (err: { code?: string }) => err.code ?? 'untyped',
        );
      expect(imported, label).toBe('HW_ERR_LIST_NOT_FOUND');
      expect(
        codeOf(() => [...store.exportEntries(name, 'ndjson')]),
        label,
      ).toBe('HW_ERR_LIST_NOT_FOUND');
    }
    store.close();
    expect(dump()).toBe(before);
    // No path-shaped name reached the file system.
    expect(existsSync(join(dir, '..', 'x'))).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { HASH_TYPE_NAMES, HASH_TYPES, type HashType } from '../../src/hash/types.js';
import { sortKey } from '../../src/store/import/staging.js';
import { makeHex } from './helpers.js';

describe('staging sort key', () => {
  it('orders (key, value) exactly as (type, value), the unique index order', () => {
    const next = makeHex(99, 32);
    const rows: { type: HashType; value: Buffer }[] = [];
    for (let i = 0; i < 4000; i++) {
      const type = HASH_TYPE_NAMES[i % HASH_TYPE_NAMES.length]!;
      const hex = next().slice(0, HASH_TYPES[type].hexLength);
      // Every 4th value shares its first 6 bytes with others: the key ties and the value decides.
      rows.push({ type, value: Buffer.from(i % 4 === 0 ? `0000ffff0000${hex.slice(12)}` : hex, 'hex') });
    }
    const byKey = rows
      .map((r) => ({ ...r, k: sortKey(r.type, r.value, 0) }))
      .sort((a, b) => a.k - b.k || Buffer.compare(a.value, b.value));
    const byTypeValue = [...rows].sort((a, b) =>
      a.type !== b.type ? (a.type < b.type ? -1 : 1) : Buffer.compare(a.value, b.value),
    );
    expect(byKey.map((r) => `${r.type}:${r.value.toString('hex')}`)).toEqual(
      byTypeValue.map((r) => `${r.type}:${r.value.toString('hex')}`),
    );
    for (const r of byKey) expect(Number.isSafeInteger(r.k)).toBe(true);
  });
});

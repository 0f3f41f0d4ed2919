import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseLayout } from '../../src/index/layout.js';
import { bytesToWords } from '../../src/index/linear.js';
import { MihIndex } from '../../src/index/mih.js';
import { buildBase } from '../../src/index/mih-build.js';
import { SearchPool } from '../../src/index/search-pool.js';
import { atDistance, canon, dataset, flat, mulberry32, randomHash } from './helpers.js';

const R = 31;
let pool: SearchPool;

beforeAll(() => {
  // minBatch 1: every batch goes to the threads, so the tests exercise them.
  pool = new SearchPool({ threads: 2, minBatch: 1 });
});
afterAll(async () => {
  await pool.close();
});

/** A shared PDQ index of `n` random entries (ids 1..n), queries planted at 0, 1, r−1, r, r+1 and random. */
function fixture(mode: 'fast' | 'compact', shared = true) {
  const rnd = mulberry32(mode === 'fast' ? 7 : 8);
  const hashes = dataset(3000, 32, rnd);
  const ids = Uint32Array.from(hashes, (_, i) => i + 1);
  const index = MihIndex.build('pdq', flat(hashes), ids, { mode, shared, deltaLimit: 1_000_000 });
  const queries: Uint8Array[] = [];
  for (const d of [0, 1, R - 1, R, R + 1])
    for (let k = 0; k < 6; k++) queries.push(atDistance(hashes[rnd() % 3000]!, d, rnd));
  for (let k = 0; k < 10; k++) queries.push(randomHash(32, rnd));
  return { index, hashes, queries, rnd };
}

function inline(index: MihIndex, queries: readonly Uint8Array[]): string[][] {
  return queries.map((q) => canon(index.search(q, R)));
}

async function threaded(index: MihIndex, queries: readonly Uint8Array[], p: SearchPool | null = pool) {
  return (await index.searchMany(queries, R, p)).map(canon);
}

describe('SearchPool', () => {
  for (const mode of ['fast', 'compact'] as const) {
    it(`answers a batch exactly as the inline search does (${mode} tables)`, async () => {
      const { index, queries } = fixture(mode);
      expect(index.fast).toBe(mode === 'fast');
      const expected = inline(index, queries);
      expect(expected.flat().length).toBeGreaterThanOrEqual(24);
      expect(await threaded(index, queries)).toEqual(expected);
    });
  }

  it('sees removals made after the threads got the base, and additions waiting in the delta', async () => {
    const { index, hashes, queries, rnd } = fixture('fast');
    await threaded(index, queries);
    // Remove the entries the planted queries were made from; add near copies under new ids.
    const before = inline(index, queries);
    let removed = 0;
    for (let id = 1; id <= 3000; id += 7) if (index.remove(id)) removed++;
    expect(removed).toBeGreaterThan(400);
    for (let k = 0; k < 50; k++) index.add(5000 + k, atDistance(hashes[rnd() % 3000]!, 3, rnd));
    index.add(6000, queries[0]!);
    const after = inline(index, queries);
    expect(after).not.toEqual(before);
    expect(await threaded(index, queries)).toEqual(after);
    expect(
      (await index.searchMany([queries[0]!], R, pool))[0]!.some((m) => m.id === 6000 && m.distance === 0),
    ).toBe(true);
  });

  it('follows a compaction: the new base is sent to the threads and gives the same answers', async () => {
    const { index, hashes, queries, rnd } = fixture('fast');
    await threaded(index, queries);
    for (let id = 2; id <= 3000; id += 3) index.remove(id);
    const added = Array.from({ length: 100 }, () => atDistance(hashes[rnd() % 3000]!, 5, rnd));
    added.forEach((h, k) => {
      index.add(7000 + k, h);
    });
    // Entries only the new base holds: a thread still on the old one would miss them.
    queries.push(...added.slice(0, 10));
    // The removals already started a compaction (more than 1/8 dead); the second one takes the adds.
    await index.compact();
    await index.compact();
    expect(index.deltaSize).toBe(0);
    const expected = inline(index, queries);
    for (let k = 0; k < 10; k++) expect(expected[queries.length - 10 + k]).toContain(`${7000 + k}:0`);
    expect(await threaded(index, queries)).toEqual(expected);
  });

  it('searches inline, with the same answers, when the base is not shared or the batch is small', async () => {
    const { index, queries } = fixture('fast', false);
    const expected = inline(index, queries);
    const words = bytesToWords(flat(dataset(100, 32, mulberry32(3))));
    const unshared = buildBase(
      chooseLayout(256, 100, R),
      words,
      Uint32Array.from({ length: 100 }, (_, i) => i + 1),
    );
    expect(unshared.descriptor()).toBeNull();
    await expect(pool.search(unshared, [words.subarray(0, 8)], R)).rejects.toThrow(/shared memory/);
    expect(await threaded(index, queries)).toEqual(expected);
    const picky = new SearchPool({ threads: 1, minBatch: 1000 });
    try {
      const shared = fixture('fast');
      expect(await threaded(shared.index, shared.queries, picky)).toEqual(
        inline(shared.index, shared.queries),
      );
    } finally {
      await picky.close();
    }
  });

  it('falls back to inline searches once closed, and close is idempotent', async () => {
    const { index, queries } = fixture('compact');
    const p = new SearchPool({ threads: 1, minBatch: 1 });
    expect(await threaded(index, queries, p)).toEqual(inline(index, queries));
    await p.close();
    await p.close();
    expect(p.closed).toBe(true);
    expect(await threaded(index, queries, p)).toEqual(inline(index, queries));
  });

  it('answers searches in flight when the pool closes under them, by searching inline', async () => {
    const { index, queries } = fixture('fast');
    const p = new SearchPool({ threads: 2, minBatch: 1 });
    const expected = inline(index, queries);
    const pending = index.searchMany(queries, R, p);
    await p.close();
    expect((await pending).map(canon)).toEqual(expected);
  });

  it('rejects a bad radius the way search does', async () => {
    const { index, queries } = fixture('fast');
    await expect(index.searchMany(queries, -1, pool)).rejects.toThrow(/radius/);
  });
});

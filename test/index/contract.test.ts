import { setImmediate as tick } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { HASH_TYPES, type HashType } from '../../src/hash/types.js';
import { ExactIndex } from '../../src/index/exact.js';
import { LinearIndex } from '../../src/index/linear.js';
import { MihIndex } from '../../src/index/mih.js';
import type { HashIndex } from '../../src/index/types.js';
import { atDistance, canon, dataset, flat, mulberry32, randomHash } from './helpers.js';

/** One implementation under the contract: how to bulk-build it and which hash types it serves. */
interface Impl {
  readonly name: string;
  readonly types: readonly HashType[];
  build(type: HashType, hashes: Uint8Array, ids: Uint32Array): HashIndex;
}

const HAMMING: readonly HashType[] = ['pdq', 'phash'];
const IMPLS: readonly Impl[] = [
  {
    name: 'linear',
    types: [...HAMMING, 'md5', 'sha1', 'sha256'],
    build: (t, h, i) => LinearIndex.build(t, h, i),
  },
  {
    name: 'mih compact (default layout)',
    types: HAMMING,
    build: (t, h, i) => MihIndex.build(t, h, i, { mode: 'compact' }),
  },
  {
    name: 'mih fast (default layout)',
    types: HAMMING,
    build: (t, h, i) => MihIndex.build(t, h, i, { mode: 'fast' }),
  },
  {
    name: 'mih compact (16-bit tables, tiny delta, sliced compaction)',
    types: HAMMING,
    build: (t, h, i) =>
      MihIndex.build(t, h, i, {
        mode: 'compact',
        substrings: t === 'pdq' ? 16 : 4,
        deltaLimit: 32,
        sliceSize: 50,
      }),
  },
  {
    // auto switches mode as compactions change the size: the 2,000-entry lists below start fast, and
    // the compaction test's 300 additions cross the limit, so its rebuilt base is compact.
    name: 'mih auto (fast up to 2,100 entries, 16-bit tables, tiny delta, sliced compaction)',
    types: HAMMING,
    build: (t, h, i) =>
      MihIndex.build(t, h, i, {
        fastMaxEntries: 2100,
        substrings: t === 'pdq' ? 16 : 4,
        deltaLimit: 32,
        sliceSize: 50,
      }),
  },
  { name: 'exact', types: ['md5', 'sha1', 'sha256'], build: (t, h, i) => ExactIndex.build(t, h, i) },
];

const CASES = IMPLS.flatMap((impl) =>
  impl.types.map((type) => ({ impl, type, label: `${impl.name} / ${type}` })),
);

/** The subject and the brute-force oracle over the same entries, changed in step. */
function pair(impl: Impl, type: HashType, hashes: readonly Uint8Array[], firstId = 1) {
  const ids = Uint32Array.from(hashes, (_, i) => firstId + i);
  const data = flat(hashes);
  const oracle = LinearIndex.build(type, data, ids);
  const index = impl.build(type, data, ids);
  return {
    oracle,
    index,
    add(id: number, h: Uint8Array) {
      oracle.add(id, h);
      index.add(id, h);
    },
    remove(id: number) {
      const a = oracle.remove(id);
      expect(index.remove(id)).toBe(a);
    },
    check(queries: readonly Uint8Array[], radii: readonly number[]) {
      expect(index.size).toBe(oracle.size);
      for (const q of queries) {
        for (const r of radii)
          expect(canon(index.search(q, r)), `radius ${r}`).toEqual(canon(oracle.search(q, r)));
      }
    },
  };
}

describe.each(CASES)('index contract: $label', ({ impl, type }) => {
  const info = HASH_TYPES[type];
  const r = info.defaultThreshold;
  const radii =
    info.kind === 'exact'
      ? [0]
      : [0, 1, 2, r - 1, r, r + 1, Math.ceil(info.maxThreshold / 2), info.maxThreshold];
  const n = 2000;

  it('finds planted neighbours at 0, 1, r−1 and r, and not at r+1 (inclusive radius)', () => {
    const rnd = mulberry32(1);
    const hashes = dataset(n, info.bytes, rnd);
    const { index, check } = pair(impl, type, hashes);
    const queries: Uint8Array[] = [];
    for (const d of [0, 1, r - 1, r, r + 1]) {
      if (d < 0) continue;
      const target = 1 + (rnd() % n);
      const q = atDistance(hashes[target - 1]!, d, rnd);
      queries.push(q);
      const hit = index.search(q, r).find((m) => m.id === target);
      if (d <= r) expect(hit).toEqual({ id: target, distance: info.kind === 'exact' ? 0 : d });
      else expect(hit).toBeUndefined();
    }
    check(queries, radii);
  });

  it('agrees with brute force on random data and queries at radii 0..maxThreshold', () => {
    const rnd = mulberry32(2);
    const hashes = dataset(n, info.bytes, rnd);
    const { check } = pair(impl, type, hashes);
    const queries = [
      ...Array.from({ length: 10 }, () => randomHash(info.bytes, rnd)),
      ...Array.from({ length: 10 }, () => atDistance(hashes[rnd() % n]!, rnd() % (r + 2), rnd)),
    ];
    check(queries, radii);
  });

  it('builds from ids in any order', () => {
    const rnd = mulberry32(10);
    const hashes = dataset(500, info.bytes, rnd);
    const ids = Uint32Array.from(hashes, (_, i) => (i * 7919) % 100_003);
    const oracle = LinearIndex.build(type, flat(hashes), ids);
    const index = impl.build(type, flat(hashes), ids);
    for (const id of [ids[3]!, ids[499]!]) expect(index.remove(id)).toBe(oracle.remove(id));
    for (const q of hashes.slice(0, 10)) {
      for (const rr of radii) expect(canon(index.search(q, rr))).toEqual(canon(oracle.search(q, rr)));
    }
  });

  it('returns every id of a duplicated value', () => {
    const rnd = mulberry32(3);
    const hashes = dataset(n, info.bytes, rnd);
    const dup = hashes[7]!;
    for (const i of [100, 200, 300, 1999]) hashes[i] = dup.slice();
    const { index, check } = pair(impl, type, hashes);
    expect(
      index
        .search(dup, 0)
        .map((m) => m.id)
        .sort((a, b) => a - b),
    ).toEqual([8, 101, 201, 301, 2000]);
    check([dup, atDistance(dup, 1, rnd)], radii);
  });

  it('answers right when one value fills a bucket (flat images, a hash in many lists)', () => {
    const rnd = mulberry32(9);
    const hashes = dataset(n, info.bytes, rnd);
    const flatImage = new Uint8Array(info.bytes);
    for (let i = 0; i < 300; i++)
      hashes[5 * i] = i % 10 === 9 ? atDistance(flatImage, 1 + (i % 3), rnd) : flatImage.slice();
    const p = pair(impl, type, hashes);
    for (const i of [0, 5, 10, 400, 1495]) p.remove(1 + i);
    p.add(1, flatImage);
    p.check([flatImage, atDistance(flatImage, 2, rnd), atDistance(flatImage, r, rnd), hashes[1]!], radii);
  });

  it('forgets removed entries and takes an id back after its removal', () => {
    const rnd = mulberry32(4);
    const hashes = dataset(n, info.bytes, rnd);
    const p = pair(impl, type, hashes);
    for (let k = 0; k < 100; k++) p.remove(1 + (rnd() % (n + 10)));
    p.remove(5);
    p.remove(5);
    const moved = atDistance(hashes[9]!, 1, rnd);
    p.remove(10);
    p.add(10, moved);
    p.add(11, hashes[9]!); // a live id added again: replaced, not duplicated
    expect(p.index.search(moved, 0).map((m) => m.id)).toEqual([10]);
    p.check([hashes[4]!, hashes[9]!, moved, ...hashes.slice(0, 20)], radii);
  });

  it('answers from the delta and after compaction, with changes made while it compacts', async () => {
    const rnd = mulberry32(5);
    const hashes = dataset(n, info.bytes, rnd);
    const p = pair(impl, type, hashes);
    const extra = Array.from({ length: 300 }, (_, i) =>
      i % 3 === 0 ? atDistance(hashes[i]!, i % (r + 2), rnd) : randomHash(info.bytes, rnd),
    );
    extra.forEach((h, i) => {
      p.add(10_000 + i, h);
    });
    const queries = [...extra.slice(0, 15), ...hashes.slice(0, 15)];
    p.check(queries, radii);
    let done = false;
    const compaction = p.index.compact().then(() => {
      done = true;
    });
    for (let k = 0; !done && k < 10_000; k++) {
      // Mutations interleaved with the compaction's slices: removals of old and new entries,
      // re-adds of removed ids, fresh additions.
      const id = k % 4 === 0 ? 1 + (rnd() % n) : 10_000 + (rnd() % 300);
      if (k % 3 === 2) p.add(id, atDistance(hashes[id % n]!, 2, rnd));
      else p.remove(id);
      if (k % 5 === 0) p.add(20_000 + k, randomHash(info.bytes, rnd));
      await tick();
    }
    await compaction;
    p.check(queries, radii);
    await p.index.compact();
    p.check(queries, radii);
    p.index.close();
  });

  it('agrees with brute force on clustered data (near-duplicate families)', () => {
    if (info.kind === 'exact') return;
    const rnd = mulberry32(6);
    const spread = Math.round(info.bits / 10);
    const hashes = dataset(n, info.bytes, rnd, { centres: 20, lo: spread, hi: 2 * spread });
    const { check } = pair(impl, type, hashes);
    const queries = Array.from({ length: 20 }, () => atDistance(hashes[rnd() % n]!, rnd() % (r + 2), rnd));
    check(queries, radii);
  });

  it('rejects a hash of the wrong length and a bad radius with their codes', () => {
    const { index } = pair(impl, type, dataset(10, info.bytes, mulberry32(7)));
    expect(() => index.search(new Uint8Array(info.bytes + 1), 0)).toThrow(
      expect.objectContaining({ code: 'HW_ERR_BAD_HASH' }),
    );
    expect(() => index.add(1, new Uint8Array(3))).toThrow(
      expect.objectContaining({ code: 'HW_ERR_BAD_HASH' }),
    );
    expect(() => index.search(new Uint8Array(info.bytes), -1)).toThrow(
      expect.objectContaining({ code: 'HW_ERR_BAD_OPTION' }),
    );
    expect(() => index.add(-1, new Uint8Array(info.bytes))).toThrow(
      expect.objectContaining({ code: 'HW_ERR_BAD_OPTION' }),
    );
  });

  it('starts empty and grows by add', () => {
    const index = impl.build(type, new Uint8Array(0), new Uint32Array(0));
    expect(index.size).toBe(0);
    const h = randomHash(info.bytes, mulberry32(8));
    expect(index.search(h, 0)).toEqual([]);
    index.add(42, h);
    expect(index.search(h, 0)).toEqual([{ id: 42, distance: 0 }]);
    expect(index.size).toBe(1);
    expect(index.memoryBytes()).toBeGreaterThan(0);
  });
});

describe('MIH modes', () => {
  it('auto builds fast up to fastMaxEntries and compact above, re-deciding at each compaction', async () => {
    const rnd = mulberry32(11);
    const hashes = dataset(500, 32, rnd);
    const ids = Uint32Array.from(hashes, (_, i) => i + 1);
    const index = MihIndex.build('pdq', flat(hashes), ids, { fastMaxEntries: 600, deltaLimit: 1_000_000 });
    expect(index.fast).toBe(true);
    const fastBytes = index.memoryBytes();
    for (let i = 0; i < 200; i++) index.add(1000 + i, randomHash(32, rnd));
    await index.compact();
    expect(index.fast).toBe(false);
    // Removals past an eighth of the base start a compaction on their own (at 612 live entries, so
    // compact); the next one sees 550.
    for (let i = 0; i < 150; i++) index.remove(1000 + i);
    await index.compact();
    await index.compact();
    expect(index.size).toBe(550);
    expect(index.fast).toBe(true);
    expect(index.memoryBytes()).toBeGreaterThan(fastBytes);
    expect(MihIndex.build('pdq', flat(hashes), ids, { mode: 'compact' }).fast).toBe(false);
    expect(MihIndex.build('pdq', flat(hashes), ids, { mode: 'fast', fastMaxEntries: 1 }).fast).toBe(true);
    // Fast tables cost more memory than compact ones, for the same entries.
    expect(MihIndex.build('pdq', flat(hashes), ids, { mode: 'compact' }).memoryBytes()).toBeLessThan(
      fastBytes,
    );
  });
});

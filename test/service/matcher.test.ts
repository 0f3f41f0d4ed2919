import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bytesToHex, parseHash } from '../../src/hash/codec.js';
import { SearchPool } from '../../src/index/search-pool.js';
import { Matcher } from '../../src/service/matcher.js';
import { Store } from '../../src/store/store.js';

/** A deterministic PDQ-sized hash and copies of it with chosen bits flipped. */
function baseHash(seed: number): Uint8Array {
  const b = new Uint8Array(32);
  let x = seed * 2654435761;
  for (let i = 0; i < 32; i++) {
    x = (Math.imul(x ^ (x >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
    b[i] = x & 255;
  }
  return b;
}
function flip(h: Uint8Array, bits: number, from = 0): Uint8Array {
  const out = new Uint8Array(h);
  for (let k = from; k < from + bits; k++) out[k >> 3]! ^= 1 << (k & 7);
  return out;
}
const hex = bytesToHex;

let dir: string;
let store: Store;
let matcher: Matcher | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hw-matcher-'));
  store = Store.open(join(dir, 'hw.db'));
});
afterEach(async () => {
  matcher?.close();
  matcher = undefined;
  store.close();
  await rm(dir, { recursive: true, force: true });
});

function seedList(
  name: string,
  rows: { type: string; value: string; external_id?: string }[],
  kind: 'blocklist' | 'safelist' = 'blocklist',
) {
  const list = store.lists.create({ name, kind }, 'test');
  for (const r of rows)
    store.entries.add(
      list,
      {
        type: r.type as 'pdq',
        value: r.value,
        externalId: r.external_id ?? null,
        labels: { category: 'A1' },
      },
      'test',
    );
  return list;
}

describe('Matcher', () => {
  it('matches PDQ at distance <= 31 inclusive, never 32, and never returns stored values', async () => {
    const h = baseHash(1);
    seedList('csam', [{ type: 'pdq', value: hex(h), external_id: 'ext-1' }]);
    matcher = await Matcher.open(store, { pollMs: 0 });
    const at31 = matcher.match({ pdq: { reference: { hex: hex(flip(h, 31)), quality: 100 } } });
    expect(at31.matched).toBe(true);
    expect(at31.matches[0]).toMatchObject({
      list: 'csam',
      externalId: 'ext-1',
      type: 'pdq',
      distance: 31,
      transform: 'orig',
      labels: { category: 'A1' },
    });
    expect(JSON.stringify(at31)).not.toContain(hex(h));
    expect(matcher.match({ pdq: { reference: { hex: hex(flip(h, 32)), quality: 100 } } }).matched).toBe(
      false,
    );
  });

  it('lets a caller tighten a threshold but never loosen it', async () => {
    const h = baseHash(2);
    seedList('l', [{ type: 'pdq', value: hex(h) }]);
    matcher = await Matcher.open(store, { pollMs: 0 });
    const q = { pdq: { reference: { hex: hex(flip(h, 20)), quality: 100 } } };
    expect(matcher.match(q, { thresholds: { pdq: 19 } }).matched).toBe(false);
    expect(matcher.match(q, { thresholds: { pdq: 20 } }).matched).toBe(true);
    store.lists.update('l', { thresholds: { pdq: 10 } }, 'test');
    matcher.sync();
    expect(matcher.match(q, { thresholds: { pdq: 40 } }).matched).toBe(false);
    expect(() => matcher!.match(q, { thresholds: { pdq: 999 } })).toThrow(
      expect.objectContaining({ code: 'HW_ERR_BAD_OPTION' }),
    );
  });

  it('reports low-quality PDQ without matching it unless asked', async () => {
    const h = baseHash(3);
    seedList('l', [{ type: 'pdq', value: hex(h) }]);
    matcher = await Matcher.open(store, { pollMs: 0 });
    const q = { pdq: { reference: { hex: hex(h), quality: 30 } } };
    const r = matcher.match(q);
    expect([r.matched, r.pdqLowQuality]).toEqual([false, true]);
    expect(matcher.match(q, { includeLowQuality: true }).matched).toBe(true);
  });

  it('names the dihedral transform that matched, and skips dihedrals when asked', async () => {
    const h = baseHash(4);
    seedList('l', [{ type: 'pdq', value: hex(h) }]);
    matcher = await Matcher.open(store, { pollMs: 0 });
    const other = hex(baseHash(99));
    const q = {
      pdq: { reference: { hex: other, quality: 100, dihedral: { orig: other, rot90: hex(flip(h, 3)) } } },
    };
    expect(matcher.match(q).matches[0]).toMatchObject({ transform: 'rot90', distance: 3 });
    expect(matcher.match(q, { dihedral: false }).matched).toBe(false);
  });

  it('searches each list with the PDQ of its own variant', async () => {
    const h = baseHash(5);
    const full = store.lists.create({ name: 'full-list', pdqVariant: 'full' }, 'test');
    store.entries.add(full, { type: 'pdq', value: hex(h) }, 'test');
    matcher = await Matcher.open(store, { pollMs: 0 });
    expect(matcher.neededPdqVariants()).toEqual(['full']);
    expect(matcher.match({ pdq: { reference: { hex: hex(h), quality: 100 } } }).matched).toBe(false);
    expect(matcher.match({ pdq: { full: { hex: hex(h), quality: 100 } } }).matched).toBe(true);
    expect(matcher.lookup('pdq', hex(h)).matched).toBe(true);
    expect(matcher.lookup('pdq', hex(h), { pdqVariant: 'reference' }).matched).toBe(false);
  });

  it('matches exact hashes and pHash', async () => {
    const md5 = '0123456789abcdef0123456789abcdef';
    seedList('l', [
      { type: 'md5', value: md5.toUpperCase() },
      { type: 'phash', value: 'c2924c5532bddfc8' },
    ]);
    matcher = await Matcher.open(store, { pollMs: 0 });
    const r = matcher.match({ md5, phash: 'c2924c5532bddfcb' });
    expect(r.matches.map((m) => [m.type, m.distance, m.transform])).toEqual([
      ['md5', 0, 'exact'],
      ['phash', 2, 'orig'],
    ]);
  });

  it('answers a lookup batch on search threads exactly as one lookup at a time', async () => {
    const pool = new SearchPool({ threads: 2, minBatch: 1 });
    try {
      const hs = Array.from({ length: 40 }, (_, i) => baseHash(100 + i));
      const a = seedList(
        'a',
        hs.slice(0, 30).map((h, i) => ({ type: 'pdq', value: hex(h), external_id: `a-${i}` })),
      );
      seedList('b', [
        ...hs.slice(20).map((h) => ({ type: 'pdq', value: hex(flip(h, 5)) })),
        { type: 'sha256', value: 'ab'.repeat(32) },
        { type: 'phash', value: 'c2924c5532bddfc8' },
      ]);
      seedList('safe', [{ type: 'pdq', value: hex(hs[0]!) }], 'safelist');
      store.entries.setDisabled(store.entries.find(a.id, 'pdq', hs[1]!)!.id, true, 'test');
      matcher = await Matcher.open(store, { pollMs: 0, index: { shared: true }, searchPool: pool });
      const items = [
        ...hs.flatMap((h) => [0, 31, 32].map((d) => ({ type: 'pdq' as const, hex: hex(flip(h, d)) }))),
        { type: 'sha256' as const, hex: 'ab'.repeat(32) },
        { type: 'phash' as const, hex: 'c2924c5532bddfcb' },
        { type: 'md5' as const, hex: '0'.repeat(32) },
      ];
      for (const options of [
        {},
        { lists: ['b'] },
        { thresholds: { pdq: 10 } },
        { pdqVariant: 'full' as const },
      ]) {
        const batch = await matcher.lookupMany(items, options);
        const one = items.map((it) => matcher!.lookup(it.type, it.hex, options));
        expect(batch).toEqual(one);
      }
      const all = await matcher.lookupMany(items);
      expect(all.filter((r) => r.matched).length).toBeGreaterThan(60);
      expect(all[0]!.safelisted.map((m) => m.list)).toEqual(['safe']);
      await expect(matcher.lookupMany(items, { lists: ['nope'] })).rejects.toMatchObject({
        code: 'HW_ERR_LIST_NOT_FOUND',
      });
    } finally {
      await pool.close();
    }
  });

  it('honours disabled and removed entries, disabled lists, list filters and key restrictions', async () => {
    const h = baseHash(6);
    const list = seedList('a', [{ type: 'pdq', value: hex(h) }]);
    seedList('b', [{ type: 'pdq', value: hex(flip(h, 1)) }]);
    matcher = await Matcher.open(store, { pollMs: 0 });
    const q = { pdq: { reference: { hex: hex(h), quality: 100 } } };
    expect(matcher.match(q).matches.map((m) => m.list)).toEqual(['a', 'b']);
    expect(matcher.match(q, { lists: ['b'] }).matches.map((m) => m.list)).toEqual(['b']);
    expect(matcher.match(q, { allowedLists: ['a'] }).matches.map((m) => m.list)).toEqual(['a']);
    expect(() => matcher!.match(q, { lists: ['b'], allowedLists: ['a'] })).toThrow(
      expect.objectContaining({ code: 'HW_ERR_LIST_NOT_FOUND' }),
    );
    const entry = store.entries.find(list.id, 'pdq', h)!;
    store.entries.setDisabled(entry.id, true, 'test');
    matcher.sync();
    expect(matcher.match(q).matches.map((m) => m.list)).toEqual(['b']);
    store.entries.setDisabled(entry.id, false, 'test');
    store.lists.update('b', { enabled: false }, 'test');
    matcher.sync();
    expect(matcher.match(q).matches.map((m) => m.list)).toEqual(['a']);
    store.entries.remove(entry.id, 'test');
    matcher.sync();
    expect(matcher.match(q).matched).toBe(false);
  });

  it('lets a safelist match suppress blocklist matches of that type', async () => {
    const h = baseHash(7);
    seedList('block', [{ type: 'pdq', value: hex(h) }]);
    seedList('stock-images', [{ type: 'pdq', value: hex(flip(h, 2)) }], 'safelist');
    matcher = await Matcher.open(store, { pollMs: 0 });
    const r = matcher.match({ pdq: { reference: { hex: hex(h), quality: 100 } } });
    expect(r.matched).toBe(false);
    expect(r.suppressed).toBe(1);
    expect(r.safelisted.map((m) => m.list)).toEqual(['stock-images']);
  });

  it('follows changes written by another connection (another process) without a rebuild', async () => {
    matcher = await Matcher.open(store, { pollMs: 0 });
    const h = baseHash(8);
    const other = Store.open(join(dir, 'hw.db'));
    try {
      other.lists.create({ name: 'live' }, 'importer');
      await other.importEntries('live', [`pdq ${hex(h)}`], { format: 'te', actor: 'importer' });
    } finally {
      other.close();
    }
    const q = { pdq: { reference: { hex: hex(h), quality: 100 } } };
    expect(matcher.match(q).matched).toBe(false);
    const before = matcher.indexVersion;
    expect(matcher.sync()).toBeGreaterThan(0);
    expect(matcher.indexVersion).toBeGreaterThan(before);
    expect(matcher.match(q).matched).toBe(true);
    expect(matcher.sync()).toBe(0);
  });

  it('polls the change log by itself when asked', async () => {
    matcher = await Matcher.open(store, { pollMs: 20 });
    const h = baseHash(9);
    seedList('polled', [{ type: 'pdq', value: hex(h) }]);
    const q = { pdq: { reference: { hex: hex(h), quality: 100 } } };
    await expect.poll(() => matcher!.match(q).matched, { timeout: 5000 }).toBe(true);
  });

  it('loads what the store holds at start', async () => {
    const hs = Array.from({ length: 500 }, (_, i) => baseHash(100 + i));
    const list = store.lists.create({ name: 'bulk' }, 't');
    await store.importEntries(
      list.name,
      hs.map((h) => hex(h)),
      { format: 'lines', type: 'pdq', actor: 't' },
    );
    matcher = await Matcher.open(store, { pollMs: 0 });
    expect(matcher.stats().find((s) => s.type === 'pdq')?.size).toBe(500);
    for (const h of hs.slice(0, 20))
      expect(matcher.lookup('pdq', hex(flip(h, 5, 100))).matches[0]?.distance).toBe(5);
    expect(parseHash('pdq', hex(hs[0]!))).toEqual(hs[0]);
  });

  it('rebuilds in the background instead of replaying a long run of changes', async () => {
    matcher = await Matcher.open(store, { pollMs: 0, rebuildGap: 50 });
    const hs = Array.from({ length: 200 }, (_, i) => baseHash(1000 + i));
    store.lists.create({ name: 'big' }, 't');
    await store.importEntries(
      'big',
      hs.map((h) => hex(h)),
      { format: 'lines', type: 'pdq', actor: 't' },
    );
    const q = { pdq: { reference: { hex: hex(hs[7]!), quality: 100 } } };
    expect(matcher.sync()).toBe(0); // started a rebuild; the old index still answers meanwhile
    await matcher.settled();
    expect(matcher.match(q).matched).toBe(true);
    expect(matcher.stats().find((s) => s.type === 'pdq')?.size).toBe(200);
    expect(matcher.indexVersion).toBe(store.latestChangeSeq());
  });

  describe('import ranges (one change row per bulk import)', () => {
    const hs = Array.from({ length: 320 }, (_, i) => baseHash(5000 + i));
    /** Entry ids each hash finds at distance 0, in hash order: what the index holds, as answers. */
    const answers = (m: Matcher) =>
      hs.map((h) =>
        m
          .lookup('pdq', hex(h), { thresholds: { pdq: 0 } })
          .matches.map((x) => x.entryId)
          .join(','),
      );
    const importInto = async (s: Store, list: string, from: number, to: number, extra: string[] = []) =>
      s.importEntries(list, [...hs.slice(from, to).map((h) => hex(h)), ...extra], {
        format: 'lines',
        type: 'pdq',
        actor: 'importer',
      });

    it('agrees with a fresh build whenever it syncs: removals, disables and single changes after a range', async () => {
      const other = Store.open(join(dir, 'hw.db'));
      const followers: Matcher[] = [];
      try {
        const early = await Matcher.open(store, { pollMs: 0 }); // syncs after every step
        const late = await Matcher.open(store, { pollMs: 0 }); // syncs once, at the end
        followers.push(early, late);
        const list = other.lists.create({ name: 'ranged' }, 'importer');
        await importInto(other, 'ranged', 0, 200);
        expect(early.sync()).toBe(2); // the list row and ONE range row for 200 entries
        expect(early.stats().find((x) => x.type === 'pdq')?.size).toBe(200);
        const id = (i: number) => other.entries.find(list.id, 'pdq', hs[i]!)!.id;
        // A range whose entries are later removed or disabled, then single changes after it.
        for (let i = 0; i < 10; i++) other.entries.remove(id(i), 'op');
        for (let i = 10; i < 15; i++) other.entries.setDisabled(id(i), true, 'op');
        early.sync();
        // A matcher that starts mid-log: its position is past the first range.
        const mid = await Matcher.open(store, { pollMs: 0 });
        followers.push(mid);
        other.entries.setDisabled(id(10), false, 'op');
        other.entries.add(list, { type: 'pdq', value: hex(hs[200]!) }, 'op');
        // A second range, reviving a removed entry (a single add row) and adding new ones.
        await importInto(other, 'ranged', 201, 300, [hex(hs[5]!)]);
        early.sync();
        other.entries.remove(id(250), 'op');
        for (const m of followers) m.sync();
        const fresh = await Matcher.open(store, { pollMs: 0 });
        followers.push(fresh);
        const expected = answers(fresh);
        expect(expected.filter((a) => a !== '')).toHaveLength(300 - 9 - 4 - 1);
        for (const m of [early, late, mid]) expect(answers(m)).toEqual(expected);
        expect(answers(late)[5]).toBe(String(id(5)));
        expect(answers(late)[0]).toBe('');
        expect(answers(late)[10]).toBe(String(id(10)));
        expect(answers(late)[11]).toBe('');
      } finally {
        for (const m of followers) m.close();
        other.close();
      }
    });

    it('skips a range of a disabled list and loads it when the list is enabled again', async () => {
      const f = await Matcher.open(store, { pollMs: 0 });
      try {
        store.lists.create({ name: 'off', enabled: false }, 't');
        await importInto(store, 'off', 0, 50);
        f.sync();
        expect(answers(f).filter((a) => a !== '')).toHaveLength(0);
        store.lists.update('off', { enabled: true }, 't');
        f.sync();
        expect(answers(f).filter((a) => a !== '')).toHaveLength(50);
        store.lists.remove('off', 't');
        f.sync();
        expect(answers(f).filter((a) => a !== '')).toHaveLength(0);
      } finally {
        f.close();
      }
    });

    it('loads a range of an import made by another process within a second, by polling', async () => {
      matcher = await Matcher.open(store, { pollMs: 100 });
      const other = Store.open(join(dir, 'hw.db'));
      try {
        other.lists.create({ name: 'live-range' }, 'importer');
        await importInto(other, 'live-range', 0, 1000);
      } finally {
        other.close();
      }
      const t0 = performance.now();
      await expect
        .poll(() => answers(matcher!).filter((a) => a !== '').length, { timeout: 1000, interval: 20 })
        .toBe(320);
      expect(performance.now() - t0).toBeLessThan(1000);
    });
  });
});

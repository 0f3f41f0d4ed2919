import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/hash/codec.js';
import type { ListRecord, Store } from '../../src/store/index.js';
import { ACTOR, makeHex, tempStore } from './helpers.js';

describe('EntryRepository and the change log', () => {
  let store: Store;
  let list: ListRecord;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store, cleanup } = await tempStore());
    list = store.lists.create({ name: 'l', types: ['pdq', 'md5'] }, ACTOR);
  });
  afterEach(() => cleanup());

  it('adds an entry, validates type and length, and deduplicates', () => {
    const hex = 'AB'.repeat(32);
    const { entry, created } = store.entries.add(
      list,
      { type: 'pdq', value: ` ${hex} `, externalId: 'x1', labels: { category: 'A1' } },
      ACTOR,
    );
    expect(created).toBe(true);
    expect(entry).toMatchObject({
      listId: list.id,
      type: 'pdq',
      externalId: 'x1',
      labels: { category: 'A1' },
    });
    expect(bytesToHex(entry.value)).toBe(hex.toLowerCase());
    expect(store.entries.add(list, { type: 'pdq', value: hex }, ACTOR)).toEqual({ entry, created: false });
    expect(() => store.entries.add(list, { type: 'pdq', value: 'ab' }, ACTOR)).toThrow(
      expect.objectContaining({ code: 'HW_ERR_BAD_HASH' }),
    );
    expect(() => store.entries.add(list, { type: 'pdq', value: new Uint8Array(31) }, ACTOR)).toThrow(
      expect.objectContaining({ code: 'HW_ERR_BAD_HASH' }),
    );
    expect(() => store.entries.add(list, { type: 'sha1', value: '0'.repeat(40) }, ACTOR)).toThrow(
      expect.objectContaining({ code: 'HW_ERR_BAD_HASH' }),
    );
  });

  it('soft-deletes, disables and enables, with one change row each, in sequence', () => {
    const seq0 = store.latestChangeSeq();
    const e = store.entries.add(list, { type: 'md5', value: '1'.repeat(32) }, ACTOR).entry;
    store.entries.setDisabled(e.id, true, 'ann');
    store.entries.setDisabled(e.id, true, 'ann'); // idempotent: no second row
    store.entries.setDisabled(e.id, false, 'ann');
    const removed = store.entries.remove(e.id, 'ann');
    store.entries.remove(e.id, 'ann');
    expect(removed).toMatchObject({ removedBy: 'ann', disabled: false });
    expect(removed.removedAt).not.toBeNull();
    const changes = store.changesSince(seq0);
    expect(changes.map((c) => c.op)).toEqual(['add', 'disable', 'enable', 'remove']);
    expect(changes.every((c) => c.entryId === e.id && c.type === 'md5' && c.listId === list.id)).toBe(true);
    expect(changes.map((c) => c.seq)).toEqual([...changes.map((c) => c.seq)].sort((a, b) => a - b));
    expect(store.latestChangeSeq()).toBe(changes.at(-1)!.seq);
    expect(bytesToHex(changes[0]!.value!)).toBe('1'.repeat(32));
    expect(store.changesSince(changes[1]!.seq, 1).map((c) => c.op)).toEqual(['enable']);
    // Kept, and brought back by adding it again.
    expect(store.entries.get(e.id)).toBeDefined();
    const again = store.entries.add(list, { type: 'md5', value: '1'.repeat(32) }, ACTOR);
    expect(again.created).toBe(true);
    expect(again.entry).toMatchObject({ id: e.id, removedAt: null });
    const actions = store.audit.page({ limit: 1000 }).items.map((a) => a.action);
    expect(actions.filter((a) => a.startsWith('entry.'))).toEqual([
      'entry.add',
      'entry.remove',
      'entry.enable',
      'entry.disable',
      'entry.add',
    ]);
  });

  it('sets labels and pages through a list with a keyset cursor', () => {
    const next = makeHex(7, 16);
    const ids = Array.from(
      { length: 25 },
      () => store.entries.add(list, { type: 'md5', value: next() }, ACTOR).entry.id,
    );
    store.entries.setLabels(ids[3]!, { category: 'B' }, ACTOR);
    expect(store.entries.get(ids[3]!)!.labels).toEqual({ category: 'B' });
    store.entries.remove(ids[4]!, ACTOR);
    const seen: number[] = [];
    let after: number | undefined;
    for (;;) {
      const page = store.entries.page(list.id, { limit: 10, ...(after === undefined ? {} : { after }) });
      seen.push(...page.items.map((e) => e.id));
      if (page.next === null) break;
      after = page.next;
    }
    expect(seen).toEqual(ids.filter((id) => id !== ids[4]));
    expect(store.entries.page(list.id, { limit: 100, includeRemoved: true }).items).toHaveLength(25);
    expect(store.entries.getMany([ids[1]!, 999_999, ids[0]!]).map((e) => e.id)).toEqual([ids[1], ids[0]]);
  });

  it('iterates active entries of enabled lists in flat batches', () => {
    const other = store.lists.create({ name: 'off', enabled: false }, ACTOR);
    const next = makeHex(3, 32);
    const added = Array.from(
      { length: 10 },
      () => store.entries.add(list, { type: 'pdq', value: next() }, ACTOR).entry,
    );
    store.entries.add(other, { type: 'pdq', value: next() }, ACTOR);
    store.entries.add(list, { type: 'md5', value: '2'.repeat(32) }, ACTOR);
    store.entries.setDisabled(added[2]!.id, true, ACTOR);
    store.entries.remove(added[5]!.id, ACTOR);
    const batches = [...store.iterateActiveEntries('pdq', 3)];
    expect(batches.every((b) => b.ids.length > 0 && b.ids.length <= 3)).toBe(true);
    const expected = added.filter((_, i) => i !== 2 && i !== 5);
    const ids = batches.flatMap((b) => [...b.ids]);
    expect(ids).toEqual(expected.map((e) => e.id));
    const values = batches.flatMap((b) =>
      Array.from({ length: b.ids.length }, (_, i) => bytesToHex(b.values.subarray(i * 32, i * 32 + 32))),
    );
    expect(values).toEqual(expected.map((e) => bytesToHex(e.value)));
    expect([...store.iterateActiveEntries('sha256')]).toEqual([]);
  });

  it('rejects use after close, and close is idempotent', () => {
    store.close();
    store.close();
    expect(() => store.latestChangeSeq()).toThrow(expect.objectContaining({ code: 'HW_ERR_DATABASE' }));
  });
});

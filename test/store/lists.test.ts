import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/index.js';
import { ACTOR, tempStore } from './helpers.js';

describe('ListRepository', () => {
  let store: Store;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store, cleanup } = await tempStore());
  });
  afterEach(() => cleanup());

  it('creates a list with defaults and reads it back', () => {
    const list = store.lists.create({ name: 'ncmec-1', types: ['pdq', 'md5', 'pdq'] }, ACTOR);
    expect(list).toMatchObject({
      name: 'ncmec-1',
      description: '',
      source: '',
      types: ['md5', 'pdq'],
      kind: 'blocklist',
      pdqVariant: 'reference',
      thresholds: {},
      enabled: true,
    });
    expect(store.lists.get('ncmec-1')).toEqual(list);
    expect(store.lists.list().map((l) => l.name)).toEqual(['ncmec-1']);
    expect(store.lists.get('nope')).toBeUndefined();
    expect(() => store.lists.require('nope')).toThrow(
      expect.objectContaining({ code: 'HW_ERR_LIST_NOT_FOUND' }),
    );
  });

  it('validates names, kinds, variants, types and thresholds', () => {
    for (const name of ['', 'Upper', 'a_b', 'x'.repeat(65), 'a b']) {
      expect(() => store.lists.create({ name }, ACTOR)).toThrow(
        expect.objectContaining({ code: 'HW_ERR_INVALID_LIST_NAME' }),
      );
    }
    store.lists.create({ name: 'x'.repeat(64) }, ACTOR);
    const bad = { code: 'HW_ERR_BAD_OPTION' };
    expect(() => store.lists.create({ name: 'a', thresholds: { pdq: 64 } }, ACTOR)).toThrow(
      expect.objectContaining(bad),
    );
    expect(() => store.lists.create({ name: 'a', thresholds: { md5: 1 } }, ACTOR)).toThrow(
      expect.objectContaining(bad),
    );
    expect(() => store.lists.create({ name: 'a', thresholds: { pdq: 1.5 } }, ACTOR)).toThrow(
      expect.objectContaining(bad),
    );
    expect(() => store.lists.create({ name: 'a', kind: 'x' as 'safelist' }, ACTOR)).toThrow(
      expect.objectContaining(bad),
    );
    expect(() => store.lists.create({ name: 'a', pdqVariant: 'x' as 'full' }, ACTOR)).toThrow(
      expect.objectContaining(bad),
    );
    expect(() => store.lists.create({ name: 'a', types: ['nope' as 'pdq'] }, ACTOR)).toThrow(
      expect.objectContaining({ code: 'HW_ERR_UNKNOWN_HASH_TYPE' }),
    );
    const ok = store.lists.create(
      { name: 'a', kind: 'safelist', pdqVariant: 'full', thresholds: { pdq: 63 } },
      ACTOR,
    );
    expect(ok).toMatchObject({ kind: 'safelist', pdqVariant: 'full', thresholds: { pdq: 63 } });
    expect(() => store.lists.create({ name: 'a' }, ACTOR)).toThrow(
      expect.objectContaining({ code: 'HW_ERR_LIST_EXISTS' }),
    );
  });

  it('updates only the given fields, audits and logs the change', () => {
    store.lists.create({ name: 'l', description: 'd', thresholds: { pdq: 20 } }, ACTOR);
    const seq = store.latestChangeSeq();
    const after = store.lists.update('l', { source: 'hotline', thresholds: { pdq: 25, phash: 8 } }, 'bob');
    expect(after).toMatchObject({ description: 'd', source: 'hotline', thresholds: { pdq: 25, phash: 8 } });
    expect(store.changesSince(seq)).toEqual([
      expect.objectContaining({ op: 'list', entryId: null, listId: after.id }),
    ]);
    const audit = store.audit.page({ list: 'l' }).items;
    expect(audit.map((a) => a.action)).toEqual(['list.update', 'list.create']);
    expect(audit[0]).toMatchObject({ actor: 'bob', details: { changed: ['source', 'thresholds'] } });
  });

  it('logs enable/disable rows for active entries when a list is switched', () => {
    const list = store.lists.create({ name: 'l' }, ACTOR);
    const a = store.entries.add(list, { type: 'md5', value: '0'.repeat(32) }, ACTOR).entry;
    const b = store.entries.add(list, { type: 'md5', value: '1'.repeat(32) }, ACTOR).entry;
    store.entries.setDisabled(b.id, true, ACTOR);
    const seq = store.latestChangeSeq();
    store.lists.update('l', { enabled: false }, ACTOR);
    expect(store.changesSince(seq).map((c) => [c.op, c.entryId])).toEqual([
      ['disable', a.id],
      ['list', null],
    ]);
    expect([...store.iterateActiveEntries('md5')]).toEqual([]);
  });

  it('removes a list with its entries, logging removals and keeping the audit trail', () => {
    const list = store.lists.create({ name: 'l' }, ACTOR);
    const e = store.entries.add(list, { type: 'md5', value: 'ab'.repeat(16) }, ACTOR).entry;
    const seq = store.latestChangeSeq();
    expect(store.lists.remove('l', 'carol')).toEqual({ entries: 1 });
    expect(store.lists.get('l')).toBeUndefined();
    expect(store.entries.get(e.id)).toBeUndefined();
    expect(store.changesSince(seq).map((c) => [c.op, c.entryId, c.value])).toEqual([
      ['remove', e.id, null],
      ['list', null, null],
    ]);
    expect(store.audit.page({ list: 'l' }).items[0]).toMatchObject({ action: 'list.remove', actor: 'carol' });
    // The name is free again.
    expect(store.lists.create({ name: 'l' }, ACTOR).id).not.toBe(list.id);
  });

  it('counts entries per type', () => {
    const list = store.lists.create({ name: 'l' }, ACTOR);
    const ids = ['0', '1', '2'].map(
      (d) => store.entries.add(list, { type: 'md5', value: d.repeat(32) }, ACTOR).entry.id,
    );
    store.entries.add(list, { type: 'pdq', value: 'f'.repeat(64) }, ACTOR);
    store.entries.setDisabled(ids[0]!, true, ACTOR);
    store.entries.remove(ids[1]!, ACTOR);
    expect(store.lists.counts(list.id)).toEqual([
      { type: 'md5', active: 1, disabled: 1, removed: 1 },
      { type: 'pdq', active: 1, disabled: 0, removed: 0 },
    ]);
  });
});

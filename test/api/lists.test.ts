/** Lists, entries (single and streamed bulk), export and audit over `inject`. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bearer, codeOf, type TestApp, testApp } from './helpers.js';

let t: TestApp;
beforeEach(async () => {
  t = await testApp();
});
afterEach(async () => t.close());

const hex = (i: number) => i.toString(16).padStart(64, '0');

async function call(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  url: string,
  key: string,
  payload?: unknown,
  type?: string,
) {
  return t.app.inject({
    method,
    url,
    headers: { ...bearer(key), ...(type !== undefined ? { 'content-type': type } : {}) },
    ...(payload !== undefined ? { payload: payload as string } : {}),
  });
}

describe('lists', () => {
  it('creates, reads, updates and deletes a list, audited with the key name', async () => {
    const created = await call('POST', '/v1/lists', t.keys.write, {
      name: 'csam-a',
      description: 'x',
      thresholds: { pdq: 20 },
    });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: 'csam-a', thresholds: { pdq: 20 }, kind: 'blocklist' });
    const dup = await call('POST', '/v1/lists', t.keys.write, { name: 'csam-a' });
    expect([dup.statusCode, codeOf(dup)]).toEqual([409, 'HW_ERR_LIST_EXISTS']);
    const badName = await call('POST', '/v1/lists', t.keys.write, { name: 'Bad Name' });
    expect([badName.statusCode, codeOf(badName)]).toEqual([400, 'HW_ERR_INVALID_LIST_NAME']);
    const loose = await call('POST', '/v1/lists', t.keys.write, { name: 'loose', thresholds: { pdq: 99 } });
    expect([loose.statusCode, codeOf(loose)]).toEqual([400, 'HW_ERR_BAD_OPTION']);
    const patched = await call('PATCH', '/v1/lists/csam-a', t.keys.write, { description: 'updated' });
    expect(patched.json()).toMatchObject({ description: 'updated' });
    const listed = await call('GET', '/v1/lists', t.keys.read);
    expect((listed.json() as { lists: unknown[] }).lists).toHaveLength(1);
    const one = await call('GET', '/v1/lists/csam-a?counts=true', t.keys.read);
    expect(one.json()).toMatchObject({ name: 'csam-a', counts: [] });
    const del = await call('DELETE', '/v1/lists/csam-a', t.keys.write);
    expect(del.json()).toEqual({ deleted: 'csam-a', entries: 0 });
    const gone = await call('GET', '/v1/lists/csam-a', t.keys.read);
    expect([gone.statusCode, codeOf(gone)]).toEqual([404, 'HW_ERR_LIST_NOT_FOUND']);
    const audit = await call('GET', '/v1/audit?limit=10', t.keys.admin);
    const rows = (audit.json() as { items: { actor: string; action: string }[] }).items;
    expect(rows.filter((r) => r.action.startsWith('list.')).map((r) => [r.action, r.actor])).toEqual([
      ['list.remove', 'writer'],
      ['list.update', 'writer'],
      ['list.create', 'writer'],
    ]);
  });
});

describe('entries', () => {
  beforeEach(async () => {
    await call('POST', '/v1/lists', t.keys.write, { name: 'known' });
  });

  it('imports NDJSON and CSV streams, reports bad lines, and is atomic', async () => {
    const ndjson = [0, 1, 2]
      .map((i) => JSON.stringify({ type: 'pdq', value: hex(i + 1), external_id: `n${i}` }))
      .join('\n');
    const a = await call(
      'POST',
      '/v1/lists/known/entries',
      t.keys.write,
      `${ndjson}\n`,
      'application/x-ndjson',
    );
    expect(a.statusCode).toBe(200);
    expect(a.json()).toMatchObject({ list: 'known', added: 3, duplicates: 0, rejected: 0 });
    const csv = `type,value,external_id\npdq,${hex(3)},c1\npdq,${hex(10)},c2\n`;
    const b = await call('POST', '/v1/lists/known/entries', t.keys.write, csv, 'text/csv');
    expect(b.json()).toMatchObject({ added: 1, duplicates: 1 });
    const bad = `type,value\npdq,${hex(20)}\npdq,nothex\nmd5,${'0'.repeat(32)}\npdq,${hex(21)}\npdq,xyz\n`;
    const c = await call('POST', '/v1/lists/known/entries', t.keys.write, bad, 'text/csv');
    expect([c.statusCode, codeOf(c)]).toEqual([400, 'HW_ERR_IMPORT_REJECTED']);
    expect((c.json() as { error: { rejects: { line: number }[] } }).error.rejects.map((r) => r.line)).toEqual(
      [3, 6],
    );
    const counts = await call('GET', '/v1/lists/known?counts=true', t.keys.read);
    expect(counts.json()).toMatchObject({ counts: [{ type: 'pdq', active: 4 }] });
    const d = await call('POST', '/v1/lists/known/entries?skipInvalid=true', t.keys.write, bad, 'text/csv');
    expect(d.json()).toMatchObject({ added: 3, rejected: 2, rejects: [{ line: 3 }, { line: 6 }] });
    const lines = await call(
      'POST',
      '/v1/lists/known/entries?type=sha1',
      t.keys.write,
      `${'ab'.repeat(20)}\n`,
      'text/plain',
    );
    expect(lines.json()).toMatchObject({ added: 1 });
    // The new entries match at once (the route syncs the index before answering).
    const m = await call('POST', '/v1/lookup', t.keys.match, [{ type: 'pdq', value: hex(21) }]);
    expect((m.json() as { results: { matched: boolean }[] }).results[0]!.matched).toBe(true);
  });

  it('refuses a bulk body past maxImportBytes with 413', async () => {
    const s = await testApp({ maxImportBytes: 1000 });
    try {
      await s.app.inject({
        method: 'POST',
        url: '/v1/lists',
        headers: bearer(s.keys.admin),
        payload: { name: 'l' },
      });
      const body = Array.from({ length: 40 }, (_, i) =>
        JSON.stringify({ type: 'pdq', value: hex(i + 1) }),
      ).join('\n');
      const res = await s.app.inject({
        method: 'POST',
        url: '/v1/lists/l/entries',
        headers: { ...bearer(s.keys.admin), 'content-type': 'application/x-ndjson' },
        payload: body,
      });
      expect([res.statusCode, codeOf(res)]).toEqual([413, 'HW_ERR_TOO_LARGE']);
      const page = await s.app.inject({
        method: 'GET',
        url: '/v1/lists/l/entries',
        headers: bearer(s.keys.admin),
      });
      expect((page.json() as { items: unknown[] }).items).toHaveLength(0);
    } finally {
      await s.close();
    }
  });

  it('adds, disables, relabels and removes one entry; hash values only for admin', async () => {
    const add = await call('POST', '/v1/lists/known/entries', t.keys.write, {
      type: 'pdq',
      value: hex(99),
      externalId: 'case-9',
      labels: { category: 'A1' },
    });
    expect(add.statusCode).toBe(201);
    const { entry } = add.json() as { entry: Record<string, unknown> & { id: number } };
    expect(entry).toMatchObject({ externalId: 'case-9', labels: { category: 'A1' }, addedBy: 'writer' });
    expect(entry).not.toHaveProperty('value');
    const badHex = await call('POST', '/v1/lists/known/entries', t.keys.write, { type: 'pdq', value: 'abc' });
    expect([badHex.statusCode, codeOf(badHex)]).toEqual([400, 'HW_ERR_BAD_HASH']);

    const lookup = async () =>
      (
        await call('POST', '/v1/lookup', t.keys.match, { hashes: [{ type: 'pdq', value: hex(99) }] })
      ).json() as {
        results: { matched: boolean; matches: Record<string, unknown>[] }[];
      };
    const hit = (await lookup()).results[0]!;
    expect(hit.matched).toBe(true);
    expect(hit.matches[0]).toMatchObject({
      list: 'known',
      entryId: entry.id,
      distance: 0,
      labels: { category: 'A1' },
    });
    expect(JSON.stringify(hit.matches)).not.toContain(hex(99));

    const dis = await call('PATCH', `/v1/lists/known/entries/${entry.id}`, t.keys.write, {
      disabled: true,
      labels: { category: 'B' },
    });
    expect(dis.json()).toMatchObject({ disabled: true, labels: { category: 'B' } });
    expect((await lookup()).results[0]!.matched).toBe(false);
    await call('PATCH', `/v1/lists/known/entries/${entry.id}`, t.keys.write, { disabled: false });
    expect((await lookup()).results[0]!.matched).toBe(true);

    // A match-only key (and a list writer) never sees stored hash values.
    for (const key of [t.keys.match, t.keys.write, t.keys.read]) {
      expect((await call('GET', '/v1/lists/known/entries', key)).statusCode).toBe(403);
      expect((await call('GET', '/v1/lists/known/export', key)).statusCode).toBe(403);
    }
    const page = await call('GET', '/v1/lists/known/entries', t.keys.admin);
    expect((page.json() as { items: { value: string }[] }).items[0]!.value).toBe(hex(99));
    const exp = await call('GET', '/v1/lists/known/export?format=csv', t.keys.admin);
    expect(exp.headers['content-type']).toContain('text/csv');
    expect(exp.body).toBe(`type,value,external_id,labels\npdq,${hex(99)},case-9,"{""category"":""B""}"\n`);

    const rm = await call('DELETE', `/v1/lists/known/entries/${entry.id}`, t.keys.write);
    expect(rm.json()).toMatchObject({ removedBy: 'writer' });
    expect((await lookup()).results[0]!.matched).toBe(false);
    const other = await call('DELETE', '/v1/lists/known/entries/12345', t.keys.write);
    expect([other.statusCode, codeOf(other)]).toEqual([404, 'HW_ERR_ENTRY_NOT_FOUND']);
  });
});

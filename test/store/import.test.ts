import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bytesToHex } from '../../src/hash/codec.js';
import {
  type ImportOptions,
  ImportRejectedError,
  type ListRecord,
  type Store,
} from '../../src/store/index.js';
import { ACTOR, asLines, makeHex, tempStore } from './helpers.js';

const P1 = 'a'.repeat(64);
const P2 = '0123456789abcdef'.repeat(4);
const M1 = 'f'.repeat(32);

// Every case runs with rows parsed here and on the parse thread (byte-stream sources only).
describe.each([false, true])('importEntries (parse thread: %s)', (parseThread) => {
  let store: Store;
  let list: ListRecord;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ store, cleanup } = await tempStore());
    list = store.lists.create({ name: 'l' }, ACTOR);
  });
  afterEach(() => cleanup());

  const run = (text: string, options: Omit<ImportOptions, 'actor'>) =>
    store.importEntries('l', Readable.from([Buffer.from(text)]), { actor: ACTOR, parseThread, ...options });
  // Sorted by type and value: an import inserts in key order (B-tree appends), not file order.
  const rowsOf = (listId: number) =>
    store.entries
      .page(listId, { limit: 1000 })
      .items.map((e) => ({ type: e.type, hex: bytesToHex(e.value), ext: e.externalId, labels: e.labels }))
      .sort((a, b) => (a.type + a.hex < b.type + b.hex ? -1 : 1));
  const contents = () => rowsOf(list.id);

  it('lines: BOM, case, whitespace, CRLF and blank lines', async () => {
    const text = `\uFEFF${P1.toUpperCase()}\r\n\n   ${P2}  \r\n\t\n`;
    const s = await run(text, { format: 'lines', type: 'pdq' });
    expect(s).toMatchObject({ list: 'l', added: 2, duplicates: 0, rejected: 0 });
    expect(s.seconds).toBeGreaterThan(0);
    expect(contents().map((c) => c.hex)).toEqual([P1, P2].sort());
    await expect(run(P1, { format: 'lines' })).rejects.toMatchObject({ code: 'HW_ERR_BAD_OPTION' });
  });

  it('csv: header, extra columns become labels, quoted fields', async () => {
    const text = [
      'type,value,external_id,labels,category',
      `pdq,${P1},ext-1,"{""source"":""x, y""}",A1`,
      `MD5, ${M1.toUpperCase()} ,,,`,
    ].join('\n');
    const s = await run(text, { format: 'csv' });
    expect(s).toMatchObject({ added: 2, rejected: 0 });
    expect(contents()).toEqual([
      { type: 'md5', hex: M1, ext: null, labels: null },
      { type: 'pdq', hex: P1, ext: 'ext-1', labels: { source: 'x, y', category: 'A1' } },
    ]);
  });

  it('csv: extra columns become the same labels with or without a labels column', async () => {
    const tricky = 'say "hi" \\ é\u0001 ✓';
    const quoted = `"${tricky.replace(/"/g, '""')}"`;
    await run(`type,value,note,"we""ird",empty\npdq,${P1},${quoted},x,\npdq,${P2},,,\n`, { format: 'csv' });
    expect(contents().map((c) => c.labels)).toEqual([null, { note: tricky, 'we"ird': 'x' }]);
    // Names an object treats specially, or repeated, go through an object as before.
    store.lists.create({ name: 'm' }, ACTOR);
    const text = `type,value,7,a,a,__proto__\npdq,${P1},seven,first,second,p\n`;
    await store.importEntries('m', Readable.from([text]), { format: 'csv', actor: ACTOR });
    expect(rowsOf(store.lists.require('m').id)[0]!.labels).toEqual({ 7: 'seven', a: 'second' });
  });

  it('tsv and te', async () => {
    await run(`hash\texternal_id\n${P1}\tq`, { format: 'tsv', type: 'pdq' });
    await run(`pdq ${P2}\nMD5\t${M1}\nvideo_md5 ${'e'.repeat(32)}\n`, { format: 'te' });
    expect(contents().map((c) => [c.type, c.ext])).toEqual([
      ['md5', null],
      ['md5', null],
      ['pdq', null],
      ['pdq', 'q'],
    ]);
  });

  it('ndjson: both external id spellings, labels, default type', async () => {
    const text = [
      JSON.stringify({ type: 'pdq', value: P1, external_id: 'a', labels: { k: 1 } }),
      JSON.stringify({ value: P2, externalId: 'b' }),
      '',
    ].join('\n');
    await run(text, { format: 'ndjson', type: 'pdq' });
    expect(contents().map((c) => [c.ext, c.labels])).toEqual([
      ['b', null],
      ['a', { k: 1 }],
    ]);
  });

  it('pdq-csv: quality below 50 is rejected with a reason, filename becomes the external id', async () => {
    const text = `${P1},100,img/a,b.jpg\n${P2},49,flat.png\n`;
    await expect(run(text, { format: 'pdq-csv' })).rejects.toMatchObject({
      code: 'HW_ERR_IMPORT_REJECTED',
      rejects: [
        { line: 2, reason: expect.stringMatching(/quality 49 is below 50/), text: `${P2},49,flat.png` },
      ],
    });
    const s = await run(text, { format: 'pdq-csv', skipInvalid: true });
    expect(s).toMatchObject({ added: 1, rejected: 1 });
    expect(contents()).toEqual([{ type: 'pdq', hex: P1, ext: 'img/a,b.jpg', labels: null }]);
  });

  it('rejects the whole import with line numbers and leaves the list as it was', async () => {
    await run(`${P1}\n`, { format: 'lines', type: 'pdq' });
    const before = { rows: contents(), seq: store.latestChangeSeq(), audit: store.audit.page().items.length };
    const text = `${P2}\nnot-hex\n\n${'a'.repeat(63)}\n${M1}\n`;
    const err = await run(text, { format: 'lines', type: 'pdq' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportRejectedError);
    const rejected = err as ImportRejectedError;
    expect(rejected.code).toBe('HW_ERR_IMPORT_REJECTED');
    expect(rejected.rejects.map((r) => r.line)).toEqual([2, 4, 5]);
    expect(rejected.message).toMatch(/line 2: .*64 hex digits/);
    expect(contents()).toEqual(before.rows);
    expect(store.latestChangeSeq()).toBe(before.seq);
    expect(store.audit.page().items).toHaveLength(before.audit);
    // Types outside the list's declared ones are bad lines too.
    store.lists.update('l', { types: ['md5'] }, ACTOR);
    await expect(run(`pdq ${P2}\n`, { format: 'te' })).rejects.toMatchObject({
      rejects: [{ line: 1, reason: 'this list holds md5, not pdq' }],
    });
  });

  it('skipInvalid imports the good lines and reports every reject', async () => {
    const seen: number[] = [];
    const s = await store.importEntries('l', asLines([P1, 'zz', '', P2, `${P1}00`]), {
      format: 'lines',
      type: 'pdq',
      skipInvalid: true,
      actor: ACTOR,
      onReject: (r) => seen.push(r.line),
    });
    expect(s).toMatchObject({ added: 2, rejected: 2 });
    expect(s.rejects.map((r) => [r.line, r.text])).toEqual([
      [2, 'zz'],
      [5, `${P1}00`],
    ]);
    expect(seen).toEqual([2, 5]);
  });

  it('deduplicates within the file and against the list, keeping the first copy', async () => {
    await run(`pdq,${P1},first\n`.replace(/^/, 'type,value,external_id\n'), { format: 'csv' });
    const s = await run(
      `type,value,external_id\npdq,${P1},again\npdq,${P2},one\npdq,${P2.toUpperCase()},two\n`,
      {
        format: 'csv',
      },
    );
    expect(s).toMatchObject({ added: 1, duplicates: 2, rejected: 0 });
    expect(contents().map((c) => c.ext)).toEqual(['one', 'first']);
  });

  it('writes one audit row and one add range for all the new entries', async () => {
    const seq = store.latestChangeSeq();
    const next = makeHex(11, 32);
    const lines = Array.from({ length: 500 }, next);
    const s = await store.importEntries('l', asLines([...lines, lines[0]!]), {
      format: 'lines',
      type: 'pdq',
      actor: 'imp',
    });
    expect(s.added).toBe(500);
    const changes = store.changesSince(seq, 10_000);
    expect(changes).toHaveLength(1);
    const range = changes[0]!;
    expect(range).toMatchObject({ op: 'add', listId: list.id, type: 'pdq', value: null });
    const ids = store.entries.page(list.id, { limit: 1000 }).items.map((e) => e.id);
    expect(range.entryId).toBe(Math.min(...ids));
    expect(range.lastEntryId).toBeGreaterThanOrEqual(Math.max(...ids));
    const loaded = [...store.entries.iterateActiveRange('pdq', list.id, range.entryId!, range.lastEntryId!)];
    expect(loaded.flatMap((b) => [...b.ids])).toEqual(ids);
    expect(Buffer.concat(loaded.map((b) => b.values)).toString('hex')).toBe(
      ids.map((id) => bytesToHex(store.entries.get(id)!.value)).join(''),
    );
    const audit = store.audit.page({ list: 'l' }).items[0]!;
    expect(audit).toMatchObject({
      actor: 'imp',
      action: 'entries.import',
      details: { inserted: 500, valid: 501 },
    });
  });

  it('logs a range without a type when the import holds several, and none when nothing is new', async () => {
    const seq = store.latestChangeSeq();
    await run(`pdq ${P1}\nmd5 ${M1}\n`, { format: 'te' });
    expect(store.changesSince(seq).map((c) => [c.op, c.type, c.lastEntryId! - c.entryId! + 1])).toEqual([
      ['add', null, 2],
    ]);
    const again = store.latestChangeSeq();
    expect(await run(`pdq ${P1}\n`, { format: 'te' })).toMatchObject({ added: 0, duplicates: 1 });
    expect(store.latestChangeSeq()).toBe(again);
  });

  it('inserts in (type, value) order, whatever the file order and batch shape', async () => {
    // ids follow the unique key's order: what makes the B-tree inserts appends.
    const keysInIdOrder = (name: string) => {
      const id = store.lists.require(name).id;
      return store.entries.page(id, { limit: 10_000 }).items.map((e) => `${e.type}:${bytesToHex(e.value)}`);
    };
    const next = makeHex(7, 32);
    // Mixed types with external ids (the row-by-row staging path, every type rank)...
    const mixed = Array.from({ length: 9000 }, (_, i) => {
      const h = next();
      const [type, value] = [
        ['md5', h.slice(0, 32)],
        ['pdq', h],
        ['sha1', h.slice(0, 40).toUpperCase()],
        ['phash', h.slice(0, 16)],
        ['sha256', h],
      ][i % 5]!;
      return JSON.stringify({ type, value, external_id: i % 2 ? `e${i}` : undefined });
    });
    // ...and hash-only lines sharing their first 6 bytes (equal sort keys: the value decides).
    const samePrefix = Array.from({ length: 9000 }, () => `${'ab'.repeat(6)}${next().slice(12)}`);
    for (const [name, text, format] of [
      ['mixed', mixed.join('\n'), 'ndjson'],
      ['prefix', samePrefix.join('\n'), 'lines'],
    ] as const) {
      store.lists.create({ name }, ACTOR);
      await store.importEntries(name, Readable.from([text]), { format, type: 'pdq', actor: ACTOR });
      const keys = keysInIdOrder(name);
      expect(keys).toHaveLength(9000);
      expect(keys).toEqual([...keys].sort());
    }
  });

  it('brings removed entries back and logs them', async () => {
    await run(`${P1}\n${P2}\n`, { format: 'lines', type: 'pdq' });
    const a = store.entries.find(list.id, 'pdq', Buffer.from(P1, 'hex'));
    store.entries.remove(a!.id, ACTOR);
    const seq = store.latestChangeSeq();
    const s = await run(`${P1}\n${P2}\n`, { format: 'lines', type: 'pdq' });
    expect(s).toMatchObject({ added: 1, duplicates: 1 });
    expect(store.changesSince(seq).map((c) => [c.op, c.entryId])).toEqual([['add', a!.id]]);
    expect(store.entries.get(a!.id)!.removedAt).toBeNull();
  });

  it('round-trips through export in both formats', async () => {
    const next = makeHex(5, 32);
    const rows = Array.from({ length: 300 }, (_, i) =>
      JSON.stringify({
        type: 'pdq',
        value: next(),
        external_id: `e"${i},x`,
        labels: i % 2 ? { c: `v${i}` } : undefined,
      }),
    );
    rows.push(JSON.stringify({ type: 'md5', value: M1 }));
    await run(rows.join('\n'), { format: 'ndjson' });
    const original = contents();
    for (const format of ['ndjson', 'csv'] as const) {
      const name = `copy-${format}`;
      store.lists.create({ name }, ACTOR);
      const text = [...store.exportEntries('l', format)].join('');
      const s = await store.importEntries(name, Readable.from([text]), { format, actor: ACTOR });
      expect(s).toMatchObject({ added: 301, rejected: 0 });
      expect(rowsOf(store.lists.require(name).id)).toEqual(original);
      const streamed: Buffer[] = [];
      for await (const chunk of store.exportStream(name, format)) streamed.push(Buffer.from(chunk));
      expect(Buffer.concat(streamed).toString()).toBe(text);
    }
  });

  it('reads a chunked byte stream split inside lines and characters', async () => {
    const text = Buffer.from(`\uFEFFtype,value,labels\npdq,${P1},"{""é"":""ü""}"\n`);
    const chunks = Array.from({ length: text.length }, (_, i) => text.subarray(i, i + 1));
    await store.importEntries('l', Readable.from(chunks), { format: 'csv', actor: ACTOR, parseThread });
    expect(contents()).toEqual([{ type: 'pdq', hex: P1, ext: null, labels: { é: 'ü' } }]);
  });

  it('fails cleanly when the list is removed while the file is read', async () => {
    async function* slow() {
      yield P1;
      store.lists.remove('l', ACTOR);
      yield P2;
    }
    await expect(
      store.importEntries('l', slow(), { format: 'lines', type: 'pdq', actor: ACTOR }),
    ).rejects.toMatchObject({
      code: 'HW_ERR_LIST_NOT_FOUND',
    });
    expect(store.entries.find(list.id, 'pdq', Buffer.from(P1, 'hex'))).toBeUndefined();
  });

  it('reports a source that fails while it is read', async () => {
    const source = new Readable({ read() {} });
    source.push(`${P1}\n`);
    setImmediate(() => source.destroy(new Error('disk on fire')));
    await expect(
      store.importEntries('l', source, { format: 'lines', type: 'pdq', actor: ACTOR, parseThread }),
    ).rejects.toMatchObject({
      code: 'HW_ERR_FILE_NOT_FOUND',
      message: expect.stringMatching(/disk on fire/),
    });
    expect(contents()).toEqual([]);
  });

  it('stops at the tenth bad line of a long file, and refuses a line without an end', async () => {
    const next = makeHex(7, 32);
    const good = Array.from({ length: 20_000 }, () => next());
    const lines = good.map((h, i) => (i % 1000 === 999 ? 'bad' : h));
    const err = await run(`${lines.join('\n')}\n`, { format: 'lines', type: 'pdq' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportRejectedError);
    expect((err as ImportRejectedError).rejects.map((r) => r.line)).toEqual(
      Array.from({ length: 10 }, (_, k) => (k + 1) * 1000),
    );
    expect(contents()).toEqual([]);
    const s = await run(`${good.slice(0, 5000).join('\n')}\n`, { format: 'lines', type: 'pdq' });
    expect(s).toMatchObject({ added: 5000, rejected: 0 });
    await expect(run('a'.repeat((1 << 20) + 10), { format: 'lines', type: 'pdq' })).rejects.toMatchObject({
      code: 'HW_ERR_IMPORT_REJECTED',
      message: expect.stringMatching(/line 1 is longer than/),
    });
  });

  it('reports an unknown list', async () => {
    await expect(
      store.importEntries('nope', asLines([]), { format: 'lines', type: 'pdq', actor: ACTOR }),
    ).rejects.toMatchObject({ code: 'HW_ERR_LIST_NOT_FOUND' });
  });
});

/**
 * Privacy over HTTP on a real server (issue 7, phase 2): `node bin/hashwarden.js serve` at log level
 * trace, stdout+stderr captured to a file, TMPDIR a fresh empty directory. Marked uploads go through
 * hash, match (raw and multipart) and bulk import; afterwards the marker is in no log line, no key is
 * in the logs (the first admin key is printed once, outside the log lines), TMPDIR is empty, and a
 * match-only key's sweep over every route never returns a stored hash value.
 */
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { markedImages } from '../helpers/bad-images.js';
import { type ChildServer, startChild } from '../reliability/http-harness.js';
import { texturedJpeg } from './helpers.js';

const MARKER = 'HWPRIVACY-http-5e1d0b-do-not-leak';

function leaks(text: string, secret: string): boolean {
  const forms = [
    secret,
    Buffer.from(secret).toString('hex'),
    Buffer.from(secret).toString('base64').slice(0, 24),
  ];
  return forms.some((f) => text.toLowerCase().includes(f.toLowerCase()));
}

/** Stored values that must never reach a match-only caller: seeded PDQs. */
function storedHex(i: number): string {
  return createHex(i);
}
function createHex(i: number): string {
  let x = (i * 2246822519 + 12345) >>> 0;
  let s = '';
  for (let j = 0; j < 8; j++) {
    x = (Math.imul(x ^ (x >>> 13), 3266489917) + j) >>> 0;
    s += x.toString(16).padStart(8, '0');
  }
  return s;
}
/** `hex` with its first `bits` bits flipped: within the match threshold, not equal. */
function near(hex: string, bits: number): string {
  const b = Buffer.from(hex, 'hex');
  for (let i = 0; i < bits; i++) b[i >> 3]! ^= 1 << (i & 7);
  return b.toString('hex');
}

describe.skipIf(process.platform !== 'linux')('privacy over HTTP (real server, logs captured)', () => {
  let root: string;
  let tmp: string;
  let db: string;
  let log: string;
  let server: ChildServer;
  let admin: string;
  let matchKey: string;
  const stored = Array.from({ length: 20 }, (_, i) => storedHex(i));

  beforeAll(async () => {
    root = await mkdtemp(join(os.tmpdir(), 'hw-http-privacy-'));
    tmp = join(root, 'tmp');
    await mkdir(tmp);
    await mkdir(join(root, 'data'));
    db = join(root, 'data', 'hw.db');
    log = join(root, 'server.log');
    server = await startChild({
      db,
      logFile: log,
      logLevel: 'trace',
      env: { TMPDIR: tmp, TMP: tmp, TEMP: tmp },
    });
    admin = server.adminKey!;
    expect(admin).toMatch(/^hw_/);
    // A match-only key, created next to the running server (the CLI's way: same database).
    const store = Store.open(db);
    try {
      matchKey = store.keys.create({ name: 'match-only', scopes: ['match'] }, 'test').key;
    } finally {
      store.close();
    }
    const auth = { authorization: `Bearer ${admin}` };
    const list = await fetch(`${server.url}/v1/lists`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'known' }),
    });
    expect(list.status).toBe(201);
    const body = stored
      .map((v, i) => JSON.stringify({ type: 'pdq', value: v, external_id: `case-${i}` }))
      .join('\n');
    const imported = await fetch(`${server.url}/v1/lists/known/entries`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/x-ndjson' },
      body,
    });
    expect(imported.status).toBe(200);
  });
  afterAll(async () => {
    await server?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('uploads carrying a marker leave no trace in logs or TMPDIR; keys are never logged', async () => {
    const images = await markedImages(MARKER);
    const statuses: number[] = [];
    for (const key of [admin, matchKey]) {
      const auth = { authorization: `Bearer ${key}` };
      for (const { bytes } of images) {
        for (const route of ['/v1/hash', '/v1/match']) {
          const raw = await fetch(`${server.url}${route}`, {
            method: 'POST',
            headers: { ...auth, 'content-type': 'image/jpeg' },
            body: bytes,
          });
          statuses.push(raw.status);
          await raw.arrayBuffer();
          const form = new FormData();
          form.append('lists', 'known');
          form.append('image', new Blob([bytes], { type: 'image/jpeg' }), `${MARKER}.jpg`);
          const multi = await fetch(`${server.url}${route}`, { method: 'POST', headers: auth, body: form });
          statuses.push(multi.status);
          await multi.arrayBuffer();
        }
      }
    }
    // Bulk import with the marker in rejected lines, with and without skipInvalid.
    const ndjson = `{"type":"pdq","value":"${MARKER}"}\n${MARKER}\n{"type":"pdq","value":"${'a'.repeat(64)}","external_id":"x"}\n`;
    for (const q of ['', '?skipInvalid=true']) {
      const res = await fetch(`${server.url}/v1/lists/known/entries${q}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/x-ndjson' },
        body: ndjson,
      });
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    // A wrong key carrying the marker.
    const bad = await fetch(`${server.url}/v1/hash`, {
      method: 'POST',
      headers: { authorization: `Bearer hw_${MARKER}`, 'content-type': 'image/jpeg' },
      body: images[0]!.bytes,
    });
    statuses.push(bad.status);
    expect(statuses).toContain(200);
    expect(statuses).toContain(422);
    expect(statuses).toContain(401);

    const { code } = await server.stop();
    expect(code).toBe(0);
    const out = server.output();
    const lines = out.split('\n');
    expect(lines.filter((l) => l.startsWith('{')).length).toBeGreaterThan(20);
    expect(lines.filter((l) => leaks(l, MARKER))).toEqual([]);
    expect(lines.filter((l) => leaks(l, matchKey))).toEqual([]);
    // The admin key: exactly once, in the printed notice, in no JSON log line.
    expect(out.split(admin).length - 1).toBe(1);
    expect(lines.filter((l) => l.startsWith('{') && l.includes(admin))).toEqual([]);
    expect(out.toLowerCase()).not.toContain('bearer');
    expect(await readdir(tmp)).toEqual([]);
    expect((await readdir(join(root, 'data'))).filter((f) => !/^hw\.db(-wal|-shm)?$/.test(f))).toEqual([]);
    server = await startChild({
      db,
      logFile: join(root, 'server2.log'),
      logLevel: 'warn',
      env: { TMPDIR: tmp },
    });
  });

  it('a match-only key never obtains a stored hash value, through any route', async () => {
    const doc = (await (await fetch(`${server.url}/docs/json`)).json()) as { paths: Record<string, object> };
    const bodies: string[] = [];
    const auth = { authorization: `Bearer ${matchKey}` };
    const image = await texturedJpeg(9, 256);
    const payloads = (path: string): { type?: string; body?: string | Buffer }[] => {
      if (path === '/v1/lookup')
        return [
          // Near the stored values: matched, so the reply is about them; it must carry distances only.
          {
            type: 'application/json',
            body: JSON.stringify({ hashes: stored.map((v) => ({ type: 'pdq', value: near(v, 3) })) }),
          },
          { type: 'application/json', body: JSON.stringify({ hashes: [{ type: 'pdq', value: 'zz' }] }) },
        ];
      if (path === '/v1/hash' || path === '/v1/match') return [{ type: 'image/jpeg', body: image }, {}];
      return [{}, { type: 'application/json', body: '{"type":"pdq","value":"00"}' }];
    };
    let lookupMatched = 0;
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const method of [...Object.keys(methods), 'head']) {
        if (method === 'head' && !Object.keys(methods).includes('get')) continue;
        for (const q of ['', '?format=csv&includeRemoved=true&limit=10000&counts=true']) {
          for (const p of payloads(path)) {
            const url = `${server.url}${path.replace('{list}', 'known').replace('{id}', '1')}${q}`;
            const res = await fetch(url, {
              method: method.toUpperCase(),
              headers: { ...auth, ...(p.type ? { 'content-type': p.type } : {}) },
              ...(p.body !== undefined && method !== 'get' && method !== 'head' ? { body: p.body } : {}),
            });
            const text = await res.text();
            bodies.push(`${method} ${url} ${res.status} ${JSON.stringify([...res.headers])} ${text}`);
            if (path === '/v1/lookup' && res.status === 200)
              lookupMatched += (JSON.parse(text) as { results: { matched: boolean }[] }).results.filter(
                (r) => r.matched,
              ).length;
          }
        }
      }
    }
    expect(bodies.length).toBeGreaterThan(30);
    // Each near query matched (once per query-string variant): the replies are about the stored values.
    expect(lookupMatched).toBe(stored.length * 2);
    const all = bodies.join('\n').toLowerCase();
    for (const v of stored) {
      expect(all).not.toContain(v);
      expect(all).not.toContain(Buffer.from(v, 'hex').toString('base64').toLowerCase().slice(0, 20));
    }
  });
});

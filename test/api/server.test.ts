/**
 * End to end on a real socket (127.0.0.1, port 0) through server.ts: the first admin key is printed
 * once, a list is filled over HTTP, a multipart upload matches, metrics count it, and shutdown is clean.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { HUGE_PAGES_TUNABLE, hugePagesRequested } from '../../src/huge-pages.js';
import { type RunningServer, startServer } from '../../src/server.js';
import { texturedJpeg } from './helpers.js';

let dir: string;
let server: RunningServer | undefined;
const silent = pino({ level: 'silent' });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hw-server-'));
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await rm(dir, { recursive: true, force: true });
});

function config() {
  return loadConfig(
    { dbPath: join(dir, 'hw.db'), host: '127.0.0.1', port: 0, threads: 1, changePollMs: 100 },
    {},
  );
}

describe('server', () => {
  it('prints a first admin key once, then serves an upload → match round trip', async () => {
    const printed: string[] = [];
    server = await startServer(config(), { print: (s) => printed.push(s), logger: silent });
    await server.ready;
    expect(printed).toHaveLength(1);
    const key = /\b(hw_[A-Za-z0-9_-]{20,})\b/.exec(printed[0]!)?.[1];
    expect(key).toBeDefined();
    const auth = { authorization: `Bearer ${key}` };
    const url = server.url;

    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const image = await texturedJpeg(42);
    const hashed = (await (
      await fetch(`${url}/v1/hash`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'image/jpeg' },
        body: image,
      })
    ).json()) as { hashes: { pdq: { value: string; quality: number } }; image: { width: number } };
    expect(hashed.image.width).toBe(256);
    expect(hashed.hashes.pdq.quality).toBeGreaterThanOrEqual(50);

    const list = await fetch(`${url}/v1/lists`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'known-bad' }),
    });
    expect(list.status).toBe(201);
    const imported = await fetch(`${url}/v1/lists/known-bad/entries`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/x-ndjson' },
      body: `${JSON.stringify({ type: 'pdq', value: hashed.hashes.pdq.value, external_id: 'case-42' })}\n`,
    });
    expect(await imported.json()).toMatchObject({ added: 1 });

    // Multipart upload, options as fields; a rotated copy matches through the dihedrals.
    const rotated = await (await import('sharp')).default(image).rotate(90).jpeg({ quality: 90 }).toBuffer();
    for (const [bytes, transform] of [
      [image, 'orig'],
      [rotated, 'rot90'],
    ] as const) {
      const form = new FormData();
      form.append('lists', 'known-bad');
      form.append('image', new Blob([bytes], { type: 'image/jpeg' }), 'upload.jpg');
      const res = await fetch(`${url}/v1/match`, { method: 'POST', headers: auth, body: form });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { matched: boolean; matches: Record<string, unknown>[] };
      expect(body.matched).toBe(true);
      expect(body.matches[0]).toMatchObject({ list: 'known-bad', externalId: 'case-42', transform });
      expect(Object.keys(body.matches[0]!).sort()).toEqual(
        ['distance', 'entryId', 'externalId', 'labels', 'list', 'transform', 'type'].sort(),
      );
    }
    const metrics = await (await fetch(`${url}/metrics`, { headers: auth })).text();
    expect(metrics).toMatch(/hashwarden_matches_total\{list="known-bad",service="hashwarden"\} 2/);
    expect(metrics).toContain('hashwarden_http_requests_total{method="POST",route="/v1/match",status="200"');
    expect(metrics).toMatch(/hashwarden_index_entries\{type="pdq",service="hashwarden"\} 1/);
    expect(metrics).toContain('hashwarden_pool_queue_depth');

    await server.close();
    server = undefined;
    // Second start on the same database: keys exist, nothing is printed.
    const again: string[] = [];
    server = await startServer(config(), { print: (s) => again.push(s), logger: silent });
    await server.ready;
    expect(again).toEqual([]);
    const res = await fetch(`${server.url}/v1/lookup`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ hashes: [{ type: 'pdq', value: hashed.hashes.pdq.value }] }),
    });
    expect(((await res.json()) as { results: { matched: boolean }[] }).results[0]!.matched).toBe(true);
  });

  it('finishes an in-flight request during shutdown', async () => {
    const printed: string[] = [];
    server = await startServer(config(), { print: (s) => printed.push(s), logger: silent });
    await server.ready;
    const key = /\b(hw_[A-Za-z0-9_-]{20,})\b/.exec(printed[0]!)![1]!;
    const image = await texturedJpeg(7, 2048);
    const inFlight = fetch(`${server.url}/v1/hash`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'image/jpeg' },
      body: image,
    });
    await new Promise((r) => setTimeout(r, 50));
    const closing = server.close();
    const res = await inFlight;
    expect(res.status).toBe(200);
    await closing;
    server = undefined;
  });
});

describe('server start-up log', () => {
  it('reports huge pages when ready, and hints at the setting when it is missing', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'info' },
      { write: (s: string) => lines.push(JSON.parse(s) as Record<string, unknown>) },
    );
    server = await startServer(config(), { print: () => {}, logger });
    await server.ready;
    const ready = lines.find((l) => l.msg === 'ready');
    expect(ready?.hugePages).toBe(hugePagesRequested());
    const hint = lines.some((l) => String(l.msg).includes(HUGE_PAGES_TUNABLE));
    expect(hint).toBe(process.platform === 'linux' && !hugePagesRequested());
  });
});

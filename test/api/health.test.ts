/** Probes before and after the indexes load, the OpenAPI document, and the log line. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { loadConfig } from '../../src/config.js';
import { Matcher } from '../../src/service/matcher.js';
import { Store } from '../../src/store/store.js';
import { HashPool } from '../../src/worker/pool.js';
import { codeOf } from './helpers.js';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup.length = 0;
});

describe('probes, docs and logs', () => {
  it('answers /healthz at once and /readyz 503 until the indexes are loaded', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hw-health-'));
    const config = loadConfig({ dbPath: join(dir, 'hw.db'), threads: 1 }, {});
    const store = Store.open(config.dbPath);
    const { key } = store.keys.create({ name: 'k', scopes: ['admin'] }, 'test');
    const matcher = new Matcher(store, { pollMs: 0 });
    const pool = new HashPool({ threads: 1 });
    const lines: string[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk, _enc, cb) {
          lines.push(String(chunk));
          cb();
        },
      }),
    );
    const app = await buildApp({ config, store, matcher, pool, logger });
    cleanup.push(
      () => app.close(),
      () => pool.close(),
      () => matcher.close(),
      () => store.close(),
      () => rm(dir, { recursive: true, force: true }),
    );
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const notReady = await app.inject({ method: 'GET', url: '/readyz' });
    expect([notReady.statusCode, codeOf(notReady)]).toEqual([503, 'HW_ERR_NOT_READY']);
    expect(notReady.headers['retry-after']).toBeDefined();
    const lookup = await app.inject({
      method: 'POST',
      url: '/v1/lookup',
      headers: { authorization: `Bearer ${key}` },
      payload: [],
    });
    expect([lookup.statusCode, codeOf(lookup)]).toEqual([503, 'HW_ERR_NOT_READY']);
    await matcher.load();
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);

    // One line per request with the key's name, never the key or the header.
    const joined = lines.join('');
    expect(joined).not.toContain(key);
    expect(joined).not.toMatch(/authorization/i);
    const line = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.route === '/v1/lookup');
    expect(line).toMatchObject({ keyName: 'k', method: 'POST', status: 503 });
    expect(line?.reqId).toBeDefined();
    expect(typeof line?.ms).toBe('number');
  });

  it('documents every route in OpenAPI at /docs', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hw-docs-'));
    const config = loadConfig({ dbPath: join(dir, 'hw.db'), threads: 1 }, {});
    const store = Store.open(config.dbPath);
    const matcher = await Matcher.open(store, { pollMs: 0 });
    const pool = new HashPool({ threads: 1 });
    const app = await buildApp({ config, store, matcher, pool });
    cleanup.push(
      () => app.close(),
      () => pool.close(),
      () => matcher.close(),
      () => store.close(),
      () => rm(dir, { recursive: true, force: true }),
    );
    const doc = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>>;
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/healthz',
        '/metrics',
        '/readyz',
        '/v1/audit',
        '/v1/hash',
        '/v1/lists',
        '/v1/lists/{list}',
        '/v1/lists/{list}/entries',
        '/v1/lists/{list}/entries/{id}',
        '/v1/lists/{list}/export',
        '/v1/lookup',
        '/v1/match',
      ].sort(),
    );
    expect(Object.keys(doc.paths['/v1/match']!.post!.requestBody!.content)).toContain('multipart/form-data');
    expect((await app.inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400);
  });
});

/**
 * A worker thread that dies while serving HTTP (issue 7, phase 2): the request gets 500
 * HW_ERR_WORKER_FAILED, the pool replaces the thread, and later requests succeed. The crash is
 * injected through the pool the app is given (deps), as a native crash inside the worker would happen.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HashPool } from '../../src/worker/pool.js';
import { bearer, codeOf, type TestApp, testApp, texturedJpeg } from '../api/helpers.js';

/** Makes the next `n` hash() calls kill their worker thread instead of hashing. */
function crashNext(pool: HashPool, n: number): void {
  let left = n;
  const real = pool.hash.bind(pool);
  pool.hash = async (bytes, options) => {
    if (left-- > 0) {
      await pool.crashOneWorkerForTest();
      throw new Error('unreachable: the worker was expected to die');
    }
    return real(bytes, options);
  };
}

describe('worker thread dies while serving HTTP', () => {
  let t: TestApp;
  let image: Buffer;
  beforeAll(async () => {
    t = await testApp({}, { threads: 2 });
    image = await texturedJpeg(5, 256);
  });
  afterAll(async () => t.close());

  const post = (url: string) =>
    t.app.inject({
      method: 'POST',
      url,
      headers: { ...bearer(t.keys.match), 'content-type': 'image/jpeg' },
      payload: image,
    });

  it.each(['/v1/hash', '/v1/match'])(
    '%s: 500 HW_ERR_WORKER_FAILED, then the pool serves again',
    async (url) => {
      crashNext(t.pool, 1);
      const failed = await post(url);
      expect(failed.statusCode).toBe(500);
      expect(codeOf(failed)).toBe('HW_ERR_WORKER_FAILED');
      // The registry's message only: no stack, no thread id, no piscina internals.
      expect(failed.json()).toEqual({
        error: { code: 'HW_ERR_WORKER_FAILED', message: 'A worker failed while processing the request' },
      });
      const replies = await Promise.all(Array.from({ length: 4 }, () => post(url)));
      expect(replies.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
      expect(t.pool.threadCount).toBe(2);
    },
  );

  it('counts the failure in /metrics as a 500 on the route', async () => {
    const m = await t.app.inject({ method: 'GET', url: '/metrics', headers: bearer(t.keys.admin) });
    expect(m.body).toMatch(/hashwarden_http_requests_total\{method="POST",route="\/v1\/hash",status="500"/);
  });
});

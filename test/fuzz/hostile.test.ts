/**
 * Decompression bombs, polyglots and wrong types (issue 7): each ends in its expected outcome, in
 * process and through a real HashPool, without the pool losing a thread.
 */
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashImage } from '../../src/worker/compute.js';
import { HashPool } from '../../src/worker/pool.js';
import { type HostileCase, hostileCases } from './hostile.js';

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    const e = err as { name?: string; code?: string; status?: number };
    if (e.name !== 'HashwardenError') return `untyped: ${String(err)}`;
    return e.status !== undefined && e.status >= 400 && e.status < 500 ? e.code! : `${e.code} (${e.status})`;
  }
}

let cases: HostileCase[];
beforeAll(async () => {
  cases = await hostileCases();
});

describe('hostile inputs', () => {
  it('each gives its expected outcome in process, within seconds', async () => {
    const got: Record<string, string> = {};
    const want: Record<string, string> = {};
    for (const c of cases) {
      const t0 = performance.now();
      got[c.name] = await outcome(hashImage(c.bytes));
      want[c.name] = c.expect;
      // Not a benchmark: a bomb that is decoded instead of refused takes minutes, not seconds.
      expect(performance.now() - t0, c.name).toBeLessThan(10_000);
    }
    expect(got).toEqual(want);
  });

  describe('through a HashPool', () => {
    let pool: HashPool;
    beforeAll(() => {
      pool = new HashPool({ threads: 2 });
    });
    afterAll(async () => {
      await pool.destroy();
    });

    it('the same outcomes, and both threads stay alive', async () => {
      const got = await Promise.all(cases.map((c) => outcome(pool.hash(c.bytes))));
      expect(got).toEqual(cases.map((c) => c.expect));
      expect(pool.threadCount).toBe(2);
    });
  });
});

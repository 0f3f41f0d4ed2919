/**
 * Worker threads that die (issue 7): each crash is reported with a 5xx code, the pool replaces the
 * thread, tasks running on the other threads finish, and later tasks succeed — crash after crash.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { HashPool } from '../../src/worker/pool.js';
import { sampleJpeg, samplePng } from '../helpers/bad-images.js';

let pool: HashPool | undefined;
afterEach(async () => {
  await pool?.destroy();
  pool = undefined;
});

async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    const e = err as { code?: string; status?: number };
    return `${e.code ?? String(err)} ${e.status ?? ''}`.trim();
  }
}

describe('a worker thread that dies', () => {
  it('ten crashes in a row: each is HW_ERR_WORKER_FAILED (500), and the pool keeps serving', async () => {
    pool = new HashPool({ threads: 2 });
    const png = await samplePng();
    for (let i = 0; i < 10; i++) {
      expect(await outcome(pool.crashOneWorkerForTest())).toBe('HW_ERR_WORKER_FAILED 500');
      expect(await outcome(pool.hash(Buffer.from(png)))).toBe('ok');
    }
    expect(pool.threadCount).toBe(2);
  });

  it('tasks in flight on sibling threads complete while threads crash beside them', async () => {
    pool = new HashPool({ threads: 3, maxQueue: 64 });
    const jpeg = await sampleJpeg(1200, 900);
    const siblings = Array.from({ length: 24 }, () => outcome(pool!.hash(Buffer.from(jpeg))));
    const crashes = Array.from({ length: 4 }, () => outcome(pool!.crashOneWorkerForTest()));
    const [s, c] = await Promise.all([Promise.all(siblings), Promise.all(crashes)]);
    expect(s).toEqual(Array(24).fill('ok'));
    expect(c).toEqual(Array(4).fill('HW_ERR_WORKER_FAILED 500'));
    expect(await outcome(pool.hash(Buffer.from(jpeg)))).toBe('ok');
    expect(pool.threadCount).toBe(3);
  });
});

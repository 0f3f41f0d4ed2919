import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openLoop } from '../../bench/lib/open-loop.js';
import { simulateQueue } from '../../bench/lib/queue-sim.js';
import { median } from '../../bench/lib/report.js';

describe('median', () => {
  it('takes the nearest-rank middle of unsorted rounds without reordering them', () => {
    const rounds = [4.3, 3.7, 4.1, 3.9];
    expect(median(rounds)).toBe(3.9);
    expect(median([5, 1, 3])).toBe(3);
    expect(rounds).toEqual([4.3, 3.7, 4.1, 3.9]);
    expect(median([])).toBeNaN();
  });
});

describe('simulateQueue', () => {
  it('never queues equal jobs below full load at a constant rate', () => {
    expect(simulateQueue([4], 2, 0.9, 1000)).toEqual({ p50Ms: 4, p90Ms: 4, p99Ms: 4 });
  });

  it('queues a short job behind a long one on a single server', () => {
    // Mean 5 ms at 0.8 load: a job every 6.25 ms. 9 ms jobs end 2.75 ms into the next slot, so each
    // 1 ms job waits that long: latencies alternate 9 and 3.75 ms.
    const r = simulateQueue([9, 1], 1, 0.8, 1000);
    expect(r).toEqual({ p50Ms: 3.75, p90Ms: 9, p99Ms: 9 });
  });

  it('refuses a utilization that is not below 1', () => {
    expect(() => simulateQueue([1], 1, 1)).toThrow(RangeError);
  });
});

describe('openLoop', () => {
  let server: Server | undefined;
  afterEach(async () => {
    const s = server;
    server = undefined;
    if (s !== undefined) await new Promise((r) => s.close(r));
  });

  it('sends rate × seconds requests whatever the replies, and times each from when it was due', async () => {
    let seen = 0;
    const bodies: number[] = [];
    server = createServer((req, res) => {
      const n = ++seen;
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
      });
      req.on('end', () => {
        bodies.push(size);
        // Slow replies do not hold later requests back (open loop); every third is an error status.
        setTimeout(() => {
          res.statusCode = n % 3 === 0 ? 503 : 200;
          res.end('ok');
        }, 20);
      });
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const r = await openLoop({
      url: `http://127.0.0.1:${port}`,
      rate: 100,
      seconds: 0.3,
      requests: [
        { method: 'POST', path: '/a', headers: { 'content-type': 'image/jpeg' }, body: Buffer.alloc(1000) },
        { method: 'POST', path: '/b', headers: { 'content-type': 'application/json' }, body: '{}' },
      ],
    });
    expect(r.sent).toBe(30);
    expect(seen).toBe(30);
    expect([...bodies].sort((a, b) => a - b)).toEqual([...Array(15).fill(2), ...Array(15).fill(1000)]);
    expect(r.errors).toBe(0);
    expect(r.non2xx).toBe(10);
    expect(r.p50Ms).toBeGreaterThanOrEqual(20);
    expect(r.maxInFlight).toBeGreaterThan(1);
  });

  it('counts a refused connection as an error, not a latency', async () => {
    server = createServer();
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    await new Promise((r) => server!.close(r));
    server = undefined;
    const r = await openLoop({
      url: `http://127.0.0.1:${port}`,
      rate: 50,
      seconds: 0.1,
      requests: [{ method: 'GET', path: '/', headers: {}, body: '' }],
    });
    expect([r.sent, r.errors]).toEqual([5, 5]);
    expect(r.p50Ms).toBeNaN();
  });
});

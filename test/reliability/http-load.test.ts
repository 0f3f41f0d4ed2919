/**
 * Overload, soak and SIGTERM on the built server in a child process (issue 7, phase 2), CI-sized:
 * a few seconds each. bench/reliability-http.bench.ts runs the long versions (60 s at 3× capacity,
 * minutes of soak) with the same code (./http-harness.ts) and writes the figures to docs/reliability.md.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { texturedJpeg } from '../api/helpers.js';
import {
  type ChildServer,
  overload,
  requireBuild,
  SOCKET_RESETS,
  seedDatabase,
  sigtermUnderLoad,
  soak,
  startChild,
} from './http-harness.js';

const THREADS = 1;
const MAX_QUEUE = 2;

describe.skipIf(process.platform !== 'linux')('HTTP under load (child server, loopback)', () => {
  let dir: string;
  let key: string;
  let bodies: Buffer[];
  let server: ChildServer | undefined;
  beforeAll(async () => {
    requireBuild();
    dir = await mkdtemp(join(os.tmpdir(), 'hw-http-load-'));
    ({ key } = await seedDatabase(join(dir, 'hw.db'), 20_000));
    bodies = await Promise.all(Array.from({ length: 4 }, (_, i) => texturedJpeg(100 + i, 512)));
  });
  afterAll(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const start = async () => {
    server = await startChild({
      db: join(dir, 'hw.db'),
      logFile: join(dir, 'server.log'),
      threads: THREADS,
      maxQueue: MAX_QUEUE,
      logLevel: 'warn',
    });
    return server;
  };

  it('at 3× capacity: refuses the excess with 503 + Retry-After, bounds accepted latency, recovers', async () => {
    const s = await start();
    const r = await overload(s, key, bodies, {
      threads: THREADS,
      maxQueue: MAX_QUEUE,
      seconds: 6,
      probeSeconds: 2,
    });
    console.log('overload', JSON.stringify(r));
    expect(r.refused503).toBeGreaterThan(0);
    expect(r.retryAfterOk).toBe(true);
    expect(r.otherStatuses).toEqual({});
    expect(r.connectionErrors).toBe(0);
    // The service keeps serving while refusing the rest (no collapse of goodput). The bound is loose:
    // other test files share the 2 CI cores, so capacity measured a moment earlier is only a guide.
    expect(r.acceptedPerSec).toBeGreaterThan(r.capacityPerSec * 0.3);
    // Accepted requests wait behind at most threads + maxQueue tasks: p99 stays within a few task times.
    expect(r.p99Ms).toBeLessThan(Math.max(2000, r.baselineP99Ms * 5));
    expect(r.rssMiB.peak - r.rssMiB.start).toBeLessThan(150);
    expect(r.recovery.status200).toBe(r.recovery.total);
    expect(r.recovery.total).toBeGreaterThan(0);
  });

  it('soak at 70 %: only expected answers, RSS bounded', async () => {
    const s = server!;
    const r = await soak(s, key, bodies, { threads: THREADS, seconds: 15 });
    console.log('soak', JSON.stringify(r));
    // A 503 OVERLOADED is an expected answer (a CI neighbour can stall the worker); nothing else is.
    expect(Object.keys(r.statuses).filter((c) => c !== '200' && c !== '503')).toEqual([]);
    // Mostly accepted: a loose bound, since the rate was calibrated on a machine that may get busier.
    expect(r.statuses['503'] ?? 0).toBeLessThan((r.statuses['200'] ?? 0) * 0.25);
    expect(r.connectionErrors).toBe(0);
    // 15 s is mostly warm-up, so no slope is asserted here (the bench fits it over minutes); the
    // server has run the overload already, so its RSS must not climb far past where it was.
    expect(r.rssMiB.max - r.rssMiB.first).toBeLessThan(64);
  });

  it('SIGTERM under load: in-flight requests finish, new ones are refused cleanly, exit code 0', async () => {
    const s = server!;
    server = undefined;
    const big = await Promise.all(Array.from({ length: 2 }, (_, i) => texturedJpeg(200 + i, 1024)));
    // As many clients as the pool admits (threads + queue bound), so every socket always carries a
    // request. (With more clients, fast 503s leave sockets idle at the instant of the signal, and a
    // client writing on one as the server closes it sees a reset: HTTP/1.1 keep-alive's own race.)
    const r = await sigtermUnderLoad(s, key, big, { concurrency: THREADS + MAX_QUEUE, warmMs: 1500 });
    console.log('sigterm', JSON.stringify(r));
    expect(r.exitCode).toBe(0);
    expect(r.inFlightCompleted).toBeGreaterThan(0);
    // Sent before the signal: answered 200, or (not yet read when the drain began) refused with a code.
    expect(Object.keys(r.before).filter((o) => o !== '200' && o !== '503 HW_ERR_POOL_CLOSED')).toEqual([]);
    expect(r.before['200']).toBeGreaterThan(0);
    // Sent after it: a coded 503 on a socket still open, else connection refused; never a bare 503. A
    // reset only as the drain begins (keep-alive's own race, see RESET_WINDOW_MS), at most one a client.
    expect(
      Object.keys(r.after).filter(
        (o) => o !== '503 HW_ERR_POOL_CLOSED' && o !== 'ECONNREFUSED' && !SOCKET_RESETS.includes(o),
      ),
    ).toEqual([]);
    expect(r.lateResets).toBe(0);
    const resets = SOCKET_RESETS.reduce((n, o) => n + (r.after[o] ?? 0), 0);
    expect(resets).toBeLessThanOrEqual(THREADS + MAX_QUEUE);
  });
});

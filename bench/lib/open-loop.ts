/**
 * A constant-rate ("open-loop") HTTP load generator, for latency at a fixed fraction of the maximum
 * rate. Request i is due at start + i / rate whether or not earlier ones have been answered, over a
 * keep-alive agent with as many sockets as are needed, and its latency is counted from when it was due,
 * not from when it went out: a generator that falls behind cannot hide the delay (coordinated omission).
 *
 * autocannon's own rate limit cannot measure this. With `overallRate`, each connection sends its share
 * of a second's requests back to back as soon as the second starts, then waits for the next one, so the
 * server sees full-speed bursts, not a steady load. Its coordinated-omission correction also records
 * the expected interval as ⌈1 / rate⌉ — 1 ms at any rate above 1 request a second — so a 100 ms reply
 * adds 99 made-up samples of 1–99 ms to the histogram (autocannon 8, lib/run.js).
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { percentile } from './report.js';

export interface OpenLoopRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | string;
}

export interface OpenLoopOptions {
  /** Base URL, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  /** Requests a second. */
  readonly rate: number;
  readonly seconds: number;
  /** Sent in turn, cycling. */
  readonly requests: readonly OpenLoopRequest[];
  /** Per-request limit in ms (default 60 s); a request past it counts as an error. */
  readonly timeoutMs?: number;
}

export interface OpenLoopResult {
  readonly targetRate: number;
  /** Requests answered a second (2xx or not), over the time from the first due time to the last reply. */
  readonly reqPerSec: number;
  readonly sent: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Requests that failed (socket error or timeout). */
  readonly errors: number;
  readonly non2xx: number;
  /** Most requests in flight at once. */
  readonly maxInFlight: number;
  /** Most ms a request went out after its due time (the generator's own lag). */
  readonly maxSendLagMs: number;
}

/** Runs `rate` requests a second for `seconds`, each timed from its due time; resolves when all settle. */
export async function openLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  if (!(o.rate > 0) || !(o.seconds > 0) || o.requests.length === 0)
    throw new RangeError('openLoop needs a positive rate and duration and at least one request');
  const url = new URL(o.url);
  const agent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  const total = Math.max(1, Math.round(o.rate * o.seconds));
  const interval = 1000 / o.rate;
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let maxSendLagMs = 0;
  let lastDone = 0;
  const pending: Promise<void>[] = [];

  const send = (i: number, due: number): Promise<void> =>
    new Promise<void>((resolve) => {
      const r = o.requests[i % o.requests.length]!;
      const body = typeof r.body === 'string' ? Buffer.from(r.body) : r.body;
      maxSendLagMs = Math.max(maxSendLagMs, performance.now() - due);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      let settled = false;
      const done = (ok: boolean, status: number) => {
        if (settled) return;
        settled = true;
        inFlight--;
        const now = performance.now();
        lastDone = Math.max(lastDone, now);
        if (!ok) errors++;
        else {
          if (status < 200 || status > 299) non2xx++;
          latencies.push(now - due);
        }
        resolve();
      };
      const req = request(
        {
          agent,
          host: url.hostname,
          port: url.port,
          method: r.method,
          path: r.path,
          headers: { ...r.headers, 'content-length': String(body.length) },
          timeout: o.timeoutMs ?? 60_000,
        },
        (res) => {
          res.on('data', () => {});
          res.on('end', () => done(true, res.statusCode ?? 0));
          res.on('error', () => done(false, 0));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => done(false, 0));
      req.end(body);
    });

  const start = performance.now() + 10;
  await new Promise<void>((resolve) => {
    let i = 0;
    const tick = () => {
      const now = performance.now();
      // Everything due by now goes out, so a late timer never drops or delays the schedule's count.
      while (i < total && start + i * interval <= now) {
        pending.push(send(i, start + i * interval));
        i++;
      }
      if (i >= total) resolve();
      else setTimeout(tick, Math.max(0, start + i * interval - performance.now()));
    };
    setTimeout(tick, Math.max(0, start - performance.now()));
  });
  await Promise.all(pending);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    targetRate: o.rate,
    reqPerSec: round(latencies.length / ((lastDone - start) / 1000)),
    sent: total,
    p50Ms: round(percentile(latencies, 50)),
    p90Ms: round(percentile(latencies, 90)),
    p99Ms: round(percentile(latencies, 99)),
    maxMs: round(latencies.at(-1) ?? Number.NaN),
    errors,
    non2xx,
    maxInFlight,
    maxSendLagMs: round(maxSendLagMs),
  };
}

/**
 * Shared by the HTTP reliability tests and bench/reliability-http.bench.ts: the built server
 * (`node bin/hashwarden.js serve`) in a child process on 127.0.0.1, its logs captured to a file, its
 * RSS read from /proc (no API change needed), and an autocannon driver that keeps the latency of
 * accepted (2xx) requests apart from the 503s. Every load run is bounded in time and stops by itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { join } from 'node:path';

/** The repository root, from test/reliability or (compiled, for the bench) dist/test/reliability. */
export const REPO = existsSync(join(import.meta.dirname, '..', '..', 'bin', 'hashwarden.js'))
  ? join(import.meta.dirname, '..', '..')
  : join(import.meta.dirname, '..', '..', '..');
export const BIN = join(REPO, 'bin', 'hashwarden.js');
const MiB = 2 ** 20;

/** Throws unless dist/ is built (the child runs the compiled server, worker included). */
export function requireBuild(): void {
  if (!existsSync(join(REPO, 'dist', 'src', 'worker', 'task.js'))) {
    throw new Error('dist/ is missing: run `npx tsc -p tsconfig.build.json` first');
  }
}

export interface ChildServer {
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly url: string;
  /** The admin key the first start printed (undefined when keys existed already). */
  readonly adminKey: string | undefined;
  /** Stdout and stderr together, as written so far. */
  output(): string;
  /** Resolves with how the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `ms` if it is still running. */
  stop(ms?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface ChildOptions {
  readonly db: string;
  /** Where stdout+stderr go (a file, so a kill -9 loses nothing). */
  readonly logFile: string;
  readonly threads?: number;
  readonly maxQueue?: number;
  readonly logLevel?: string;
  readonly rateLimitPerMinute?: number;
  readonly env?: NodeJS.ProcessEnv;
  /** Wait for /readyz (default true). */
  readonly waitReady?: boolean;
}

/** Starts the built server on an ephemeral loopback port; resolves once it listens (and is ready). */
export async function startChild(o: ChildOptions): Promise<ChildServer> {
  requireBuild();
  // The port is chosen here (not 0) so the URL is known without relying on an info-level log line.
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const fd = openSync(o.logFile, 'a');
  const args = [
    BIN,
    'serve',
    '--db',
    o.db,
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--threads',
    String(o.threads ?? 1),
    '--max-queue',
    String(o.maxQueue ?? 8),
    '--log-level',
    o.logLevel ?? 'info',
    '--rate-limit-per-minute',
    String(o.rateLimitPerMinute ?? 10_000_000),
  ];
  const proc = spawn(process.execPath, args, {
    env: { ...process.env, ...o.env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const output = () => readFileSync(o.logFile, 'latin1');
  let ended = false;
  void exited.then(() => {
    ended = true;
  });
  const deadline = Date.now() + 30_000;
  const probe = o.waitReady === false ? '/healthz' : '/readyz';
  while ((await fetch(`${url}${probe}`).catch(() => undefined))?.status !== 200) {
    if (ended) throw new Error(`server exited early:\n${output()}`);
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`server did not start:\n${output()}`);
    }
    await sleep(50);
  }
  const adminKey = /^\s+(hw_[A-Za-z0-9_-]{20,})\s*$/m.exec(output())?.[1];
  return {
    proc,
    pid: proc.pid!,
    url,
    adminKey,
    output,
    exited,
    async stop(ms = 15_000) {
      if (!ended) proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), ms);
      const r = await exited;
      clearTimeout(timer);
      return r;
    },
  };
}

/** A port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Resident set size of a process in MiB, from /proc (Linux), or NaN when it is gone. */
export function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Samples a process's RSS every `everyMs` until `stop()` is called. */
export function rssSampler(pid: number, everyMs = 250) {
  const t0 = performance.now();
  const samples: { s: number; mib: number }[] = [];
  const take = () => {
    const mib = rssMiB(pid);
    if (Number.isFinite(mib)) samples.push({ s: (performance.now() - t0) / 1000, mib });
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    samples,
    stop() {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

/** Least-squares slope of y over x. */
export function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** The q-quantile (0..1) of `values` (nearest rank), or NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export interface LoadResult {
  seconds: number;
  /** Requests that got any HTTP answer, per second. */
  answeredPerSec: number;
  /** 2xx per second. */
  acceptedPerSec: number;
  statuses: Record<string, number>;
  /** Connection-level errors (resets, timeouts). */
  errors: number;
  /** Latency of the 2xx answers, ms. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Latency of the non-2xx answers (the refusals), ms. */
  refusedP99Ms: number;
}

export interface LoadOptions {
  url: string;
  key: string;
  bodies: readonly Buffer[];
  seconds: number;
  /** Sockets (closed loop: concurrent clients). */
  connections: number;
  /** Requests per second, evenly spaced; unset: as fast as the server answers. */
  rate?: number;
  path?: string;
}

/**
 * Drives POST /v1/match (raw image/jpeg bodies, cycled) for `seconds` over keep-alive sockets; bounded,
 * stops by itself. With `rate`, requests are sent on an even schedule (open loop: autocannon's
 * overallRate sends each second's quota in a burst, which measures its bursts, not the service), and
 * latency counts from the scheduled time, so waiting for a free socket is included. Without `rate`,
 * `connections` clients send back to back (closed loop: the capacity).
 */
export function drive(o: LoadOptions): Promise<LoadResult> {
  const ok: number[] = [];
  const refused: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  const { hostname, port } = new URL(o.url);
  const agent = new Agent({ keepAlive: true, maxSockets: o.connections });
  const started = performance.now();
  const until = started + o.seconds * 1000;
  let n = 0;
  const one = (scheduled: number): Promise<void> =>
    new Promise((resolve) => {
      const body = o.bodies[n++ % o.bodies.length]!;
      const req = request(
        {
          agent,
          hostname,
          port,
          method: 'POST',
          path: o.path ?? '/v1/match',
          timeout: 30_000,
          headers: {
            authorization: `Bearer ${o.key}`,
            'content-type': 'image/jpeg',
            'content-length': body.length,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            statuses[status] = (statuses[status] ?? 0) + 1;
            (status >= 200 && status < 300 ? ok : refused).push(performance.now() - scheduled);
            resolve();
          });
          res.on('error', () => {
            errors++;
            resolve();
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(body);
    });
  const inflight = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    inflight.add(p);
    void p.then(() => inflight.delete(p));
  };
  const finish = async (): Promise<LoadResult> => {
    await Promise.all(inflight);
    agent.destroy();
    const seconds = (performance.now() - started) / 1000;
    return {
      seconds,
      answeredPerSec: (ok.length + refused.length) / seconds,
      acceptedPerSec: ok.length / seconds,
      statuses,
      errors,
      p50Ms: quantile(ok, 0.5),
      p99Ms: quantile(ok, 0.99),
      maxMs: ok.length === 0 ? Number.NaN : ok.reduce((a, b) => Math.max(a, b), 0),
      refusedP99Ms: quantile(refused, 0.99),
    };
  };
  if (o.rate === undefined) {
    const lane = async () => {
      while (performance.now() < until) await one(performance.now());
    };
    return Promise.all(Array.from({ length: o.connections }, lane)).then(finish);
  }
  const interval = 1000 / o.rate;
  return new Promise((resolve) => {
    let sent = 0;
    const timer = setInterval(
      () => {
        const now = performance.now();
        const due = Math.floor((Math.min(now, until) - started) / interval);
        // Bounded backlog: a stalled event loop must not turn into an unbounded burst.
        while (sent < due && inflight.size < 10_000) track(one(started + sent++ * interval));
        if (now >= until) {
          clearInterval(timer);
          resolve(finish());
        }
      },
      Math.max(1, Math.min(10, interval / 2)),
    );
  });
}

export const round = (x: number, digits = 1): number => Math.round(x * 10 ** digits) / 10 ** digits;

export interface OverloadReport {
  threads: number;
  maxQueue: number;
  capacityPerSec: number;
  offeredPerSec: number;
  seconds: number;
  acceptedPerSec: number;
  answeredPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  baselineP50Ms: number;
  baselineP99Ms: number;
  refused503: number;
  retryAfterOk: boolean;
  otherStatuses: Record<string, number>;
  connectionErrors: number;
  rssMiB: { start: number; peak: number; end: number; afterRecovery: number };
  /** RSS slope over the second half of the overload, MiB/min (growth that has not levelled off). */
  rssSlopeLastHalfMiBPerMin: number;
  recovery: { status200: number; total: number; p99Ms: number; acceptedPerSec: number };
}

/**
 * Measures capacity (closed loop), offers `factor`× that rate for `seconds`, then checks recovery at
 * half the capacity. The server must already run (`server`), with a match key `key`.
 */
export async function overload(
  server: ChildServer,
  key: string,
  bodies: readonly Buffer[],
  o: { threads: number; maxQueue: number; seconds: number; factor?: number; probeSeconds?: number },
): Promise<OverloadReport> {
  const probe = o.probeSeconds ?? 3;
  // Warm-up, then capacity with enough connections to keep the pool and its queue busy.
  await drive({ url: server.url, key, bodies, seconds: 1, connections: o.threads * 2 });
  const base = await drive({ url: server.url, key, bodies, seconds: probe, connections: o.threads * 2 });
  const capacity = base.acceptedPerSec;
  const offered = capacity * (o.factor ?? 3);
  const rss = rssSampler(server.pid);
  const start = rss.samples[0]?.mib ?? Number.NaN;
  const over = await drive({
    url: server.url,
    key,
    bodies,
    seconds: o.seconds,
    // Enough sockets that the client is never the limit: a refusal comes back in about a millisecond.
    connections: 64,
    rate: offered,
  });
  const samples = rss.stop();
  // One refused request read directly, to see its code and Retry-After.
  let retryAfterOk = false;
  await Promise.all(
    Array.from({ length: o.threads + o.maxQueue + 8 }, async (_, i) => {
      const res = await fetch(`${server.url}/v1/match`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'image/jpeg' },
        body: bodies[i % bodies.length]!,
      });
      const body = (await res.json()) as { error?: { code?: string } };
      if (
        res.status === 503 &&
        body.error?.code === 'HW_ERR_OVERLOADED' &&
        Number(res.headers.get('retry-after')) >= 1
      )
        retryAfterOk = true;
    }),
  );
  await sleep(1000);
  const rec = await drive({
    url: server.url,
    key,
    bodies,
    seconds: probe,
    connections: o.threads * 2,
    rate: capacity * 0.5,
  });
  const { '503': n503 = 0, ...rest } = over.statuses;
  const { '200': _ok, ...other } = rest;
  return {
    threads: o.threads,
    maxQueue: o.maxQueue,
    capacityPerSec: round(capacity),
    offeredPerSec: round(offered),
    seconds: round(over.seconds),
    acceptedPerSec: round(over.acceptedPerSec),
    answeredPerSec: round(over.answeredPerSec),
    p50Ms: round(over.p50Ms),
    p99Ms: round(over.p99Ms),
    maxMs: round(over.maxMs),
    baselineP50Ms: round(base.p50Ms),
    baselineP99Ms: round(base.p99Ms),
    refused503: n503,
    retryAfterOk,
    otherStatuses: other,
    connectionErrors: over.errors,
    rssSlopeLastHalfMiBPerMin: round(
      slope(samples.filter((p) => p.s >= o.seconds / 2).map((p) => ({ x: p.s / 60, y: p.mib }))),
      2,
    ),
    rssMiB: {
      start: round(start),
      peak: round(Math.max(...samples.map((s) => s.mib))),
      end: round(samples.at(-1)?.mib ?? Number.NaN),
      afterRecovery: round(rssMiB(server.pid)),
    },
    recovery: {
      status200: rec.statuses['200'] ?? 0,
      total: Object.values(rec.statuses).reduce((a: number, b: number) => a + b, 0) + rec.errors,
      p99Ms: round(rec.p99Ms),
      acceptedPerSec: round(rec.acceptedPerSec),
    },
  };
}

export interface SoakReport {
  seconds: number;
  ratePerSec: number;
  capacityPerSec: number;
  acceptedPerSec: number;
  statuses: Record<string, number>;
  connectionErrors: number;
  p50Ms: number;
  p99Ms: number;
  samples: number;
  rssMiB: { first: number; last: number; min: number; max: number };
  /** Slope of RSS over the run after its first quarter (warm-up), MiB per minute. */
  slopeMiBPerMin: number;
  mallocArenaMax: string | null;
}

/**
 * Runs `seconds` at `fraction` of the measured capacity, in windows, sampling RSS every second; the
 * slope is fitted to the samples past the first quarter (JIT, pools and caches warming up).
 */
export async function soak(
  server: ChildServer,
  key: string,
  bodies: readonly Buffer[],
  o: {
    threads: number;
    seconds: number;
    fraction?: number;
    capacity?: number;
    mallocArenaMax?: string | null;
  },
): Promise<SoakReport> {
  let capacity: number;
  if (o.capacity !== undefined) capacity = o.capacity;
  else {
    await drive({ url: server.url, key, bodies, seconds: 1, connections: o.threads * 2 });
    capacity = (await drive({ url: server.url, key, bodies, seconds: 3, connections: o.threads * 2 }))
      .acceptedPerSec;
  }
  const rate = capacity * (o.fraction ?? 0.7);
  const rss = rssSampler(server.pid, 1000);
  const r = await drive({
    url: server.url,
    key,
    bodies,
    seconds: o.seconds,
    connections: o.threads * 4,
    rate,
  });
  const samples = rss.stop();
  const warm = samples.filter((s) => s.s >= o.seconds / 4);
  const mibs = samples.map((s) => s.mib);
  return {
    seconds: round(r.seconds),
    ratePerSec: round(rate),
    capacityPerSec: round(capacity),
    acceptedPerSec: round(r.acceptedPerSec),
    statuses: r.statuses,
    connectionErrors: r.errors,
    p50Ms: round(r.p50Ms),
    p99Ms: round(r.p99Ms),
    samples: samples.length,
    rssMiB: {
      first: round(mibs[0] ?? Number.NaN),
      last: round(mibs.at(-1) ?? Number.NaN),
      min: round(Math.min(...mibs)),
      max: round(Math.max(...mibs)),
    },
    slopeMiBPerMin: round(slope(warm.map((s) => ({ x: s.s / 60, y: s.mib }))), 2),
    mallocArenaMax: o.mallocArenaMax ?? null,
  };
}

export { MiB };

export interface SigtermReport {
  concurrency: number;
  /** Requests started before SIGTERM, by outcome (status code or connection error code). */
  before: Record<string, number>;
  /** Requests started after SIGTERM, by outcome. */
  after: Record<string, number>;
  /**
   * Requests started more than RESET_WINDOW_MS after SIGTERM that failed with a socket reset (see
   * RESET_WINDOW_MS): there should be none.
   */
  lateResets: number;
  /** Requests that were being processed by the server when SIGTERM arrived and got a 200. */
  inFlightAtSignal: number;
  inFlightCompleted: number;
  exitCode: number | null;
  exitSignal: string | null;
  exitMs: number;
}

/**
 * HTTP/1.1 keep-alive's own race: a socket whose last reply finished just before the drain began (so
 * it carries no `Connection: close`) is idle, and the server closes idle sockets as it starts to
 * close; a client that wrote its next request on one at that instant sees a reset. Every reply after
 * that carries `Connection: close`, so no socket is reused later: a reset past this window is a defect.
 */
export const RESET_WINDOW_MS = 250;
/** Outcomes that mean the server closed the socket under a request. */
export const SOCKET_RESETS: readonly string[] = ['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE'];

function outcomeOf(err: unknown): string {
  const e = err as { cause?: { code?: string; message?: string }; code?: string; message?: string };
  return e.cause?.code ?? e.code ?? e.cause?.message ?? e.message ?? String(err);
}

/**
 * Keeps `concurrency` clients posting to /v1/match, sends SIGTERM after `warmMs`, and records every
 * outcome until the process exits and each client has seen one refused connection (bounded: 20 s).
 */
export async function sigtermUnderLoad(
  server: ChildServer,
  key: string,
  bodies: readonly Buffer[],
  o: { concurrency: number; warmMs: number },
): Promise<SigtermReport> {
  const before: Record<string, number> = {};
  const after: Record<string, number> = {};
  let signalAt = Number.POSITIVE_INFINITY;
  let pendingAtSignal = new Set<number>();
  const pending = new Set<number>();
  let inFlightCompleted = 0;
  let lateResets = 0;
  let seq = 0;
  const hardStop = performance.now() + 20_000;
  const lane = async (lane: number) => {
    let refused = false;
    let n = lane;
    while (!refused && performance.now() < hardStop) {
      const id = seq++;
      const started = performance.now();
      pending.add(id);
      let outcome: string;
      try {
        const res = await fetch(`${server.url}/v1/match`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'image/jpeg' },
          body: bodies[n++ % bodies.length]!,
        });
        const body = (await res.json()) as { error?: { code?: string } };
        outcome = res.status === 200 ? '200' : `${res.status} ${body.error?.code ?? ''}`.trim();
      } catch (err) {
        outcome = outcomeOf(err);
        if (outcome === 'ECONNREFUSED') refused = true;
      }
      pending.delete(id);
      if (outcome === '200' && pendingAtSignal.has(id)) inFlightCompleted++;
      const bucket = started < signalAt ? before : after;
      bucket[outcome] = (bucket[outcome] ?? 0) + 1;
      if (started > signalAt + RESET_WINDOW_MS && SOCKET_RESETS.includes(outcome)) lateResets++;
      // After the signal, a client that keeps getting 503 backs off a little, as Retry-After asks.
      if (started >= signalAt && outcome.startsWith('503')) await sleep(20);
    }
  };
  const lanes = Array.from({ length: o.concurrency }, (_, i) => lane(i));
  await sleep(o.warmMs);
  signalAt = performance.now();
  pendingAtSignal = new Set(pending);
  server.proc.kill('SIGTERM');
  const exit = await server.exited;
  const exitMs = performance.now() - signalAt;
  await Promise.all(lanes);
  return {
    concurrency: o.concurrency,
    before,
    after,
    lateResets,
    inFlightAtSignal: pendingAtSignal.size,
    inFlightCompleted,
    exitCode: exit.code,
    exitSignal: exit.signal,
    exitMs: round(exitMs),
  };
}

/**
 * A database for load runs: one list of `entries` random PDQs (seeded) and a match-only key; closed
 * before the server opens it. Returns the key.
 */
export async function seedDatabase(db: string, entries: number): Promise<{ key: string }> {
  const { Store } = await import('../../src/store/store.js');
  const store = Store.open(db);
  try {
    store.lists.create({ name: 'load' }, 'harness');
    let x = 0x9e3779b9;
    function* lines(): Generator<string> {
      for (let i = 0; i < entries; i++) {
        let hex = '';
        for (let j = 0; j < 8; j++) {
          x = (Math.imul(x ^ (x >>> 15), 2246822507) + 0x6d2b79f5) >>> 0;
          hex += x.toString(16).padStart(8, '0');
        }
        yield hex;
      }
    }
    await store.importEntries('load', lines(), { format: 'lines', type: 'pdq', actor: 'harness' });
    return { key: store.keys.create({ name: 'load-match', scopes: ['match'] }, 'harness').key };
  } finally {
    store.close();
  }
}

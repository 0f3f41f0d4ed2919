/**
 * HTTP service benchmark, loopback only. A list of 1M random PDQ hashes (plus the PDQs of some of the
 * dataset images, so some requests match) is imported into a temp database; the server runs in a
 * child process (so the load generator's event loop is not the server's) and autocannon drives:
 *   (a) POST /v1/match with the JPEGs of datasets/large (3 MP) and datasets/originals (≤ 1 MP) as raw
 *       image/jpeg bodies, at full speed, then at 70 % of that rate from a constant-rate (open-loop)
 *       generator (lib/open-loop.ts: autocannon's own rate limit sends each second's requests in a
 *       burst), beside the p99/p50 an ideal 2-server queue gives on the images' service times;
 *   (b) POST /v1/lookup with 100-hash batches (PDQ near-match, and exact SHA-256).
 * In the same run: the raw pool hashing rate on the same images with the same pool size and options
 * (no HTTP), and the in-process matcher.lookup rate on the same batches, so HTTP/raw is the headline.
 *
 *   node dist/bench/http.bench.js [--entries 1000000] [--seconds 15] [--threads N] [--rounds 3]
 */
import { execFileSync, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import sharp from 'sharp';
import { buildApp } from '../src/api/app.js';
import { loadConfig } from '../src/config.js';
import { SearchPool } from '../src/index/search-pool.js';
import { Matcher } from '../src/service/matcher.js';
import { Store } from '../src/store/store.js';
import { hashImage } from '../src/worker/compute.js';
import { HashPool } from '../src/worker/pool.js';
import type { HashOptions } from '../src/worker/protocol.js';
import { openLoop } from './lib/open-loop.js';
import { type QueueLatency, simulateQueue } from './lib/queue-sim.js';
import {
  benchArgs,
  machineInfo,
  machineLine,
  markdownTable,
  median,
  SHARED_DATASETS,
  writeReport,
} from './lib/report.js';

/** The slice of autocannon's programmatic API used here (the package ships no types). */
interface CannonRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer | string;
}
interface CannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p90: number; p99: number; average: number; max: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  duration: number;
  '2xx': number;
}
type Autocannon = (
  opts: Record<string, unknown>,
  cb: (err: Error | null, result: CannonResult) => void,
) => { stop(): void };
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const args = benchArgs();
const ENTRIES = Number(args.get('entries') ?? 1_000_000);
const SECONDS = Number(args.get('seconds') ?? 15);
const THREADS = Number(args.get('threads') ?? availableParallelism());
/**
 * Interleaved raw-pool and full-speed HTTP runs per dataset (`--rounds`); each side keeps its best.
 * Single runs on these shared 2-core machines move by 10–20 %, and the first one after the server's
 * start was the slowest in most trials.
 */
const ROUNDS = Math.max(1, Number(args.get('rounds') ?? 3));
/** Seconds of full-speed /v1/match traffic before measuring (JIT, worker and search threads). */
const WARMUP_SECONDS = 5;
const LOOKUP_BATCH = 100;

/** What /v1/match asks the worker for with a reference-variant list: dihedrals and the border-trimmed PDQ (the defaults). */
const MATCH_HASH_OPTIONS: HashOptions = { pdqVariants: ['reference'], dihedral: true, trimBorders: true };

function cannon(opts: Record<string, unknown>): Promise<CannonResult> {
  return new Promise((resolve, reject) => {
    autocannon({ timeout: 60, ...opts }, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

/** Clock ticks a second of /proc's CPU times. */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU ms (user + system, every thread) process `pid` has used so far; null where /proc cannot say. */
function processCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name: state is field 3, utime 14, stime 15.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
  } catch {
    return null;
  }
}

const ownCpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

const round2 = (x: number) => Math.round(x * 100) / 100;

async function loadImages(dir: string): Promise<Buffer[]> {
  const names = (await readdir(dir)).filter((n) => /\.jpe?g$/i.test(n)).sort();
  return Promise.all(names.map((n) => readFile(join(dir, n))));
}

/**
 * Images/s of the pool alone: `threads * 2` tasks kept in flight for `seconds`, cycling the images; and
 * the CPU ms an image this process (the pool) used meanwhile.
 */
async function rawPoolRate(pool: HashPool, images: readonly Buffer[], seconds: number) {
  let next = 0;
  let done = 0;
  const cpu0 = ownCpuMs();
  const started = performance.now();
  const until = started + seconds * 1000;
  const lane = async () => {
    while (performance.now() < until) {
      const img = images[next++ % images.length]!;
      // A copy per task, as the HTTP path has (the pool moves the buffer it is given).
      await pool.hash(new Uint8Array(img), MATCH_HASH_OPTIONS);
      done++;
    }
  };
  await Promise.all(Array.from({ length: pool.threads * 2 }, lane));
  return { rate: done / ((performance.now() - started) / 1000), cpuMs: (ownCpuMs() - cpu0) / done };
}

/**
 * Each image's hashing time on this thread alone (best of 3, the same options as a match), set up as a
 * pool thread is (one libvips thread, no cache): the service times of the ideal-queue baseline.
 */
async function serviceTimes(images: readonly Buffer[]): Promise<number[]> {
  sharp.concurrency(1);
  sharp.cache(false);
  const best = images.map(() => Number.POSITIVE_INFINITY);
  for (let round = 0; round < 3; round++) {
    for (const [i, img] of images.entries()) {
      const t0 = performance.now();
      await hashImage(new Uint8Array(img), MATCH_HASH_OPTIONS);
      best[i] = Math.min(best[i]!, performance.now() - t0);
    }
  }
  return best;
}

/** The reference PDQ of each image (to plant some of them in the list). */
async function pdqsOf(pool: HashPool, images: readonly Buffer[]): Promise<string[]> {
  const out: string[] = [];
  for (const img of images)
    out.push((await pool.hash(new Uint8Array(img), MATCH_HASH_OPTIONS)).pdq.reference!.hex);
  return out;
}

/** The list's lines: the planted hashes, then `n` random PDQs (generated as read: constant memory). */
function* listLines(planted: readonly string[], n: number): Generator<string> {
  yield* planted;
  for (let i = 0; i < n; i++) yield randomBytes(32).toString('hex');
}

/** Child mode: the server over `db`, reporting its URL to the parent, closing on "stop". */
async function serveChild(db: string): Promise<void> {
  const config = loadConfig(
    { dbPath: db, host: '127.0.0.1', port: 0, threads: THREADS, rateLimitPerMinute: 10_000_000 },
    {},
  );
  const store = Store.open(db);
  // As `hashwarden serve` wires it: search threads for /v1/lookup batches, over shared index tables.
  const searchPool = config.searchThreads > 0 ? new SearchPool({ threads: config.searchThreads }) : null;
  const matcher = await Matcher.open(store, {
    pollMs: 0,
    index: { shared: searchPool !== null },
    searchPool,
  });
  const pool = new HashPool({ threads: config.threads, maxQueue: config.maxQueue });
  const app = await buildApp({ config, store, matcher, pool, logger: pino({ level: 'silent' }) });
  const url = await app.listen({ host: config.host, port: 0 });
  process.send?.({ url, index: matcher.stats(), searchThreads: searchPool?.threads ?? 0 });
  process.on('message', async (m) => {
    if (m !== 'stop') return;
    await app.close();
    await pool.close();
    await searchPool?.close();
    matcher.close();
    store.close();
    process.exit(0);
  });
}

function summary(r: CannonResult) {
  return {
    reqPerSec: Math.round(r.requests.average * 10) / 10,
    total: r.requests.total,
    p50Ms: r.latency.p50,
    p90Ms: r.latency.p90,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'hw-http-bench-'));
  const db = join(dir, 'bench.db');
  const datasets = {
    large: await loadImages(join(SHARED_DATASETS, 'large')),
    originals: await loadImages(join(SHARED_DATASETS, 'originals')),
  };

  // The raw pool (same size and options as the server's, no HTTP) runs in this process while the
  // server idles, right before and right after each HTTP run: the machine's speed drifts over minutes.
  const pool = new HashPool({ threads: THREADS, maxQueue: 64 });
  const pdqs: Record<string, string[]> = {};
  for (const [name, images] of Object.entries(datasets)) pdqs[name] = await pdqsOf(pool, images);

  // The list: 1M random PDQs plus every 4th dataset image's PDQ.
  const store = Store.open(db);
  store.lists.create({ name: 'bench', types: ['pdq', 'sha256'] }, 'bench');
  const planted = Object.values(pdqs).flatMap((h) => h.filter((_, i) => i % 4 === 0));
  const started = performance.now();
  const imported = await store.importEntries('bench', listLines(planted, ENTRIES), {
    format: 'lines',
    type: 'pdq',
    actor: 'bench',
  });
  console.error(
    `imported ${imported.added} entries in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  const { key } = store.keys.create({ name: 'bench', scopes: ['match'] }, 'bench');
  store.close();

  const child = fork(fileURLToPath(import.meta.url), ['--serve', db, '--threads', String(THREADS)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const { url, index, searchThreads } = await new Promise<{
    url: string;
    index: unknown;
    searchThreads: number;
  }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { url: string; index: unknown; searchThreads: number }));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  console.error(`server at ${url}`);
  const auth = { authorization: `Bearer ${key}` };

  const match: Record<string, unknown> = {};
  for (const [name, images] of Object.entries(datasets)) {
    const requests: CannonRequest[] = images.map((body) => ({
      method: 'POST',
      path: '/v1/match',
      headers: { ...auth, 'content-type': 'image/jpeg' },
      body,
    }));
    const connections = THREADS * 2;
    // Warm-up, not reported.
    await cannon({ url, connections, duration: WARMUP_SECONDS, requests });
    const raws: number[] = [];
    const fulls: ReturnType<typeof summary>[] = [];
    // CPU ms an image or request, per round: the raw pool's; the server's and autocannon's in HTTP runs.
    const cpu = { raw: [] as number[], server: [] as number[], client: [] as number[] };
    for (let k = 0; k < ROUNDS; k++) {
      const r = await rawPoolRate(pool, images, SECONDS);
      raws.push(r.rate);
      cpu.raw.push(r.cpuMs);
      const server0 = processCpuMs(child.pid!);
      const client0 = ownCpuMs();
      const full = summary(await cannon({ url, connections, duration: SECONDS, requests }));
      const server1 = processCpuMs(child.pid!);
      fulls.push(full);
      cpu.client.push((ownCpuMs() - client0) / full.total);
      if (server0 !== null && server1 !== null) cpu.server.push((server1 - server0) / full.total);
    }
    const cpuMs = {
      rawPerImage: round2(median(cpu.raw)),
      serverPerRequest: cpu.server.length ? round2(median(cpu.server)) : null,
      clientPerRequest: round2(median(cpu.client)),
    };
    const rawRate = Math.max(...raws);
    const max = fulls.reduce((a, b) => (b.reqPerSec > a.reqPerSec ? b : a));
    const rate = Math.max(1, Math.floor(max.reqPerSec * 0.7));
    const at70 = await openLoop({ url, rate, seconds: SECONDS, requests });
    // While the server idles: the images' own service times, and what an ideal queue makes of them.
    const service = await serviceTimes(images);
    const ideal = simulateQueue(service, THREADS, 0.7);
    const sortedService = [...service].sort((a, b) => a - b);
    match[name] = {
      images: images.length,
      rawPoolImagesPerSec: Math.round(rawRate * 10) / 10,
      rawPoolRounds: raws.map((r) => Math.round(r * 10) / 10),
      httpRounds: fulls.map((f) => f.reqPerSec),
      max,
      httpOverRaw: Math.round((max.reqPerSec / rawRate) * 1000) / 1000,
      /**
       * Median CPU ms an image (raw) or request (server; autocannon, which shares the cores). With every
       * core busy, CPU a request sets the rate: raw / (server + client) bounds HTTP/raw here, and
       * raw / server is that bound with the load generator on other cores.
       */
      cpuMs,
      cpuBound:
        cpuMs.serverPerRequest === null
          ? null
          : {
              withClient:
                Math.round((cpuMs.rawPerImage / (cpuMs.serverPerRequest + cpuMs.clientPerRequest)) * 1000) /
                1000,
              serverOnly: Math.round((cpuMs.rawPerImage / cpuMs.serverPerRequest) * 1000) / 1000,
            },
      at70: { ...at70, p99OverP50: Math.round((at70.p99Ms / at70.p50Ms) * 100) / 100 },
      serviceMs: {
        median: Math.round(sortedService[sortedService.length >> 1]! * 100) / 100,
        max: Math.round(sortedService.at(-1)! * 100) / 100,
      },
      idealQueue: { ...ideal, p99OverP50: Math.round((ideal.p99Ms / ideal.p50Ms) * 100) / 100 },
    };
    console.error(`match ${name}:`, JSON.stringify(match[name]));
  }

  const batches = {
    pdq: Array.from({ length: 20 }, (_, b) =>
      Array.from({ length: LOOKUP_BATCH }, (_, i) =>
        // A few planted hashes per batch, so answers carry matches.
        i < 2 && planted.length > 0
          ? { type: 'pdq', value: planted[(b * 2 + i) % planted.length]! }
          : { type: 'pdq', value: randomBytes(32).toString('hex') },
      ),
    ),
    sha256: Array.from({ length: 20 }, () =>
      Array.from({ length: LOOKUP_BATCH }, () => ({
        type: 'sha256',
        value: randomBytes(32).toString('hex'),
      })),
    ),
  };
  const lookup: Record<string, ReturnType<typeof summary> & { hashesPerSec: number }> = {};
  for (const [name, list] of Object.entries(batches)) {
    const requests: CannonRequest[] = list.map((hashes) => ({
      method: 'POST',
      path: '/v1/lookup',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ hashes, pdqVariant: 'reference' }),
    }));
    await cannon({ url, connections: 4, amount: 40, requests });
    const r = summary(await cannon({ url, connections: 4, duration: Math.min(SECONDS, 10), requests }));
    lookup[name] = { ...r, hashesPerSec: Math.round(r.reqPerSec * LOOKUP_BATCH) };
    console.error(`lookup ${name}:`, JSON.stringify(lookup[name]));
  }
  child.send('stop');
  await new Promise((r) => child.once('exit', r));
  await pool.close();

  // The same batches through matcher.lookup in process (no HTTP), on the same database.
  const store2 = Store.open(db);
  const matcher = await Matcher.open(store2, { pollMs: 0 });
  const rawLookup: Record<string, number> = {};
  for (const [name, list] of Object.entries(batches)) {
    let n = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 5000) {
      for (const h of list[n % list.length]!)
        matcher.lookup(h.type as 'pdq', h.value, { pdqVariant: 'reference' });
      n++;
    }
    rawLookup[name] = Math.round((n * LOOKUP_BATCH) / ((performance.now() - t0) / 1000));
  }
  matcher.close();
  store2.close();
  await rm(dir, { recursive: true, force: true });

  const machine = machineInfo();
  const json = {
    machine,
    entries: imported.added,
    threads: THREADS,
    searchThreads,
    seconds: SECONDS,
    index,
    raw: undefined,
    match,
    lookup,
    rawLookup,
  };
  const m = match as Record<
    string,
    {
      images: number;
      rawPoolImagesPerSec: number;
      rawPoolRounds: number[];
      httpRounds: number[];
      max: ReturnType<typeof summary>;
      httpOverRaw: number;
      cpuMs: { rawPerImage: number; serverPerRequest: number | null; clientPerRequest: number };
      cpuBound: { withClient: number; serverOnly: number } | null;
      at70: Awaited<ReturnType<typeof openLoop>> & { p99OverP50: number };
      serviceMs: { median: number; max: number };
      idealQueue: QueueLatency & { p99OverP50: number };
    }
  >;
  const md = [
    '### HTTP service (`bench/http.bench.ts`)',
    '',
    machineLine(machine),
    `Server in a child process on 127.0.0.1 with a ${THREADS}-thread pool and ${json.searchThreads} search threads for /v1/lookup; autocannon (${THREADS * 2} connections for /v1/match, 4 for /v1/lookup) in the parent, on the same ${machine.cores} cores. ` +
      `Index: ${imported.added.toLocaleString('en-US')} PDQ entries (random, plus the PDQs of every 4th dataset image). ` +
      `/v1/match bodies are the dataset JPEGs as raw image/jpeg, PDQ reference with dihedrals and border trimming; the raw pool rate is the same pool size and options with no HTTP, in the same process as autocannon while the server idles. After ${WARMUP_SECONDS} s of warm-up traffic, ${ROUNDS} raw and ${ROUNDS} full-speed HTTP runs alternate and each side keeps its best; the 70 % run targets 70 % of the best HTTP rate. ${SECONDS} s per run.`,
    '',
    markdownTable(
      [
        '/v1/match',
        'raw pool img/s',
        'HTTP req/s',
        'HTTP/raw',
        'p50 ms',
        'p90 ms',
        'p99 ms',
        'errors',
        'non-2xx',
        '70 % rate',
        'p50 @70 %',
        'p99 @70 %',
        'p99/p50 @70 %',
        'ideal queue p99/p50',
      ],
      Object.entries(m).map(([name, r]) => [
        `${name} (${r.images} images)`,
        r.rawPoolImagesPerSec,
        r.max.reqPerSec,
        r.httpOverRaw,
        r.max.p50Ms,
        r.max.p90Ms,
        r.max.p99Ms,
        r.max.errors,
        r.max.non2xx,
        r.at70.targetRate,
        r.at70.p50Ms,
        r.at70.p99Ms,
        r.at70.p99OverP50,
        r.idealQueue.p99OverP50,
      ]),
    ),
    '',
    ...Object.entries(m).map(
      ([name, r]) =>
        `Every round, ${name}: raw ${r.rawPoolRounds.join(', ')} img/s; HTTP ${r.httpRounds.join(', ')} req/s. ` +
        `At 70 %: ${r.at70.reqPerSec} req/s answered, p90 ${r.at70.p90Ms} ms, at most ${r.at70.maxInFlight} in flight, the generator at most ${r.at70.maxSendLagMs} ms late. ` +
        `Service times alone: median ${r.serviceMs.median} ms, slowest ${r.serviceMs.max} ms. ` +
        `CPU (median of the rounds, every thread): raw pool ${r.cpuMs.rawPerImage} ms an image; server ${r.cpuMs.serverPerRequest ?? '—'} ms and autocannon ${r.cpuMs.clientPerRequest} ms a request` +
        (r.cpuBound
          ? `: with every core busy, HTTP/raw cannot pass ${r.cpuBound.withClient} (${r.cpuBound.serverOnly} with the load generator on other cores).`
          : '.'),
    ),
    '',
    `The 70 % run is open-loop: request i is due at i / rate, sent on time whatever is in flight, and timed from when it was due (bench/lib/open-loop.ts). ` +
      `"Ideal queue" is the p99/p50 of a perfect ${THREADS}-server FIFO queue fed the same images at the same constant rate at 70 % load, each taking its measured service time (bench/lib/queue-sim.ts): the part of the tail that the images' spread of sizes and the queue cause by themselves.`,
    '',
    markdownTable(
      [
        '/v1/lookup (100 hashes a request)',
        'req/s',
        'hashes/s',
        'in-process matcher.lookup hashes/s (one thread)',
        'HTTP/in-process',
        'p50 ms',
        'p90 ms',
        'p99 ms',
        'errors',
        'non-2xx',
      ],
      Object.entries(lookup).map(([name, r]) => [
        name === 'pdq' ? 'PDQ, radius 31 (2 of 100 planted)' : 'SHA-256, exact',
        r.reqPerSec,
        r.hashesPerSec,
        rawLookup[name]!,
        Math.round((r.hashesPerSec / rawLookup[name]!) * 1000) / 1000,
        r.p50Ms,
        r.p90Ms,
        r.p99Ms,
        r.errors,
        r.non2xx,
      ]),
    ),
  ].join('\n');
  await writeReport('http', json, md);
  console.log(md);
}

if (args.has('serve')) await serveChild(args.get('serve')!);
else await main();

/**
 * HTTP reliability report (issue 7, phase 2): overload at 3× capacity, a soak at 70 % with the RSS
 * trend (with and without MALLOC_ARENA_MAX=2), SIGTERM under load and kill -9 during an HTTP bulk
 * import, on the built server in a child process on 127.0.0.1. Writes bench/results/reliability-http.
 * {json,md} and the "HTTP (phase 2)" part of docs/reliability.md. The CI-sized versions of the same
 * checks are test/reliability/http-*.test.ts; the code they share is test/reliability/http-harness.ts.
 *
 *   npm run build && node dist/bench/reliability-http.bench.js [--overload-seconds 60]
 *     [--soak-seconds 180] [--threads 1] [--sections overload,soak,sigterm,kill]
 *
 * `--soak-seconds 600` is the 10-minute soak. `--sections` runs only some sections and keeps the other
 * sections' figures from the previous run's JSON.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { texturedJpeg } from '../test/api/helpers.js';
import {
  type OverloadReport,
  overload,
  type SigtermReport,
  type SoakReport,
  seedDatabase,
  sigtermUnderLoad,
  soak,
  startChild,
} from '../test/reliability/http-harness.js';
import { type KillImportResult, killDuringHttpImport } from '../test/reliability/http-kill.js';
import {
  benchArgs,
  machineInfo,
  machineLine,
  markdownTable,
  REPO_ROOT,
  RESULTS_DIR,
  writeReport,
} from './lib/report.js';

const args = benchArgs();
const OVERLOAD_SECONDS = Number(args.get('overload-seconds') ?? 60);
const SOAK_SECONDS = Number(args.get('soak-seconds') ?? 180);
const THREADS = Number(args.get('threads') ?? 1);
const MAX_QUEUE = Number(args.get('max-queue') ?? THREADS * 2);
const SECTIONS = new Set((args.get('sections') ?? 'overload,soak,sigterm,kill').split(','));
const ENTRIES = 100_000;
/** MALLOC_ARENA_MAX values to run the overload and the soak with (`unset`: glibc's default). */
const ARENAS = (args.get('arenas') ?? 'unset,2').split(',').map((a) => (a === 'unset' ? null : a));

interface Report {
  machine?: ReturnType<typeof machineInfo>;
  setup?: { threads: number; maxQueue: number; entries: number; image: string };
  overload?: (OverloadReport & { mallocArenaMax: string | null })[];
  soak?: SoakReport[];
  sigterm?: SigtermReport;
  kill?: KillImportResult[];
}

async function main(): Promise<void> {
  const jsonPath = join(RESULTS_DIR, 'reliability-http.json');
  const report: Report = existsSync(jsonPath) ? (JSON.parse(await readFile(jsonPath, 'utf8')) as Report) : {};
  report.machine = machineInfo();
  report.setup = {
    threads: THREADS,
    maxQueue: MAX_QUEUE,
    entries: ENTRIES,
    image: 'JPEG 512×512 (textured)',
  };
  const dir = await mkdtemp(join(os.tmpdir(), 'hw-rel-http-'));
  try {
    const db = join(dir, 'hw.db');
    const { key } = await seedDatabase(db, ENTRIES);
    const bodies = await Promise.all(Array.from({ length: 8 }, (_, i) => texturedJpeg(300 + i, 512)));
    const serve = (env: NodeJS.ProcessEnv = {}) =>
      startChild({
        db,
        logFile: join(dir, 'server.log'),
        threads: THREADS,
        maxQueue: MAX_QUEUE,
        logLevel: 'warn',
        env,
      });

    if (SECTIONS.has('overload')) {
      report.overload = [];
      for (const arena of ARENAS) {
        const s = await serve(arena === null ? {} : { MALLOC_ARENA_MAX: arena });
        const r = await overload(s, key, bodies, {
          threads: THREADS,
          maxQueue: MAX_QUEUE,
          seconds: OVERLOAD_SECONDS,
        });
        console.error('overload', JSON.stringify(r));
        report.overload.push({ ...r, mallocArenaMax: arena });
        await s.stop();
      }
    }
    if (SECTIONS.has('soak')) {
      report.soak = [];
      for (const arena of ARENAS) {
        const s = await serve(arena === null ? {} : { MALLOC_ARENA_MAX: arena });
        const r = await soak(s, key, bodies, {
          threads: THREADS,
          seconds: SOAK_SECONDS,
          mallocArenaMax: arena,
        });
        console.error('soak', JSON.stringify(r));
        report.soak.push(r);
        await s.stop();
      }
    }
    if (SECTIONS.has('sigterm')) {
      const s = await serve();
      const big = await Promise.all(Array.from({ length: 2 }, (_, i) => texturedJpeg(400 + i, 1024)));
      report.sigterm = await sigtermUnderLoad(s, key, big, {
        concurrency: THREADS + MAX_QUEUE,
        warmMs: 2000,
      });
      console.error('sigterm', JSON.stringify(report.sigterm));
    }
    if (SECTIONS.has('kill')) {
      report.kill = await killDuringHttpImport(dir, {
        rows: 150_000,
        points: ['upload', 'apply', 'late', 'replied'],
      });
      console.error('kill', JSON.stringify(report.kill));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const md = markdown(report);
  await writeReport('reliability-http', report, md);
  const docPath = join(REPO_ROOT, 'docs', 'reliability.md');
  const doc = await readFile(docPath, 'utf8');
  const at = doc.indexOf('## HTTP (phase 2)');
  await writeFile(docPath, `${at >= 0 ? doc.slice(0, at) : `${doc.trimEnd()}\n\n`}${md}\n`);
  console.log(md);
}

const fmt = (r: Record<string, number>) =>
  Object.entries(r)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ') || 'none';

/** The "HTTP (phase 2)" section of docs/reliability.md (also bench/results/reliability-http.md). */
export function markdown(r: Report): string {
  const out = [
    '## HTTP (phase 2)',
    '',
    '<!-- Generated by bench/reliability-http.bench.ts (`npm run build && node dist/bench/reliability-http.bench.js`); do not edit by hand. -->',
    '',
    'The built server (`node bin/hashwarden.js serve`) runs in a child process on 127.0.0.1; the load',
    'comes from the bench process over keep-alive sockets, requests evenly spaced at the target rate',
    '(open loop; latency counts from the scheduled send time). RSS is read from `/proc/<pid>/status`.',
    `Setup: hashing threads ${r.setup?.threads}, queue bound ${r.setup?.maxQueue}, a list of ${r.setup?.entries} PDQs, POST /v1/match with ${r.setup?.image} raw bodies.`,
    r.machine ? `Machine: ${machineLine(r.machine)}` : '',
    '',
    'The CI-sized versions run in `npm test` (test/reliability/http-*.test.ts, a few seconds each).',
    'Longer runs: `node dist/bench/reliability-http.bench.js --soak-seconds 600` is the 10-minute soak',
    '(the overload and each soak run twice: default malloc, then `MALLOC_ARENA_MAX=2`; `--arenas unset,2`);',
    '`--overload-seconds N`, `--threads N`, `--sections overload,soak,sigterm,kill` pick the rest.',
    '',
  ];
  for (const o of r.overload ?? []) {
    out.push(
      `### Overload (MALLOC_ARENA_MAX ${o.mallocArenaMax ?? 'unset'})`,
      '',
      markdownTable(
        ['figure', 'value'],
        [
          ['capacity (closed loop, 2×threads clients), req/s', o.capacityPerSec],
          ['offered (3× capacity), req/s', o.offeredPerSec],
          ['duration, s', o.seconds],
          ['accepted (200), req/s', o.acceptedPerSec],
          ['answered (200 + 503), req/s', o.answeredPerSec],
          ['503 HW_ERR_OVERLOADED', o.refused503],
          ['503 carries Retry-After ≥ 1', o.retryAfterOk ? 'yes' : 'no'],
          ['other statuses', fmt(o.otherStatuses)],
          ['connection errors', o.connectionErrors],
          ['accepted p50 / p99 / max, ms', `${o.p50Ms} / ${o.p99Ms} / ${o.maxMs}`],
          ['unloaded p50 / p99, ms', `${o.baselineP50Ms} / ${o.baselineP99Ms}`],
          [
            'RSS start / peak / end / after recovery, MiB',
            `${o.rssMiB.start} / ${o.rssMiB.peak} / ${o.rssMiB.end} / ${o.rssMiB.afterRecovery}`,
          ],
          ['RSS slope over the second half, MiB/min', o.rssSlopeLastHalfMiBPerMin],
          [
            'recovery (1 s later, 50 % load): 200s, p99 ms, req/s',
            `${o.recovery.status200}/${o.recovery.total}, ${o.recovery.p99Ms}, ${o.recovery.acceptedPerSec}`,
          ],
        ],
      ),
      '',
    );
  }
  if (r.soak && r.soak.length > 0) {
    out.push(
      '### Soak',
      '',
      'RSS sampled every second; the slope is a least-squares fit over the samples after the first quarter',
      '(warm-up: JIT, sharp caches, allocator arenas).',
      '',
      markdownTable(
        [
          'MALLOC_ARENA_MAX',
          's',
          'rate req/s',
          '200/s',
          'statuses',
          'conn. errors',
          'p50 / p99 ms',
          'samples',
          'RSS first / last / max MiB',
          'slope MiB/min',
        ],
        r.soak.map((s) => [
          s.mallocArenaMax ?? 'unset',
          s.seconds,
          s.ratePerSec,
          s.acceptedPerSec,
          fmt(s.statuses),
          s.connectionErrors,
          `${s.p50Ms} / ${s.p99Ms}`,
          s.samples,
          `${s.rssMiB.first} / ${s.rssMiB.last} / ${s.rssMiB.max}`,
          s.slopeMiBPerMin,
        ]),
      ),
      '',
    );
  }
  const t = r.sigterm;
  if (t) {
    out.push(
      '### SIGTERM',
      '',
      `${t.concurrency} clients (threads + queue bound) keep posting 1024×1024 JPEGs; SIGTERM after 2 s.`,
      'Requests sent after the signal get a coded 503 or a refused connection. A socket whose last reply',
      'ended just before the drain began carries no `Connection: close`, and the server closes it as idle',
      'when it starts to close; a client that wrote its next request on it at that instant sees a reset',
      "(HTTP/1.1 keep-alive's own race: at most once a connection, and only as the drain begins).",
      '',
      markdownTable(
        ['figure', 'value'],
        [
          [
            'requests in flight at the signal → completed with 200',
            `${t.inFlightAtSignal} → ${t.inFlightCompleted}`,
          ],
          ['outcomes of requests sent before the signal', fmt(t.before)],
          ['outcomes of requests sent after the signal', fmt(t.after)],
          ['exit code', String(t.exitCode)],
          ['signal → exit, ms', t.exitMs],
        ],
      ),
      '',
    );
  }
  if (r.kill && r.kill.length > 0) {
    out.push(
      '### kill -9 during an HTTP bulk import',
      '',
      'A list holds a known set of entries; `POST /v1/lists/:list/entries` streams NDJSON rows and the server',
      'is killed with SIGKILL at a point of the import; the database is then reopened by a fresh server.',
      '',
      markdownTable(
        [
          'kill point',
          'rows sent',
          'entries before',
          'after restart',
          'state',
          'integrity_check',
          'restart serves',
        ],
        r.kill.map((k) => [
          k.point,
          k.rowsSent,
          k.before,
          k.after,
          k.state,
          k.integrity,
          k.restartOk ? 'yes' : 'no',
        ]),
      ),
      '',
    );
  }
  return out.join('\n');
}

await main();

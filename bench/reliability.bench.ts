/**
 * Reliability report (issue 7): the long fuzz run, the hostile inputs, database failures and worker
 * crashes, measured and written to bench/results/reliability.{json,md} and docs/reliability.md.
 * Run: `npm run build && node dist/bench/reliability.bench.js [--cases 20000] [--seed N]`.
 * The checks themselves live with the tests (test/fuzz, test/reliability), so both see the same cases.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { hashImage } from '../src/worker/compute.js';
import { HashPool } from '../src/worker/pool.js';
import { hostileCases } from '../test/fuzz/hostile.js';
import { FUZZ_FORMATS } from '../test/fuzz/mutate.js';
import { gcAndRss } from '../test/fuzz/rss.js';
import { type FuzzStats, runFuzz } from '../test/fuzz/run.js';
import { makeSeeds } from '../test/fuzz/seeds.js';
import { sampleJpeg } from '../test/helpers/bad-images.js';
import { checkDatabaseFailure, type DbAction, type DbCheck } from '../test/reliability/db-checks.js';
import {
  machineInfo,
  machineLine,
  markdownTable,
  REPO_ROOT,
  RESULTS_DIR,
  writeReport,
} from './lib/report.js';

const MiB = 2 ** 20;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`--${name} must be a non-negative integer`);
  return v;
}

async function outcomeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    const e = err as { name?: string; code?: string; status?: number };
    return e.name === 'HashwardenError' ? `${e.code}` : `untyped ${String(err)}`;
  }
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

function fuzzTable(stats: FuzzStats): string {
  const codes = [...new Set(FUZZ_FORMATS.flatMap((f) => Object.keys(stats.perFormat[f])))].sort();
  const rows = FUZZ_FORMATS.map((f) => {
    const c = stats.perFormat[f];
    const n = Object.values(c).reduce((a, b) => a + b, 0);
    return [f, n, ...codes.map((k) => c[k] ?? 0)];
  });
  return markdownTable(['format', 'cases', ...codes], rows);
}

async function crashCheck(): Promise<{
  crashes: string[];
  siblings: string[];
  after: string;
  threads: number;
}> {
  const pool = new HashPool({ threads: 3 });
  try {
    const jpeg = await sampleJpeg(1200, 900);
    const siblings = Array.from({ length: 24 }, () => outcomeOf(pool.hash(Buffer.from(jpeg))));
    const crashes = Array.from({ length: 10 }, () => outcomeOf(pool.crashOneWorkerForTest()));
    const [s, c] = await Promise.all([Promise.all(siblings), Promise.all(crashes)]);
    return { crashes: c, siblings: s, after: await outcomeOf(pool.hash(jpeg)), threads: pool.threadCount };
  } finally {
    await pool.destroy();
  }
}

async function main(): Promise<void> {
  const cases = arg('cases', 20_000);
  const seed = arg('seed', 0x5eed_1e55);
  const machine = machineInfo();
  sharp.cache(false); // as in the worker threads
  const seeds = await makeSeeds();
  const rssStart = gcAndRss();

  console.log(`fuzz: ${cases} cases in process…`);
  const fuzz = await runFuzz({
    seeds,
    cases,
    seed,
    budgetMs: 30_000,
    concurrency: 2,
    hash: (b) => hashImage(b),
  });
  const rssAfterFuzz = gcAndRss();
  // The same cases again: a leak adds to RSS, the allocator's high-water mark does not.
  const again = await runFuzz({
    seeds,
    cases,
    seed,
    budgetMs: 30_000,
    concurrency: 2,
    hash: (b) => hashImage(b),
  });
  const rssAfterSecond = gcAndRss();

  console.log('fuzz: 1000 cases through a HashPool…');
  const pool = new HashPool({ threads: 2, maxQueue: 16 });
  const poolStats = await runFuzz({
    seeds,
    cases: 1000,
    seed,
    start: 1_000_000,
    budgetMs: 30_000,
    concurrency: 4,
    hash: (b) => pool.hash(b),
  });
  const poolThreads = pool.threadCount;
  await pool.destroy();

  console.log('hostile inputs…');
  const hostile = [];
  for (const c of await hostileCases()) {
    const t0 = performance.now();
    const got = await outcomeOf(hashImage(c.bytes));
    hostile.push({
      name: c.name,
      group: c.group,
      bytes: c.bytes.length,
      expected: c.expect,
      got,
      ms: round(performance.now() - t0),
    });
  }
  const rssEnd = gcAndRss();

  console.log('database failures…');
  const db: DbCheck[] = [];
  const actions: DbAction[] = ['create-list', 'create-key', 'remove-entry', 'import'];
  for (const scenario of ['read-only file', 'read-only directory', 'full disk'] as const) {
    for (const action of actions) db.push(await checkDatabaseFailure(scenario, action));
  }
  db.push(await checkDatabaseFailure('disk fills during import', 'import'));

  console.log('worker crashes…');
  const crash = await crashCheck();

  const json = {
    machine,
    fuzz: { ...fuzz, secondPass: { failures: again.failures.length, outcomes: again.outcomes } },
    pool: { ...poolStats, threadsAfter: poolThreads },
    rss: {
      startMiB: round(rssStart / MiB),
      afterFuzzMiB: round(rssAfterFuzz / MiB),
      afterSecondPassMiB: round(rssAfterSecond / MiB),
      endMiB: round(rssEnd / MiB),
    },
    hostile,
    database: db,
    workerCrash: crash,
  };

  const failed = (s: FuzzStats) => s.failures.length + s.unhandledRejections;
  const md = [
    machineLine(machine),
    '',
    `### Fuzzing (seed ${seed}, in process: decodeImage + every hash, production limits)`,
    '',
    `${fuzz.cases} cases in ${round(fuzz.seconds)} s; failures (crash, hang, untyped or non-4xx error): ${failed(fuzz)}; unhandled rejections: ${fuzz.unhandledRejections}. Time per case: p50 ${round(fuzz.timeMs.p50)} ms, p99 ${round(fuzz.timeMs.p99)} ms, max ${round(fuzz.timeMs.max)} ms.`,
    '',
    fuzzTable(fuzz),
    '',
    `RSS after GC: ${json.rss.startMiB} MiB at start, ${json.rss.afterFuzzMiB} MiB after the run, ${json.rss.afterSecondPassMiB} MiB after the same ${cases} cases again (${round((rssAfterSecond - rssAfterFuzz) / MiB)} MiB difference; second-pass failures: ${again.failures.length}).`,
    '',
    `### Through a HashPool (2 threads, ${poolStats.cases} other cases)`,
    '',
    `Failures: ${failed(poolStats)}; threads alive after: ${poolThreads}/2; p99 ${round(poolStats.timeMs.p99)} ms, max ${round(poolStats.timeMs.max)} ms.`,
    '',
    fuzzTable(poolStats),
    '',
    '### Hostile inputs (in process)',
    '',
    markdownTable(
      ['input', 'group', 'bytes', 'expected', 'outcome', 'ms'],
      hostile.map((h) => [
        h.name,
        h.group,
        h.bytes,
        h.expected,
        h.got === h.expected ? h.got : `**${h.got}**`,
        h.ms,
      ]),
    ),
    '',
    '### Database that cannot be written',
    '',
    markdownTable(
      ['scenario', 'write', 'outcome', 'close() threw', 'integrity_check', 'contents unchanged'],
      db.map((d) => [
        d.scenario,
        d.action,
        d.outcome,
        d.closeThrew ? 'yes' : 'no',
        d.integrity,
        d.unchanged ? 'yes' : 'no',
      ]),
    ),
    '',
    '### Worker crashes (3 threads, 24 sibling tasks in flight)',
    '',
    `Crashes: ${crash.crashes.length}, outcomes ${[...new Set(crash.crashes)].join(', ')}; sibling tasks ok: ${crash.siblings.filter((s) => s === 'ok').length}/${crash.siblings.length}; next task: ${crash.after}; threads alive after: ${crash.threads}/3.`,
  ].join('\n');
  await writeReport('reliability', json, md);
  await writeFile(join(REPO_ROOT, 'docs', 'reliability.md'), await reliabilityDoc(md, cases));
  console.log(md);
}

async function reliabilityDoc(md: string, cases: number): Promise<string> {
  return `# Reliability

<!-- Generated by bench/reliability.bench.ts (\`npm run build && node dist/bench/reliability.bench.js\`); do not edit by hand. -->

What hashwarden does with hostile and broken input, a database it cannot write and workers that die,
measured. The CI-sized versions of these checks run in \`npm test\` (test/fuzz, test/reliability);
this page is the long run (${cases} fuzz cases). How to reproduce one fuzz case: \`fuzzCase(seeds, seed,
index)\` in test/fuzz/run.ts rebuilds its bytes; \`HASHWARDEN_FUZZ_CASES=50000 npx vitest run test/fuzz\`
runs a long session locally. The threat model is in [SECURITY.md](../SECURITY.md).

Kill -9 during an import (test/store/kill.test.ts) and during a scan (test/scan) are covered by those
suites; they are not repeated here.

${md}

${await httpSection()}`;
}

/**
 * The "HTTP (phase 2)" section as bench/reliability-http.bench.ts last wrote it, so regenerating this
 * page keeps those figures (each bench owns its part of docs/reliability.md).
 */
async function httpSection(): Promise<string> {
  const md = await readFile(join(RESULTS_DIR, 'reliability-http.md'), 'utf8').catch(() => undefined);
  return (
    md?.trimEnd() ??
    '## HTTP (phase 2)\n\n_Not measured yet: run `node dist/bench/reliability-http.bench.js`._'
  );
}

await main();

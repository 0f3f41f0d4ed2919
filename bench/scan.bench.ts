/**
 * `hashwarden scan` throughput against a 1M-entry PDQ list, beside the raw pool hashing rate on the
 * same files in the same run, with RSS sampled through the scan.
 * Usage: node dist/bench/scan.bench.js [--dir DIR] [--entries N] [--passes N] [--threads N] [--plant N]
 *        [--search-threads N] [--rounds N]
 * Defaults: ../shared/datasets/distinct, 1,000,000 entries, 2 passes over the files, all cores, 5 planted.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BATCH_THREADS } from '../src/config.js';
import { DEFAULT_DECODE_LIMITS } from '../src/image/decode.js';
import { SearchPool } from '../src/index/search-pool.js';
import { Matcher } from '../src/service/matcher.js';
import { LocalLookup, type LookupBackend } from '../src/service/scan/lookup.js';
import { Scanner, type ScanSummary } from '../src/service/scan/scanner.js';
import { mapUnordered } from '../src/service/scan/window.js';
import { Store } from '../src/store/store.js';
import { HashPool } from '../src/worker/pool.js';
import {
  benchArgs,
  machineInfo,
  machineLine,
  markdownTable,
  median,
  SHARED_DATASETS,
  writeReport,
} from './lib/report.js';

const args = benchArgs();
const dir = args.get('dir') ?? join(SHARED_DATASETS, 'distinct');
const entries = Number(args.get('entries') ?? 1_000_000);
const passes = Number(args.get('passes') ?? 2);
const plant = Number(args.get('plant') ?? 5);
/** Hashing threads (`--threads`; default as `hashwarden scan`: cores + 1). */
const threads = args.has('threads') ? Number(args.get('threads')) : BATCH_THREADS;
/** Interleaved raw/scan rounds (`--rounds`, default 4). */
const ROUNDS = Math.max(1, Number(args.get('rounds') ?? 4));
/** Search threads (`--search-threads`; 0: searches on the main thread, as before they existed). */
const SEARCH_THREADS = Number(args.get('search-threads') ?? Math.min(availableParallelism(), 4));
const MiB = 2 ** 20;

function* randomPdqLines(n: number, planted: readonly string[]): Generator<string> {
  // Planted hashes are spread through the list, not at its start.
  const every = Math.max(1, Math.floor(n / (planted.length + 1)));
  let p = 0;
  for (let i = 0; i < n; i++) {
    if (p < planted.length && i === every * (p + 1)) yield planted[p++]!;
    else yield randomBytes(32).toString('hex');
  }
}

/** RSS sampled every 100 ms while `fn` runs. */
async function withRss<T>(
  fn: () => Promise<T>,
): Promise<{ value: T; startMiB: number; peakMiB: number; endMiB: number }> {
  const start = process.memoryUsage.rss();
  let peak = start;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 100);
  try {
    const value = await fn();
    const end = process.memoryUsage.rss();
    return { value, startMiB: start / MiB, peakMiB: Math.max(peak, end) / MiB, endMiB: end / MiB };
  } finally {
    clearInterval(timer);
  }
}

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

async function main(): Promise<void> {
  const names = (await readdir(dir)).filter((f) => /\.(jpe?g|png|webp|gif|tiff?|avif)$/i.test(f)).sort();
  const files = names.map((f) => join(dir, f));
  const work = await mkdtemp(join(tmpdir(), 'hw-bench-scan-'));
  const pool = new HashPool({ threads, maxQueue: 1024 });
  // The same hashing work as the scan does (dihedrals and the border-trimmed PDQ), so the ratio isolates
  // what the scan adds: reading, lookups, reports and the checkpoint.
  const hashOptions = {
    pdqVariants: ['reference' as const],
    dihedral: true,
    trimBorders: true,
    limits: DEFAULT_DECODE_LIMITS,
  };
  const window = pool.threads * 4;
  try {
    // Warm the page cache and the workers, and take the planted hashes from real files.
    const planted: string[] = [];
    for (const [i, f] of files.entries()) {
      const bytes = await readFile(f);
      if (i % Math.floor(files.length / plant) === 0 && planted.length < plant)
        planted.push((await pool.hash(new Uint8Array(bytes), hashOptions)).pdq.reference!.hex);
    }
    const store = Store.open(join(work, 'hw.db'));
    store.lists.create({ name: 'bench', source: 'bench' }, 'bench');
    let t = performance.now();
    await store.importEntries('bench', randomPdqLines(entries, planted), {
      format: 'lines',
      type: 'pdq',
      actor: 'bench',
    });
    const importSeconds = (performance.now() - t) / 1000;
    t = performance.now();
    // As `hashwarden scan` wires it: search threads for each file's PDQ searches.
    const searchPool = SEARCH_THREADS > 0 ? new SearchPool({ threads: SEARCH_THREADS }) : null;
    const matcher = await Matcher.open(store, { pollMs: 0, searchPool });
    const indexSeconds = (performance.now() - t) / 1000;

    // The same inputs for both: every file `passes` times (a manifest with ids, so the scan repeats them).
    const manifest = join(work, 'manifest.ndjson');
    const items = Array.from({ length: passes }, (_, p) =>
      files.map((path) => ({ path, id: `${p}` })),
    ).flat();
    await writeFile(manifest, items.map((i) => JSON.stringify(i)).join('\n'));

    // CPU time of the whole process (every thread) a file, per run: what each side costs, whatever the
    // machine's idle time let it borrow.
    const cpuMs = { raw: [] as number[], scan: [] as number[], noDihedral: [] as number[] };
    const raw = async () => {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      let n = 0;
      for await (const _ of mapUnordered(items, window, async (i) =>
        pool.hash(new Uint8Array(await readFile(i.path)), hashOptions),
      ))
        n++;
      const rate = n / ((performance.now() - t0) / 1000);
      const c = process.cpuUsage(c0);
      cpuMs.raw.push((c.user + c.system) / 1000 / n);
      return rate;
    };
    // Main-thread time spent in lookups: the part of a scan the raw rate does not pay for.
    let lookupMs = 0;
    let lookups = 0;
    const timed = (dihedral: boolean): LookupBackend => {
      const inner = new LocalLookup(matcher, { dihedral }, 'reference');
      return {
        pdqVariants: inner.pdqVariants,
        lookup: (r) => {
          const t0 = performance.now();
          const p = inner.lookup(r);
          lookupMs += performance.now() - t0;
          lookups++;
          return p;
        },
        close: () => inner.close(),
      };
    };
    const scan = async (run: number, dihedral = true): Promise<ScanSummary> => {
      const scanner = new Scanner(
        {
          roots: [],
          manifest,
          format: 'ndjson',
          reportVariant: 'reference',
          dihedral: true,
          limits: DEFAULT_DECODE_LIMITS,
          out: join(work, `report-${run}.ndjson`),
          errors: join(work, `errors-${run}.ndjson`),
          checkpoint: join(work, `scan-${run}.ckpt`),
          fingerprint: `bench-${run}`,
        },
        { pool, backend: timed(dihedral), window },
      );
      const c0 = process.cpuUsage();
      const summary = await scanner.run();
      const c = process.cpuUsage(c0);
      cpuMs[dihedral ? 'scan' : 'noDihedral'].push((c.user + c.system) / 1000 / summary.run.files);
      return summary;
    };
    // Interleaved, ROUNDS times, so neither side gets the warmer machine; other work on this shared
    // machine moves single runs by 10–20 %, so each side keeps its best.
    const rawRates: number[] = [];
    const scans: Awaited<ReturnType<typeof withRss<ScanSummary>>>[] = [];
    for (let k = 0; k < ROUNDS; k++) {
      rawRates.push(await raw());
      scans.push(await withRss(() => scan(k)));
    }
    const lookupMsPerFile = lookupMs / lookups;
    lookupMs = 0;
    lookups = 0;
    const noDihedral = await scan(ROUNDS, false);
    const noDihedralRate = noDihedral.run.files / noDihedral.seconds;
    const noDihedralLookupMs = lookupMs / lookups;
    matcher.close();
    await searchPool?.close();
    store.close();
    const rawRate = Math.max(...rawRates);
    const scanRates = scans.map((s) => s.value.run.files / s.value.seconds);
    const scanRate = Math.max(...scanRates);
    const best = scans[scanRates.indexOf(scanRate)]!;
    const cpu = {
      rawMsPerFile: round(median(cpuMs.raw), 3),
      scanMsPerFile: round(median(cpuMs.scan), 3),
      noDihedralMsPerFile: round(median(cpuMs.noDihedral), 3),
    };
    const m = machineInfo();
    const json = {
      machine: m,
      dataset: dir,
      files: files.length,
      passes,
      entries,
      planted: plant,
      threads: pool.threads,
      searchThreads: SEARCH_THREADS,
      importSeconds: round(importSeconds, 2),
      indexSeconds: round(indexSeconds, 2),
      rawFilesPerSecond: rawRates.map((r) => round(r)),
      scanFilesPerSecond: scanRates.map((r) => round(r)),
      ratio: round(scanRate / rawRate, 3),
      lookupMsPerFile: round(lookupMsPerFile, 2),
      noDihedral: {
        filesPerSecond: round(noDihedralRate),
        ratio: round(noDihedralRate / rawRate, 3),
        lookupMsPerFile: round(noDihedralLookupMs, 2),
      },
      /**
       * Median CPU ms a file over the rounds, all threads. raw / scan is the most the scan can reach
       * against raw once both keep every core busy: then only CPU a file sets the rate.
       */
      cpu,
      cpuBound: round(cpu.rawMsPerFile / cpu.scanMsPerFile, 3),
      loadAverage: loadavg().map((x) => round(x, 2)),
      scanMBPerSecond: round(best.value.run.bytes / 1e6 / best.value.seconds),
      matchedFiles: best.value.run.matchedFiles,
      errors: best.value.run.errors,
      rssMiB: scans.map((s) => ({ start: round(s.startMiB), peak: round(s.peakMiB), end: round(s.endMiB) })),
    };
    const md = [
      machineLine(m),
      `${files.length} files of ${dir} × ${passes} passes; PDQ list of ${entries.toLocaleString('en')} random hashes with ${plant} of the dataset's planted; ${pool.threads} worker threads and ${json.searchThreads} search threads; dihedral matching on; checkpoint and report written as in production. Raw = read + pool hash only (the same hashing as the scan: dihedrals and border trimming), same window, same run (best of ${ROUNDS} interleaved runs each).`,
      '',
      markdownTable(
        [
          'run',
          'files/s',
          '× raw',
          'lookup ms/file on the main thread (PDQ searches run on the search threads)',
          'CPU ms/file, all threads (median)',
          'matched files',
          'RSS start / peak / end MiB',
        ],
        [
          ['raw pool (read + hash)', round(rawRate), '1.00', '–', cpu.rawMsPerFile, '–', '–'],
          [
            'scan, dihedral on (default)',
            round(scanRate),
            json.ratio,
            round(lookupMsPerFile, 2),
            cpu.scanMsPerFile,
            json.matchedFiles,
            `${round(best.startMiB)} / ${round(best.peakMiB)} / ${round(best.endMiB)}`,
          ],
          [
            'scan --no-dihedral',
            round(noDihedralRate),
            json.noDihedral.ratio,
            round(noDihedralLookupMs, 2),
            cpu.noDihedralMsPerFile,
            noDihedral.run.matchedFiles,
            '–',
          ],
        ],
      ),
      '',
      `Every round, files/s: raw ${json.rawFilesPerSecond.join(', ')}; scan ${json.scanFilesPerSecond.join(', ')}.`,
      '',
      `CPU a file: the scan spends ${round(cpu.scanMsPerFile - cpu.rawMsPerFile, 2)} ms more than raw hashing (${cpu.scanMsPerFile} against ${cpu.rawMsPerFile}), nearly all of it the PDQ searches (without the dihedral searches: ${cpu.noDihedralMsPerFile}). ` +
        `Once both keep every core busy, CPU a file alone sets the rate, and the scan cannot pass ${json.cpuBound} × raw; a faster scan than that needs cheaper searches, not less overhead elsewhere.`,
      '',
      `List import ${json.importSeconds} s, index build ${json.indexSeconds} s. Load average at the end: ${json.loadAverage.join(', ')} (other processes share this machine).`,
    ].join('\n');
    await writeReport('scan', json, md);
    process.stdout.write(`${md}\n`);
  } finally {
    await pool.close();
    await rm(work, { recursive: true, force: true });
  }
}

await main();

/**
 * Import throughput of the hash-list store: 1M and 10M generated rows in two formats (plain hex
 * lines; CSV with an external id and a label column), each imported into a fresh database in its own
 * child process (so peak RSS is that scenario's), next to a parse-only baseline over the same file
 * (no SQLite) and the time to load the imported entries back for an index (iterateActiveEntries).
 * Usage: node dist/bench/import.bench.js [--sizes 1000000,10000000] [--formats lines,csv]
 * Files and databases live in os.tmpdir() and are deleted afterwards.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, createReadStream, createWriteStream, fsyncSync, openSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Matcher } from '../src/service/matcher.js';
import { createParser } from '../src/store/import/formats.js';
import { readLines } from '../src/store/import/lines.js';
import { Store } from '../src/store/index.js';
import { benchArgs, machineInfo, machineLine, markdownTable, writeReport } from './lib/report.js';

type Format = 'lines' | 'csv';

interface Result {
  readonly format: Format;
  readonly rows: number;
  readonly fileMiB: number;
  readonly parseOnlyRowsPerSecond: number;
  readonly seconds: number;
  readonly rowsPerSecond: number;
  readonly cpuSeconds: number;
  readonly readSeconds: number;
  readonly applySeconds: number;
  readonly added: number;
  readonly dbMiB: number;
  readonly peakRssMiB: number;
  readonly loadSeconds: number;
  readonly loadRowsPerSecond: number;
  readonly matcherSeconds: number;
  readonly loadAvgBefore: number;
}

const MiB = 2 ** 20;
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** Writes `rows` rows of pseudo-random PDQ hashes (xorshift32, fixed seed) in `format`. */
async function generate(path: string, rows: number, format: Format): Promise<void> {
  const out = createWriteStream(path);
  if (format === 'csv') out.write('type,value,external_id,category\n');
  const CHUNK = 10_000;
  const words = new Uint32Array(CHUNK * 8);
  let x = 2463534242;
  for (let done = 0; done < rows; done += CHUNK) {
    const n = Math.min(CHUNK, rows - done);
    for (let i = 0; i < n * 8; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      words[i] = x >>> 0;
    }
    const hex = Buffer.from(words.buffer, 0, n * 32).toString('hex');
    let text = '';
    for (let i = 0; i < n; i++) {
      const h = hex.slice(i * 64, i * 64 + 64);
      text += format === 'lines' ? `${h}\n` : `pdq,${h},ext-${done + i},A${(done + i) % 4}\n`;
    }
    if (!out.write(text)) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise<void>((r) => out.end(() => r()));
  // On disk before the import starts: otherwise the kernel writes the fresh file back while the import
  // runs, and the two compete for the disk.
  const fd = openSync(path, 'r');
  fsyncSync(fd);
  closeSync(fd);
}

/** Baseline: the same streaming line split and parse, without SQLite. */
async function parseOnly(path: string, format: Format): Promise<number> {
  const parse = createParser(format, { type: 'pdq' });
  const t = performance.now();
  let n = 0;
  for await (const batch of readLines(createReadStream(path, { highWaterMark: MiB }))) {
    for (const line of batch.lines) if (typeof parse(line) === 'object') n++;
  }
  return n / ((performance.now() - t) / 1000);
}

/** One import into a fresh database (runs in a child process). */
async function importOnce(path: string, format: Format, dir: string): Promise<Partial<Result>> {
  const dbPath = join(dir, `bench-${format}.db`);
  const store = Store.open(dbPath);
  store.lists.create({ name: 'bench' }, 'bench');
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let tApply = t0;
  const summary = await store.importEntries('bench', createReadStream(path, { highWaterMark: MiB }), {
    format,
    type: 'pdq',
    actor: 'bench',
    // As `hashwarden import FILE` does for files of 4 MiB and more.
    parseThread: true,
    onProgress: (p) => {
      if (p.phase === 'apply') tApply = performance.now();
    },
  });
  const t1 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const tl = performance.now();
  let loaded = 0;
  for (const batch of store.iterateActiveEntries('pdq')) loaded += batch.ids.length;
  const loadSeconds = (performance.now() - tl) / 1000;
  // The import's and the read-back's, before the indexes take their memory.
  const peakRssMiB = round(process.resourceUsage().maxRSS / 1024, 1);
  // What `hashwarden serve` does at start, with its default index settings: read every entry and build
  // the indexes, until the matcher is ready.
  const tm = performance.now();
  const matcher = await Matcher.open(store, { pollMs: 0 });
  const matcherSeconds = (performance.now() - tm) / 1000;
  matcher.close();
  store.close();
  const size = (p: string) => {
    try {
      return statSync(p).size;
    } catch {
      return 0;
    }
  };
  return {
    seconds: round(summary.seconds),
    rowsPerSecond: Math.round(summary.rowsPerSecond),
    cpuSeconds: round((cpu.user + cpu.system) / 1e6),
    readSeconds: round((tApply - t0) / 1000),
    applySeconds: round((t1 - tApply) / 1000),
    added: summary.added,
    dbMiB: round((size(dbPath) + size(`${dbPath}-wal`)) / MiB, 1),
    peakRssMiB,
    loadSeconds: round(loadSeconds),
    loadRowsPerSecond: Math.round(loaded / loadSeconds),
    matcherSeconds: round(matcherSeconds),
  };
}

function runChild(args: string[]): Promise<Partial<Result>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s;
    });
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out) as Partial<Result>)
        : reject(new Error(`child exited with ${code}`)),
    );
  });
}

async function main(): Promise<void> {
  const args = benchArgs();
  if (args.has('child')) {
    const [path, format, dir] = process.argv.slice(3) as [string, Format, string];
    const parseRate = await parseOnly(path, format);
    const r = await importOnce(path, format, dir);
    process.stdout.write(JSON.stringify({ ...r, parseOnlyRowsPerSecond: Math.round(parseRate) }));
    return;
  }
  const sizes = (args.get('sizes') ?? '1000000,10000000').split(',').map(Number);
  const formats = (args.get('formats') ?? 'lines,csv').split(',') as Format[];
  const machine = machineInfo();
  const dir = await mkdtemp(join(os.tmpdir(), 'hw-import-bench-'));
  const results: Result[] = [];
  try {
    for (const rows of sizes) {
      for (const format of formats) {
        const file = join(dir, `rows-${rows}.${format}`);
        await generate(file, rows, format);
        // Nor the previous scenario's database, deleted or not yet written back.
        spawnSync('sync');
        const loadAvgBefore = round(os.loadavg()[0] ?? 0);
        process.stderr.write(`import ${rows} rows (${format}), load average ${loadAvgBefore}...\n`);
        const r = await runChild([file, format, dir]);
        const result = {
          format,
          rows,
          fileMiB: round(statSync(file).size / MiB, 1),
          loadAvgBefore,
          ...r,
        } as Result;
        results.push(result);
        process.stderr.write(`  ${JSON.stringify(result)}\n`);
        await rm(file, { force: true });
        await rm(join(dir, `bench-${format}.db`), { force: true });
        await rm(join(dir, `bench-${format}.db-wal`), { force: true });
        await rm(join(dir, `bench-${format}.db-shm`), { force: true });
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const table = markdownTable(
    [
      'rows',
      'format',
      'file MiB',
      'parse only rows/s',
      'import s',
      'import rows/s',
      'CPU s',
      'read+stage s',
      'sort+insert+commit s',
      'DB MiB',
      'peak RSS MiB',
      'index load s',
      'matcher ready s',
      'load avg',
    ],
    results.map((r) => [
      r.rows.toLocaleString('en-US'),
      r.format,
      r.fileMiB,
      r.parseOnlyRowsPerSecond.toLocaleString('en-US'),
      r.seconds,
      r.rowsPerSecond.toLocaleString('en-US'),
      r.cpuSeconds,
      r.readSeconds,
      r.applySeconds,
      r.dbMiB,
      r.peakRssMiB,
      r.loadSeconds,
      r.matcherSeconds,
      r.loadAvgBefore,
    ]),
  );
  const markdown = [
    '### Import (store)',
    '',
    machineLine(machine),
    '',
    'Each row: a fresh database, one `importEntries` of a generated file of random PDQ hashes (`lines`: hex',
    'only; `csv`: type, value, external id and a label column) in its own process. "parse only" is the same',
    'streaming split and validation without SQLite; "index load" reads every imported entry back with',
    '`iterateActiveEntries`; "matcher ready" opens a `Matcher` on the database, as `hashwarden serve` does at',
    'start (read every entry, build the indexes with the default settings). "load avg" is the 1-minute load average before',
    'the run: other work on the machine slows wall-clock figures; CPU s is this process, all its threads',
    '(the import parses on a second thread and SQLite sorts on helper threads, as `hashwarden import` does).',
    '',
    table,
  ].join('\n');
  await writeReport('import', { machine, results }, markdown);
  process.stdout.write(`${markdown}\n`);
}

await main();

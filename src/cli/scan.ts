import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { batchThreads, loadConfig } from '../config.js';
import { HashwardenError } from '../errors.js';
import { PDQ_VARIANTS, type PdqVariant } from '../hash/types.js';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../image/decode.js';
import { SearchPool } from '../index/search-pool.js';
import { Matcher } from '../service/matcher.js';
import { LocalLookup, type LookupBackend, type ScanMatchOptions } from '../service/scan/lookup.js';
import { startProgress, summaryText } from '../service/scan/progress.js';
import { REMOTE_DEFAULTS, RemoteLookup } from '../service/scan/remote.js';
import type { ReportFormat } from '../service/scan/report.js';
import { Scanner, type ScanSummary } from '../service/scan/scanner.js';
import { cheapCount } from '../service/scan/walker.js';
import { Store } from '../store/store.js';
import { HashPool } from '../worker/pool.js';
import { positiveInt } from './output.js';

interface ScanCommandOptions {
  manifest?: string;
  db?: string;
  server?: string;
  keyFile?: string;
  out?: string;
  errors?: string;
  format?: ReportFormat;
  all: boolean;
  checkpoint?: string;
  sorted: boolean;
  followSymlinks: boolean;
  lists?: string;
  threshold?: number;
  dihedral: boolean;
  includeLowQuality: boolean;
  pdqVariant: PdqVariant;
  strict: boolean;
  threads?: number;
  maxBytes: number;
  maxPixels: number;
  batchSize: number;
  timeoutMs: number;
  progress: boolean;
  progressInterval: number;
  commitEvery: number;
}

const HELP = `
Inputs: directories are walked recursively (symbolic links inside them are not followed unless
--follow-symlinks; loops are detected); files are sniffed by content, so non-images are skipped
whatever their name. A manifest has one path per line, or NDJSON {"path": "...", "id": "..."}.

Report (--out, NDJSON unless it ends in .csv or --format csv): one row per matched file (every
hashed file with --all) with path, id, size, format, width, height, pdq, pdqQuality, phash, md5,
sha1, sha256, matched and matches [{list, entryId, externalId, type, distance, transform, labels}].
Files that cannot be read or decoded go to --errors (NDJSON {path, id, code, message}).

Resume: with --checkpoint FILE, rerunning the same command after Ctrl-C, a crash or kill -9
continues where it stopped: no file is reported twice and none is skipped.

Exit status:
  0  the scan completed and nothing matched
  1  the scan completed and at least one file matched
  2  the scan is incomplete or could not run: interrupted, an input or directory could not be
     read, the database or server failed, a bad option; with --strict also any per-file error.
     Per-file errors (corrupt, unsupported or unreadable files) are otherwise listed in --errors
     and do not change the status. Matches found before a stop are in the report either way.

Examples:
  hashwarden scan /mnt/evidence --out hits.ndjson --errors errors.ndjson --checkpoint scan.ckpt
  hashwarden scan photos/ --all --out hashes.csv --sorted
  hashwarden scan --manifest files.ndjson --server https://hw.internal --key-file key.txt --out hits.ndjson`;

/** `hashwarden scan`: hash every image under the inputs and look it up in the lists. */
export function registerScanCommand(program: Command): void {
  program
    .command('scan')
    .description('Scan directories, files or a manifest against the hash lists (resumable, all cores)')
    .argument('[paths...]', 'directories and files to scan')
    .option('--manifest <file>', 'also scan the paths listed in FILE (lines or NDJSON with path and id)')
    .option('--db <file>', 'local database (default: HASHWARDEN_DB_PATH or ./data/hashwarden.db)')
    .option('--server <url>', 'look up on a running hashwarden instead (only hashes are sent)')
    .option('--key-file <file>', 'file holding the API key for --server')
    .option('--out <file>', 'report file (default: stdout, without resume)')
    .option('--errors <file>', 'errors file, NDJSON (default: stderr)')
    .addOption(
      new Option('--format <format>', 'report format (default: from --out, else ndjson)').choices([
        'ndjson',
        'csv',
      ]),
    )
    .option('--all', 'write a report row for every hashed file, not only matches', false)
    .option('--checkpoint <file>', 'record progress in FILE and resume from it')
    .option('--sorted', 'walk in name order and write rows in walk order (reproducible reports)', false)
    .option('--follow-symlinks', 'follow symbolic links inside directories', false)
    .option('--lists <names>', 'only these lists (comma-separated)')
    .option(
      '--threshold <n>',
      'PDQ match radius (never looser than a list allows)',
      positiveInt('--threshold'),
    )
    .option('--no-dihedral', 'do not match rotated and mirrored copies')
    .option('--include-low-quality', 'match PDQ hashes below the quality floor too', false)
    .addOption(
      new Option('--pdq-variant <variant>', 'PDQ variant in the report (and sent with --server)')
        .choices([...PDQ_VARIANTS])
        .default('reference'),
    )
    .option('--strict', 'exit 2 when any file could not be hashed', false)
    .option(
      '--threads <n>',
      'hashing threads (default: HASHWARDEN_THREADS, else cores + 1)',
      positiveInt('--threads'),
    )
    .option(
      '--max-bytes <n>',
      'largest file hashed, in bytes',
      positiveInt('--max-bytes'),
      DEFAULT_DECODE_LIMITS.maxInputBytes,
    )
    .option(
      '--max-pixels <n>',
      'largest width × height hashed',
      positiveInt('--max-pixels'),
      DEFAULT_DECODE_LIMITS.maxPixels,
    )
    .option(
      '--batch-size <n>',
      'hashes per /v1/lookup request (12-1000)',
      positiveInt('--batch-size'),
      REMOTE_DEFAULTS.batchHashes,
    )
    .option(
      '--timeout-ms <n>',
      'timeout of one /v1/lookup request',
      positiveInt('--timeout-ms'),
      REMOTE_DEFAULTS.timeoutMs,
    )
    .option('--no-progress', 'no progress bar or progress lines (the summary is still printed)')
    .option(
      '--progress-interval <s>',
      'seconds between progress lines when stderr is not a terminal',
      positiveInt('--progress-interval'),
      10,
    )
    .option(
      '--commit-every <n>',
      'checkpoint after this many files (and at least every second)',
      positiveInt('--commit-every'),
      512,
    )
    .addHelpText('after', HELP)
    .action(async (paths: string[], opts: ScanCommandOptions) => {
      process.exitCode = await runScan(paths, opts);
    });
}

async function runScan(paths: string[], opts: ScanCommandOptions): Promise<number> {
  if (paths.length === 0 && opts.manifest === undefined)
    throw new HashwardenError('HW_ERR_BAD_OPTION', 'give paths to scan or --manifest');
  if (opts.server !== undefined && opts.keyFile === undefined)
    throw new HashwardenError('HW_ERR_BAD_OPTION', '--server needs --key-file');
  const format: ReportFormat = opts.format ?? (opts.out?.toLowerCase().endsWith('.csv') ? 'csv' : 'ndjson');
  const limits: DecodeLimits = {
    ...DEFAULT_DECODE_LIMITS,
    maxInputBytes: opts.maxBytes,
    maxPixels: opts.maxPixels,
  };
  const match: ScanMatchOptions = {
    dihedral: opts.dihedral,
    includeLowQuality: opts.includeLowQuality,
    ...(opts.lists !== undefined
      ? {
          lists: opts.lists
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        }
      : {}),
    ...(opts.threshold !== undefined ? { thresholds: { pdq: opts.threshold } } : {}),
  };
  const config = loadConfig({ dbPath: opts.db, threads: opts.threads });
  let store: Store | undefined;
  let matcher: Matcher | undefined;
  let searchPool: SearchPool | undefined;
  let backend: LookupBackend;
  if (opts.server !== undefined) {
    const key = readFileSync(opts.keyFile!, 'utf8').trim();
    backend = new RemoteLookup({
      url: opts.server,
      key,
      pdqVariant: opts.pdqVariant,
      match,
      batchHashes: opts.batchSize,
      timeoutMs: opts.timeoutMs,
    });
  } else {
    // Never create an empty database by mistake: a scan against nothing would report "no match".
    if (!existsSync(config.dbPath))
      throw new HashwardenError('HW_ERR_DATABASE', `no database at ${config.dbPath}`);
    store = Store.open(config.dbPath);
    // Each file's PDQ searches (8 dihedrals) go to search threads (HASHWARDEN_SEARCH_THREADS, as for
    // `serve`; 0: none), so this thread keeps feeding the hashing threads instead of making them wait.
    searchPool = config.searchThreads > 0 ? new SearchPool({ threads: config.searchThreads }) : undefined;
    matcher = await Matcher.open(store, { pollMs: 0, searchPool: searchPool ?? null });
    backend = new LocalLookup(matcher, match, opts.pdqVariant);
  }
  const fingerprint = JSON.stringify({
    paths: paths.map((p) => resolve(p)),
    manifest: opts.manifest !== undefined ? resolve(opts.manifest) : null,
    source: opts.server ?? resolve(config.dbPath),
    out: opts.out !== undefined ? resolve(opts.out) : null,
    errors: opts.errors !== undefined ? resolve(opts.errors) : null,
    format,
    all: opts.all,
    sorted: opts.sorted,
    followSymlinks: opts.followSymlinks,
    variant: opts.pdqVariant,
    match,
  });
  // A batch keeps a spare hashing thread unless told otherwise (see BATCH_THREADS).
  const threads = batchThreads(opts.threads);
  const window =
    opts.server !== undefined
      ? Math.max(threads * 4, Math.ceil(opts.batchSize / 12) * REMOTE_DEFAULTS.concurrency * 2)
      : threads * 4;
  const pool = new HashPool({ threads, maxQueue: window, taskTimeoutMs: config.taskTimeoutMs });
  const scanner = new Scanner(
    {
      roots: paths,
      manifest: opts.manifest,
      followSymlinks: opts.followSymlinks,
      sorted: opts.sorted,
      all: opts.all,
      format,
      reportVariant: opts.pdqVariant,
      dihedral: opts.dihedral,
      limits,
      out: opts.out,
      errors: opts.errors,
      checkpoint: opts.checkpoint,
      fingerprint,
      commitEvery: opts.commitEvery,
    },
    {
      pool,
      backend,
      window,
      write: (text) => process.stdout.write(text),
      writeError: (text) => process.stderr.write(text),
    },
  );
  // First signal: finish what is in flight and commit. Second: leave now (the checkpoint is consistent
  // at every moment, so even this loses only the uncommitted batch, which the next run redoes).
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (++signals > 1) process.exit(2);
    process.stderr.write(
      `\nhashwarden scan: ${sig}: stopping after the files in flight (again to quit now)\n`,
    );
    scanner.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const total = opts.progress ? await cheapCount(paths, opts.manifest) : undefined;
  const stopProgress = opts.progress
    ? startProgress(scanner, { stream: process.stderr, total, intervalMs: opts.progressInterval * 1000 })
    : () => {};
  let summary: ScanSummary;
  try {
    summary = await scanner.run();
  } finally {
    stopProgress();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await backend.close().catch(() => {});
    await pool.close();
    matcher?.close();
    await searchPool?.close();
    store?.close();
  }
  process.stderr.write(summaryText(summary));
  return exitStatus(summary, opts.strict);
}

/** 2 when the scan is incomplete (or, with --strict, any file failed), else 1 on any match, else 0. */
export function exitStatus(s: ScanSummary, strict: boolean): number {
  const t = s.totals;
  if (s.interrupted || t.walkIssues > 0 || (strict && t.errors > 0)) return 2;
  return t.matchedFiles > 0 ? 1 : 0;
}

/**
 * The scan engine: walk → read and sniff → hash in the pool → look up → report, with a bounded number
 * of files in flight, batched durable commits (report rows fsynced, then their keys checkpointed) and a
 * clean stop. Per-file failures are rows in the errors file; a lookup failure stops the scan.
 */
import { HashwardenError } from '../../errors.js';
import type { PdqVariant } from '../../hash/types.js';
import type { DecodeLimits } from '../../image/decode.js';
import type { HashPool } from '../../worker/pool.js';
import { Checkpoint } from './checkpoint.js';
import type { LookupBackend } from './lookup.js';
import { readForScan } from './read.js';
import {
  errorRow,
  type FailedFile,
  type HashedFile,
  OutputFile,
  type ReportFormat,
  reportHeader,
  reportRows,
} from './report.js';
import { itemKey, type ScanItem, walkInputs } from './walker.js';
import { mapOrdered, mapUnordered } from './window.js';

export interface ScanOptions {
  readonly roots: readonly string[];
  readonly manifest?: string | undefined;
  readonly followSymlinks?: boolean;
  /** Walk directories in name order and write rows in walk order (reproducible reports). */
  readonly sorted?: boolean;
  /** A report row for every hashed file, not only matched ones. */
  readonly all?: boolean;
  readonly format: ReportFormat;
  /** The PDQ variant the report shows. */
  readonly reportVariant: PdqVariant;
  readonly dihedral: boolean;
  readonly limits: DecodeLimits;
  /** Report file; undefined writes rows through `write` (stdout). */
  readonly out?: string | undefined;
  readonly errors?: string | undefined;
  readonly checkpoint?: string | undefined;
  /** Identifies this scan in the checkpoint (inputs, outputs, lookup options). */
  readonly fingerprint?: string;
  /** Commit after this many files or this many ms, whichever comes first. */
  readonly commitEvery?: number;
  readonly commitMs?: number;
}

export interface ScanDeps {
  readonly pool: HashPool;
  readonly backend: LookupBackend;
  /** Where rows go without `out`, and errors without `errors`. */
  readonly write?: (text: string) => void;
  readonly writeError?: (text: string) => void;
  /** Files in flight at once (default: 4 per pool thread). */
  readonly window?: number;
}

/** Counters; `bytes` counts hashed images only. */
export interface ScanCounts {
  files: number;
  images: number;
  bytes: number;
  matchedFiles: number;
  matches: number;
  errors: number;
  skipped: number;
  walkIssues: number;
}

export interface ScanSummary {
  /** This run. */
  readonly run: Readonly<ScanCounts>;
  /** Every run of this checkpoint together (equal to `run` without one). */
  readonly totals: Readonly<ScanCounts>;
  /** Inputs this run found already done in the checkpoint. */
  readonly alreadyDone: number;
  readonly resumed: boolean;
  readonly interrupted: boolean;
  readonly seconds: number;
}

type Outcome =
  | ({ readonly kind: 'hashed' } & HashedFile)
  | ({ readonly kind: 'error' } & FailedFile & { readonly size: number })
  | { readonly kind: 'skipped'; readonly item: ScanItem; readonly size: number };

const ZERO: ScanCounts = {
  files: 0,
  images: 0,
  bytes: 0,
  matchedFiles: 0,
  matches: 0,
  errors: 0,
  skipped: 0,
  walkIssues: 0,
};

/** One scan. `run()` once; `stop()` (from a signal handler) finishes the files in flight and commits. */
export class Scanner {
  readonly #o: ScanOptions;
  readonly #d: ScanDeps;
  readonly #run: ScanCounts = { ...ZERO };
  #base: ScanCounts = { ...ZERO };
  #stopped = false;
  #alreadyDone = 0;
  readonly #started = performance.now();
  // The batch not yet committed.
  #reportText = '';
  #errorsText = '';
  #keys: string[] = [];
  #lastCommit = performance.now();

  constructor(options: ScanOptions, deps: ScanDeps) {
    this.#o = options;
    this.#d = deps;
  }

  /** Asks the scan to stop: no new files start, the ones in flight finish and are committed. */
  stop(): void {
    this.#stopped = true;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  /** Counters of this run so far (live; for progress display). */
  get counts(): Readonly<ScanCounts> {
    return this.#run;
  }

  /** Counters over every run so far. */
  get totals(): ScanCounts {
    const t = { ...this.#base };
    for (const k of Object.keys(t) as (keyof ScanCounts)[]) t[k] += this.#run[k];
    return t;
  }

  /** Inputs found already done in the checkpoint so far. */
  get alreadyDone(): number {
    return this.#alreadyDone;
  }

  async run(): Promise<ScanSummary> {
    const o = this.#o;
    if (o.checkpoint !== undefined && o.out === undefined)
      throw new HashwardenError(
        'HW_ERR_BAD_OPTION',
        '--checkpoint needs --out (a report file it can resume)',
      );
    const checkpoint =
      o.checkpoint !== undefined ? Checkpoint.open(o.checkpoint, o.fingerprint ?? '') : undefined;
    let report: OutputFile | undefined;
    let errors: OutputFile | undefined;
    try {
      const state = checkpoint?.state;
      this.#base = { ...ZERO, ...(state?.totals ?? {}) };
      report = o.out !== undefined ? new OutputFile(o.out, state?.reportOffset ?? 0) : undefined;
      errors = o.errors !== undefined ? new OutputFile(o.errors, state?.errorsOffset ?? 0) : undefined;
      if (report === undefined || report.size === 0) this.#reportText += reportHeader(o.format);
      const commit = (final: boolean) => this.#commit(report, errors, checkpoint, final);
      try {
        for await (const outcome of this.#outcomes(checkpoint)) {
          this.#account(outcome);
          if (
            this.#keys.length >= (o.commitEvery ?? 512) ||
            performance.now() - this.#lastCommit >= (o.commitMs ?? 1000)
          )
            commit(false);
        }
      } finally {
        // Whatever finished is committed, also when the lookup failed or a signal stopped the scan.
        commit(!this.#stopped);
      }
      return {
        run: { ...this.#run },
        totals: this.totals,
        alreadyDone: this.#alreadyDone,
        resumed: checkpoint?.resumed ?? false,
        interrupted: this.#stopped,
        seconds: (performance.now() - this.#started) / 1000,
      };
    } finally {
      report?.close();
      errors?.close();
      checkpoint?.close();
    }
  }

  /** Walk, skip what is done, and process the rest with bounded concurrency. */
  #outcomes(checkpoint: Checkpoint | undefined): AsyncGenerator<Outcome> {
    const o = this.#o;
    const issues: FailedFile[] = [];
    const walk = walkInputs(o.roots, o.manifest, {
      followSymlinks: o.followSymlinks === true,
      sorted: o.sorted === true,
      stopped: () => this.#stopped,
      onIssue: (i) => issues.push({ item: { path: i.path }, code: i.code, message: i.message }),
    });
    const todo = async function* (this: Scanner): AsyncGenerator<ScanItem> {
      for await (const item of walk) {
        // Issues met while walking are recorded once, under a key of their own.
        for (const issue of issues.splice(0)) this.#walkIssue(issue, checkpoint);
        if (this.#stopped) return;
        if (checkpoint?.has(itemKey(item))) {
          this.#alreadyDone++;
          continue;
        }
        yield item;
      }
      for (const issue of issues.splice(0)) this.#walkIssue(issue, checkpoint);
    }.call(this);
    const window = Math.max(2, this.#d.window ?? this.#d.pool.threads * 4);
    const process = (item: ScanItem) => this.#process(item);
    return o.sorted === true ? mapOrdered(todo, window, process) : mapUnordered(todo, window, process);
  }

  #walkIssue(issue: FailedFile, checkpoint: Checkpoint | undefined): void {
    const key = `\u0000issue\u0000${issue.item.path}`;
    if (checkpoint?.has(key)) return;
    this.#run.walkIssues++;
    this.#emitError(issue);
    this.#keys.push(key);
  }

  async #process(item: ScanItem): Promise<Outcome> {
    const read = await readForScan(item.path, this.#o.limits.maxInputBytes);
    if (read.kind === 'skip') return { kind: 'skipped', item, size: read.size };
    if (read.kind === 'error')
      return { kind: 'error', item, code: read.code, message: read.message, size: read.size ?? 0 };
    let result: Awaited<ReturnType<HashPool['hash']>>;
    try {
      result = await this.#d.pool.hash(read.bytes, {
        pdqVariants: this.#d.backend.pdqVariants,
        dihedral: this.#o.dihedral,
        // Border-trimmed PDQ too (matched as `trim:…`): docs/robustness.md shows it lifts padding and
        // letterbox recall from 0 to 99 % with no false positives.
        trimBorders: true,
        limits: this.#o.limits,
      });
    } catch (err) {
      const e = err instanceof HashwardenError ? err : new HashwardenError('HW_ERR_INTERNAL');
      // A closing pool is not the file's fault: stop rather than mark it done.
      if (e.code === 'HW_ERR_POOL_CLOSED') throw e;
      return { kind: 'error', item, code: e.code, message: e.message, size: read.size };
    }
    // Not caught: a failed lookup must stop the scan, never mark the file as scanned.
    const found = await this.#d.backend.lookup(result);
    return {
      kind: 'hashed',
      item,
      size: read.size,
      result,
      matches: found.matches,
      pdqLowQuality: found.pdqLowQuality,
    };
  }

  #account(o: Outcome): void {
    const c = this.#run;
    c.files++;
    this.#keys.push(itemKey(o.item));
    if (o.kind === 'skipped') {
      c.skipped++;
    } else if (o.kind === 'error') {
      c.errors++;
      this.#emitError(o);
    } else {
      c.images++;
      c.bytes += o.size;
      if (o.matches.length > 0) {
        c.matchedFiles++;
        c.matches += o.matches.length;
      }
      if (o.matches.length > 0 || this.#o.all === true)
        this.#reportText += reportRows(o, this.#o.format, this.#o.reportVariant);
    }
  }

  #emitError(f: FailedFile): void {
    const row = errorRow(f);
    if (this.#o.errors !== undefined) this.#errorsText += row;
    else this.#d.writeError?.(row);
  }

  /** Report rows reach the disk before the checkpoint names their files: a crash between the two only re-scans. */
  #commit(
    report: OutputFile | undefined,
    errors: OutputFile | undefined,
    checkpoint: Checkpoint | undefined,
    finished: boolean,
  ): void {
    if (report !== undefined) report.append(this.#reportText);
    else this.#d.write?.(this.#reportText);
    errors?.append(this.#errorsText);
    this.#reportText = '';
    this.#errorsText = '';
    if (checkpoint !== undefined && report !== undefined) {
      report.sync();
      errors?.sync();
      checkpoint.commit(this.#keys, {
        reportOffset: report.size,
        errorsOffset: errors?.size ?? 0,
        totals: { ...this.totals },
        finished,
      });
    }
    this.#keys = [];
    this.#lastCommit = performance.now();
  }
}

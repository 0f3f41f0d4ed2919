/**
 * Scan progress on stderr: a live cli-progress bar on a terminal, plain periodic lines otherwise (a
 * log file or CI must not fill with carriage returns), and the end-of-run summary line.
 */
import cliProgress from 'cli-progress';
import type { ScanCounts, ScanSummary } from './scanner.js';

export interface ProgressSource {
  readonly counts: Readonly<ScanCounts>;
  readonly alreadyDone: number;
}

export interface ProgressOptions {
  readonly stream: NodeJS.WriteStream;
  /** Files expected this run, when cheaply known (enables the percentage and ETA). */
  readonly total?: number | undefined;
  /** Interval of the plain lines when the stream is not a terminal, ms. */
  readonly intervalMs: number;
}

const MB = 1e6;

function rates(c: Readonly<ScanCounts>, seconds: number): { fps: string; mbps: string } {
  const s = Math.max(seconds, 1e-3);
  return { fps: (c.files / s).toFixed(1), mbps: (c.bytes / MB / s).toFixed(1) };
}

/** Starts showing progress of `source`; call the returned function to stop (idempotent). */
export function startProgress(source: ProgressSource, options: ProgressOptions): () => void {
  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  if (options.stream.isTTY !== true) {
    const timer = setInterval(() => {
      const c = source.counts;
      const r = rates(c, elapsed());
      options.stream.write(
        `hashwarden scan: ${c.files}${options.total !== undefined ? `/${options.total}` : ''} files, ` +
          `${(c.bytes / MB).toFixed(1)} MB, ${r.fps} files/s, ${r.mbps} MB/s, ` +
          `matched ${c.matchedFiles}, errors ${c.errors + c.walkIssues}, skipped ${c.skipped}` +
          `${source.alreadyDone > 0 ? `, already done ${source.alreadyDone}` : ''}\n`,
      );
    }, options.intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }
  const known = options.total !== undefined;
  const bar = new cliProgress.SingleBar(
    {
      stream: options.stream,
      format: known
        ? '{bar} {percentage}% | {value}/{total} files | {fps} files/s | {mbps} MB/s | matched {matched} | errors {errors} | ETA {eta_formatted}'
        : '{value} files | {fps} files/s | {mbps} MB/s | matched {matched} | errors {errors} | {duration_formatted}',
      hideCursor: true,
      etaBuffer: 200,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(options.total ?? 0, 0, { fps: '0', mbps: '0', matched: 0, errors: 0 });
  const timer = setInterval(() => {
    const c = source.counts;
    bar.update(c.files, { ...rates(c, elapsed()), matched: c.matchedFiles, errors: c.errors + c.walkIssues });
  }, 200);
  timer.unref();
  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    const c = source.counts;
    bar.update(c.files, { ...rates(c, elapsed()), matched: c.matchedFiles, errors: c.errors + c.walkIssues });
    bar.stop();
  };
}

/** The summary line(s) printed when a scan ends. */
export function summaryText(s: ScanSummary): string {
  const r = s.run;
  const lines = [
    `hashwarden scan: ${s.interrupted ? 'interrupted' : 'done'}: ${r.files} files (${r.images} images, ` +
      `${r.skipped} not images), ${(r.bytes / MB).toFixed(1)} MB, matched ${r.matchedFiles} ` +
      `(${r.matches} matches), errors ${r.errors + r.walkIssues}, ${s.seconds.toFixed(1)} s, ` +
      `${(r.files / Math.max(s.seconds, 1e-3)).toFixed(1)} files/s`,
  ];
  if (s.resumed) {
    const t = s.totals;
    lines.push(
      `hashwarden scan: resumed (${s.alreadyDone} already done); all runs: ${t.files} files, matched ` +
        `${t.matchedFiles}, errors ${t.errors + t.walkIssues}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hugePagesRequested } from '../../src/huge-pages.js';

/** Repository root, whether this runs from bench/ (tsx) or dist/bench/ (compiled). */
export const REPO_ROOT = (() => {
  const here = dirname(fileURLToPath(import.meta.url));
  return here.includes(`${join('dist', 'bench')}`) ? join(here, '..', '..', '..') : join(here, '..', '..');
})();

export const RESULTS_DIR = join(REPO_ROOT, 'bench', 'results');

/** Default location of the shared benchmark datasets (never committed into the project). */
export const SHARED_DATASETS = join(REPO_ROOT, '..', 'shared', 'datasets');

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly platform: string;
  readonly arch: string;
  readonly node: string;
  readonly date: string;
  /** Whether the process asked glibc for transparent huge pages (GLIBC_TUNABLES, see src/huge-pages.ts). */
  readonly hugePages: boolean;
}

/** The facts every benchmark result carries: machine, Node version and date. */
export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.type()} ${os.release()}`,
    arch: os.arch(),
    node: process.version,
    date: new Date().toISOString(),
    hugePages: hugePagesRequested(),
  };
}

/** One Markdown line describing the machine, for the top of a generated table. */
export function machineLine(m: MachineInfo): string {
  return `Measured ${m.date.slice(0, 10)} on ${m.cpuModel} (${m.cores} cores, ${m.memoryGiB} GiB), ${m.platform} ${m.arch}, Node ${m.node}, huge pages ${m.hugePages ? 'on' : 'off'}.`;
}

/** Renders rows as a Markdown table. */
export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): string {
  const line = (cells: readonly (string | number)[]) => `| ${cells.map(String).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/**
 * Writes `bench/results/NAME.json` and `bench/results/NAME.md`, and replaces the README section between
 * `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` with the Markdown, so README tables are generated.
 */
export async function writeReport(name: string, json: unknown, markdown: string): Promise<void> {
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(join(RESULTS_DIR, `${name}.json`), `${JSON.stringify(json, null, 2)}\n`);
  await writeFile(join(RESULTS_DIR, `${name}.md`), `${markdown.trimEnd()}\n`);
  await fillReadme([name]);
}

/**
 * Replaces each README section between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->` with the
 * committed `bench/results/NAME.md`, so README tables are always generated, never typed.
 */
// README gives each section its own heading, so a results file's leading heading is left out there.
export async function fillReadme(names: readonly string[]): Promise<void> {
  const readmePath = join(REPO_ROOT, 'README.md');
  let readme: string;
  try {
    readme = await readFile(readmePath, 'utf8');
  } catch {
    return;
  }
  for (const name of names) {
    let markdown: string;
    try {
      markdown = await readFile(join(RESULTS_DIR, `${name}.md`), 'utf8');
    } catch {
      continue;
    }
    const open = `<!-- bench:${name} -->`;
    const close = `<!-- /bench:${name} -->`;
    const a = readme.indexOf(open);
    const b = readme.indexOf(close);
    if (a >= 0 && b > a)
      readme = `${readme.slice(0, a + open.length)}\n${markdown.replace(/^#+ .*\n+/, '').trimEnd()}\n${readme.slice(b)}`;
  }
  await writeFile(readmePath, readme);
}

/** Simple argv parsing for benchmarks: `--key value` and `--flag`. */
export function benchArgs(argv: readonly string[] = process.argv.slice(2)): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 0) {
      out.set(a.slice(2, eq), a.slice(eq + 1));
    } else if (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) {
      out.set(a.slice(2), argv[++i]!);
    } else {
      out.set(a.slice(2), 'true');
    }
  }
  return out;
}

/** Percentile (0–100) of a sorted numeric array, nearest-rank. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** Median (nearest-rank, the lower middle for an even count) of unsorted numbers; the input is not changed. */
export function median(xs: readonly number[]): number {
  return percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
}

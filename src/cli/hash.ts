import { open } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { BATCH_THREADS } from '../config.js';
import { HashwardenError } from '../errors.js';
import { PDQ_VARIANTS, type PdqVariant } from '../hash/types.js';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../image/decode.js';
import { mapOrdered } from '../service/scan/window.js';
import { HashPool } from '../worker/pool.js';
import type { HashResult } from '../worker/protocol.js';
import { csvLine, positiveInt, writeOut } from './output.js';

interface HashCommandOptions {
  format: 'ndjson' | 'csv';
  pdqVariant: PdqVariant;
  fastDecode: boolean;
  dihedral: boolean;
  threads?: number;
  maxBytes: number;
  maxPixels: number;
}

type Outcome =
  | { file: string; result: HashResult }
  | { file: string; error: { code: string; message: string } };

/** Reads a whole file or stdin, refusing anything over `maxBytes` before reading it all. */
export async function readInput(path: string, maxBytes: number): Promise<Uint8Array> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes)
        throw new HashwardenError('HW_ERR_TOO_LARGE', `The input is larger than ${maxBytes} bytes`);
      chunks.push(chunk);
    }
    return Buffer.concat(chunks, size);
  }
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    throw new HashwardenError('HW_ERR_FILE_NOT_FOUND', `Cannot open the file (${code})`);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new HashwardenError('HW_ERR_FILE_NOT_FOUND', 'Not a regular file');
    if (st.size > maxBytes)
      throw new HashwardenError('HW_ERR_TOO_LARGE', `The file is larger than ${maxBytes} bytes`);
    // A fresh, exactly-sized buffer: it can be moved to the worker without a copy.
    const bytes = new Uint8Array(new ArrayBuffer(st.size));
    let off = 0;
    while (off < st.size) {
      const { bytesRead } = await handle.read(bytes, off, st.size - off, off);
      if (bytesRead === 0) break;
      off += bytesRead;
    }
    return off === st.size ? bytes : bytes.subarray(0, off);
  } finally {
    await handle.close();
  }
}

function ndjsonRow(o: Outcome, variant: PdqVariant, dihedral: boolean): string {
  if ('error' in o) return `${JSON.stringify({ file: o.file, error: o.error })}\n`;
  const r = o.result;
  const pdq = r.pdq[variant];
  const row: Record<string, unknown> = {
    file: o.file,
    format: r.format,
    width: r.width,
    height: r.height,
    pdq: pdq?.hex,
    pdqQuality: pdq?.quality,
    phash: r.phash,
    md5: r.md5,
    sha1: r.sha1,
    sha256: r.sha256,
  };
  if (dihedral && pdq?.dihedral) row.pdqDihedral = pdq.dihedral;
  return `${JSON.stringify(row)}\n`;
}

const CSV_HEADER = [
  'file',
  'format',
  'width',
  'height',
  'pdq',
  'pdq_quality',
  'phash',
  'md5',
  'sha1',
  'sha256',
  'error_code',
  'error_message',
];

function csvRow(o: Outcome, variant: PdqVariant): string {
  if ('error' in o)
    return csvLine([o.file, '', '', '', '', '', '', '', '', '', o.error.code, o.error.message]);
  const r = o.result;
  const pdq = r.pdq[variant];
  return csvLine([
    o.file,
    r.format,
    r.width,
    r.height,
    pdq?.hex,
    pdq?.quality,
    r.phash,
    r.md5,
    r.sha1,
    r.sha256,
    '',
    '',
  ]);
}

/**
 * Hashes `files` through the pool with a bounded window of tasks in flight, yielding outcomes in input
 * order (a reorder buffer holds at most the window), so memory stays flat for any number of files.
 */
export async function* hashFiles(
  pool: HashPool,
  files: readonly string[],
  options: { variant: PdqVariant; dihedral: boolean; fastDecode: boolean; limits: DecodeLimits },
): AsyncGenerator<Outcome> {
  const window = Math.max(2, pool.threads * 4);
  const start = async (file: string): Promise<Outcome> => {
    try {
      const bytes = await readInput(file, options.limits.maxInputBytes);
      const result = await pool.hash(bytes, {
        pdqVariants: [options.variant],
        dihedral: options.dihedral,
        fastDecode: options.fastDecode,
        limits: options.limits,
      });
      return { file, result };
    } catch (err) {
      const e = err instanceof HashwardenError ? err : new HashwardenError('HW_ERR_INTERNAL');
      return { file, error: e.toJSON() };
    }
  };
  yield* mapOrdered(files, window, start);
}

/** `hashwarden hash`: prints every hash of every input, in input order. */
export function registerHashCommand(program: Command): void {
  program
    .command('hash')
    .description('Compute PDQ (with quality), pHash, MD5, SHA-1 and SHA-256 of images, one decode each')
    .argument('<files...>', 'image files, or - to read one image from stdin')
    .addOption(new Option('--format <format>', 'output format').choices(['ndjson', 'csv']).default('ndjson'))
    .addOption(
      new Option(
        '--pdq-variant <variant>',
        'PDQ variant: the C++ reference CLI (512×512 pre-squash) or the full image',
      )
        .choices([...PDQ_VARIANTS])
        .default('reference'),
    )
    .option(
      '--fast-decode',
      'shrink-on-load decode for JPEG/WebP (implies --pdq-variant full; approximate)',
      false,
    )
    .option('--dihedral', 'also print the 8 dihedral PDQ hashes (rotations and mirrors)', false)
    .option('--threads <n>', 'hashing threads (default: cores + 1)', positiveInt('--threads'))
    .option(
      '--max-bytes <n>',
      'largest input accepted, in bytes',
      positiveInt('--max-bytes'),
      DEFAULT_DECODE_LIMITS.maxInputBytes,
    )
    .option(
      '--max-pixels <n>',
      'largest width × height accepted',
      positiveInt('--max-pixels'),
      DEFAULT_DECODE_LIMITS.maxPixels,
    )
    .addHelpText(
      'after',
      `
Output: one NDJSON object (or CSV row) per input, in input order:
  {"file","format","width","height","pdq","pdqQuality","phash","md5","sha1","sha256"}
  with --dihedral also "pdqDihedral": {"orig","rot90","rot180","rot270","flipx","flipy","flipplus1","flipminus1"}.
  A file that fails gives {"file","error":{"code","message"}}.

Exit status: 0 when every input was hashed, 1 when any failed.

Examples:
  hashwarden hash photo.jpg
  hashwarden hash --dihedral --format csv images/*.png > hashes.csv
  curl -s https://example.org/a.jpg | hashwarden hash -`,
    )
    .action(async (files: string[], opts: HashCommandOptions) => {
      const variant: PdqVariant = opts.fastDecode ? 'full' : opts.pdqVariant;
      const limits: DecodeLimits = {
        ...DEFAULT_DECODE_LIMITS,
        maxInputBytes: opts.maxBytes,
        maxPixels: opts.maxPixels,
      };
      if (files.filter((f) => f === '-').length > 1) throw new Error('stdin (-) can be given only once');
      const pool = new HashPool({ threads: opts.threads ?? BATCH_THREADS, maxQueue: 1024 });
      let failed = 0;
      try {
        if (opts.format === 'csv') await writeOut(process.stdout, csvLine(CSV_HEADER));
        for await (const o of hashFiles(pool, files, {
          variant,
          dihedral: opts.dihedral,
          fastDecode: opts.fastDecode,
          limits,
        })) {
          if ('error' in o) failed++;
          await writeOut(
            process.stdout,
            opts.format === 'csv' ? csvRow(o, variant) : ndjsonRow(o, variant, opts.dihedral),
          );
        }
      } finally {
        await pool.close();
      }
      if (failed > 0) {
        process.stderr.write(`hashwarden hash: ${failed} of ${files.length} input(s) failed\n`);
        process.exitCode = 1;
      }
    });
}

import { createReadStream, createWriteStream, statSync } from 'node:fs';
import { extname } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SingleBar } from 'cli-progress';
import { type Command, Option } from 'commander';
import { HashwardenError } from '../errors.js';
import { parseHashType } from '../hash/codec.js';
import type { HashType } from '../hash/types.js';
import {
  EXPORT_FORMATS,
  type ExportFormat,
  IMPORT_FORMATS,
  type ImportFormat,
  ImportRejectedError,
  type ImportSummary,
  PARSE_THREAD_MIN_BYTES,
  type RejectedLine,
  type Store,
} from '../store/index.js';
import { type StoreCommandOptions, withStore, withStoreOptions } from './lists.js';
import { writeOut } from './output.js';

interface ImportCommandOptions extends StoreCommandOptions {
  format?: ImportFormat;
  type?: string;
  skipInvalid?: boolean | string;
  create?: boolean;
  progress: boolean;
}

interface ExportCommandOptions extends StoreCommandOptions {
  format: ExportFormat;
  out?: string;
}

const BY_EXTENSION: Record<string, ImportFormat> = {
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
  '.te': 'te',
};

/** The format to read: the flag, else the file extension, else plain lines when --type is given. */
export function chooseFormat(
  file: string,
  format: ImportFormat | undefined,
  type: HashType | undefined,
): ImportFormat {
  if (format !== undefined) return format;
  const byExt = BY_EXTENSION[extname(file).toLowerCase()];
  if (byExt !== undefined) return byExt;
  if (type !== undefined) return 'lines';
  throw new HashwardenError('HW_ERR_BAD_OPTION', `cannot tell the format of "${file}": pass --format`);
}

/** One summary line, e.g. `l: added 10, duplicates 2, rejected 0 in 0.12 s (100000 rows/s)`. */
export function summaryLine(s: ImportSummary): string {
  const rate = Math.round(s.rowsPerSecond).toLocaleString('en-US');
  return `imported into ${s.list}: added ${s.added}, duplicates ${s.duplicates}, rejected ${s.rejected} in ${s.seconds.toFixed(2)} s (${rate} rows/s)`;
}

async function runImport(
  store: Store,
  listName: string,
  file: string,
  o: ImportCommandOptions,
): Promise<void> {
  const type = o.type === undefined ? undefined : parseHashType(o.type);
  const format = chooseFormat(file, o.format, type);
  if (o.create === true && store.lists.get(listName) === undefined) {
    store.lists.create({ name: listName, ...(type === undefined ? {} : { types: [type] }) }, o.actor);
    process.stderr.write(`created list ${listName}\n`);
  }
  store.lists.require(listName);
  let total: number | undefined;
  let source: Readable;
  if (file === '-') {
    source = process.stdin;
  } else {
    try {
      total = statSync(file).size;
    } catch {
      throw new HashwardenError('HW_ERR_FILE_NOT_FOUND', `cannot read "${file}"`);
    }
    source = createReadStream(file, { highWaterMark: 1 << 20 });
  }
  // --skip-invalid=FILE streams every reject there: line, reason, text (tab-separated, with a header).
  const rejectsPath = typeof o.skipInvalid === 'string' ? o.skipInvalid : undefined;
  const rejectsOut = rejectsPath === undefined ? undefined : createWriteStream(rejectsPath);
  if (rejectsOut !== undefined) rejectsOut.write('line\treason\ttext\n');
  const onReject = (r: RejectedLine) => {
    rejectsOut?.write(`${r.line}\t${r.reason}\t${r.text}\n`);
  };
  const bar =
    o.progress && process.stderr.isTTY
      ? new SingleBar({
          stream: process.stderr,
          format:
            total === undefined
              ? ' {phase} | {value} bytes | {lines} lines | {rejected} rejected'
              : ' {phase} [{bar}] {percentage}% | {lines} lines | {rejected} rejected | eta {eta}s',
          hideCursor: true,
        })
      : undefined;
  bar?.start(total ?? 0, 0, { phase: 'reading', lines: 0, rejected: 0 });
  try {
    const summary = await store.importEntries(listName, source, {
      format,
      type,
      skipInvalid: o.skipInvalid !== undefined && o.skipInvalid !== false,
      actor: o.actor,
      // A second thread parses big files (and stdin, whose size is unknown) while this one stages rows.
      parseThread: total === undefined || total >= PARSE_THREAD_MIN_BYTES,
      onReject,
      onProgress: (p) => {
        const phase = p.phase === 'read' ? 'reading' : p.phase === 'apply' ? 'writing' : 'done';
        bar?.update(p.bytes, { phase, lines: p.lines, rejected: p.rejected });
      },
    });
    bar?.stop();
    process.stdout.write(`${summaryLine(summary)}\n`);
    if (summary.rejected > 0) {
      const where = rejectsPath === undefined ? '' : ` (all of them in ${rejectsPath})`;
      process.stderr.write(`skipped ${summary.rejected} bad line(s)${where}, first:\n`);
      for (const r of summary.rejects.slice(0, 10)) process.stderr.write(`  line ${r.line}: ${r.reason}\n`);
    }
  } catch (err) {
    bar?.stop();
    if (err instanceof ImportRejectedError) {
      process.stderr.write(
        `hashwarden import: ${err.code}: import into ${listName} rejected, the list is unchanged\n`,
      );
      for (const r of err.rejects) process.stderr.write(`  line ${r.line}: ${r.reason}\n`);
      process.stderr.write(
        'fix these lines, or pass --skip-invalid[=REJECTS_FILE] to import the good ones\n',
      );
      process.exitCode = 1;
      return;
    }
    throw err;
  } finally {
    if (rejectsOut !== undefined) await new Promise<void>((resolve) => rejectsOut.end(() => resolve()));
  }
}

async function runExport(store: Store, listName: string, o: ExportCommandOptions): Promise<void> {
  const stream = store.exportStream(listName, o.format);
  if (o.out === undefined) {
    for await (const chunk of stream) await writeOut(process.stdout, String(chunk));
    return;
  }
  await pipeline(stream, createWriteStream(o.out));
  process.stderr.write(`exported ${listName} to ${o.out}\n`);
}

/** Registers `import LIST FILE|-` and `export LIST`. */
export function registerImportExportCommands(program: Command): void {
  withStoreOptions(program.command('import <list> <file>'))
    .description('add hashes to a list from a file (or - for stdin): streamed, validated, all or nothing')
    .addOption(
      new Option('--format <format>', 'input format (default: from the file extension)').choices(
        IMPORT_FORMATS,
      ),
    )
    .option(
      '--type <type>',
      'hash type of every row (needed by --format lines; default for rows without one)',
    )
    .option(
      '--skip-invalid [rejects-file]',
      'import the good lines; report the bad ones (all of them to REJECTS_FILE)',
    )
    .option('--create', 'create the list when it does not exist')
    .option('--no-progress', 'no progress bar (there is none when stderr is not a terminal)')
    .addHelpText(
      'after',
      `
Formats:
  csv, tsv   header line: type,value,external_id,labels (labels: a JSON object); other columns become labels
  ndjson     {"type":"pdq","value":"<hex>","external_id":"…","labels":{…}} per line
  lines      one hex hash per line (needs --type)
  pdq-csv    hash,quality,filename as Meta's PDQ hasher writes it; quality below 50 is rejected
  te         "<type> <hash>" lines as python-threatexchange writes them

Examples:
  hashwarden import ncmec hashes.csv
  hashwarden import ncmec pdq.txt --format lines --type pdq --create
  hashwarden import ncmec photos.pdq.csv --format pdq-csv --skip-invalid=rejects.tsv
  zcat dump.ndjson.gz | hashwarden import ncmec - --format ndjson`,
    )
    .action((list: string, file: string, o: ImportCommandOptions) =>
      withStore('import', o, (store) => runImport(store, list, file, o)),
    );

  withStoreOptions(program.command('export <list>'))
    .description("write a list's active entries (re-importable with the same --format)")
    .addOption(new Option('--format <format>', 'output format').choices(EXPORT_FORMATS).default('ndjson'))
    .option('--out <file>', 'write to this file instead of stdout')
    .addHelpText(
      'after',
      `
Examples:
  hashwarden export ncmec > ncmec.ndjson
  hashwarden export ncmec --format csv --out ncmec.csv`,
    )
    .action((list: string, o: ExportCommandOptions) =>
      withStore('export', o, (store) => runExport(store, list, o)),
    );
}

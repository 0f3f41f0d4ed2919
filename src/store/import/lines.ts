import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { HashwardenError } from '../../errors.js';

/** What an import reads: a byte or text stream, or an iterable whose items are already lines. */
export type ImportSource = Readable | AsyncIterable<string> | Iterable<string>;

/** A run of consecutive lines; `first` is the 1-based number of `lines[0]`. */
export interface LineBatch {
  readonly first: number;
  readonly lines: readonly string[];
  /** Bytes consumed from the source so far (0 when the source yields lines, not bytes). */
  readonly bytes: number;
}

/** A line longer than this is refused: it bounds memory when a file has no newlines at all. */
export const MAX_LINE_CHARS = 1 << 20;

/**
 * Splits a source into batches of lines, in constant memory: `\n` or `\r\n` endings, a UTF-8 BOM
 * dropped, invalid UTF-8 replaced (and then rejected by the parser as bad hex). Batches, not single
 * lines, so an import pays one await per chunk rather than per row.
 */
export async function* readLines(source: ImportSource): AsyncGenerator<LineBatch> {
  try {
    if (source instanceof Readable) {
      yield* splitChunks(source);
    } else {
      yield* groupLines(source);
    }
  } catch (err) {
    // Only the source's own failures land here (a consumer that stops calls return(), not throw()).
    if (err instanceof HashwardenError) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new HashwardenError('HW_ERR_FILE_NOT_FOUND', `cannot read the input: ${message}`, { cause: err });
  }
}

async function* splitChunks(source: AsyncIterable<string | Uint8Array>): AsyncGenerator<LineBatch> {
  const splitter = new LineSplitter();
  for await (const chunk of source) {
    const batch = splitter.push(chunk);
    if (batch !== null) yield batch;
  }
  const last = splitter.end();
  if (last !== null) yield last;
}

/**
 * The byte-stream side of readLines as a synchronous state machine, for a caller that gets chunks one
 * by one (the parse thread, parse-worker.ts): `push` each chunk, then `end`. Throws HW_ERR_IMPORT_REJECTED
 * on a line longer than MAX_LINE_CHARS.
 */
export class LineSplitter {
  readonly #decoder = new StringDecoder('utf8');
  #carry = '';
  #lineNo = 1;
  #bytes = 0;
  #atStart = true;

  /** The complete lines this chunk ends, or null when it ends none. */
  push(chunk: string | Uint8Array): LineBatch | null {
    let text: string;
    if (typeof chunk === 'string') {
      text = chunk;
      this.#bytes += Buffer.byteLength(chunk);
    } else {
      text = this.#decoder.write(
        Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length),
      );
      this.#bytes += chunk.length;
    }
    if (this.#atStart && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      this.#atStart = false;
    }
    const parts = (this.#carry + text).split('\n');
    this.#carry = parts.pop()!;
    if (this.#carry.length > MAX_LINE_CHARS) throw tooLong(this.#lineNo + parts.length);
    if (parts.length === 0) return null;
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (p.charCodeAt(p.length - 1) === 13) parts[i] = p.slice(0, -1);
    }
    const batch = { first: this.#lineNo, lines: parts, bytes: this.#bytes };
    this.#lineNo += parts.length;
    return batch;
  }

  /** The last line when the source did not end with a newline. */
  end(): LineBatch | null {
    let carry = this.#carry + this.#decoder.end();
    this.#carry = '';
    if (carry.endsWith('\r')) carry = carry.slice(0, -1);
    return carry.length > 0 ? { first: this.#lineNo, lines: [carry], bytes: this.#bytes } : null;
  }
}

async function* groupLines(source: AsyncIterable<string> | Iterable<string>): AsyncGenerator<LineBatch> {
  const BATCH = 4096;
  let batch: string[] = [];
  let first = 1;
  let lineNo = 1;
  for await (let line of source) {
    if (lineNo === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (line.endsWith('\n')) line = line.slice(0, -1);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    if (line.length > MAX_LINE_CHARS) throw tooLong(lineNo);
    batch.push(line);
    lineNo++;
    if (batch.length === BATCH) {
      yield { first, lines: batch, bytes: 0 };
      batch = [];
      first = lineNo;
    }
  }
  if (batch.length > 0) yield { first, lines: batch, bytes: 0 };
}

function tooLong(line: number): HashwardenError {
  return new HashwardenError(
    'HW_ERR_IMPORT_REJECTED',
    `line ${line} is longer than ${MAX_LINE_CHARS} characters (is this a hash list?); the list is unchanged`,
  );
}

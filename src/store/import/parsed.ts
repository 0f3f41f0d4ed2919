/**
 * Parsed import batches, and their compact form for crossing threads: one string holding every field's
 * text and an offsets array, instead of three strings an entry (structured clone pays per string).
 */
import { HASH_TYPE_NAMES, type HashType } from '../../hash/types.js';
import type { LineParser, ParsedEntry } from './formats.js';
import type { LineBatch } from './lines.js';

/** A line that was not imported, with its 1-based number, the reason and its text. */
export interface RejectedLine {
  readonly line: number;
  readonly reason: string;
  readonly text: string;
}

/** The parse of one run of lines: its good entries and its bad lines, each in line order. */
export interface ParsedBatch {
  /** 1-based number of the run's first line. */
  readonly first: number;
  /** Lines in the run (blank and header lines included). */
  readonly lines: number;
  /** Bytes consumed from the source so far (0 when it yields lines). */
  readonly bytes: number;
  readonly entries: readonly ParsedEntry[];
  readonly rejects: readonly RejectedLine[];
}

/** Parses each batch of lines on this thread. */
export async function* parseBatches(
  batches: AsyncIterable<LineBatch>,
  parse: LineParser,
): AsyncGenerator<ParsedBatch> {
  for await (const batch of batches) yield parseBatch(batch, parse);
}

export function parseBatch(batch: LineBatch, parse: LineParser): ParsedBatch {
  const entries: ParsedEntry[] = [];
  const rejects: RejectedLine[] = [];
  for (let i = 0; i < batch.lines.length; i++) {
    const text = batch.lines[i]!;
    const r = parse(text);
    if (r === null) continue;
    if (typeof r === 'string') rejects.push({ line: batch.first + i, reason: r, text });
    else entries.push(r);
  }
  return { first: batch.first, lines: batch.lines.length, bytes: batch.bytes, entries, rejects };
}

/** A ParsedBatch as posted between threads. */
export interface PackedBatch {
  readonly first: number;
  readonly lines: number;
  readonly bytes: number;
  /** Index in HASH_TYPE_NAMES of each entry's type. */
  readonly types: Uint8Array;
  /** Every entry's hex, external id and labels, concatenated. */
  readonly text: string;
  /** Per entry, where its hex, external id and labels end in `text`; −1 for a null field. */
  readonly ends: Int32Array;
  readonly rejects: readonly RejectedLine[];
}

const TYPE_INDEX: ReadonlyMap<HashType, number> = new Map(HASH_TYPE_NAMES.map((t, i) => [t, i]));

export function packBatch(b: ParsedBatch): PackedBatch {
  const n = b.entries.length;
  const types = new Uint8Array(n);
  const ends = new Int32Array(n * 3);
  const parts: string[] = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    const e = b.entries[i]!;
    types[i] = TYPE_INDEX.get(e.type)!;
    parts.push(e.hex);
    at += e.hex.length;
    ends[i * 3] = at;
    if (e.externalId === null) ends[i * 3 + 1] = -1;
    else {
      parts.push(e.externalId);
      at += e.externalId.length;
      ends[i * 3 + 1] = at;
    }
    if (e.labels === null) ends[i * 3 + 2] = -1;
    else {
      parts.push(e.labels);
      at += e.labels.length;
      ends[i * 3 + 2] = at;
    }
  }
  return {
    first: b.first,
    lines: b.lines,
    bytes: b.bytes,
    types,
    text: parts.join(''),
    ends,
    rejects: b.rejects,
  };
}

export function unpackBatch(p: PackedBatch): ParsedBatch {
  const n = p.types.length;
  const entries: ParsedEntry[] = new Array(n);
  const { text, ends } = p;
  let at = 0;
  for (let i = 0; i < n; i++) {
    const hexEnd = ends[i * 3]!;
    const extEnd = ends[i * 3 + 1]!;
    const labelsEnd = ends[i * 3 + 2]!;
    const hex = text.substring(at, hexEnd);
    at = hexEnd;
    let externalId: string | null = null;
    if (extEnd >= 0) {
      externalId = text.substring(at, extEnd);
      at = extEnd;
    }
    let labels: string | null = null;
    if (labelsEnd >= 0) {
      labels = text.substring(at, labelsEnd);
      at = labelsEnd;
    }
    entries[i] = { type: HASH_TYPE_NAMES[p.types[i]!]!, hex, externalId, labels };
  }
  return { first: p.first, lines: p.lines, bytes: p.bytes, entries, rejects: p.rejects };
}

/**
 * Report and errors rows for `scan`, and the append-only output files they go to. A file tracks its
 * own length, so the scanner can record it in the checkpoint after an fsync and cut the file back to
 * it on resume.
 */
import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { csvLine } from '../../csv.js';
import type { PdqVariant } from '../../hash/types.js';
import type { HashResult } from '../../worker/protocol.js';
import type { Match } from '../types.js';
import type { ScanItem } from './walker.js';

/** Report formats: one JSON object per file, or CSV with one row per match. */
export type ReportFormat = 'ndjson' | 'csv';

/** A hashed file with its matches: what one report row describes. */
export interface HashedFile {
  readonly item: ScanItem;
  readonly size: number;
  readonly result: HashResult;
  readonly matches: readonly Match[];
  readonly pdqLowQuality: boolean;
}

/** A file that could not be read, decoded or hashed (or an input the walk could not enumerate). */
export interface FailedFile {
  readonly item: ScanItem;
  readonly code: string;
  readonly message: string;
}

/** CSV columns, in order. A file with several matches gives several rows that share the file columns. */
export const CSV_COLUMNS = Object.freeze([
  'path',
  'id',
  'size',
  'format',
  'width',
  'height',
  'pdq',
  'pdq_quality',
  'phash',
  'md5',
  'sha1',
  'sha256',
  'matched',
  'list',
  'entry_id',
  'external_id',
  'type',
  'distance',
  'transform',
  'labels',
]);

/** The header a CSV report starts with (nothing for NDJSON). */
export function reportHeader(format: ReportFormat): string {
  return format === 'csv' ? csvLine(CSV_COLUMNS) : '';
}

/** The report text of one hashed file: one NDJSON line, or one CSV line per match (one when none). */
export function reportRows(f: HashedFile, format: ReportFormat, variant: PdqVariant): string {
  const r = f.result;
  const pdq = r.pdq[variant];
  if (format === 'ndjson') {
    return `${JSON.stringify({
      path: f.item.path,
      ...(f.item.id !== undefined ? { id: f.item.id } : {}),
      size: f.size,
      format: r.format,
      width: r.width,
      height: r.height,
      pdq: pdq?.hex ?? null,
      pdqQuality: pdq?.quality ?? null,
      phash: r.phash,
      md5: r.md5,
      sha1: r.sha1,
      sha256: r.sha256,
      pdqLowQuality: f.pdqLowQuality,
      matched: f.matches.length > 0,
      matches: f.matches,
    })}\n`;
  }
  const file = [
    f.item.path,
    f.item.id,
    f.size,
    r.format,
    r.width,
    r.height,
    pdq?.hex,
    pdq?.quality,
    r.phash,
    r.md5,
    r.sha1,
    r.sha256,
    f.matches.length > 0,
  ];
  if (f.matches.length === 0) return csvLine([...file, '', '', '', '', '', '', '']);
  let out = '';
  for (const m of f.matches) {
    out += csvLine([
      ...file,
      m.list,
      m.entryId,
      m.externalId,
      m.type,
      m.distance,
      m.transform,
      m.labels === null ? '' : JSON.stringify(m.labels),
    ]);
  }
  return out;
}

/** One errors-file line (always NDJSON): path, optional id, code and message. */
export function errorRow(f: FailedFile): string {
  return `${JSON.stringify({
    path: f.item.path,
    ...(f.item.id !== undefined ? { id: f.item.id } : {}),
    code: f.code,
    message: f.message,
  })}\n`;
}

/**
 * An output file written by appending, which knows its length. Opened at a given offset (the
 * checkpoint's), it first cuts away anything after it: rows of a crashed run that were never committed.
 */
export class OutputFile {
  readonly path: string;
  #fd: number;
  #size: number;
  #closed = false;

  /** Opens `path`, creating it, and truncates it to `offset` bytes (0: start afresh). */
  constructor(path: string, offset: number) {
    this.path = path;
    this.#fd = openSync(path, 'a+');
    const length = fstatSync(this.#fd).size;
    if (length < offset) {
      closeSync(this.#fd);
      // The checkpoint says more was written than the file holds: it was replaced or cut by hand.
      throw new Error(`${path} is shorter (${length} bytes) than the checkpoint records (${offset})`);
    }
    if (length > offset) ftruncateSync(this.#fd, offset);
    this.#size = offset;
  }

  /** Bytes in the file. */
  get size(): number {
    return this.#size;
  }

  /** Appends `text` (synchronously: rows are written in batches, so this is rare and small). */
  append(text: string): void {
    if (text.length === 0) return;
    const buf = Buffer.from(text, 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(this.#fd, buf, off, buf.length - off);
    this.#size += buf.length;
  }

  /** Flushes to the disk: called before the checkpoint records the new length. */
  sync(): void {
    fsyncSync(this.#fd);
  }

  /** Closes the file. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
  }
}

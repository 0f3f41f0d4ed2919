import { HashwardenError } from '../../errors.js';
import { hashProblem } from '../../hash/codec.js';
import { HASH_TYPES, type HashType, isHashType, PDQ_MIN_QUALITY } from '../../hash/types.js';
import { isPlainObject } from '../util.js';

/** The text formats an import reads. */
export type ImportFormat = 'csv' | 'tsv' | 'ndjson' | 'lines' | 'pdq-csv' | 'te';
export const IMPORT_FORMATS: readonly ImportFormat[] = Object.freeze([
  'csv',
  'tsv',
  'ndjson',
  'lines',
  'pdq-csv',
  'te',
]);

/**
 * One valid row. `hex` is validated, trimmed hex of the right length (either case): SQLite turns it
 * into bytes with unhex() while staging, which costs less than a Uint8Array per row in JS. `labels`
 * is JSON text (null when none), so rows without labels cost no JSON work.
 */
export interface ParsedEntry {
  readonly type: HashType;
  readonly hex: string;
  readonly externalId: string | null;
  readonly labels: string | null;
}

/** A line parser: an entry, a reason string when the line is bad, or null to skip it (blank, header). */
export type LineParser = (line: string) => ParsedEntry | string | null;

export interface ParserOptions {
  /** The hash type of every row (required by `lines`; the default for rows without one elsewhere). */
  readonly type?: HashType | undefined;
  /** The list's types; rows of other types are rejected. Empty: any. */
  readonly allowedTypes?: readonly HashType[];
}

/** Builds the parser for a format; throws HW_ERR_BAD_OPTION when the options cannot work for it. */
export function createParser(format: ImportFormat, options: ParserOptions = {}): LineParser {
  const allowed = options.allowedTypes ?? [];
  const checkType = (type: string): HashType | string => {
    const t = type.trim().toLowerCase();
    if (!isHashType(t)) return `unknown hash type "${type.trim()}"`;
    if (allowed.length > 0 && !allowed.includes(t)) return `this list holds ${allowed.join(', ')}, not ${t}`;
    return t;
  };
  const typed = (t: HashType, hex: string, externalId: string | null, labels: string | null) => {
    const valid = checkedHex(hex, HASH_TYPES[t].hexLength);
    if (valid === null) return hashProblem(t, hex) ?? `invalid ${t} hash`;
    return { type: t, hex: valid, externalId: externalId === '' ? null : externalId, labels };
  };
  // Rows repeat one type name: check it once per distinct spelling, not once per row.
  let lastName: string | null = null;
  let lastType: HashType | string = '';
  const entry = (type: string, hex: string, externalId: string | null, labels: string | null) => {
    if (type !== lastName) {
      lastType = checkType(type);
      lastName = type;
    }
    return isHashType(lastType) ? typed(lastType, hex, externalId, labels) : lastType;
  };
  switch (format) {
    case 'lines': {
      if (options.type === undefined)
        throw new HashwardenError('HW_ERR_BAD_OPTION', 'the lines format needs --type');
      const type = checkType(options.type);
      if (!isHashType(type)) return (line) => (isBlank(line) ? null : type);
      return (line) => (isBlank(line) ? null : typed(type, line, null, null));
    }
    case 'te':
      return (line) => {
        if (isBlank(line)) return null;
        const parts = line.trim().split(/\s+/);
        if (parts.length !== 2) return 'expected "<type> <hash>"';
        return entry(TE_TYPES[parts[0]!.toLowerCase()] ?? parts[0]!, parts[1]!, null, null);
      };
    case 'pdq-csv':
      return (line) => {
        if (isBlank(line)) return null;
        const [hash = '', quality = '', ...rest] = line.split(',');
        const q = Number(quality.trim());
        if (hash.trim().toLowerCase() === 'hash' && quality.trim().toLowerCase() === 'quality') return null;
        if (quality.trim() === '' || !Number.isInteger(q) || q < 0 || q > 100) {
          return 'expected "hash,quality,filename" with quality an integer from 0 to 100';
        }
        const parsed = entry('pdq', hash, rest.join(',').trim(), null);
        if (typeof parsed === 'string') return parsed;
        if (q < PDQ_MIN_QUALITY) return `PDQ quality ${q} is below ${PDQ_MIN_QUALITY}: the hash is noise`;
        return parsed;
      };
    case 'ndjson':
      return (line) => (isBlank(line) ? null : parseJsonLine(line, options.type, entry));
    case 'csv':
    case 'tsv':
      return delimitedParser(format === 'csv' ? ',' : '\t', options.type, entry);
  }
}

// python-threatexchange signal type names for the hash types we store.
const TE_TYPES: Record<string, string> = { pdq: 'pdq', md5: 'md5', photo_md5: 'md5', video_md5: 'md5' };

type MakeEntry = (
  type: string,
  hex: string,
  externalId: string | null,
  labels: string | null,
) => ParsedEntry | string;

/** Whitespace only (or empty); the first character decides for almost every line, without a copy. */
function isBlank(line: string): boolean {
  if (line.length === 0) return true;
  const c = line.charCodeAt(0);
  if (c !== 32 && c !== 9 && c !== 13 && c !== 0xfeff && c !== 0xa0) return false;
  return line.trim().length === 0;
}

const SCRATCH = Buffer.alloc(Math.max(...Object.values(HASH_TYPES).map((t) => t.bytes)));

/**
 * `text` trimmed when it is exactly `length` hex digits (either case), else null. No allocation on
 * the common path (already trimmed), since this runs once per imported row.
 */
export function checkedHex(text: string, length: number): string | null {
  let hex = text;
  if (hex.length !== length) {
    hex = hex.trim();
    if (hex.length !== length) return null;
  }
  const bytes = length >> 1;
  if ((length & 1) === 0 && bytes <= SCRATCH.length) {
    // Node's hex decoder stops at the first pair that is not two hex digits: a full write means
    // valid hex. One native call is about 2× faster than a JS loop over the characters.
    return SCRATCH.write(hex, 0, bytes, 'hex') === bytes ? hex : null;
  }
  for (let i = 0; i < length; i++) {
    const c = hex.charCodeAt(i);
    // 0-9, A-F, a-f
    if (!((c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102))) return null;
  }
  return hex;
}

function parseJsonLine(
  line: string,
  defaultType: HashType | undefined,
  entry: MakeEntry,
): ParsedEntry | string {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return 'not valid JSON';
  }
  if (!isPlainObject(o)) return 'expected a JSON object';
  const type = o.type ?? defaultType;
  if (typeof type !== 'string') return 'missing "type" (or pass --type)';
  if (typeof o.value !== 'string') return 'missing "value" (the hash in hex)';
  const ext = o.external_id ?? o.externalId ?? null;
  if (ext !== null && typeof ext !== 'string' && typeof ext !== 'number')
    return '"external_id" must be a string';
  let labels: string | null = null;
  if (o.labels !== undefined && o.labels !== null) {
    if (!isPlainObject(o.labels)) return '"labels" must be a JSON object';
    labels = Object.keys(o.labels).length === 0 ? null : JSON.stringify(o.labels);
  }
  return entry(type, o.value, ext === null ? null : String(ext), labels);
}

const EXTERNAL_ID_NAMES = new Set(['external_id', 'externalid', 'external-id', 'id']);

/** CSV/TSV with a header line: type, value (or hash), external_id, labels (JSON); other columns are labels. */
function delimitedParser(delim: string, defaultType: HashType | undefined, entry: MakeEntry): LineParser {
  let header: {
    type: number;
    value: number;
    ext: number;
    labels: number;
    extra: [number, string][];
    /** Each extra column's name as JSON, or null when the labels must go through an object (see below). */
    jsonKeys: string[] | null;
  } | null = null;
  return (line) => {
    if (isBlank(line)) return null;
    const cells = splitDelimited(line, delim);
    if (typeof cells === 'string') return cells;
    if (header === null) {
      const names = cells.map((c) => c.trim().toLowerCase());
      const find = (...n: string[]) => names.findIndex((x) => n.includes(x));
      const value = find('value', 'hash');
      if (value < 0) return 'the header line needs a "value" (or "hash") column';
      const type = find('type');
      if (type < 0 && defaultType === undefined)
        return 'the header line needs a "type" column (or pass --type)';
      const ext = names.findIndex((x) => EXTERNAL_ID_NAMES.has(x));
      const labels = find('labels');
      const used = new Set([type, value, ext, labels]);
      const extra = names.flatMap((n, i): [number, string][] =>
        used.has(i) || n === '' ? [] : [[i, cells[i]!.trim()]],
      );
      // JSON.stringify of the labels object, written directly, is the same text when the names are
      // distinct and none is special to an object: "__proto__", or an integer (those keys come first).
      const names2 = extra.map(([, n]) => n);
      const plain =
        new Set(names2).size === names2.length && names2.every((n) => n !== '__proto__' && !/^\d+$/.test(n));
      header = {
        type,
        value,
        ext,
        labels,
        extra,
        jsonKeys: plain ? names2.map((n) => JSON.stringify(n)) : null,
      };
      return null;
    }
    const h = header;
    let labels: Record<string, unknown> | null = null;
    const labelText = h.labels >= 0 ? (cells[h.labels] ?? '').trim() : '';
    let text: string | null = null;
    if (labelText === '' && h.jsonKeys !== null) {
      // The common case (extra columns only): the labels' JSON text without an object per row.
      for (let x = 0; x < h.extra.length; x++) {
        const v = (cells[h.extra[x]![0]] ?? '').trim();
        if (v === '') continue;
        const pair = `${h.jsonKeys[x]}:${JSON.stringify(v)}`;
        text = text === null ? `{${pair}` : `${text},${pair}`;
      }
      if (text !== null) text += '}';
    } else if (labelText !== '') {
      try {
        const parsed: unknown = JSON.parse(labelText);
        if (!isPlainObject(parsed)) return 'the labels column must hold a JSON object';
        labels = parsed;
      } catch {
        return 'the labels column is not valid JSON';
      }
    }
    if (labelText !== '' || h.jsonKeys === null) {
      for (const [i, name] of h.extra) {
        const v = (cells[i] ?? '').trim();
        if (v === '') continue;
        labels ??= {};
        labels[name] = v;
      }
      text = labels === null || Object.keys(labels).length === 0 ? null : JSON.stringify(labels);
    }
    const type = h.type >= 0 ? (cells[h.type] ?? '') : (defaultType as string);
    const ext = h.ext >= 0 ? (cells[h.ext] ?? '').trim() : null;
    return entry(
      type === '' && defaultType !== undefined ? defaultType : type,
      cells[h.value] ?? '',
      ext,
      text,
    );
  };
}

/**
 * Splits one CSV/TSV line (RFC 4180 quoting: "a,b" and "" for a quote). Fields spanning lines are
 * not supported: hash lists do not need them, and line numbers stay exact. Returns a reason on error.
 */
export function splitDelimited(line: string, delim: string): string[] | string {
  if (!line.includes('"')) return line.split(delim);
  const out: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let field = '';
      i++;
      for (;;) {
        const q = line.indexOf('"', i);
        if (q < 0) return 'unterminated quoted field';
        field += line.slice(i, q);
        if (line[q + 1] === '"') {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      out.push(field);
      if (i === line.length) return out;
      if (line[i] !== delim) return 'unexpected text after a quoted field';
      i++;
    } else {
      const d = line.indexOf(delim, i);
      if (d < 0) {
        out.push(line.slice(i));
        return out;
      }
      out.push(line.slice(i, d));
      i = d + 1;
    }
  }
}

/**
 * Match options from a query string, multipart fields or a JSON body, in one parser: values arrive as
 * strings (fields), coerced scalars (query) or JSON (lookup bodies). Thresholds are only checked for
 * shape here; the matcher holds them to the registry's and the list's limits.
 */
import { HashwardenError } from '../errors.js';
import type { HashType, PdqVariant } from '../hash/types.js';
import { HASH_TYPE_ENUM, PDQ_VARIANT_ENUM } from './schemas.js';

/** What the image and hash routes take, parsed. */
export interface RequestMatchOptions {
  lists?: string[];
  thresholds?: Partial<Record<HashType, number>>;
  dihedral?: boolean;
  pdqVariant?: PdqVariant;
  includeLowQuality?: boolean;
}

function bad(message: string): never {
  throw new HashwardenError('HW_ERR_BAD_OPTION', message);
}

/** `true`/`false`/`1`/`0` (any case), or a boolean. */
export function parseBool(name: string, value: unknown): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'boolean') return value;
  const s = String(value).trim().toLowerCase();
  if (s === 'true' || s === '1') return true;
  if (s === 'false' || s === '0') return false;
  return bad(`${name} must be true or false`);
}

function parseInteger(name: string, value: unknown): number {
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(n)) bad(`${name} must be an integer`);
  return n;
}

function isHashTypeName(s: string): s is HashType {
  return (HASH_TYPE_ENUM as readonly string[]).includes(s);
}

/** The PDQ variant option, or undefined. */
export function parsePdqVariant(value: unknown): PdqVariant | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string' && (PDQ_VARIANT_ENUM as readonly string[]).includes(value)) {
    return value as PdqVariant;
  }
  return bad(`pdqVariant must be one of ${PDQ_VARIANT_ENUM.join(', ')}`);
}

function parseThresholdObject(value: unknown): Partial<Record<HashType, number>> {
  let obj = value;
  if (typeof value === 'string') {
    try {
      obj = JSON.parse(value);
    } catch {
      bad('thresholds must be a JSON object such as {"pdq":20}');
    }
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) bad('thresholds must be an object');
  const out: Partial<Record<HashType, number>> = {};
  for (const [type, n] of Object.entries(obj as Record<string, unknown>)) {
    if (!isHashTypeName(type))
      throw new HashwardenError('HW_ERR_UNKNOWN_HASH_TYPE', `unknown hash type "${type}"`);
    out[type] = parseInteger(`thresholds.${type}`, n);
  }
  return out;
}

function parseLists(value: unknown): string[] | undefined {
  if (value === undefined) return undefined;
  const parts = Array.isArray(value) ? value : String(value).split(',');
  const names = parts.map((p) => String(p).trim()).filter((p) => p !== '');
  return names.length === 0 ? undefined : [...new Set(names)];
}

/**
 * Parses the match options from `raw` (query or fields, or a merge of both): `lists`, `thresholds`
 * (JSON) and `threshold.<type>`, `dihedral`, `pdqVariant`, `includeLowQuality`.
 */
export function parseMatchOptions(raw: Readonly<Record<string, unknown>>): RequestMatchOptions {
  const out: RequestMatchOptions = {};
  const lists = parseLists(raw.lists);
  if (lists !== undefined) out.lists = lists;
  let thresholds: Partial<Record<HashType, number>> | undefined;
  if (raw.thresholds !== undefined && raw.thresholds !== '')
    thresholds = parseThresholdObject(raw.thresholds);
  for (const [key, value] of Object.entries(raw)) {
    if (!key.startsWith('threshold.') || value === undefined || value === '') continue;
    const type = key.slice('threshold.'.length);
    if (!isHashTypeName(type))
      throw new HashwardenError('HW_ERR_UNKNOWN_HASH_TYPE', `unknown hash type "${type}"`);
    thresholds = { ...thresholds, [type]: parseInteger(key, value) };
  }
  if (thresholds !== undefined) out.thresholds = thresholds;
  const dihedral = parseBool('dihedral', raw.dihedral);
  if (dihedral !== undefined) out.dihedral = dihedral;
  const low = parseBool('includeLowQuality', raw.includeLowQuality);
  if (low !== undefined) out.includeLowQuality = low;
  const variant = parsePdqVariant(raw.pdqVariant);
  if (variant !== undefined) out.pdqVariant = variant;
  return out;
}

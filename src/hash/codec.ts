import { HashwardenError } from '../errors.js';
import { HASH_TYPES, type HashType, isHashType } from './types.js';

const HEX_DIGITS = '0123456789abcdef';

/** Lowercase hex of `bytes` (the canonical text form of every hash). */
export function bytesToHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    out += HEX_DIGITS[b >> 4]! + HEX_DIGITS[b & 15]!;
  }
  return out;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F
  return -1;
}

/**
 * Parses hex text into bytes, case-insensitively and with surrounding whitespace trimmed.
 * Returns null (never throws) when the text is not exactly `byteLength` bytes of hex.
 */
export function tryHexToBytes(text: string, byteLength: number): Uint8Array | null {
  const hex = text.trim();
  if (hex.length !== byteLength * 2) return null;
  const out = new Uint8Array(byteLength);
  for (let i = 0; i < byteLength; i++) {
    const hi = hexValue(hex.charCodeAt(2 * i));
    const lo = hexValue(hex.charCodeAt(2 * i + 1));
    if (hi < 0 || lo < 0) return null;
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** Why `text` is not a valid hash of `type`, or null when it is. */
export function hashProblem(type: HashType, text: string): string | null {
  const { hexLength } = HASH_TYPES[type];
  const hex = text.trim();
  if (hex.length !== hexLength) {
    return `a ${type} hash is ${hexLength} hex digits, got ${hex.length}`;
  }
  if (!/^[0-9a-fA-F]*$/.test(hex)) return `a ${type} hash has only hex digits 0-9 and a-f`;
  return null;
}

/** Parses a hash of `type` from hex; throws HW_ERR_BAD_HASH with the reason when it is not valid. */
export function parseHash(type: HashType, text: string): Uint8Array {
  const bytes = tryHexToBytes(text, HASH_TYPES[type].bytes);
  if (bytes === null) {
    throw new HashwardenError('HW_ERR_BAD_HASH', hashProblem(type, text) ?? `invalid ${type} hash`);
  }
  return bytes;
}

/** Validates a hash type name; throws HW_ERR_UNKNOWN_HASH_TYPE when it is not registered. */
export function parseHashType(name: string): HashType {
  const t = name.trim().toLowerCase();
  if (!isHashType(t)) {
    throw new HashwardenError(
      'HW_ERR_UNKNOWN_HASH_TYPE',
      `unknown hash type "${name}" (known: ${Object.keys(HASH_TYPES).join(', ')})`,
    );
  }
  return t;
}

/** Canonical (lowercase, trimmed) hex of a valid hash; throws HW_ERR_BAD_HASH otherwise. */
export function normalizeHex(type: HashType, text: string): string {
  return bytesToHex(parseHash(type, text));
}

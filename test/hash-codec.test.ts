import { describe, expect, it } from 'vitest';
import {
  bytesToHex,
  hashProblem,
  normalizeHex,
  parseHash,
  parseHashType,
  tryHexToBytes,
} from '../src/hash/codec.js';
import { fromWords, hammingBytes, popcount32, toWords } from '../src/hash/distance.js';
import { HASH_TYPES } from '../src/hash/types.js';

describe('hash codecs', () => {
  it('parses hex case-insensitively with whitespace trimmed, and writes lowercase', () => {
    const hex = 'ABCDEF0123456789abcdef0123456789';
    expect(normalizeHex('md5', `  ${hex}\t`)).toBe(hex.toLowerCase());
    expect(bytesToHex(parseHash('md5', hex))).toBe(hex.toLowerCase());
  });

  it('rejects wrong length and alphabet with a reason', () => {
    expect(tryHexToBytes('abc', 2)).toBeNull();
    expect(tryHexToBytes('zz', 1)).toBeNull();
    expect(hashProblem('phash', '12')).toMatch(/16 hex digits/);
    expect(hashProblem('phash', 'g'.repeat(16))).toMatch(/hex/);
    expect(() => parseHash('pdq', '00')).toThrow(expect.objectContaining({ code: 'HW_ERR_BAD_HASH' }));
    expect(() => parseHashType('photodna')).toThrow(
      expect.objectContaining({ code: 'HW_ERR_UNKNOWN_HASH_TYPE' }),
    );
    expect(parseHashType(' PDQ ')).toBe('pdq');
  });

  it('has consistent registry entries', () => {
    for (const t of Object.values(HASH_TYPES)) {
      expect(t.bytes * 8).toBe(t.bits);
      expect(t.hexLength).toBe(t.bits / 4);
      expect(t.defaultThreshold).toBeLessThanOrEqual(t.maxThreshold);
      if (t.kind === 'exact') expect(t.defaultThreshold).toBe(0);
    }
    expect(HASH_TYPES.pdq.defaultThreshold).toBe(31);
  });

  it('counts bits', () => {
    expect(popcount32(0)).toBe(0);
    expect(popcount32(0xffffffff)).toBe(32);
    expect(popcount32(0x80000001)).toBe(2);
    const a = parseHash('pdq', 'f'.repeat(64));
    const b = parseHash('pdq', `${'0'.repeat(63)}1`);
    expect(hammingBytes(a, b)).toBe(255);
    expect(fromWords(toWords(a))).toEqual(a);
  });
});

/**
 * Hamming distance on hashes. Hashes are byte arrays in their hex order; hot paths (the index) work on
 * Uint32Array words instead, four bytes a word, which `toWords` produces.
 */

/** Number of set bits in a 32-bit integer (SWAR popcount). */
export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Hamming distance between two equal-length byte arrays. */
export function hammingBytes(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new RangeError(`length mismatch: ${a.length} vs ${b.length}`);
  let d = 0;
  let i = 0;
  const n4 = a.length & ~3;
  for (; i < n4; i += 4) {
    const x =
      ((a[i]! ^ b[i]!) << 24) |
      ((a[i + 1]! ^ b[i + 1]!) << 16) |
      ((a[i + 2]! ^ b[i + 2]!) << 8) |
      (a[i + 3]! ^ b[i + 3]!);
    d += popcount32(x);
  }
  for (; i < a.length; i++) d += popcount32(a[i]! ^ b[i]!);
  return d;
}

/**
 * Hamming distance between `words` hashes of `n` words each, stored flat: hash `ia` of `a` against
 * hash `ib` of `b`.
 */
export function hammingWords(a: Uint32Array, ia: number, b: Uint32Array, ib: number, n: number): number {
  let d = 0;
  const oa = ia * n;
  const ob = ib * n;
  for (let k = 0; k < n; k++) d += popcount32(a[oa + k]! ^ b[ob + k]!);
  return d;
}

/** Packs a hash's bytes into big-endian 32-bit words (byte length must be a multiple of 4). */
export function toWords(bytes: Uint8Array): Uint32Array {
  if (bytes.length % 4 !== 0) throw new RangeError('byte length must be a multiple of 4');
  const out = new Uint32Array(bytes.length / 4);
  for (let w = 0; w < out.length; w++) {
    const i = 4 * w;
    out[w] = ((bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!) >>> 0;
  }
  return out;
}

/** Inverse of `toWords`. */
export function fromWords(words: Uint32Array): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  for (let w = 0; w < words.length; w++) {
    const v = words[w]!;
    out[4 * w] = v >>> 24;
    out[4 * w + 1] = (v >>> 16) & 255;
    out[4 * w + 2] = (v >>> 8) & 255;
    out[4 * w + 3] = v & 255;
  }
  return out;
}

/**
 * pHash exactly as Python's `imagehash.phash` (hash_size 8, highfreq_factor 4) computes it with
 * Pillow 9.4 and SciPy: grey with `convert('L')`, Lanczos resize to 32×32, unnormalised DCT-II along
 * columns then rows, the top-left 8×8 block (DC included), bit = coefficient > median of the 64, bits
 * row-major with the first bit as the most significant bit of the hex string. Pure: pixels in, bits out
 * (scratch buffers are module-level: a worker hashes one image at a time and nothing here awaits).
 */

import type { Pixels } from '../image/types.js';
import { bytesToHex } from './codec.js';
import { pillowGreyResizeLanczos } from './pillow-resample.js';

export { pillowResizeLanczos, toPillowGrey } from './pillow-resample.js';

/** Side of the resized image the DCT runs on (hash_size 8 × highfreq_factor 4). */
const SIZE = 32;
/** Side of the kept low-frequency block: 8×8 = 64 bits. */
const KEEP = 8;

/** The pHash of an image: 8 bytes and their 16-digit lowercase hex. */
export interface PhashResult {
  readonly hash: Uint8Array;
  readonly hex: string;
}

/**
 * `COS[k][n] = cos(π·k·(2n+1) / (2N))` for each power-of-two N from 2 to 32, the odd rows k only
 * (the even ones are handled by recursion); keyed by N.
 */
const COS_TABLES = new Map<number, Float64Array>();
for (let n = 2; n <= SIZE; n *= 2) {
  const half = n / 2;
  const t = new Float64Array(n * half);
  for (let k = 1; k < n; k += 2) {
    for (let j = 0; j < half; j++) t[k * half + j] = Math.cos((Math.PI * k * (2 * j + 1)) / (2 * n));
  }
  COS_TABLES.set(n, t);
}

/** dct2's scratch per length n: sums and differences of mirrored samples, and the even outputs. */
const SCRATCH = new Map<number, { sums: Float64Array; diffs: Float64Array; evens: Float64Array }>();
for (let n = 2; n <= SIZE; n *= 2) {
  SCRATCH.set(n, {
    sums: new Float64Array(n / 2),
    diffs: new Float64Array(n / 2),
    evens: new Float64Array(n / 2),
  });
}

/**
 * The first `want` outputs of SciPy's unnormalised DCT-II, `y[k] = 2·Σ x[n]·cos(πk(2n+1)/2N)`, of the
 * length-`n` vector `x` (n a power of two). It splits into the sums and differences of mirrored samples:
 * even outputs are the half-length DCT of the sums, odd ones a dot product with the differences. The
 * split makes outputs that are zero by symmetry (a constant or a linear ramp along the line) exactly 0,
 * as SciPy's FFT gives them; the bits depend on that, since 0 is then compared with a median of 0.
 */
function dct2(x: Float64Array, n: number, want: number, out: Float64Array): void {
  if (n === 1) {
    out[0] = 2 * x[0]!;
    return;
  }
  const half = n / 2;
  // Each length has its own scratch (a call only recurses into shorter lengths), so nothing is allocated.
  const { sums, diffs, evens } = SCRATCH.get(n)!;
  for (let j = 0; j < half; j++) {
    const a = x[j]!;
    const b = x[n - 1 - j]!;
    sums[j] = a + b;
    diffs[j] = a - b;
  }
  dct2(sums, half, Math.ceil(want / 2), evens);
  const cos = COS_TABLES.get(n)!;
  for (let k = 0; k < want; k++) {
    if (k % 2 === 0) {
      out[k] = evens[k / 2]!;
    } else {
      let s = 0;
      for (let j = 0; j < half; j++) s += diffs[j]! * cos[k * half + j]!;
      out[k] = 2 * s;
    }
  }
}

// lowFrequencies' scratch.
const colDct = new Float64Array(KEEP * SIZE);
const line = new Float64Array(SIZE);
const res = new Float64Array(SIZE);

/** The top-left KEEP×KEEP block of the 2-D DCT of a SIZE×SIZE image, row-major (row = vertical freq). */
function lowFrequencies(img: Uint8Array): Float64Array {
  // Columns first (SciPy's axis 0), keeping only the first KEEP vertical frequencies of each column.
  for (let c = 0; c < SIZE; c++) {
    for (let r = 0; r < SIZE; r++) line[r] = img[r * SIZE + c]!;
    dct2(line, SIZE, KEEP, res);
    for (let k = 0; k < KEEP; k++) colDct[k * SIZE + c] = res[k]!;
  }
  // Then rows (axis 1) of those KEEP rows.
  const low = new Float64Array(KEEP * KEEP);
  for (let k = 0; k < KEEP; k++) {
    for (let c = 0; c < SIZE; c++) line[c] = colDct[k * SIZE + c]!;
    dct2(line, SIZE, KEEP, res);
    for (let l = 0; l < KEEP; l++) low[k * KEEP + l] = res[l]!;
  }
  return low;
}

/** NumPy's median of an even count: the mean of the two middle values of the sorted copy. */
function median(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length / 2;
  return (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * pHash of `pixels` (grey or RGB, 8 bits), bit-identical to `imagehash.phash` on Pillow 9.4 with the
 * same pixels. Any size from 1×1 up works; flat images hash to `8000000000000000`.
 */
export function computePhash(pixels: Pixels): PhashResult {
  const small = pillowGreyResizeLanczos(pixels, SIZE, SIZE);
  const low = lowFrequencies(small);
  const med = median(low);
  const hash = new Uint8Array((KEEP * KEEP) / 8);
  for (let i = 0; i < KEEP * KEEP; i++) {
    if (low[i]! > med) hash[i >> 3] = hash[i >> 3]! | (0x80 >> (i & 7));
  }
  return { hash, hex: bytesToHex(hash) };
}

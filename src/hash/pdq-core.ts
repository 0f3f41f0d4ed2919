/**
 * The PDQ core after downsampling (pdq-blur.ts, or its SIMD twin pdq-simd.ts): the image-domain quality
 * metric on the 64×64 plane, the 16×16 partial DCT (pdq-dct.ts), the median threshold and the 8 dihedral
 * sign/transpose variants.
 *
 * Every step emulates the float32 arithmetic of Meta's C++ reference (ThreatExchange `pdq/cpp`) operation
 * by operation: values live in Float32Array storage or go through Math.fround wherever the reference
 * rounds to `float`, and sums run in the reference's order. A float32 sum or product computed in float64
 * and then rounded once gives the same float32 as the reference's float32 operation, so the hashes are
 * bit-exact, including on low-margin images where a float64 pipeline flips bits.
 *
 * Pure: no I/O, clock or randomness. Scratch buffers are module-level and reused, which is safe because a
 * worker runs one hash at a time (nothing here awaits).
 */

import type { Pixels } from '../image/types.js';
import { downsampleTo64, PDQ_DOWNSAMPLE_SIDE } from './pdq-blur.js';
import { dct64To16, PDQ_DCT_FREQS } from './pdq-dct.js';
import { dctAndQualitySimd } from './pdq-kernel.js';
import { downsampleLumaSimd, downsamplePixelsSimd } from './pdq-simd.js';
import type { DihedralName } from './types.js';

export { dct64To16, PDQ_DCT_MATRIX } from './pdq-dct.js';

/** Images with fewer rows or columns than this hash to all zeros with quality 0, as in the reference. */
export const PDQ_MIN_DIM = 5;

const SIDE = PDQ_DOWNSAMPLE_SIDE;
const FREQS = PDQ_DCT_FREQS;

const down64 = new Float32Array(SIDE * SIDE);
const sortScratch = new Float32Array(FREQS * FREQS);

/**
 * The reference's quality metric on the 64×64 plane: the sum of |trunc((Δ · 100) / 255)| over vertical
 * and horizontal neighbour differences Δ (float32 arithmetic), divided by 90 and capped at 100.
 */
export function pdqQualityFrom64(b64: Float32Array): number {
  return qualityFromSum(qualitySum(b64));
}

/** The quality from the sum of truncated differences: divided by 90, capped at 100. */
function qualityFromSum(sum: number): number {
  return Math.min(100, Math.trunc(sum / 90));
}

/** The quality metric's sum of |trunc((Δ · 100) / 255)| (the SIMD kernel computes the same integer). */
function qualitySum(b64: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < SIDE - 1; i++) {
    for (let j = 0; j < SIDE; j++) {
      const d = Math.fround(Math.fround(b64[i * SIDE + j]! - b64[(i + 1) * SIDE + j]!) * 100);
      sum += Math.abs(Math.trunc(Math.fround(d / 255)));
    }
  }
  for (let i = 0; i < SIDE; i++) {
    for (let j = 0; j < SIDE - 1; j++) {
      const d = Math.fround(Math.fround(b64[i * SIDE + j]! - b64[i * SIDE + j + 1]!) * 100);
      sum += Math.abs(Math.trunc(Math.fround(d / 255)));
    }
  }
  return sum;
}

/**
 * The median the reference thresholds on: the 128th smallest of the 256 coefficients (Torben's
 * selection, as the reference uses, returns exactly this order statistic).
 */
export function pdqMedian(dct16: Float32Array): number {
  sortScratch.set(dct16.subarray(0, FREQS * FREQS));
  sortScratch.sort();
  return sortScratch[(FREQS * FREQS) / 2 - 1]!;
}

/**
 * Packs the 16×16 coefficients into the 32-byte hash in hex order: bit k = 16·i + j (i vertical, j
 * horizontal frequency) is set when the coefficient is strictly above the median; bit k lives in byte
 * 31 − ⌊k/8⌋ at position k mod 8, so the hex reads big-endian from bit 255 down to bit 0.
 */
export function pdqBitsFromDct(dct16: Float32Array, out: Uint8Array = new Uint8Array(32)): Uint8Array {
  const median = pdqMedian(dct16);
  out.fill(0);
  for (let k = 0; k < FREQS * FREQS; k++) {
    if (dct16[k]! > median) out[31 - (k >> 3)]! |= 1 << (k & 7);
  }
  return out;
}

/**
 * How each dihedral variant is read off the original 16×16 DCT: transpose or not, and negate the
 * coefficients whose vertical (row) or horizontal (column) frequency is odd — row or column index even,
 * since index i holds frequency i + 1. Mirroring an axis negates its odd frequencies; a transpose swaps axes.
 */
const DIHEDRAL_OPS: Readonly<Record<DihedralName, { t: boolean; negRows: boolean; negCols: boolean }>> = {
  orig: { t: false, negRows: false, negCols: false },
  rot90: { t: true, negRows: false, negCols: true },
  rot180: { t: false, negRows: true, negCols: true },
  rot270: { t: true, negRows: true, negCols: false },
  flipx: { t: false, negRows: true, negCols: false },
  flipy: { t: false, negRows: false, negCols: true },
  flipplus1: { t: true, negRows: false, negCols: false },
  flipminus1: { t: true, negRows: true, negCols: true },
};

/** Writes the DCT of the image transformed by `name` into `out16`, derived from the original's `dct16`. */
export function dihedralDct(dct16: Float32Array, name: DihedralName, out16: Float32Array): void {
  const { t, negRows, negCols } = DIHEDRAL_OPS[name];
  for (let i = 0; i < FREQS; i++) {
    const rowNeg = negRows && (i & 1) === 0;
    for (let j = 0; j < FREQS; j++) {
      const neg = rowNeg !== (negCols && (j & 1) === 0);
      const v = dct16[i * FREQS + j]!;
      out16[t ? j * FREQS + i : i * FREQS + j] = neg ? -v : v;
    }
  }
}

/** The float outputs of the core: the 16×16 DCT (row-major) and the quality. */
export interface PdqFloatResult {
  readonly dct16: Float32Array;
  readonly quality: number;
}

/** Quality and a fresh DCT of the 64×64 plane in `down64`. */
function fromDown64(): PdqFloatResult {
  const dct16 = new Float32Array(FREQS * FREQS);
  const sum = dctAndQualitySimd(down64, dct16);
  if (sum !== null) return { dct16, quality: qualityFromSum(sum) };
  dct64To16(down64, dct16);
  return { dct16, quality: pdqQualityFrom64(down64) };
}

/**
 * Runs blur, decimation, quality and DCT on a float32 luma plane (rows × cols, row-major; not modified).
 * Returns a fresh DCT array. The caller handles the under-5-pixel case (`PDQ_MIN_DIM`).
 */
export function pdqFloatFromLuma(
  luma: Float32Array,
  rows: number,
  cols: number,
  forceBlur = false,
): PdqFloatResult {
  const copy = rows === SIDE && cols === SIDE && !forceBlur;
  if (copy || !downsampleLumaSimd(luma, rows, cols, down64))
    downsampleTo64(luma, rows, cols, down64, forceBlur);
  return fromDown64();
}

/**
 * `pdqFloatFromLuma` of the luma of `pixels` sampled to rows × cols (output (x, y) reads source
 * (⌊x·W/cols⌋, ⌊y·H/rows⌋)), straight from the pixels with the SIMD kernels. Returns null without SIMD,
 * or for a 64×64 plane (which the reference does not blur): the caller then builds the luma plane.
 */
export function pdqFloatFromPixels(pixels: Pixels, rows: number, cols: number): PdqFloatResult | null {
  if (rows === SIDE && cols === SIDE) return null;
  return downsamplePixelsSimd(pixels, rows, cols, down64) ? fromDown64() : null;
}

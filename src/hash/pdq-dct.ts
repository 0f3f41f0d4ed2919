/**
 * PDQ's 16×16 partial DCT of the 64×64 plane (scalar), with the basis the SIMD kernel uses too. Every
 * product and partial sum is rounded to float32 in the reference's order (see pdq-core.ts).
 */
import { PDQ_DOWNSAMPLE_SIDE } from './pdq-blur.js';

const SIDE = PDQ_DOWNSAMPLE_SIDE;
/** Number of DCT frequencies kept per axis (frequencies 1..16; the DC term is skipped). */
export const PDQ_DCT_FREQS = 16;
const FREQS = PDQ_DCT_FREQS;

/**
 * The 16×64 DCT-II basis, row u (frequency u+1) by column k: float32 of
 * float32(sqrt(2/64)) · cos(π/(2·64) · (u+1) · (2k+1)), the product taken in float64 and rounded once.
 */
export const PDQ_DCT_MATRIX: Float32Array = (() => {
  const m = new Float32Array(FREQS * SIDE);
  const scale = Math.fround(Math.sqrt(2 / SIDE));
  const step = Math.PI / 2 / SIDE;
  for (let u = 0; u < FREQS; u++) {
    for (let k = 0; k < SIDE; k++) m[u * SIDE + k] = scale * Math.cos(step * (u + 1) * (2 * k + 1));
  }
  return m;
})();

const partial16x64 = new Float32Array(FREQS * SIDE);

/**
 * 16×16 DCT of the 64×64 plane, B = D · A · Dᵀ, computed as the reference does: first T = D · A (sums over
 * the 64 rows in order), then B = T · Dᵀ, every product and partial sum rounded to float32.
 */
export function dct64To16(b64: Float32Array, out16: Float32Array): void {
  const d = PDQ_DCT_MATRIX;
  const t = partial16x64;
  for (let u = 0; u < FREQS; u++) {
    const du = u * SIDE;
    for (let j = 0; j < SIDE; j++) {
      let s = 0;
      for (let k = 0; k < SIDE; k++) s = Math.fround(s + Math.fround(d[du + k]! * b64[k * SIDE + j]!));
      t[du + j] = s;
    }
  }
  for (let u = 0; u < FREQS; u++) {
    const tu = u * SIDE;
    for (let v = 0; v < FREQS; v++) {
      const dv = v * SIDE;
      let s = 0;
      for (let k = 0; k < SIDE; k++) s = Math.fround(s + Math.fround(t[tu + k]! * d[dv + k]!));
      out16[u * FREQS + v] = s;
    }
  }
}

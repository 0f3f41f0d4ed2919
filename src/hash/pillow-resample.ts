/**
 * Pillow 9.4's grey conversion and Lanczos resize, reproduced bit for bit on 8-bit grey pixels, so that
 * pHash (which imagehash defines on top of Pillow) gives the same bits as the Python reference.
 *
 * Facts carried over from Pillow's `Convert.c` and `Resample.c` (our own code, not a port):
 * - `convert('L')` is fixed-point ITU-R 601-2 luma with round-half-up; the weights sum to 65536.
 * - `resize(size, LANCZOS)` with no box and no `reducing_gap` (9.4's default: no `reduce()` first) is
 *   separable: a horizontal pass into an 8-bit intermediate holding only the source rows the vertical
 *   pass reads, then a vertical pass, each rounding and clipping. A pass whose size is unchanged is
 *   skipped. The taps are in pillow-taps.ts.
 */
import { HashwardenError } from '../errors.js';
import type { Pixels } from '../image/types.js';
import { greySimd, resizeSimd } from './pillow-resample-simd.js';
import { clip8, HALF, lanczosTaps, type Taps } from './pillow-taps.js';

/**
 * Pillow's `convert('L')`: grey pixels, one byte each. Grey input (1 channel) is returned as is (the
 * same buffer, not a copy); RGB uses the fixed-point luma `(R·19595 + G·38470 + B·7471 + 0x8000) >> 16`.
 */
export function toPillowGrey(pixels: Pixels): Uint8Array {
  const { width, height, channels, data } = pixels;
  const n = width * height;
  if (data.length !== n * channels) {
    throw new HashwardenError(
      'HW_ERR_BAD_REQUEST',
      `pixels hold ${data.length} bytes, expected ${n * channels} for ${width}x${height}x${channels}`,
    );
  }
  if (channels === 1) return data;
  const out = new Uint8Array(n);
  if (!greySimd(data, n, out)) greyScalar(data, 0, n, out);
  return out;
}

/** Pixels `from .. to-1` of `rgb` to grey, into the same places of `out` (the non-SIMD fallback). */
function greyScalar(rgb: Uint8Array, from: number, to: number, out: Uint8Array): void {
  for (let i = from, j = 3 * from; i < to; i++, j += 3) {
    out[i] = (rgb[j]! * 19595 + rgb[j + 1]! * 38470 + rgb[j + 2]! * 7471 + 0x8000) >> 16;
  }
}

function checkSize(what: string, width: number, height: number): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new HashwardenError(
      'HW_ERR_BAD_REQUEST',
      `${what} size must be at least 1x1, got ${width}x${height}`,
    );
  }
}

/** Which passes run: the WebAssembly SIMD kernels where available (the default), or scalar code. */
export type HorizontalPassMode = 'auto' | 'scalar';

/**
 * Pillow 9.4's `resize((outW, outH), LANCZOS)` on 8-bit grey pixels (row-major, `width * height`
 * bytes), exact to the bit. Returns `outW * outH` bytes; a same-size resize returns a copy. `mode`
 * exists for tests, which check that both horizontal passes agree.
 */
export function pillowResizeLanczos(
  grey: Uint8Array,
  width: number,
  height: number,
  outW: number,
  outH: number,
  mode: HorizontalPassMode = 'auto',
): Uint8Array {
  checkSize('image', width, height);
  checkSize('output', outW, outH);
  if (grey.length !== width * height) {
    throw new HashwardenError(
      'HW_ERR_BAD_REQUEST',
      `grey pixels hold ${grey.length} bytes, expected ${width * height} for ${width}x${height}`,
    );
  }
  return resize(grey, 1, width, height, outW, outH, mode);
}

/**
 * `pillowResizeLanczos(toPillowGrey(pixels), …)`, the same bytes, without the full-size grey copy where
 * it can: RGB rows are greyed strip by strip inside the SIMD horizontal pass, and only the rows the
 * vertical pass reads are converted. This is what pHash runs on every decoded image.
 */
export function pillowGreyResizeLanczos(pixels: Pixels, outW: number, outH: number): Uint8Array {
  const { width, height, channels, data } = pixels;
  checkSize('image', width, height);
  checkSize('output', outW, outH);
  if (channels === 1 || outW === width) {
    return pillowResizeLanczos(toPillowGrey(pixels), width, height, outW, outH);
  }
  if (data.length !== width * height * 3) toPillowGrey(pixels); // throws the size error
  return resize(data, 3, width, height, outW, outH, 'auto');
}

/** The two passes; `src` is grey, or RGB (then `outW !== width`, so the horizontal pass greys it). */
function resize(
  src: Uint8Array,
  channels: 1 | 3,
  width: number,
  height: number,
  outW: number,
  outH: number,
  mode: HorizontalPassMode,
): Uint8Array {
  const vert = outH !== height ? lanczosTaps(height, outH) : null;
  if (outW === width) return vert ? verticalPass(src, width, vert, 0) : src.slice();
  const taps = lanczosTaps(width, outW);
  const simd = mode === 'scalar' ? null : resizeSimd(src, channels, width, height, taps, vert);
  if (simd !== null) return simd;
  // Only the source rows that some vertical tap reads go through the horizontal pass.
  const rowFirst = vert ? vert.first[0]! : 0;
  const rowEnd = vert ? vert.first[outH - 1]! + vert.count[outH - 1]! : height;
  let grey = src;
  if (channels === 3) {
    grey = new Uint8Array(width * height);
    greyScalar(src, rowFirst * width, rowEnd * width, grey);
  }
  const out = new Uint8Array((rowEnd - rowFirst) * outW);
  horizontalPassScalar(grey, width, rowFirst, rowEnd, taps, out);
  return vert ? verticalPass(out, outW, vert, rowFirst) : out;
}

/** Rows `rowFirst .. rowEnd-1` of `src`, each resampled from `width` samples with `taps`, into `out`. */
function horizontalPassScalar(
  src: Uint8Array,
  width: number,
  rowFirst: number,
  rowEnd: number,
  taps: Taps,
  out: Uint8Array,
): void {
  const { outSize, ksize, first, count, coeffs } = taps;
  // int32 accumulators (Math.imul, |0), as Pillow sums in a C int; the sums fit.
  for (let y = rowFirst; y < rowEnd; y++) {
    const rowBase = y * width;
    const outBase = (y - rowFirst) * outSize;
    for (let x = 0; x < outSize; x++) {
      const n = count[x]!;
      const s = rowBase + first[x]!;
      const k = x * ksize;
      let acc = HALF;
      for (let i = 0; i < n; i++) acc = (acc + Math.imul(src[s + i]!, coeffs[k + i]!)) | 0;
      out[outBase + x] = clip8(acc);
    }
  }
}

/**
 * `taps.outSize` rows, each a weighted sum of rows of `src` (`width` wide; its row 0 is the source row
 * `rowFirst` the taps count from); columns unchanged.
 */
function verticalPass(src: Uint8Array, width: number, taps: Taps, rowFirst: number): Uint8Array {
  const { outSize, ksize, first, count, coeffs } = taps;
  const out = new Uint8Array(outSize * width);
  const acc = new Int32Array(width);
  for (let yy = 0; yy < outSize; yy++) {
    const n = count[yy]!;
    const k = yy * ksize;
    acc.fill(HALF);
    // Row by row, so the source is read in memory order; the per-pixel sums are the same integers.
    for (let i = 0; i < n; i++) {
      const c = coeffs[k + i]!;
      const rowBase = (first[yy]! - rowFirst + i) * width;
      for (let x = 0; x < width; x++) acc[x] = (acc[x]! + Math.imul(src[rowBase + x]!, c)) | 0;
    }
    const outBase = yy * width;
    for (let x = 0; x < width; x++) out[outBase + x] = clip8(acc[x]!);
  }
  return out;
}

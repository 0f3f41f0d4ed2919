/**
 * PDQ, Meta's 256-bit perceptual hash, bit-exact with the C++ reference (ThreatExchange `pdq/cpp`,
 * `pdq-photo-hasher`) given the same decoded pixels.
 *
 * Two variants:
 * - `reference` (default): what the reference CLI computes. Its image loader squashes any image wider or
 *   taller than 512 to exactly 512×512 by nearest-neighbour sampling (source column ⌊x·W/512⌋, row
 *   ⌊y·H/512⌋, aspect ratio ignored) before hashing. Done here on the pixel buffer with that formula.
 * - `full`: no pre-squash; the whole image goes through the blur (the Java/Python/HMA behaviour).
 *
 * Luma: grey samples are used directly; RGB uses Y = 0.299 R + 0.587 G + 0.114 B in float32. Images under
 * 5 pixels on a side (after the squash) hash to all zeros with quality 0. Pure: no I/O, clock or randomness.
 */

import type { Pixels } from '../image/types.js';
import { bytesToHex } from './codec.js';
import {
  dihedralDct,
  PDQ_MIN_DIM,
  type PdqFloatResult,
  pdqBitsFromDct,
  pdqFloatFromLuma,
  pdqFloatFromPixels,
} from './pdq-core.js';
import { DIHEDRAL_NAMES, type DihedralName, type PdqVariant } from './types.js';

export {
  boxAlongCols,
  boxAlongRows,
  downsampleTo64,
  jaroszWindowSize,
  PDQ_DOWNSAMPLE_SIDE,
} from './pdq-blur.js';
export {
  dct64To16,
  dihedralDct,
  PDQ_DCT_MATRIX,
  PDQ_MIN_DIM,
  pdqBitsFromDct,
  pdqFloatFromLuma,
  pdqMedian,
  pdqQualityFrom64,
} from './pdq-core.js';

/** The reference loader squashes images with a side over this to exactly this square. */
export const PDQ_REFERENCE_SIZE = 512;

/** Number of bytes in a PDQ hash. */
export const PDQ_BYTES = 32;

export interface PdqOptions {
  /** `reference` (default): 512×512 pre-squash as the C++ CLI; `full`: hash the image as is. */
  readonly variant?: PdqVariant;
  /** Also compute the 8 dihedral hashes (rotations and flips) from the same DCT. */
  readonly dihedral?: boolean;
}

export interface PdqResult {
  /** 32 bytes in hex order (byte 0 holds bits 255..248). */
  readonly hash: Uint8Array;
  /** 64 lowercase hex digits. */
  readonly hex: string;
  /** 0..100; Meta suggests not matching below 50. */
  readonly quality: number;
  /** Hex of the 8 dihedral variants, in the reference's names, when asked for. */
  readonly dihedral?: Readonly<Record<DihedralName, string>>;
}

const ZERO_HEX = '0'.repeat(PDQ_BYTES * 2);

/** Luma weights as the reference's float32 constants, applied as per-value float32 product tables. */
const LUMA_R = new Float32Array(256);
const LUMA_G = new Float32Array(256);
const LUMA_B = new Float32Array(256);
{
  const r = Math.fround(0.299);
  const g = Math.fround(0.587);
  const b = Math.fround(0.114);
  for (let v = 0; v < 256; v++) {
    LUMA_R[v] = r * v;
    LUMA_G[v] = g * v;
    LUMA_B[v] = b * v;
  }
}

/** Reused luma plane for computePdq (up to 1024×1024); larger images get a fresh one. */
let lumaScratch = new Float32Array(PDQ_REFERENCE_SIZE * PDQ_REFERENCE_SIZE);

function checkPixels(p: Pixels): void {
  if (
    !Number.isInteger(p.width) ||
    !Number.isInteger(p.height) ||
    p.width < 0 ||
    p.height < 0 ||
    (p.channels !== 1 && p.channels !== 3) ||
    p.data.length < p.width * p.height * p.channels
  ) {
    throw new RangeError(
      `pixels: ${p.width}x${p.height}x${p.channels} needs ${p.width * p.height * p.channels} bytes, got ${p.data.length}`,
    );
  }
}

/** The source index ⌊i·from/to⌋ for each of the `to` output positions (the reference's nearest-neighbour). */
function sampleMap(from: number, to: number): Int32Array {
  const m = new Int32Array(to);
  for (let i = 0; i < to; i++) m[i] = Math.floor((i * from) / to);
  return m;
}

/** Whether the `reference` variant squashes an image of this size. */
export function needsReferenceSquash(width: number, height: number): boolean {
  return width > PDQ_REFERENCE_SIZE || height > PDQ_REFERENCE_SIZE;
}

/**
 * The reference loader's pre-squash: images wider or taller than 512 become exactly 512×512, output pixel
 * (x, y) copying source pixel (⌊x·W/512⌋, ⌊y·H/512⌋); smaller images are returned unchanged (same object).
 */
export function squashToReference(pixels: Pixels): Pixels {
  checkPixels(pixels);
  const { width, height, channels, data } = pixels;
  if (!needsReferenceSquash(width, height)) return pixels;
  const n = PDQ_REFERENCE_SIZE;
  const xs = sampleMap(width, n);
  const ys = sampleMap(height, n);
  const out = new Uint8Array(n * n * channels);
  let o = 0;
  for (let y = 0; y < n; y++) {
    const row = ys[y]! * width;
    for (let x = 0; x < n; x++) {
      const s = (row + xs[x]!) * channels;
      for (let c = 0; c < channels; c++) out[o++] = data[s + c]!;
    }
  }
  return { width: n, height: n, channels, data: out };
}

/** Float32 luma of `n` interleaved RGB pixels: (R·0.299 + G·0.587) + B·0.114, each step in float32. */
function lumaRgb(data: Uint8Array, n: number, out: Float32Array): void {
  for (let i = 0, s = 0; i < n; i++, s += 3) {
    out[i] = Math.fround(LUMA_R[data[s]!]! + LUMA_G[data[s + 1]!]!) + LUMA_B[data[s + 2]!]!;
  }
}

/**
 * Fills `out` (rows × cols) with float32 luma sampled from `pixels`: output (x, y) reads source
 * (⌊x·W/cols⌋, ⌊y·H/rows⌋), which is the identity when the sizes agree and the reference squash at 512.
 */
function fillLuma(pixels: Pixels, rows: number, cols: number, out: Float32Array): void {
  const { width, height, channels, data } = pixels;
  if (rows === height && cols === width) {
    if (channels === 1) out.set(data.subarray(0, rows * cols));
    else lumaRgb(data, rows * cols, out);
    return;
  }
  const xs = sampleMap(width, cols);
  const ys = sampleMap(height, rows);
  let o = 0;
  for (let y = 0; y < rows; y++) {
    const row = ys[y]! * width;
    for (let x = 0; x < cols; x++) {
      const s = (row + xs[x]!) * channels;
      out[o++] =
        channels === 1
          ? data[s]!
          : Math.fround(LUMA_R[data[s]!]! + LUMA_G[data[s + 1]!]!) + LUMA_B[data[s + 2]!]!;
    }
  }
}

/** Float32 luma of `pixels` at their own size (grey as is; RGB by the reference's float32 weights). */
export function lumaFromPixels(pixels: Pixels): Float32Array {
  checkPixels(pixels);
  const out = new Float32Array(pixels.width * pixels.height);
  fillLuma(pixels, pixels.height, pixels.width, out);
  return out;
}

function emptyResult(dihedral: boolean): PdqResult {
  const base = { hash: new Uint8Array(PDQ_BYTES), hex: ZERO_HEX, quality: 0 };
  if (!dihedral) return base;
  const all = {} as Record<DihedralName, string>;
  for (const name of DIHEDRAL_NAMES) all[name] = ZERO_HEX;
  return { ...base, dihedral: all };
}

function dihedralHexes(dct16: Float32Array): Record<DihedralName, string> {
  const tmp = new Float32Array(dct16.length);
  const bytes = new Uint8Array(PDQ_BYTES);
  const all = {} as Record<DihedralName, string>;
  for (const name of DIHEDRAL_NAMES) {
    dihedralDct(dct16, name, tmp);
    all[name] = bytesToHex(pdqBitsFromDct(tmp, bytes));
  }
  return all;
}

/**
 * PDQ of a float32 luma plane (rows × cols, row-major; not modified), with no pre-squash. This is the
 * reference's hashing step proper; `computePdq` adds the luma conversion and the optional squash.
 * A 64×64 plane skips the blur for `hash`/`quality` but not for `dihedral`, as the reference's plain and
 * dihedral hashers do.
 */
export function pdqFromLuma(
  luma: Float32Array,
  rows: number,
  cols: number,
  options: { readonly dihedral?: boolean } = {},
): PdqResult {
  const dihedral = options.dihedral === true;
  if (luma.length < rows * cols) throw new RangeError(`luma: ${rows}x${cols} needs ${rows * cols} values`);
  if (rows < PDQ_MIN_DIM || cols < PDQ_MIN_DIM) return emptyResult(dihedral);
  const core = pdqFloatFromLuma(luma, rows, cols);
  const dihedralDctSource =
    dihedral && rows === 64 && cols === 64 ? pdqFloatFromLuma(luma, rows, cols, true).dct16 : core.dct16;
  return resultFrom(core, dihedral ? dihedralDctSource : null);
}

/** The hash, hex and quality from the core's floats, and the dihedral hexes from `dihedralDct16`. */
function resultFrom({ dct16, quality }: PdqFloatResult, dihedralDct16: Float32Array | null): PdqResult {
  const hash = pdqBitsFromDct(dct16);
  const hex = bytesToHex(hash);
  if (dihedralDct16 === null) return { hash, hex, quality };
  return { hash, hex, quality, dihedral: dihedralHexes(dihedralDct16) };
}

/**
 * PDQ of decoded pixels (8-bit grey or RGB, alpha already dropped). Never throws for small or flat images
 * (under 5 pixels a side gives the all-zero hash with quality 0); throws RangeError only when `data` is
 * shorter than width × height × channels.
 */
export function computePdq(pixels: Pixels, options: PdqOptions = {}): PdqResult {
  checkPixels(pixels);
  const variant = options.variant ?? 'reference';
  const squash = variant === 'reference' && needsReferenceSquash(pixels.width, pixels.height);
  const rows = squash ? PDQ_REFERENCE_SIZE : pixels.height;
  const cols = squash ? PDQ_REFERENCE_SIZE : pixels.width;
  const dihedral = options.dihedral === true;
  if (rows < PDQ_MIN_DIM || cols < PDQ_MIN_DIM) return emptyResult(dihedral);
  // The SIMD kernels read the pixels directly (no luma plane here); null where they do not run.
  const direct = pdqFloatFromPixels(pixels, rows, cols);
  if (direct !== null) return resultFrom(direct, dihedral ? direct.dct16 : null);
  const n = rows * cols;
  let luma = lumaScratch;
  if (luma.length < n) {
    luma = new Float32Array(n);
    if (n <= 1 << 20) lumaScratch = luma;
  }
  fillLuma(pixels, rows, cols, luma);
  return pdqFromLuma(luma, rows, cols, { dihedral });
}

/**
 * Pillow 9.4's Lanczos-3 resampling taps for 8-bit images (facts from its `Resample.c`, our own code):
 * coefficients computed in double, the window widened by the scale factor when shrinking, normalised per
 * output pixel, then rounded half away from zero to 22-bit fixed point. An output sample is the integer
 * sum of `pixel * coefficient` plus half an LSB, shifted down and clipped to 0-255.
 */

/** Fractional bits of the fixed-point coefficients (32 bits less 8 of data and 2 of headroom). */
export const PRECISION_BITS = 22;
/** Half an output LSB in fixed point: the accumulators start here so the final shift rounds. */
export const HALF = 1 << (PRECISION_BITS - 1);
const ONE = 1 << PRECISION_BITS;
const LANCZOS_SUPPORT = 3;

/** Per-output-sample taps of one pass: output `i` reads source samples `first[i] .. first[i]+count[i]-1`. */
export interface Taps {
  readonly outSize: number;
  /** Coefficients per output sample: the stride of `coeffs` (Pillow's `ksize`). */
  readonly ksize: number;
  readonly first: Int32Array;
  readonly count: Int32Array;
  /** `outSize * ksize` fixed-point coefficients; the entries past `count[i]` are 0. */
  readonly coeffs: Int32Array;
}

/** sin(πx)/(πx), with Pillow's operation order (scale by π, then divide) so the doubles agree. */
function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

/** Lanczos-3 window: sinc(x)·sinc(x/3) on [-3, 3), zero elsewhere. */
function lanczos(x: number): number {
  return x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0;
}

/** Pillow's conversion of a normalised coefficient to fixed point: add ±0.5, then truncate. */
function toFixed(w: number): number {
  return Math.trunc(w < 0 ? -0.5 + w * ONE : 0.5 + w * ONE);
}

/** Taps computed before, by size (pHash asks for the same few sizes again and again). */
const cache = new Map<string, Taps>();
const CACHE_ENTRIES = 256;

/**
 * The taps resampling a line of `inSize` samples to `outSize` over the whole line (no crop box). The
 * result is shared between callers: never modify it.
 */
export function lanczosTaps(inSize: number, outSize: number): Taps {
  const key = `${inSize}>${outSize}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const taps = computeTaps(inSize, outSize);
  if (cache.size >= CACHE_ENTRIES) cache.clear();
  cache.set(key, taps);
  return taps;
}

function computeTaps(inSize: number, outSize: number): Taps {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = LANCZOS_SUPPORT * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const invScale = 1 / filterScale;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const coeffs = new Int32Array(outSize * ksize);
  const weights = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // Pillow rounds the window ends with a C int cast (truncation), then clamps them to the line.
    const lo = Math.max(0, Math.trunc(center - support + 0.5));
    const hi = Math.min(inSize, Math.trunc(center + support + 0.5));
    const n = hi - lo;
    let total = 0;
    for (let i = 0; i < n; i++) {
      // Same operation order as Pillow, so the double arguments (and so the weights) are identical.
      const w = lanczos((i + lo - center + 0.5) * invScale);
      weights[i] = w;
      total += w;
    }
    const base = xx * ksize;
    for (let i = 0; i < n; i++) {
      coeffs[base + i] = toFixed(total === 0 ? weights[i]! : weights[i]! / total);
    }
    first[xx] = lo;
    count[xx] = n;
  }
  return { outSize, ksize, first, count, coeffs };
}

/** An accumulator (HALF included) to its output byte: arithmetic shift, then clip to 0-255. */
export function clip8(acc: number): number {
  const v = acc >> PRECISION_BITS;
  return v < 0 ? 0 : Math.min(v, 255);
}

/**
 * Pillow's grey conversion and Lanczos resize (pHash's hot part) with the WebAssembly SIMD kernels of
 * wasm-pillow.ts. They compute the same integers as the scalar code in pillow-resample.ts (integer
 * addition wraps identically in any order, and the true sums fit an int32), several times faster. Every
 * function returns false or null where WebAssembly SIMD is unavailable, and the caller falls back to the
 * scalar code. The vertical pass is the horizontal kernel run along the lines of the intermediate,
 * which the horizontal pass writes transposed.
 */
import type { Taps } from './pillow-taps.js';
import { compileKernel, reserve, type WasmMemory } from './wasm.js';
import { LO_BITS, pillowKernelBytes, TAPS_PER_ITER } from './wasm-pillow.js';

/**
 * Source bytes copied into the kernel's memory per call: small enough that a strip is still in the L2
 * cache when the pass reads it after the copy (and the grey conversion), and keeps the memory small.
 */
const STRIP_BYTES = 1 << 18;
type Fn = (...args: number[]) => void;
interface Kernel {
  readonly memory: WasmMemory;
  readonly hpass: Fn;
  readonly grey: Fn;
}

/** Built on first use; null when this runtime has no WebAssembly SIMD. One per thread (module state). */
let kernel: Kernel | null | undefined;

function getKernel(): Kernel | null {
  if (kernel === undefined) {
    const make = compileKernel(pillowKernelBytes());
    if (make === null) {
      kernel = null;
    } else {
      const e = make();
      kernel = { memory: e.memory as WasmMemory, hpass: e.hpass as Fn, grey: e.grey as Fn };
    }
  }
  return kernel;
}

/** True when the SIMD kernel compiled here (Node 20 always has WebAssembly SIMD; a test pins it). */
export function pillowSimdAvailable(): boolean {
  return getKernel() !== null;
}

/** Pillow's grey of `n` RGB pixels (`rgb`, 3n bytes) into `out`. Returns false without SIMD. */
export function greySimd(rgb: Uint8Array, n: number, out: Uint8Array): boolean {
  const k = getKernel();
  if (k === null) return false;
  const step = Math.floor(STRIP_BYTES / 3 / 16) * 16;
  const greyAt = 3 * step + 64; // the RGB strip, with slack for the last step's overread
  reserve(k.memory, greyAt + step + 16);
  const m8 = new Uint8Array(k.memory.buffer);
  for (let p0 = 0; p0 < n; p0 += step) {
    const len = Math.min(step, n - p0);
    m8.set(rgb.subarray(3 * p0, 3 * (p0 + len)), 0);
    k.grey(0, len, greyAt);
    out.set(m8.subarray(greyAt, greyAt + len), p0);
  }
  return true;
}

/** Taps in the kernel's layout: per output, 8 taps a group as 8 i16 high parts then 8 i16 low parts. */
interface Packed {
  readonly coeffs: Int16Array;
  /** Bytes per output. */
  readonly stride: number;
  /** Iterations (TAPS_PER_ITER taps) per output. */
  readonly iters: Int32Array;
}

const packedCache = new WeakMap<Taps, Packed>();

function pack(taps: Taps): Packed {
  const hit = packedCache.get(taps);
  if (hit !== undefined) return hit;
  const { outSize, ksize, count, coeffs } = taps;
  const groups = Math.ceil(ksize / TAPS_PER_ITER) * (TAPS_PER_ITER / 8);
  const out = new Int16Array(outSize * groups * 16);
  const iters = new Int32Array(outSize);
  for (let x = 0; x < outSize; x++) {
    iters[x] = Math.ceil(count[x]! / TAPS_PER_ITER);
    for (let i = 0; i < count[x]!; i++) {
      const c = coeffs[x * ksize + i]!;
      const at = x * groups * 16 + (i >> 3) * 16 + (i & 7);
      out[at] = c >> LO_BITS;
      out[at + 8] = c & ((1 << LO_BITS) - 1);
    }
  }
  const packed = { coeffs: out, stride: groups * 32, iters };
  packedCache.set(taps, packed);
  return packed;
}

const align16 = (n: number): number => (n + 15) & ~15;

/**
 * Pillow's two-pass resize of `src` (grey, or RGB greyed on the way), `width` × `height`, with
 * horizontal taps `h` (to h.outSize columns) and, unless null, vertical taps `v` (to v.outSize rows):
 * the same bytes as the scalar passes. Only the source rows some vertical tap reads are converted and
 * resampled. Returns null without SIMD.
 */
export function resizeSimd(
  src: Uint8Array,
  channels: 1 | 3,
  width: number,
  height: number,
  h: Taps,
  v: Taps | null,
): Uint8Array | null {
  const k = getKernel();
  if (k === null) return null;
  const outW = h.outSize;
  const outH = v === null ? height : v.outSize;
  const rowFirst = v === null ? 0 : v.first[0]!;
  const rowEnd = v === null ? height : v.first[outH - 1]! + v.count[outH - 1]!;
  const used = rowEnd - rowFirst;
  const ph = pack(h);
  const pv = v === null ? null : pack(v);
  const rowBytes = width * channels;
  const stripRows = Math.max(1, Math.min(used, Math.floor(STRIP_BYTES / rowBytes)));
  // Layout: taps (coefficients, first, iterations) of each pass, the grey strip (+ the pass's overread),
  // the RGB strip (+ the grey kernel's), the intermediate (transposed when there is a vertical pass:
  // outW lines of `line` bytes) and the output.
  const hCoef = 0;
  const hFirst = align16(hCoef + outW * ph.stride);
  const hIters = hFirst + outW * 4;
  const vCoef = align16(hIters + outW * 4);
  const vFirst = align16(vCoef + (pv === null ? 0 : outH * pv.stride));
  const vIters = vFirst + outH * 4;
  const greyAt = align16(vIters + outH * 4);
  const rgbAt = align16(greyAt + stripRows * width + 32);
  const interAt = align16(rgbAt + (channels === 3 ? stripRows * rowBytes + 64 : 0));
  const line = align16(used + TAPS_PER_ITER);
  const outAt = align16(interAt + (v === null ? used * outW : outW * line));
  reserve(k.memory, outAt + outW * outH);
  const m8 = new Uint8Array(k.memory.buffer);
  const m32 = new Int32Array(k.memory.buffer);
  new Int16Array(k.memory.buffer).set(ph.coeffs, hCoef / 2);
  m32.set(h.first, hFirst / 4);
  m32.set(ph.iters, hIters / 4);
  if (v !== null && pv !== null) {
    new Int16Array(k.memory.buffer).set(pv.coeffs, vCoef / 2);
    for (let y = 0; y < outH; y++) m32[vFirst / 4 + y] = v.first[y]! - rowFirst;
    m32.set(pv.iters, vIters / 4);
  }
  for (let y0 = rowFirst; y0 < rowEnd; y0 += stripRows) {
    const rows = Math.min(stripRows, rowEnd - y0);
    if (channels === 3) {
      m8.set(src.subarray(y0 * rowBytes, (y0 + rows) * rowBytes), rgbAt);
      k.grey(rgbAt, rows * width, greyAt);
    } else {
      m8.set(src.subarray(y0 * width, (y0 + rows) * width), greyAt);
    }
    const r = y0 - rowFirst;
    if (v === null) {
      k.hpass(greyAt, width, rows, outW, hFirst, hIters, hCoef, ph.stride, interAt + r * outW, 1, outW);
    } else {
      k.hpass(greyAt, width, rows, outW, hFirst, hIters, hCoef, ph.stride, interAt + r, line, 1);
    }
  }
  if (v === null || pv === null) return m8.slice(interAt, interAt + used * outW);
  // The vertical pass along the intermediate's lines (one per output column), written back transposed.
  k.hpass(interAt, line, outW, outH, vFirst, vIters, vCoef, pv.stride, outAt, outW, 1);
  return m8.slice(outAt, outAt + outW * outH);
}

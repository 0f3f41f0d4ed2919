/**
 * The horizontal Lanczos pass (the hot part of pHash: about six multiply-adds per source pixel) as a
 * tiny WebAssembly SIMD kernel, assembled here from its opcodes. It computes the same int32 sums as the
 * scalar pass (integer addition wraps identically in any order), about ten times faster. Returns false
 * where WebAssembly SIMD is unavailable, and the caller falls back to the scalar pass.
 *
 * The kernel, one call per strip of rows (all pointers are byte offsets into its memory):
 *   hpass(src, stride, rows, outW, coefStride, first, count, coeffs, out)
 *   for each row, for each output x: out[] = Σ over i < count[x] (rounded up to 8) of
 *     src[row + first[x] + i] * coeffs[x * coefStride + i]   (u8 × i32, 4 lanes, 8 taps a step)
 * Coefficients are zero-padded to a multiple of 8, so the up to 7 extra pixels read add nothing.
 *
 * A second function converts RGB to Pillow's grey in the same memory, so that RGB input is greyed strip
 * by strip right before the pass reads it (while the strip is still in cache) instead of in a separate
 * scalar loop over the whole image, which cost more than the resize itself:
 *   grey(src, n, out): out[p] = (R·19595 + G·38470 + B·7471 + 0x8000) >> 16 for p < n rounded up to 16
 *   (16 pixels a step: shuffles split the 48 bytes into R, G and B, u16 × u16 → u32 products).
 */
import { clip8, HALF, type Taps } from './pillow-taps.js';

/**
 * Source bytes copied into the kernel's memory per call: small enough that a strip is still in the L2
 * cache when the pass reads it after the copy (and the grey conversion), and keeps the memory small.
 */
const STRIP_BYTES = 1 << 18;
const PAGE = 65536;

export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

export function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const name = (s: string): number[] => vec([...s].map((c) => [c.charCodeAt(0)]));

// Opcodes used (core and the 0xfd SIMD prefix).
const T_I32 = 0x7f;
const T_V128 = 0x7b;
const BLOCK = 0x02;
const LOOP = 0x03;
const VOID = 0x40;
const END = 0x0b;
const BR = 0x0c;
const BR_IF = 0x0d;
const I32_LOAD = 0x28;
const I32_STORE = 0x36;
const I32_GE_U = 0x4f;
const I32_LT_U = 0x49;
const I32_ADD = 0x6a;
const I32_MUL = 0x6c;
const I32_SHL = 0x74;
const get = (i: number): number[] => [0x20, i];
const set = (i: number): number[] => [0x21, i];
const tee = (i: number): number[] => [0x22, i];
const i32 = (n: number): number[] => [0x41, ...sleb(n)];
const simd = (op: number): number[] => [0xfd, ...uleb(op)];
const memarg = (alignLog2: number, offset: number): number[] => [...uleb(alignLog2), ...uleb(offset)];
const V128_LOAD = (offset: number): number[] => [...simd(0x00), ...memarg(0, offset)];
const V128_LOAD64_ZERO = [...simd(0x5d), ...memarg(0, 0)];
const I32X4_SPLAT = simd(0x11);
const I32X4_EXTRACT_LANE = (lane: number): number[] => [...simd(0x1b), lane];
const I16X8_EXTEND_LOW_I8X16_U = simd(0x89);
const I32X4_EXTEND_LOW_I16X8_U = simd(0xa9);
const I32X4_EXTEND_HIGH_I16X8_U = simd(0xaa);
const I32X4_ADD = simd(0xae);
const I32X4_MUL = simd(0xb5);
const V128_STORE = [...simd(0x0b), ...memarg(0, 0)];
const I8X16_SHUFFLE = (lanes: number[]): number[] => [...simd(0x0d), ...lanes];
const I16X8_SPLAT = simd(0x10);
const I8X16_NARROW_I16X8_U = simd(0x66);
const I16X8_NARROW_I32X4_U = simd(0x86);
const I16X8_EXTEND_HIGH_I8X16_U = simd(0x8a);
const I32X4_SHR_U = simd(0xad);
const I32X4_EXTMUL_LOW_I16X8_U = simd(0xbe);
const I32X4_EXTMUL_HIGH_I16X8_U = simd(0xbf);
const range = (from: number, n: number, step = 1): number[] =>
  Array.from({ length: n }, (_, i) => from + i * step);

/** Body of grey(src, n, out): 16 RGB pixels to 16 grey bytes per step (see the file comment). */
function greyBody(): number[] {
  const [SRC, N, OUT] = [0, 1, 2];
  const [STOP, A, B, C, R, G, BL, WR, WG, WB, RND] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13];
  // Channel c of pixels 0..15 sits at bytes 3p+c of A|B|C (48 bytes): the first shuffle takes those in
  // A|B (bytes < 32), the second keeps them and adds the rest from C (lanes 16+ of its second operand).
  const split = (c: number, out: number): number[] => {
    const inAB = Math.ceil((32 - c) / 3);
    const first = [...range(c, inAB, 3), ...new Array<number>(16 - inAB).fill(0)];
    const second = [...range(0, inAB), ...range(16 + (3 * inAB + c - 32), 16 - inAB, 3)];
    return [...get(A), ...get(B), ...I8X16_SHUFFLE(first), ...get(C), ...I8X16_SHUFFLE(second), ...set(out)];
  };
  // One quarter (4 pixels) of the weighted sum, rounded and shifted: lanes picked by ext (low/high 8
  // bytes) and mul (low/high 4 of those).
  const quarter = (ext: number[], mul: number[]): number[] => [
    ...get(R),
    ...ext,
    ...get(WR),
    ...mul,
    ...get(G),
    ...ext,
    ...get(WG),
    ...mul,
    ...I32X4_ADD,
    ...get(BL),
    ...ext,
    ...get(WB),
    ...mul,
    ...I32X4_ADD,
    ...get(RND),
    ...I32X4_ADD,
    ...i32(16),
    ...I32X4_SHR_U,
  ];
  const LO = I16X8_EXTEND_LOW_I8X16_U;
  const HI = I16X8_EXTEND_HIGH_I8X16_U;
  // biome-ignore format: one instruction group per line reads best
  const code = [
    ...i32(19595), ...I16X8_SPLAT, ...set(WR),
    ...i32(38470), ...I16X8_SPLAT, ...set(WG),
    ...i32(7471), ...I16X8_SPLAT, ...set(WB),
    ...i32(0x8000), ...I32X4_SPLAT, ...set(RND),
    ...get(OUT), ...get(N), I32_ADD, ...set(STOP),
    BLOCK, VOID, LOOP, VOID,
    ...get(OUT), ...get(STOP), I32_GE_U, BR_IF, 1,
    ...get(SRC), ...V128_LOAD(0), ...set(A),
    ...get(SRC), ...V128_LOAD(16), ...set(B),
    ...get(SRC), ...V128_LOAD(32), ...set(C),
    ...split(0, R), ...split(1, G), ...split(2, BL),
    ...get(OUT),
    ...quarter(LO, I32X4_EXTMUL_LOW_I16X8_U), ...quarter(LO, I32X4_EXTMUL_HIGH_I16X8_U), ...I16X8_NARROW_I32X4_U,
    ...quarter(HI, I32X4_EXTMUL_LOW_I16X8_U), ...quarter(HI, I32X4_EXTMUL_HIGH_I16X8_U), ...I16X8_NARROW_I32X4_U,
    ...I8X16_NARROW_I16X8_U, ...V128_STORE,
    ...get(SRC), ...i32(48), I32_ADD, ...set(SRC),
    ...get(OUT), ...i32(16), I32_ADD, ...set(OUT),
    BR, 0,
    END, END,
    END,
  ];
  return [
    ...vec([
      [1, T_I32],
      [10, T_V128],
    ]),
    ...code,
  ];
}

function kernelBytes(): Uint8Array {
  // Parameters 0-8, then locals.
  const [SRC, STRIDE, ROWS, OUTW, KSTRIDE, FIRST, COUNT, COEF, OUT] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [Y, X, I, N, P, K, ACC, V] = [9, 10, 11, 12, 13, 14, 15, 16];
  const word = (base: number): number[] => [...get(base), ...get(X), ...i32(2), I32_SHL, I32_ADD];
  // biome-ignore format: one instruction group per line reads best
  const code = [
    ...i32(0), ...set(Y),
    LOOP, VOID, // rows
    ...i32(0), ...set(X),
    LOOP, VOID, // output samples
    ...get(SRC), ...word(FIRST), I32_LOAD, ...memarg(2, 0), I32_ADD, ...set(P),
    ...word(COUNT), I32_LOAD, ...memarg(2, 0), ...set(N),
    ...get(COEF), ...get(X), ...get(KSTRIDE), I32_MUL, I32_ADD, ...set(K),
    ...i32(0), ...I32X4_SPLAT, ...set(ACC),
    ...i32(0), ...set(I),
    BLOCK, VOID, LOOP, VOID, // taps, 8 a step
    ...get(I), ...get(N), I32_GE_U, BR_IF, 1,
    ...get(P), ...V128_LOAD64_ZERO, ...I16X8_EXTEND_LOW_I8X16_U, ...tee(V),
    ...I32X4_EXTEND_LOW_I16X8_U, ...get(K), ...V128_LOAD(0), ...I32X4_MUL, ...get(ACC), ...I32X4_ADD,
    ...get(V), ...I32X4_EXTEND_HIGH_I16X8_U, ...get(K), ...V128_LOAD(16), ...I32X4_MUL, ...I32X4_ADD,
    ...set(ACC),
    ...get(P), ...i32(8), I32_ADD, ...set(P),
    ...get(K), ...i32(32), I32_ADD, ...set(K),
    ...get(I), ...i32(8), I32_ADD, ...set(I),
    BR, 0,
    END, END,
    ...get(OUT),
    ...get(ACC), ...I32X4_EXTRACT_LANE(0), ...get(ACC), ...I32X4_EXTRACT_LANE(1), I32_ADD,
    ...get(ACC), ...I32X4_EXTRACT_LANE(2), I32_ADD, ...get(ACC), ...I32X4_EXTRACT_LANE(3), I32_ADD,
    I32_STORE, ...memarg(2, 0),
    ...get(OUT), ...i32(4), I32_ADD, ...set(OUT),
    ...get(X), ...i32(1), I32_ADD, ...tee(X), ...get(OUTW), I32_LT_U, BR_IF, 0,
    END,
    ...get(SRC), ...get(STRIDE), I32_ADD, ...set(SRC),
    ...get(Y), ...i32(1), I32_ADD, ...tee(Y), ...get(ROWS), I32_LT_U, BR_IF, 0,
    END,
    END,
  ];
  const func = [
    ...vec([
      [6, T_I32],
      [2, T_V128],
    ]),
    ...code,
  ];
  return buildModule([
    { name: 'hpass', params: 9, body: func },
    { name: 'grey', params: 3, body: greyBody() },
  ]);
}

/** One exported function of a module: `params` i32 parameters, no result; `body` is locals + code. */
export interface WasmFunction {
  readonly name: string;
  readonly params: number;
  readonly body: readonly number[];
}

/** A WebAssembly module exporting one memory (`memory`, 1 page to start) and these functions. */
export function buildModule(funcs: readonly WasmFunction[]): Uint8Array {
  const params = (n: number): number[] => [0x60, ...vec(Array.from({ length: n }, () => [T_I32])), 0];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(funcs.map((f) => params(f.params)))),
    ...section(3, vec(funcs.map((_, i) => [i]))),
    ...section(5, vec([[0x00, 1]])),
    ...section(7, vec([[...name('memory'), 0x02, 0], ...funcs.map((f, i) => [...name(f.name), 0x00, i])])),
    ...section(10, vec(funcs.map((f) => [...uleb(f.body.length), ...f.body]))),
  ]);
}

type HPass = (
  src: number,
  stride: number,
  rows: number,
  outW: number,
  coefStride: number,
  first: number,
  count: number,
  coeffs: number,
  out: number,
) => void;

/** The part of the WebAssembly API used here (this project's type libraries do not declare it). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object) => { readonly exports: Record<string, unknown> };
}

type Grey = (src: number, n: number, out: number) => void;

interface Kernel {
  readonly memory: WasmMemory;
  readonly hpass: HPass;
  readonly grey: Grey;
}

/** Built on first use; null when this runtime has no WebAssembly SIMD. One per thread (module state). */
let kernel: Kernel | null | undefined;

function getKernel(): Kernel | null {
  if (kernel === undefined) {
    kernel = null;
    const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    if (wasm !== undefined) {
      try {
        const { exports } = new wasm.Instance(new wasm.Module(kernelBytes()));
        kernel = {
          memory: exports.memory as WasmMemory,
          hpass: exports.hpass as HPass,
          grey: exports.grey as Grey,
        };
      } catch {
        // No SIMD support (the module fails to compile): the scalar pass is used.
      }
    }
  }
  return kernel;
}

/** Grows the kernel's memory to at least `bytes`. */
function reserve(k: Kernel, bytes: number): void {
  const have = k.memory.buffer.byteLength;
  if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / PAGE));
}

/** Pillow's grey of `n` RGB pixels (`rgb`, 3n bytes) into `out`. Returns false without SIMD. */
export function greySimd(rgb: Uint8Array, n: number, out: Uint8Array): boolean {
  const k = getKernel();
  if (k === null) return false;
  const step = Math.floor(STRIP_BYTES / 3 / 16) * 16;
  const greyAt = 3 * step + 48; // the RGB strip, 48 bytes of slack for the last step's overread
  reserve(k, greyAt + step);
  const m8 = new Uint8Array(k.memory.buffer);
  for (let p0 = 0; p0 < n; p0 += step) {
    const len = Math.min(step, n - p0);
    m8.set(rgb.subarray(3 * p0, 3 * (p0 + len)), 0);
    k.grey(0, len, greyAt);
    out.set(m8.subarray(greyAt, greyAt + len), p0);
  }
  return true;
}

/**
 * Rows `rowFirst .. rowEnd-1` of the `width`-wide image `src`, each resampled with `taps`, into `out`
 * (`(rowEnd - rowFirst) * taps.outSize` bytes). `src` is grey (1 channel) or RGB (3), which is converted
 * to Pillow's grey on the way. Returns false, writing nothing, without SIMD.
 */
export function horizontalPassSimd(
  src: Uint8Array,
  width: number,
  rowFirst: number,
  rowEnd: number,
  taps: Taps,
  out: Uint8Array,
  channels: 1 | 3 = 1,
): boolean {
  const k = getKernel();
  if (k === null) return false;
  const { outSize, ksize, first, count, coeffs } = taps;
  const kpad = (ksize + 7) & ~7;
  const rowBytes = width * channels;
  const stripRows = Math.max(1, Math.min(rowEnd - rowFirst, Math.floor(STRIP_BYTES / rowBytes)));
  // Memory layout: coefficients (stride kpad), first, count (rounded up to 8), sums, grey strip + slack
  // (the pass reads up to 7 bytes past a row, the grey conversion writes up to 15), RGB strip + slack.
  const coefAt = 0;
  const firstAt = coefAt + outSize * kpad * 4;
  const countAt = firstAt + outSize * 4;
  const sumsAt = countAt + outSize * 4;
  const srcAt = sumsAt + stripRows * outSize * 4;
  const rgbAt = srcAt + stripRows * width + 16;
  const needed = channels === 3 ? rgbAt + stripRows * rowBytes + 48 : rgbAt;
  reserve(k, needed);
  const m32 = new Int32Array(k.memory.buffer);
  const m8 = new Uint8Array(k.memory.buffer);
  for (let x = 0; x < outSize; x++) {
    const row = coeffs.subarray(x * ksize, (x + 1) * ksize);
    m32.set(row, coefAt / 4 + x * kpad);
    m32.fill(0, coefAt / 4 + x * kpad + ksize, coefAt / 4 + (x + 1) * kpad);
    m32[firstAt / 4 + x] = first[x]!;
    m32[countAt / 4 + x] = (count[x]! + 7) & ~7;
  }
  m8.fill(0, srcAt + stripRows * width, rgbAt);
  for (let y0 = rowFirst; y0 < rowEnd; y0 += stripRows) {
    const rows = Math.min(stripRows, rowEnd - y0);
    if (channels === 3) {
      m8.set(src.subarray(y0 * rowBytes, (y0 + rows) * rowBytes), rgbAt);
      k.grey(rgbAt, rows * width, srcAt);
    } else {
      m8.set(src.subarray(y0 * width, (y0 + rows) * width), srcAt);
    }
    k.hpass(srcAt, width, rows, outSize, kpad * 4, firstAt, countAt, coefAt, sumsAt);
    const outBase = (y0 - rowFirst) * outSize;
    const sums = sumsAt / 4;
    for (let i = 0; i < rows * outSize; i++) out[outBase + i] = clip8((m32[sums + i]! + HALF) | 0);
  }
  return true;
}

/** True when the SIMD kernel compiled here (Node 20 always has WebAssembly SIMD; a test pins it). */
export function pillowSimdAvailable(): boolean {
  return getKernel() !== null;
}

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
 */
import { clip8, HALF, type Taps } from './pillow-taps.js';

/** Source bytes copied into the kernel's memory per call; keeps its memory small for huge images. */
const STRIP_BYTES = 1 << 22;
const PAGE = 65536;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
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
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec([[0x60, ...vec(Array.from({ length: 9 }, () => [T_I32])), 0]])),
    ...section(3, vec([[0]])),
    ...section(5, vec([[0x00, 1]])),
    ...section(
      7,
      vec([
        [...name('memory'), 0x02, 0],
        [...name('hpass'), 0x00, 0],
      ]),
    ),
    ...section(10, vec([[...uleb(func.length), ...func]])),
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

interface Kernel {
  readonly memory: WasmMemory;
  readonly hpass: HPass;
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
        kernel = { memory: exports.memory as WasmMemory, hpass: exports.hpass as HPass };
      } catch {
        // No SIMD support (the module fails to compile): the scalar pass is used.
      }
    }
  }
  return kernel;
}

/**
 * Rows `rowFirst .. rowEnd-1` of the `width`-wide grey image `src`, each resampled with `taps`, into
 * `out` (`(rowEnd - rowFirst) * taps.outSize` bytes). Returns false, writing nothing, without SIMD.
 */
export function horizontalPassSimd(
  src: Uint8Array,
  width: number,
  rowFirst: number,
  rowEnd: number,
  taps: Taps,
  out: Uint8Array,
): boolean {
  const k = getKernel();
  if (k === null) return false;
  const { outSize, ksize, first, count, coeffs } = taps;
  const kpad = (ksize + 7) & ~7;
  const stripRows = Math.max(1, Math.min(rowEnd - rowFirst, Math.floor(STRIP_BYTES / width)));
  // Memory layout: coefficients (stride kpad), first, count (rounded up to 8), sums, source strip + slack.
  const coefAt = 0;
  const firstAt = coefAt + outSize * kpad * 4;
  const countAt = firstAt + outSize * 4;
  const sumsAt = countAt + outSize * 4;
  const srcAt = sumsAt + stripRows * outSize * 4;
  const needed = srcAt + stripRows * width + 16;
  const have = k.memory.buffer.byteLength;
  if (needed > have) k.memory.grow(Math.ceil((needed - have) / PAGE));
  const m32 = new Int32Array(k.memory.buffer);
  const m8 = new Uint8Array(k.memory.buffer);
  for (let x = 0; x < outSize; x++) {
    const row = coeffs.subarray(x * ksize, (x + 1) * ksize);
    m32.set(row, coefAt / 4 + x * kpad);
    m32.fill(0, coefAt / 4 + x * kpad + ksize, coefAt / 4 + (x + 1) * kpad);
    m32[firstAt / 4 + x] = first[x]!;
    m32[countAt / 4 + x] = (count[x]! + 7) & ~7;
  }
  m8.fill(0, srcAt + stripRows * width, needed);
  for (let y0 = rowFirst; y0 < rowEnd; y0 += stripRows) {
    const rows = Math.min(stripRows, rowEnd - y0);
    m8.set(src.subarray(y0 * width, (y0 + rows) * width), srcAt);
    k.hpass(srcAt, width, rows, outSize, kpad * 4, firstAt, countAt, coefAt, sumsAt);
    const outBase = (y0 - rowFirst) * outSize;
    const sums = sumsAt / 4;
    for (let i = 0; i < rows * outSize; i++) out[outBase + i] = clip8((m32[sums + i]! + HALF) | 0);
  }
  return true;
}

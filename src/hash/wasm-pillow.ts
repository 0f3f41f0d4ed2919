/**
 * The pHash kernels' WebAssembly code (see pillow-resample-simd.ts for how they are used). Pointers are
 * byte offsets into the module's memory.
 *
 * - `grey(src, n, out)`: out[p] = (R·19595 + G·38470 + B·7471 + 0x8000) >> 16 for p < n rounded up to 16.
 *   Two i16 dot products per 4 pixels: (R, G)·(19595, 19235) + (G, B)·(19235, 7471).
 * - `hpass(src, stride, rows, outW, first, iters, coeffs, coefStride, out, outLane, outRowStep)`: for each
 *   row y and output x, Σ src[row + first[x] + i] · coeff[x][i] over 16·iters[x] taps (zero-padded), plus
 *   half an LSB, shifted down by 22 and clipped to a byte at `out + y·outRowStep + x·outLane`. Each
 *   22-bit coefficient is split as hi·2^11 + lo (lo in 0..2047), so i16 dot products (two per 8 taps)
 *   give Σ p·hi and Σ p·lo; two rows run side by side, sharing the coefficient loads. Reads up to 15
 *   bytes past a row's last tap.
 */
import { PRECISION_BITS } from './pillow-taps.js';
import { buildModule, bump, locals, op, repeat, T_I32, T_V128 } from './wasm.js';

/** Bits of a coefficient's low part. */
export const LO_BITS = 11;
/** Taps per iteration of hpass (coefficients are zero-padded to a multiple). */
export const TAPS_PER_ITER = 16;

const { get, set } = op;
const splatI32 = (n: number): number[] => [...op.i32(n), ...op.i32x4Splat];

/** Body of grey(src, n, out): 16 RGB pixels to 16 grey bytes per step (see the file comment). */
function greyBody(): number[] {
  const [SRC, N, OUT] = [0, 1, 2];
  const STOP = 3;
  const [WRG, WGB, RND, V] = [4, 5, 6, 7];
  const Q = [8, 9, 10, 11];
  // Pixels 4q..4q+3 (bytes 12q..12q+11): i16 lanes (R, G) and (G, B) of each, dotted with the weights.
  const quad = (q: number): number[] => {
    const pick = (c: number): number[] => [0, 1, 2, 3].flatMap((i) => [3 * i + c, 0x80, 3 * i + c + 1, 0x80]);
    // biome-ignore format: one instruction group per line reads best
    return [
      ...get(SRC), ...op.v128Load(12 * q), ...set(V),
      ...get(V), ...op.swizzleConst(pick(0)), ...get(WRG), ...op.i32x4DotI16x8S,
      ...get(V), ...op.swizzleConst(pick(1)), ...get(WGB), ...op.i32x4DotI16x8S,
      ...op.i32x4Add, ...get(RND), ...op.i32x4Add, ...op.i32(16), ...op.i32x4ShrU, ...set(Q[q]!),
    ];
  };
  // biome-ignore format: one instruction group per line reads best
  const code = [
    ...splatI32((19235 << 16) | 19595), ...set(WRG),
    ...splatI32((7471 << 16) | 19235), ...set(WGB),
    ...splatI32(0x8000), ...set(RND),
    ...get(OUT), ...get(N), ...op.i32Add, ...set(STOP),
    ...op.block, ...op.loop,
    ...get(OUT), ...get(STOP), ...op.i32GeU, ...op.brIf(1),
    ...quad(0), ...quad(1), ...quad(2), ...quad(3),
    ...get(OUT),
    ...get(Q[0]!), ...get(Q[1]!), ...op.i16x8NarrowI32x4U, ...get(Q[2]!), ...get(Q[3]!), ...op.i16x8NarrowI32x4U,
    ...op.i8x16NarrowI16x8U, ...op.v128Store(0),
    ...bump(SRC, op.i32(48)), ...bump(OUT, op.i32(16)),
    ...op.br(0),
    ...op.end, ...op.end,
    ...op.end,
  ];
  return [
    ...locals([
      [1, T_I32],
      [8, T_V128],
    ]),
    ...code,
  ];
}

/** Body of hpass (see the file comment): two rows at a time, sharing the coefficient loads. */
function hpassBody(): number[] {
  const [SRC, STRIDE, ROWS, OUTW, FIRST, ITERS, COEFFS, COEF_STRIDE, OUT, OUT_LANE, OUT_ROW_STEP] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
  ];
  const [Y, X, I, P, K, O, ROW_OUT, S, D, DO] = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20];
  // Accumulators Σ p·hi and Σ p·lo of the two rows; the 16 pixels of each, widened; the coefficients.
  const [H0, L0, H1, L1, A0, B0, A1, B1, KH0, KL0, KH1, KL1] = [
    21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
  ];
  const word = (base: number): number[] => [
    ...get(base),
    ...get(X),
    ...op.i32(2),
    ...op.i32Shl,
    ...op.i32Add,
  ];
  const dot = (px: number, k: number): number[] => [...get(px), ...get(k), ...op.i32x4DotI16x8S];
  const acc = (a: number, lo: number, hi: number, k0: number, k1: number): number[] => [
    ...get(a),
    ...dot(lo, k0),
    ...op.i32x4Add,
    ...dot(hi, k1),
    ...op.i32x4Add,
    ...set(a),
  ];
  // The output byte of one row: Σ lanes of (hi << 11) + lo, + half an LSB, >> 22, clipped to 0..255.
  const lane = (l: number): number[] => [...get(A0), ...op.i32x4ExtractLane(l)];
  const finish = (hi: number, lo: number, at: number[]): number[] => [
    ...get(hi),
    ...op.i32(LO_BITS),
    ...op.i32x4Shl,
    ...get(lo),
    ...op.i32x4Add,
    ...set(A0),
    ...lane(0),
    ...lane(1),
    ...op.i32Add,
    ...lane(2),
    ...op.i32Add,
    ...lane(3),
    ...op.i32Add,
    ...op.i32(1 << (PRECISION_BITS - 1)),
    ...op.i32Add,
    ...op.i32(PRECISION_BITS),
    ...op.i32ShrS,
    ...set(S),
    ...op.i32(0),
    ...get(S),
    ...get(S),
    ...op.i32(0),
    ...op.i32LtS,
    ...op.select,
    ...set(S),
    ...op.i32(255),
    ...get(S),
    ...get(S),
    ...op.i32(255),
    ...op.i32GtS,
    ...op.select,
    ...set(S),
    ...at,
    ...get(S),
    ...op.i32Store8(0),
  ];
  const hasSecond = [...get(Y), ...op.i32(1), ...op.i32Add, ...get(ROWS), ...op.i32LtU];
  // biome-ignore format: one instruction group per line reads best
  const code = [
    ...get(OUT), ...set(ROW_OUT),
    ...op.i32(0), ...set(Y),
    ...op.block, ...op.loop, // pairs of rows; an odd last row is paired with itself (D = DO = 0)
    ...get(Y), ...get(ROWS), ...op.i32GeU, ...op.brIf(1),
    ...get(STRIDE), ...op.i32(0), ...hasSecond, ...op.select, ...set(D),
    ...get(OUT_ROW_STEP), ...op.i32(0), ...hasSecond, ...op.select, ...set(DO),
    ...get(ROW_OUT), ...set(O),
    ...op.i32(0), ...set(X),
    ...op.block, ...op.loop, // output samples
    ...get(X), ...get(OUTW), ...op.i32GeU, ...op.brIf(1),
    ...get(SRC), ...word(FIRST), ...op.i32Load(0), ...op.i32Add, ...set(P),
    ...get(COEFFS), ...get(X), ...get(COEF_STRIDE), ...op.i32Mul, ...op.i32Add, ...set(K),
    ...splatI32(0), ...set(H0), ...splatI32(0), ...set(L0), ...splatI32(0), ...set(H1), ...splatI32(0), ...set(L1),
    ...repeat([...word(ITERS), ...op.i32Load(0)], I, [
      ...get(P), ...op.v128Load(0), ...op.tee(B0), ...op.i16x8ExtendLowI8x16U, ...set(A0),
      ...get(B0), ...op.i16x8ExtendHighI8x16U, ...set(B0),
      ...get(P), ...get(D), ...op.i32Add, ...op.v128Load(0), ...op.tee(B1), ...op.i16x8ExtendLowI8x16U, ...set(A1),
      ...get(B1), ...op.i16x8ExtendHighI8x16U, ...set(B1),
      ...get(K), ...op.v128Load(0), ...set(KH0), ...get(K), ...op.v128Load(16), ...set(KL0),
      ...get(K), ...op.v128Load(32), ...set(KH1), ...get(K), ...op.v128Load(48), ...set(KL1),
      ...acc(H0, A0, B0, KH0, KH1), ...acc(L0, A0, B0, KL0, KL1),
      ...acc(H1, A1, B1, KH0, KH1), ...acc(L1, A1, B1, KL0, KL1),
      ...bump(P, op.i32(16)), ...bump(K, op.i32(64)),
    ]),
    ...finish(H1, L1, [...get(O), ...get(DO), ...op.i32Add]),
    ...finish(H0, L0, get(O)),
    ...bump(O, get(OUT_LANE)),
    ...bump(X, op.i32(1)),
    ...op.br(0),
    ...op.end, ...op.end,
    ...bump(SRC, get(STRIDE)), ...bump(SRC, get(STRIDE)),
    ...bump(ROW_OUT, get(OUT_ROW_STEP)), ...bump(ROW_OUT, get(OUT_ROW_STEP)),
    ...bump(Y, op.i32(2)),
    ...op.br(0),
    ...op.end, ...op.end,
    ...op.end,
  ];
  return [
    ...locals([
      [10, T_I32],
      [12, T_V128],
    ]),
    ...code,
  ];
}

/** The pHash kernel module. */
export function pillowKernelBytes(): Uint8Array {
  return buildModule([
    { name: 'hpass', params: 11, body: hpassBody() },
    { name: 'grey', params: 3, body: greyBody() },
  ]);
}

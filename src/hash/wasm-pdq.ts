/**
 * The PDQ kernels' WebAssembly code (see pdq-simd.ts for how they are used). All pointers and strides
 * are byte offsets into the module's memory.
 *
 * - `pass(inp, out, inStep, outStep, outBlockStride, 0, n, lead, grow, full)`: the reference's box
 *   filter (box4 in pdq-blur.ts) on 16 lanes at once. Block b (of n) reads the 16 adjacent floats at
 *   `inp + 64b + k·inStep` for step k and writes the means at `out + b·outBlockStride + k·outStep`.
 * - `passT(inp, out, inStep, _, outBlockStride, outLane, n, lead, grow, full, scratch, blocks)`: the
 *   same filter, written transposed: lane i of block b, step k goes to `out + b·outBlockStride +
 *   i·outLane + 4k`, for k < 4·blocks (the steps past the line's length are copied from `scratch`, which
 *   the caller zeroes there).
 * - `lumaRgb(src, rowBytes, groups, quads, out, outLane)`: float32 luma of 4·groups RGB rows, pixel x of
 *   row y to `out + 4y + x·outLane` (transposed), for x < 4·quads. Reads up to 13 bytes past a row.
 * - `lumaGather1/3(src, rowBytes, groups, quads, out, outLane, xoff)`: the same from grey / RGB rows,
 *   pixel x read at byte `xoff[x]` of its row (the reference's nearest-neighbour squash, or the
 *   identity). Reads up to 3 bytes past a row.
 * - `passPick(inp, out, inStep, _, outBlockStride, outLane, n, lead, grow, full, scratch, _, pstep, pcnt)`:
 *   passT's filter, copying out only the 64 steps at scratch byte offsets pstep[j] (their means: the
 *   sums divided by the counts pcnt[j]), lane i of block b to `out + b·outBlockStride + i·outLane + 4j`.
 * - `colAdd / colAddW / colAddSubW / colSubW(s, a, b, out, blocks, count)`: one step of the column
 *   pass over whole rows, with the running sums `s` in memory (see colstepBody).
 * - `tblock(src, rowStride, quads, dst)`: 16 rows transposed into 64-byte lines.
 * - `dct(in64, d, dT, tmp, out16)`: the 16×16 DCT of the 64×64 plane, dct64To16's sums in its order.
 * - `quality(in64, out)`: pdqQualityFrom64's sum (before the division by 90), as an i32 at `out`.
 */
import { buildModule, bump, locals, op, repeat, T_I32, T_V128 } from './wasm.js';
import { colstepBody, PASS_PARAMS, passBody, tblockBody, transpose4 } from './wasm-pdq-pass.js';

export { PASS_LANES } from './wasm-pdq-pass.js';

const { get, set } = op;

const f32 = Math.fround;
/** The reference's luma weights, as float32. */
const WEIGHTS = [f32(0.299), f32(0.587), f32(0.114)] as const;

/**
 * Luma of 4 pixels: with `gather`, lanes of the i32x4 in `v` hold pixel bytes (R at bits 0-7, G 8-15,
 * B 16-23); without, `v` holds 16 bytes of RGB and pixel i starts at byte 3i. Leaves the f32x4 luma.
 */
function lumaOf(v: number, mask: number, w: readonly number[], gather: boolean): number[] {
  const channel = (c: number): number[] =>
    gather
      ? [...get(v), ...(c > 0 ? [...op.i32(8 * c), ...op.i32x4ShrU] : []), ...get(mask), ...op.v128And]
      : [...get(v), ...op.swizzleConst([0, 1, 2, 3].flatMap((i) => [3 * i + c, 0x80, 0x80, 0x80]))];
  const term = (c: number): number[] => [
    ...channel(c),
    ...op.f32x4ConvertI32x4S,
    ...get(w[c]!),
    ...op.f32x4Mul,
  ];
  // (R·wr + G·wg) + B·wb, each product and sum rounded to float32, as the reference.
  return [...term(0), ...term(1), ...op.f32x4Add, ...term(2), ...op.f32x4Add];
}

/**
 * lumaRgb, or lumaGather with 1 or 3 channels: 4 rows at a time, 4 pixels of each a step; the 4×4
 * block is transposed in registers, so each store writes 4 rows of one output line.
 */
function lumaBody(mode: 'rgb' | 'gather1' | 'gather3'): number[] {
  const [SRC, ROW_BYTES, GROUPS, QUADS, OUT, OUT_LANE, XOFF] = [0, 1, 2, 3, 4, 5, 6];
  const [Y, X, P, O, T, A] = [7, 8, 9, 10, 11, 12];
  const OL = [0, 13, 14, 15, 16]; // OL[i] = i · outLane
  const RB = [0, 17, 18, 19]; // RB[j] = j · rowBytes
  const [IN, MASK, WR, WG, WB] = [20, 21, 22, 23, 24];
  const V = [25, 26, 27, 28];
  const TMP = [29, 30, 31, 32];
  const gather = mode !== 'rgb';
  const rowPtr = (j: number): number[] => [...get(P), ...(j > 0 ? [...get(RB[j]!), ...op.i32Add] : [])];
  const load = (j: number): number[] => {
    if (!gather) return [...rowPtr(j), ...op.v128Load(0), ...set(IN)];
    // Lane i: the 4 bytes at row + xoff[x + i] (the pixel and what follows it).
    const out = [...rowPtr(j), ...set(A)];
    for (let i = 0; i < 4; i++) {
      out.push(...get(A), ...get(T), ...op.i32Load(4 * i), ...op.i32Add);
      out.push(...(i === 0 ? op.v128Load32Zero(0) : [...get(IN), ...op.v128Load32Lane(i)]), ...set(IN));
    }
    return out;
  };
  const luma =
    mode === 'gather1'
      ? [...get(IN), ...get(MASK), ...op.v128And, ...op.f32x4ConvertI32x4S]
      : lumaOf(IN, MASK, [WR, WG, WB], gather);
  const store = [0, 1, 2, 3].flatMap((i) => [
    ...get(O),
    ...(i > 0 ? [...get(OL[i]!), ...op.i32Add] : []),
    ...get(V[i]!),
    ...op.v128Store(0),
  ]);
  // biome-ignore format: one instruction group per line reads best
  const code = [
    ...OL.slice(1).flatMap((l, i) => [...get(OUT_LANE), ...op.i32(i + 1), ...op.i32Mul, ...set(l)]),
    ...RB.slice(1).flatMap((l, i) => [...get(ROW_BYTES), ...op.i32(i + 1), ...op.i32Mul, ...set(l)]),
    ...op.i32(255), ...op.i32x4Splat, ...set(MASK),
    ...WEIGHTS.flatMap((w, i) => [...op.f32(w), ...op.f32x4Splat, ...set([WR, WG, WB][i]!)]),
    ...repeat(get(GROUPS), Y, [
      ...get(SRC), ...set(P), ...get(OUT), ...set(O), ...get(XOFF), ...set(T),
      ...repeat(get(QUADS), X, [
        ...[0, 1, 2, 3].flatMap((j) => [...load(j), ...luma, ...set(V[j]!)]),
        ...transpose4(V, TMP),
        ...store,
        ...(gather ? bump(T, op.i32(16)) : bump(P, op.i32(12))),
        ...bump(O, get(OL[4]!)),
      ]),
      ...bump(SRC, get(RB[3]!)), ...bump(SRC, get(ROW_BYTES)), ...bump(OUT, op.i32(16)),
    ]),
    ...op.end,
  ];
  return [
    ...locals([
      [13, T_I32],
      [13, T_V128],
    ]),
    ...code,
  ];
}

/** dct64To16: T = D·A (lanes: 4 columns of A), then B = T·Dᵀ (lanes: 4 columns of Dᵀ, i.e. rows of D). */
function dctBody(): number[] {
  const [IN, D, DT, TMP, OUT] = [0, 1, 2, 3, 4];
  const [U, J, K, PA, PB, W] = [5, 6, 7, 8, 9, 10];
  const ACC = 11;
  // ACC = Σ_k splat(*PA) · *PB in k order, PA += aStep, PB += bStep, 64 terms; then stored at W.
  const dot = (aStep: number, bStep: number): number[] => [
    ...op.i32(0),
    ...op.i32x4Splat,
    ...set(ACC),
    ...repeat(op.i32(64), K, [
      ...get(ACC),
      ...get(PA),
      ...op.v128Load32Splat(0),
      ...get(PB),
      ...op.v128Load(0),
      ...op.f32x4Mul,
      ...op.f32x4Add,
      ...set(ACC),
      ...bump(PA, op.i32(aStep)),
      ...bump(PB, op.i32(bStep)),
    ]),
    ...get(W),
    ...get(ACC),
    ...op.v128Store(0),
    ...bump(W, op.i32(16)),
  ];
  // biome-ignore format: one instruction group per line reads best
  const code = [
    // Stage 1: T[u][j..j+3] = Σ_k D[u][k] · A[k][j..j+3]; W walks T row by row.
    ...get(TMP), ...set(W),
    ...repeat(op.i32(16), U, [
      ...repeat(op.i32(16), J, [
        // PA = D + (16 − U)·256 (U counts down), PB = IN + (16 − J)·16.
        ...get(D), ...op.i32(16), ...get(U), ...op.i32Sub, ...op.i32(256), ...op.i32Mul, ...op.i32Add, ...set(PA),
        ...get(IN), ...op.i32(16), ...get(J), ...op.i32Sub, ...op.i32(16), ...op.i32Mul, ...op.i32Add, ...set(PB),
        ...dot(4, 256),
      ]),
    ]),
    // Stage 2: B[u][v..v+3] = Σ_k T[u][k] · Dᵀ[k][v..v+3]; W walks the output.
    ...get(OUT), ...set(W),
    ...repeat(op.i32(16), U, [
      ...repeat(op.i32(4), J, [
        ...get(TMP), ...op.i32(16), ...get(U), ...op.i32Sub, ...op.i32(256), ...op.i32Mul, ...op.i32Add, ...set(PA),
        ...get(DT), ...op.i32(4), ...get(J), ...op.i32Sub, ...op.i32(16), ...op.i32Mul, ...op.i32Add, ...set(PB),
        ...dot(4, 64),
      ]),
    ]),
    ...op.end,
  ];
  return [
    ...locals([
      [6, T_I32],
      [1, T_V128],
    ]),
    ...code,
  ];
}

/**
 * quality(in64, out): the reference's quality sum, Σ |trunc(((a − b)·100) / 255)| over vertical and
 * horizontal neighbours (float32 steps, integer sum), stored as an i32 at `out`.
 */
function qualityBody(): number[] {
  const [IN, OUT] = [0, 1];
  const [P, R, C] = [2, 3, 4];
  const [ACC, HUNDRED, D255, LAST3] = [5, 6, 7, 8];
  // ACC += |trunc(((*a − *b)·100) / 255)|, lanes masked by `mask` when given.
  const term = (a: number[], b: number[], mask: number[] = []): number[] => [
    ...get(ACC),
    ...a,
    ...b,
    ...op.f32x4Sub,
    ...get(HUNDRED),
    ...op.f32x4Mul,
    ...get(D255),
    ...op.f32x4Div,
    ...op.i32x4TruncSatF32x4S,
    ...op.i32x4Abs,
    ...mask,
    ...op.i32x4Add,
    ...set(ACC),
  ];
  const at = (offset: number): number[] => [...get(P), ...op.v128Load(offset)];
  // biome-ignore format: one instruction group per line reads best
  const code = [
    ...op.f32(100), ...op.f32x4Splat, ...set(HUNDRED),
    ...op.f32(255), ...op.f32x4Splat, ...set(D255),
    ...op.v128Const([...new Array<number>(12).fill(0xff), 0, 0, 0, 0]), ...set(LAST3),
    ...op.i32(0), ...op.i32x4Splat, ...set(ACC),
    // Vertical neighbours: rows i and i + 1 for i < 63, 4 columns a step.
    ...get(IN), ...set(P),
    ...repeat(op.i32(63 * 16), C, [...term(at(0), at(256)), ...bump(P, op.i32(16))]),
    // Horizontal neighbours: columns j and j + 1 for j < 63; the last step of a row drops j = 63.
    ...get(IN), ...set(P),
    ...repeat(op.i32(64), R, [
      ...repeat(op.i32(15), C, [...term(at(0), at(4)), ...bump(P, op.i32(16))]),
      ...term(at(0), at(4), [...get(LAST3), ...op.v128And]), ...bump(P, op.i32(16)),
    ]),
    ...get(OUT),
    ...get(ACC), ...op.i32x4ExtractLane(0), ...get(ACC), ...op.i32x4ExtractLane(1), ...op.i32Add,
    ...get(ACC), ...op.i32x4ExtractLane(2), ...op.i32Add, ...get(ACC), ...op.i32x4ExtractLane(3), ...op.i32Add,
    ...op.i32Store(0),
    ...op.end,
  ];
  return [
    ...locals([
      [3, T_I32],
      [4, T_V128],
    ]),
    ...code,
  ];
}

/** The PDQ kernel module. */
export function pdqKernelBytes(): Uint8Array {
  return buildModule([
    { name: 'pass', params: PASS_PARAMS, body: passBody('pass') },
    { name: 'passT', params: PASS_PARAMS, body: passBody('passT') },
    { name: 'passPick', params: PASS_PARAMS, body: passBody('passPick') },
    { name: 'lumaRgb', params: 7, body: lumaBody('rgb') },
    { name: 'lumaGather1', params: 7, body: lumaBody('gather1') },
    { name: 'lumaGather3', params: 7, body: lumaBody('gather3') },
    { name: 'colAdd', params: 6, body: colstepBody(true, false, false) },
    { name: 'colAddW', params: 6, body: colstepBody(true, false, true) },
    { name: 'colAddSubW', params: 6, body: colstepBody(true, true, true) },
    { name: 'colSubW', params: 6, body: colstepBody(false, true, true) },
    { name: 'tblock', params: 4, body: tblockBody() },
    { name: 'dct', params: 5, body: dctBody() },
    { name: 'quality', params: 2, body: qualityBody() },
  ]);
}

/**
 * PDQ's box-filter kernels in WebAssembly (see wasm-pdq.ts for the module and its functions): the
 * passes over 16 lines side by side, the column pass one row at a time, and a 16-row transpose.
 */
import { bump, locals, op, repeat, T_I32, T_V128 } from './wasm.js';

const { get, set } = op;
/** Side of PDQ's downsampled plane. */
const SIDE = 64;

/** i8x16.shuffle lanes picking 32-bit lanes (0-3 of the first operand, 4-7 of the second). */
const lanes32 = (idx: readonly number[]): number[] =>
  idx.flatMap((l) => [4 * l, 4 * l + 1, 4 * l + 2, 4 * l + 3]);

/**
 * Transposes the 4×4 block in locals `v` (v[j] lane i → w[i] lane j), leaving w[0..3] in `v` again,
 * with `t` as temporaries. Eight shuffles.
 */
export function transpose4(v: readonly number[], t: readonly number[]): number[] {
  const shuf = (a: number, b: number, idx: number[], to: number): number[] => [
    ...get(a),
    ...get(b),
    ...op.i8x16Shuffle(lanes32(idx)),
    ...set(to),
  ];
  const [v0, v1, v2, v3] = v as [number, number, number, number];
  const [t0, t1, t2, t3] = t as [number, number, number, number];
  return [
    ...shuf(v0, v1, [0, 4, 1, 5], t0),
    ...shuf(v0, v1, [2, 6, 3, 7], t1),
    ...shuf(v2, v3, [0, 4, 1, 5], t2),
    ...shuf(v2, v3, [2, 6, 3, 7], t3),
    ...shuf(t0, t2, [0, 1, 4, 5], v0),
    ...shuf(t0, t2, [2, 3, 6, 7], v1),
    ...shuf(t1, t3, [0, 1, 4, 5], v2),
    ...shuf(t1, t3, [2, 3, 6, 7], v3),
  ];
}

/** Lanes a pass filters side by side: four 4-lane groups, so each step reads one 64-byte cache line. */
export const PASS_LANES = 16;
const GROUPS = PASS_LANES / 4;

/** Parameters of every pass function (each ignores the ones its mode does not use). */
export const PASS_PARAMS = 14;

/**
 * The box filter on 16 lanes at a time, in one of three modes:
 * - `pass` writes each step's 16 means where it read them;
 * - `passT` writes them contiguously to `scratch` (one block of lines at a time, so it stays in L1) and
 *   then copies them out transposed, 4×4 blocks at a time: `blocks` blocks of 4 steps, lane i of the
 *   block to `out + b·outBlockStride + i·outLane`;
 * - `passPick` stores the running sums undivided in `scratch`, and copies out only the 64 steps at byte
 *   offsets `pstep[j]` of the scratch, each divided by its count `pcnt[j]` (f32), transposed like passT.
 */
export function passBody(mode: 'pass' | 'passT' | 'passPick'): number[] {
  const [INP, OUT, IN_STEP, OUT_STEP, OUT_BLOCK, OUT_LANE, BLOCKS16, LEAD, GROW, FULL, SCRATCH, BLOCKS] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
  ];
  const [PSTEP, PCNT] = [12, 13];
  const [PC, R, L, O, K, CNT] = [14, 15, 16, 17, 18, 19];
  const firstOL = 20;
  const OL = [0, ...Array.from({ length: PASS_LANES - 1 }, (_, i) => firstOL + i)]; // OL[i] = i · outLane
  const [PS, PN] = [firstOL + PASS_LANES - 1, firstOL + PASS_LANES];
  const firstV = PN + 1;
  const S = Array.from({ length: GROUPS }, (_, g) => firstV + g);
  const DIV = firstV + GROUPS;
  const V = [DIV + 1, DIV + 2, DIV + 3, DIV + 4];
  const T = [DIV + 5, DIV + 6, DIV + 7, DIV + 8];
  const each = (f: (s: number, offset: number) => number[]): number[] => S.flatMap((s, g) => f(s, 16 * g));
  const load = (p: number, offset: number): number[] => [...get(p), ...op.v128Load(offset)];
  const add = (p: number): number[] => each((s, o) => [...get(s), ...load(p, o), ...op.f32x4Add, ...set(s)]);
  const addSub = each((s, o) => [
    ...get(s),
    ...load(R, o),
    ...op.f32x4Add,
    ...load(L, o),
    ...op.f32x4Sub,
    ...set(s),
  ]);
  const sub = each((s, o) => [...get(s), ...load(L, o), ...op.f32x4Sub, ...set(s)]);
  const pick = mode === 'passPick';
  const count = (d: number): number[] => [
    ...bump(CNT, op.i32(d)),
    ...(pick ? [] : [...get(CNT), ...op.f32ConvertI32S, ...op.f32x4Splat, ...set(DIV)]),
  ];
  // The running means S / count of the groups (or the sums, for passPick), stored at O, O + 16, ….
  // (Straight from the stack: fewer live vectors keep V8 from spilling them.)
  const write = pick
    ? S.flatMap((q, g) => [...get(O), ...get(q), ...op.v128Store(16 * g)])
    : S.flatMap((s, g) => [...get(O), ...get(s), ...get(DIV), ...op.f32x4Div, ...op.v128Store(16 * g)]);
  const step = (p: number, by: number): number[] => bump(p, get(by));
  // Copy-out of 4 steps (one block) of group g, transposed, to L + lane · outLane. passT reads them at
  // R + 64·j; passPick at scratch + pstep[j] (PS walks pstep), divided by pcnt[j] (PN walks pcnt).
  const loadStep = (j: number, g: number): number[] =>
    pick
      ? [
          ...get(SCRATCH),
          ...get(PS),
          ...op.i32Load(4 * j),
          ...op.i32Add,
          ...op.v128Load(16 * g),
          ...get(PN),
          ...op.v128Load32Splat(4 * j),
          ...op.f32x4Div,
        ]
      : load(R, 4 * PASS_LANES * j + 16 * g);
  const group = (g: number): number[] => [
    ...[0, 1, 2, 3].flatMap((j) => [...loadStep(j, g), ...set(V[j]!)]),
    ...transpose4(V, T),
    ...[0, 1, 2, 3].flatMap((i) => [
      ...get(L),
      ...(4 * g + i > 0 ? [...get(OL[4 * g + i]!), ...op.i32Add] : []),
      ...get(V[i]!),
      ...op.v128Store(0),
    ]),
  ];
  const groups = Array.from({ length: GROUPS }, (_, g) => group(g)).flat();
  // biome-ignore format: one instruction group per line reads best
  const copyOut =
    mode === 'pass'
      ? []
      : [
          ...get(SCRATCH), ...set(R), ...get(OUT), ...set(L), ...get(PSTEP), ...set(PS), ...get(PCNT), ...set(PN),
          ...repeat(pick ? op.i32(SIDE / 4) : get(BLOCKS), K, [
            ...groups,
            ...bump(R, op.i32(16 * PASS_LANES)), ...bump(PS, op.i32(16)), ...bump(PN, op.i32(16)),
            ...bump(L, op.i32(16)),
          ]),
        ];
  const zero = S.flatMap((s) => [...op.i32(0), ...op.i32x4Splat, ...set(s)]);
  // biome-ignore format: one instruction group per line reads best
  const code = [
    ...OL.slice(1).flatMap((l, i) => [...get(OUT_LANE), ...op.i32(i + 1), ...op.i32Mul, ...set(l)]),
    ...(mode === 'pass' ? [] : [...op.i32(4 * PASS_LANES), ...set(OUT_STEP)]),
    ...repeat(get(BLOCKS16), PC, [
      ...get(INP), ...set(R), ...get(INP), ...set(L), ...get(mode === 'pass' ? OUT : SCRATCH), ...set(O),
      ...op.i32(0), ...set(CNT), ...zero,
      ...repeat(get(LEAD), K, [...bump(CNT, op.i32(1)), ...add(R), ...step(R, IN_STEP)]),
      ...repeat(get(GROW), K, [...count(1), ...add(R), ...write, ...step(R, IN_STEP), ...step(O, OUT_STEP)]),
      ...repeat(get(FULL), K, [...addSub, ...write, ...step(R, IN_STEP), ...step(L, IN_STEP), ...step(O, OUT_STEP)]),
      ...repeat(get(LEAD), K, [...count(-1), ...sub, ...write, ...step(L, IN_STEP), ...step(O, OUT_STEP)]),
      ...copyOut,
      ...bump(INP, op.i32(4 * PASS_LANES)), ...step(OUT, OUT_BLOCK),
    ]),
    ...op.end,
  ];
  return [
    ...locals([
      [firstV - PC, T_I32],
      [GROUPS + 9, T_V128],
    ]),
    ...code,
  ];
}

/**
 * The column pass one output row at a time, for a running-sum row `s` kept in memory (the reference's
 * box filter with the lanes across a whole row): s = (s + a) − b for the parts `add` / `sub` asked
 * for, stored back, and with `write`, out = s / count. `blocks` blocks of 16 floats.
 * colstep(s, a, b, out, blocks, count).
 */
export function colstepBody(add: boolean, sub: boolean, write: boolean): number[] {
  const [S, A, B, OUT, BLOCKS, COUNT] = [0, 1, 2, 3, 4, 5];
  const K = 6;
  const [V, DIV] = [7, 8];
  const group = (g: number): number[] => [
    ...get(S),
    ...get(S),
    ...op.v128Load(16 * g),
    ...(add ? [...get(A), ...op.v128Load(16 * g), ...op.f32x4Add] : []),
    ...(sub ? [...get(B), ...op.v128Load(16 * g), ...op.f32x4Sub] : []),
    ...op.tee(V),
    ...op.v128Store(16 * g),
    ...(write ? [...get(OUT), ...get(V), ...get(DIV), ...op.f32x4Div, ...op.v128Store(16 * g)] : []),
  ];
  // biome-ignore format: one instruction group per line reads best
  const code = [
    ...get(COUNT), ...op.f32ConvertI32S, ...op.f32x4Splat, ...set(DIV),
    ...repeat(get(BLOCKS), K, [
      ...[0, 1, 2, 3].flatMap(group),
      ...bump(S, op.i32(64)), ...bump(A, op.i32(64)), ...bump(B, op.i32(64)), ...bump(OUT, op.i32(64)),
    ]),
    ...op.end,
  ];
  return [
    ...locals([
      [1, T_I32],
      [2, T_V128],
    ]),
    ...code,
  ];
}

/**
 * tblock(src, rowStride, quads, dst): 16 rows of 4·quads floats (rowStride bytes apart) transposed into
 * 4·quads lines of 16 floats (64 bytes) at `dst`.
 */
export function tblockBody(): number[] {
  const [SRC, ROW_STRIDE, QUADS, DST] = [0, 1, 2, 3];
  const X = 4;
  const RS = [0, ...Array.from({ length: 15 }, (_, i) => 5 + i)]; // RS[j] = j · rowStride
  const V = [20, 21, 22, 23];
  const T = [24, 25, 26, 27];
  const quarter = (rq: number): number[] => [
    ...[0, 1, 2, 3].flatMap((j) => [
      ...get(SRC),
      ...(4 * rq + j > 0 ? [...get(RS[4 * rq + j]!), ...op.i32Add] : []),
      ...op.v128Load(0),
      ...set(V[j]!),
    ]),
    ...transpose4(V, T),
    ...[0, 1, 2, 3].flatMap((i) => [...get(DST), ...get(V[i]!), ...op.v128Store(64 * i + 16 * rq)]),
  ];
  // biome-ignore format: one instruction group per line reads best
  const code = [
    ...RS.slice(1).flatMap((l, i) => [...get(ROW_STRIDE), ...op.i32(i + 1), ...op.i32Mul, ...set(l)]),
    ...repeat(get(QUADS), X, [
      ...quarter(0), ...quarter(1), ...quarter(2), ...quarter(3),
      ...bump(SRC, op.i32(16)), ...bump(DST, op.i32(256)),
    ]),
    ...op.end,
  ];
  return [
    ...locals([
      [16, T_I32],
      [8, T_V128],
    ]),
    ...code,
  ];
}

/**
 * PDQ's downsampling, bit-exact with Meta's C++ reference (`pdq/cpp/downscaling`): two X/Y passes of the
 * Jarosz box filter on a float32 luma plane, then sampling the 64×64 cell centres. Float32 arithmetic is
 * emulated (Float32Array storage, Math.fround) at the points where the reference rounds to `float`.
 *
 * The column passes run in a small WebAssembly SIMD kernel where available: four adjacent columns are
 * four f32x4 lanes, each lane doing exactly the scalar pass's float32 adds, subtracts and divides in the
 * same order, so the output is bit-identical (IEEE single arithmetic, no fused multiply-add, and a
 * float32 quotient equals the double quotient rounded to float32). The row passes stay in JS (their
 * lanes are not adjacent in memory). The planes the kernel touches live in its memory, so nothing is
 * copied in or out.
 *
 * Pure. Scratch planes are module-level and reused; a worker runs one hash at a time and nothing awaits.
 */
import { buildModule, sleb } from './pillow-resample-simd.js';

/** Side of the downsampled plane. */
export const PDQ_DOWNSAMPLE_SIDE = 64;
const SIDE = PDQ_DOWNSAMPLE_SIDE;

/** Scratch planes at most this many elements are kept between calls (4 MiB each); larger ones are not. */
const KEEP_SCRATCH_ELEMENTS = 1 << 20;

const scratch: Record<'a' | 'b' | 'c', Float32Array> = {
  a: new Float32Array(0),
  b: new Float32Array(0),
  c: new Float32Array(0),
};

/** A scratch plane of at least `n` elements; kept for reuse unless it is larger than the keep limit. */
function plane(which: 'a' | 'b' | 'c', n: number): Float32Array {
  const cur = scratch[which];
  if (cur.length >= n) return cur;
  const fresh = new Float32Array(n);
  if (n <= KEEP_SCRATCH_ELEMENTS) scratch[which] = fresh;
  return fresh;
}

/**
 * Width of one box-filter pass when shrinking `dimension` to `target`: ceil(dimension / (2·target)).
 * Two passes then cover one output cell.
 */
export function jaroszWindowSize(dimension: number, target = SIDE): number {
  return Math.trunc((dimension + 2 * target - 1) / (2 * target));
}

/**
 * The reference's 1-D box filter (its four-phase sliding sum) on four independent lanes at once. Lane l
 * reads `inp[base + l·laneStride + k·step]` for k < len and writes its running-window mean, centred on k,
 * at the same place in `out`. The window is clipped at both ends and the divisor shrinks with it; adds and
 * subtracts are rounded to float32 one by one, in the reference's order. Running four lanes side by side
 * lets their independent float32 chains overlap in the CPU without changing any lane's arithmetic.
 */
function box4(
  inp: Float32Array,
  out: Float32Array,
  base: number,
  laneStride: number,
  len: number,
  step: number,
  window: number,
): void {
  const half = (window + 2) >> 1;
  const lead = half - 1; // phase 1 (adds only) and phase 4 (subtracts, writes)
  const grow = window - half + 1; // phase 2 (adds, writes)
  const full = len - window; // phase 3 (add, subtract, write)
  const fr = Math.fround;
  const o1 = laneStride;
  const o2 = 2 * laneStride;
  const o3 = 3 * laneStride;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let ri = base; // right edge (adds)
  let li = base; // left edge (subtracts)
  let oi = base; // output
  let count = 0;
  for (let k = 0; k < lead; k++, ri += step) {
    count++;
    s0 = fr(s0 + inp[ri]!);
    s1 = fr(s1 + inp[ri + o1]!);
    s2 = fr(s2 + inp[ri + o2]!);
    s3 = fr(s3 + inp[ri + o3]!);
  }
  for (let k = 0; k < grow; k++, ri += step, oi += step) {
    count++;
    s0 = fr(s0 + inp[ri]!);
    s1 = fr(s1 + inp[ri + o1]!);
    s2 = fr(s2 + inp[ri + o2]!);
    s3 = fr(s3 + inp[ri + o3]!);
    out[oi] = s0 / count;
    out[oi + o1] = s1 / count;
    out[oi + o2] = s2 / count;
    out[oi + o3] = s3 / count;
  }
  for (let k = 0; k < full; k++, ri += step, li += step, oi += step) {
    s0 = fr(fr(s0 + inp[ri]!) - inp[li]!);
    s1 = fr(fr(s1 + inp[ri + o1]!) - inp[li + o1]!);
    s2 = fr(fr(s2 + inp[ri + o2]!) - inp[li + o2]!);
    s3 = fr(fr(s3 + inp[ri + o3]!) - inp[li + o3]!);
    out[oi] = s0 / count;
    out[oi + o1] = s1 / count;
    out[oi + o2] = s2 / count;
    out[oi + o3] = s3 / count;
  }
  for (let k = 0; k < lead; k++, li += step, oi += step) {
    count--;
    s0 = fr(s0 - inp[li]!);
    s1 = fr(s1 - inp[li + o1]!);
    s2 = fr(s2 - inp[li + o2]!);
    s3 = fr(s3 - inp[li + o3]!);
    out[oi] = s0 / count;
    out[oi + o1] = s1 / count;
    out[oi + o2] = s2 / count;
    out[oi + o3] = s3 / count;
  }
}

/** `box4` for a single lane (the 0–3 rows or columns left over). */
function box1(
  inp: Float32Array,
  out: Float32Array,
  base: number,
  len: number,
  step: number,
  window: number,
): void {
  const half = (window + 2) >> 1;
  const lead = half - 1;
  const grow = window - half + 1;
  const full = len - window;
  const fr = Math.fround;
  let sum = 0;
  let ri = base;
  let li = base;
  let oi = base;
  let count = 0;
  for (let k = 0; k < lead; k++, ri += step) {
    count++;
    sum = fr(sum + inp[ri]!);
  }
  for (let k = 0; k < grow; k++, ri += step, oi += step) {
    count++;
    sum = fr(sum + inp[ri]!);
    out[oi] = sum / count;
  }
  for (let k = 0; k < full; k++, ri += step, li += step, oi += step) {
    sum = fr(fr(sum + inp[ri]!) - inp[li]!);
    out[oi] = sum / count;
  }
  for (let k = 0; k < lead; k++, li += step, oi += step) {
    count--;
    sum = fr(sum - inp[li]!);
    out[oi] = sum / count;
  }
}

/** One box-filter pass along each row of a rows × cols plane (the reference's `boxAlongRowsFloat`). */
export function boxAlongRows(
  inp: Float32Array,
  out: Float32Array,
  rows: number,
  cols: number,
  window: number,
): void {
  let r = 0;
  for (; r + 4 <= rows; r += 4) box4(inp, out, r * cols, cols, cols, 1, window);
  for (; r < rows; r++) box1(inp, out, r * cols, cols, 1, window);
}

/** One box-filter pass down each column of a rows × cols plane (the reference's `boxAlongColsFloat`). */
export function boxAlongCols(
  inp: Float32Array,
  out: Float32Array,
  rows: number,
  cols: number,
  window: number,
): void {
  let c = 0;
  for (; c + 4 <= cols; c += 4) box4(inp, out, c, 1, rows, cols, window);
  for (; c < cols; c++) box1(inp, out, c, rows, cols, window);
}

// The column-pass kernel: colpass(inp, out, stride, groups, lead, grow, full), pointers in bytes. For
// each group g of 4 columns it runs box4's four phases down the columns at inp + 16g (see box4).
const get = (i: number): number[] => [0x20, i];
const set = (i: number): number[] => [0x21, i];
const i32 = (n: number): number[] => [0x41, ...sleb(n)];
const simd = (op: number): number[] => [0xfd, op, 0x01];
const [BLOCK, LOOP, VOID, END, BR, BR_IF] = [0x02, 0x03, 0x40, 0x0b, 0x0c, 0x0d];
const [I32_GE_U, I32_LE_S, I32_ADD, I32_SUB, I32_SHL, F32_CONVERT_I32_S] = [
  0x4f, 0x4c, 0x6a, 0x6b, 0x74, 0xb2,
];
const V128_LOAD = [0xfd, 0x00, 0x00, 0x00];
const V128_STORE = [0xfd, 0x0b, 0x00, 0x00];
const [I32X4_SPLAT, F32X4_SPLAT] = [
  [0xfd, 0x11],
  [0xfd, 0x13],
];
const [F32X4_ADD, F32X4_SUB, F32X4_DIV] = [simd(0xe4), simd(0xe5), simd(0xe7)];

function colpassBody(): number[] {
  const [INP, OUT, STRIDE, GROUPS, LEAD, GROW, FULL] = [0, 1, 2, 3, 4, 5, 6];
  const [G, R, L, O, K, CNT, S] = [7, 8, 9, 10, 11, 12, 13];
  // biome-ignore format: instruction groups
  const counted = (n: number, body: number[]): number[] => [
    ...get(n), ...set(K), BLOCK, VOID, LOOP, VOID, ...get(K), ...i32(0), I32_LE_S, BR_IF, 1,
    ...body,
    ...get(K), ...i32(1), I32_SUB, ...set(K), BR, 0, END, END,
  ];
  const bump = (p: number): number[] => [...get(p), ...get(STRIDE), I32_ADD, ...set(p)];
  const count = (d: number): number[] => [...get(CNT), ...i32(d), I32_ADD, ...set(CNT)];
  // S / count into O.
  // biome-ignore format: instruction groups
  const write = [...get(O), ...get(S), ...get(CNT), F32_CONVERT_I32_S, ...F32X4_SPLAT, ...F32X4_DIV, ...V128_STORE];
  const addR = [...get(S), ...get(R), ...V128_LOAD, ...F32X4_ADD];
  const subL = [...get(L), ...V128_LOAD, ...F32X4_SUB];
  // biome-ignore format: one instruction group per line reads best
  const code = [
    ...i32(0), ...set(G),
    BLOCK, VOID, LOOP, VOID,
    ...get(G), ...get(GROUPS), I32_GE_U, BR_IF, 1,
    ...get(INP), ...get(G), ...i32(4), I32_SHL, I32_ADD, ...set(R),
    ...get(R), ...set(L),
    ...get(OUT), ...get(G), ...i32(4), I32_SHL, I32_ADD, ...set(O),
    ...i32(0), ...set(CNT), ...i32(0), ...I32X4_SPLAT, ...set(S),
    ...counted(LEAD, [...count(1), ...addR, ...set(S), ...bump(R)]),
    ...counted(GROW, [...count(1), ...addR, ...set(S), ...write, ...bump(R), ...bump(O)]),
    ...counted(FULL, [...addR, ...subL, ...set(S), ...write, ...bump(R), ...bump(L), ...bump(O)]),
    ...counted(LEAD, [...count(-1), ...get(S), ...subL, ...set(S), ...write, ...bump(L), ...bump(O)]),
    ...get(G), ...i32(1), I32_ADD, ...set(G),
    BR, 0, END, END,
    END,
  ];
  return [...[2, 6, 0x7f, 1, 0x7b], ...code];
}

type Colpass = (
  inp: number,
  out: number,
  stride: number,
  groups: number,
  lead: number,
  grow: number,
  full: number,
) => void;
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object) => { readonly exports: Record<string, unknown> };
}
interface Blur {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  readonly colpass: Colpass;
}

/** Kernel memory kept between calls (a 4 MP `full` hash fits); larger images get a throw-away instance. */
const KEEP_KERNEL_BYTES = 32 << 20;
let blurModule: object | null | undefined;
let keptBlur: Blur | undefined;

/** A kernel instance with at least `bytes` of memory, or null without WebAssembly SIMD. */
function blurKernel(bytes: number): Blur | null {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (blurModule === undefined) {
    blurModule = null;
    try {
      if (wasm)
        blurModule = new wasm.Module(buildModule([{ name: 'colpass', params: 7, body: colpassBody() }]));
    } catch {
      // No SIMD support: the JS column pass is used.
    }
  }
  if (blurModule === null || !wasm) return null;
  const fresh = (): Blur => {
    const { exports } = new wasm.Instance(blurModule!);
    return { memory: exports.memory as Blur['memory'], colpass: exports.colpass as Colpass };
  };
  if (bytes <= KEEP_KERNEL_BYTES && keptBlur === undefined) keptBlur = fresh();
  const k = bytes <= KEEP_KERNEL_BYTES && keptBlur !== undefined ? keptBlur : fresh();
  const have = k.memory.buffer.byteLength;
  if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / 65536));
  return k;
}

/** `boxAlongCols` on planes inside `k`'s memory (`inp`, `out`: float offsets), the same floats. */
function boxAlongColsSimd(
  k: Blur,
  inp: number,
  out: number,
  rows: number,
  cols: number,
  window: number,
): void {
  const half = (window + 2) >> 1;
  const groups = cols >> 2;
  k.colpass(inp * 4, out * 4, cols * 4, groups, half - 1, window - half + 1, rows - window);
  if (groups * 4 === cols) return;
  const f = new Float32Array(k.memory.buffer);
  const [fi, fo] = [f.subarray(inp, inp + rows * cols), f.subarray(out, out + rows * cols)];
  for (let c = groups * 4; c < cols; c++) box1(fi, fo, c, rows, cols, window);
}

/** Index of the source row/column sampled for output cell `o` of 64: trunc((o + 0.5) · n / 64). */
function centre(o: number, n: number): number {
  return Math.trunc(((o + 0.5) * n) / SIDE);
}

/**
 * Blurs `luma` (rows × cols, row-major; left unchanged) with two X/Y Jarosz passes and samples the 64×64
 * cell centres into `out64`. A 64×64 input is copied as is, as the reference's plain hasher does.
 * `forceBlur` blurs a 64×64 input too (the reference's dihedral hasher has no such shortcut).
 */
export function downsampleTo64(
  luma: Float32Array,
  rows: number,
  cols: number,
  out64: Float32Array,
  forceBlur = false,
): void {
  if (rows === SIDE && cols === SIDE && !forceBlur) {
    out64.set(luma.subarray(0, SIDE * SIDE));
    return;
  }
  const n = rows * cols;
  const wRow = jaroszWindowSize(cols);
  const wCol = jaroszWindowSize(rows);
  // Kernel memory, in floats: a (n), b (n), picked (rows × 64), filtered (rows × 64).
  const k = blurKernel((2 * n + 2 * rows * SIDE) * 4);
  if (k !== null) {
    const f = new Float32Array(k.memory.buffer);
    const a = f.subarray(0, n);
    boxAlongRows(luma, a, rows, cols, wRow);
    boxAlongColsSimd(k, 0, n, rows, cols, wCol);
    boxAlongRows(f.subarray(n, 2 * n), a, rows, cols, wRow);
    const picked = f.subarray(2 * n, 2 * n + rows * SIDE);
    pick(a, rows, cols, picked);
    boxAlongColsSimd(k, 2 * n, 2 * n + rows * SIDE, rows, SIDE, wCol);
    sample(f.subarray(2 * n + rows * SIDE, 2 * n + 2 * rows * SIDE), rows, out64);
    return;
  }
  const a = plane('a', n);
  const b = plane('b', n);
  boxAlongRows(luma, a, rows, cols, wRow);
  boxAlongCols(a, b, rows, cols, wCol);
  boxAlongRows(b, a, rows, cols, wRow);
  // The last column pass only matters at the 64 sampled columns: gather them (rows × 64), filter those
  // (each column's arithmetic is independent of the others), then sample the 64 rows.
  const narrow = plane('c', 2 * rows * SIDE);
  const picked = narrow.subarray(0, rows * SIDE);
  const filtered = narrow.subarray(rows * SIDE, 2 * rows * SIDE);
  pick(a, rows, cols, picked);
  boxAlongCols(picked, filtered, rows, SIDE, wCol);
  sample(filtered, rows, out64);
}

/** The 64 sampled columns of `a` (rows × cols) side by side into `picked` (rows × 64). */
function pick(a: Float32Array, rows: number, cols: number, picked: Float32Array): void {
  for (let j = 0; j < SIDE; j++) {
    const c = centre(j, cols);
    for (let r = 0, s = c, o = j; r < rows; r++, s += cols, o += SIDE) picked[o] = a[s]!;
  }
}

/** The 64 sampled rows of `filtered` (rows × 64) into `out64`. */
function sample(filtered: Float32Array, rows: number, out64: Float32Array): void {
  for (let i = 0; i < SIDE; i++) {
    out64.set(filtered.subarray(centre(i, rows) * SIDE, centre(i, rows) * SIDE + SIDE), i * SIDE);
  }
}

/** True when the SIMD blur kernel compiled here (Node 20 always has WebAssembly SIMD; a test pins it). */
export function blurSimdAvailable(): boolean {
  return blurKernel(0) !== null;
}

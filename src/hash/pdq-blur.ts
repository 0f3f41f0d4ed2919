/**
 * PDQ's downsampling, bit-exact with Meta's C++ reference (`pdq/cpp/downscaling`): two X/Y passes of the
 * Jarosz box filter on a float32 luma plane, then sampling the 64×64 cell centres. Float32 arithmetic is
 * emulated (Float32Array storage, Math.fround) at the points where the reference rounds to `float`.
 *
 * This is the scalar path: the reference's arithmetic spelled out, the fallback where WebAssembly SIMD is
 * missing, and the oracle the SIMD kernels (pdq-simd.ts) are tested against.
 *
 * Pure. Scratch planes are module-level and reused; a worker runs one hash at a time and nothing awaits.
 */

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

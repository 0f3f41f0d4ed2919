/**
 * PDQ's downsampling with the WebAssembly SIMD kernels of wasm-pdq.ts, bit-identical to the scalar code
 * in pdq-blur.ts (the DCT and quality kernels run in pdq-kernel.ts): each f32x4 lane does exactly the
 * scalar float32 adds, subtracts, multiplies and divides in the same order (IEEE single arithmetic, no
 * fused multiply-add; a float32 quotient equals the double quotient rounded to float32).
 *
 * The image streams through in blocks of 16 rows, so the working set stays in the L2 cache whatever the
 * image's size (no full-size plane is ever written):
 *
 *   16 rows of pixels → their luma, transposed (16 lanes per column) → row pass, transposed back → A rows
 *   → column pass, one output row at a time, with its running sums kept per column and A's rows kept in
 *     a ring just longer than the window → B rows → 16 of them transposed → row pass, kept only at the
 *     64 sampled columns → the sampled columns (rows × 64) → column pass on those → the 64 sampled rows.
 *
 * A row pass filters 16 lines side by side (one cache line a step, four independent float32 add chains
 * that overlap in the CPU), reading lines that the previous stage wrote transposed. Lanes are padded to
 * multiples of 16; padding lanes repeat the last row or hold zeros, are computed like real ones and
 * never feed a real lane.
 *
 * Pure. The kernel's memory is module state, reused between calls; a worker runs one hash at a time.
 */
import type { Pixels } from '../image/types.js';
import { jaroszWindowSize, PDQ_DOWNSAMPLE_SIDE } from './pdq-blur.js';
import { FIXED_END, type Kernel, kernel } from './pdq-kernel.js';
import { PASS_LANES } from './wasm-pdq.js';

const SIDE = PDQ_DOWNSAMPLE_SIDE;
/** RGB bytes copied into the kernel's memory per luma call: a strip stays in cache while it is read. */
const STRIP_BYTES = 1 << 18;

/** Lanes are padded to whole blocks of 16. */
const ceilLanes = (n: number): number => Math.ceil(n / PASS_LANES) * PASS_LANES;
const align64 = (n: number): number => (n + 63) & ~63;
/** Bytes of a line of 16 lanes. */
const LINE16 = PASS_LANES * 4;

/** Index of the source row/column sampled for output cell `o` of 64: trunc((o + 0.5) · n / 64). */
function centre(o: number, n: number): number {
  return Math.trunc(((o + 0.5) * n) / SIDE);
}

/** A pass's phase lengths over `len` samples with this window (see box4 in pdq-blur.ts). */
function phases(len: number, window: number): [number, number, number] {
  const half = (window + 2) >> 1;
  return [half - 1, window - half + 1, len - window];
}

/** The divisor of output step `k` of a pass over `len` samples: the clipped window's width. */
function countAt(k: number, len: number): number {
  const window = jaroszWindowSize(len);
  const [, grow, full] = phases(len, window);
  const half = (window + 2) >> 1;
  if (k < grow) return half + k;
  if (k < grow + full) return window;
  return window - 1 - (k - grow - full);
}

/**
 * One call's memory (bytes): the source-column offsets of the luma gather, the RGB strip, the luma of
 * 16 rows (one 64-byte line per column), the ring of A rows (`ring` rows of cp floats), the column
 * pass's running sums (cp floats), 16 B rows, the same transposed, the row passes' scratch, the sampled
 * columns' tables (scratch offsets and counts), the sampled columns (rp × 64) and their blur.
 * rp, cp: rows and cols rounded up to 16.
 */
interface Layout {
  readonly rows: number;
  readonly cols: number;
  readonly rp: number;
  readonly cp: number;
  readonly ring: number;
  readonly xoff: number;
  readonly strip: number;
  readonly lumaT: number;
  readonly aRing: number;
  readonly sums: number;
  readonly bRows: number;
  readonly bT: number;
  readonly scratch: number;
  readonly ptab: number;
  readonly picked: number;
  readonly filtered: number;
  readonly end: number;
}

function layout(rows: number, cols: number, stripBytes: number): Layout {
  const rp = ceilLanes(rows);
  const cp = ceilLanes(cols);
  // The column pass still needs the `window` rows before the next 16 when they arrive.
  const ring = ceilLanes(jaroszWindowSize(rows)) + PASS_LANES;
  const xoff = FIXED_END;
  const strip = align64(xoff + cp * 4);
  const lumaT = align64(strip + stripBytes + 64);
  const aRing = lumaT + cp * LINE16;
  const sums = aRing + ring * cp * 4;
  const bRows = sums + cp * 4;
  const bT = bRows + PASS_LANES * cp * 4;
  const scratch = bT + cp * LINE16;
  const ptab = scratch + cp * LINE16;
  const picked = ptab + SIDE * 8;
  const filtered = picked + rp * SIDE * 4;
  const end = filtered + rows * SIDE * 4;
  return {
    rows,
    cols,
    rp,
    cp,
    ring,
    xoff,
    strip,
    lumaT,
    aRing,
    sums,
    bRows,
    bT,
    scratch,
    ptab,
    picked,
    filtered,
    end,
  };
}

/**
 * Runs the whole blur: `fillLuma(y0)` writes the luma of rows y0..y0+15 (transposed) at `lumaT`; the
 * row pass, the streamed column pass and the second row pass at the sampled columns follow block by
 * block; then the sampled columns' column pass and the 64 sampled rows into `out64`. The same float32
 * operations, in the same order per value, as downsampleTo64.
 */
function blur(k: Kernel, L: Layout, fillLuma: (y0: number) => void, out64: Float32Array): void {
  const { rows, cols, cp } = L;
  const f = new Float32Array(k.memory.buffer);
  f.fill(0, L.sums / 4, L.sums / 4 + cp);
  // Steps past a row's length are copied out of the scratch as zeros (into padding columns of A).
  f.fill(0, L.scratch / 4 + cols * PASS_LANES, L.scratch / 4 + cp * PASS_LANES);
  const rowPhases = phases(cols, jaroszWindowSize(cols));
  const pstep = new Int32Array(k.memory.buffer, L.ptab, SIDE);
  const pcnt = new Float32Array(k.memory.buffer, L.ptab + SIDE * 4, SIDE);
  for (let j = 0; j < SIDE; j++) {
    pstep[j] = centre(j, cols) * LINE16;
    pcnt[j] = countAt(centre(j, cols), cols);
  }
  const aRow = (y: number): number => L.aRing + (y % L.ring) * cp * 4;
  // The second row pass on 16 finished B rows (block b): transposed, then kept at the sampled columns.
  const rowPassAtSamples = (b: number, filled: number): void => {
    f.fill(0, L.bRows / 4 + filled * cp, L.bRows / 4 + PASS_LANES * cp); // padding rows past the last
    k.tblock(L.bRows, cp * 4, cp / 4, L.bT);
    const outLine = SIDE * 4;
    k.passPick(
      L.bT,
      L.picked + b * PASS_LANES * outLine,
      LINE16,
      0,
      0,
      outLine,
      1,
      ...rowPhases,
      L.scratch,
      0,
      L.ptab,
      L.ptab + SIDE * 4,
    );
  };
  // The column pass A → B, in the reference's order: `lead` adds, then per output row y the add of row
  // lead + y (while there is one), the subtraction of row y − grow (from the full phase on), the mean.
  const [lead, grow] = phases(rows, jaroszWindowSize(rows));
  const counts = Int32Array.from({ length: rows }, (_, i) => countAt(i, rows));
  const blocks = cp / PASS_LANES;
  let added = 0;
  let y = 0;
  const advance = (available: number): void => {
    for (; added < lead && added < available; added++) k.colAdd(L.sums, aRow(added), 0, 0, blocks, 0);
    if (added < lead) return;
    for (; y < rows; y++) {
      const addRow = lead + y;
      if (addRow < rows && addRow >= available) return;
      const out = L.bRows + (y % PASS_LANES) * cp * 4;
      const count = counts[y]!;
      if (addRow >= rows) k.colSubW(L.sums, 0, aRow(y - grow), out, blocks, count);
      else if (y >= grow) k.colAddSubW(L.sums, aRow(addRow), aRow(y - grow), out, blocks, count);
      else k.colAddW(L.sums, aRow(addRow), 0, out, blocks, count);
      if (y % PASS_LANES === PASS_LANES - 1 || y === rows - 1) rowPassAtSamples(y >> 4, (y % PASS_LANES) + 1);
    }
  };
  for (let y0 = 0; y0 < L.rp; y0 += PASS_LANES) {
    fillLuma(y0);
    // The first row pass, its 16 rows written into the ring (transposed back to rows).
    const [pl, pg, pf] = rowPhases;
    k.passT(L.lumaT, aRow(y0), LINE16, 0, 0, cp * 4, 1, pl, pg, pf, L.scratch, cp / 4);
    advance(Math.min(y0 + PASS_LANES, rows));
  }
  // The last column pass on the sampled columns, then the 64 sampled rows.
  const colPhases = phases(rows, jaroszWindowSize(rows));
  k.pass(L.picked, L.filtered, SIDE * 4, SIDE * 4, PASS_LANES * 4, 0, SIDE / PASS_LANES, ...colPhases, 0, 0);
  for (let i = 0; i < SIDE; i++) {
    const from = L.filtered / 4 + centre(i, rows) * SIDE;
    out64.set(f.subarray(from, from + SIDE), i * SIDE);
  }
}

/** Rows per RGB strip: whole 16-row blocks, about STRIP_BYTES. */
const stripRowsFor = (rowBytes: number): number =>
  Math.max(PASS_LANES, Math.floor(STRIP_BYTES / rowBytes / PASS_LANES) * PASS_LANES);

/**
 * PDQ's downsampling of decoded pixels, sampled to rows × cols as computePdq's luma is (output (x, y)
 * reads source (⌊x·W/cols⌋, ⌊y·H/rows⌋); the identity when the sizes agree), into `out64`. The same
 * floats as `downsampleTo64(lumaFromPixels(...))`. Returns false, writing nothing, without SIMD.
 * RGB rows are copied into the kernel's memory a strip at a time.
 */
export function downsamplePixelsSimd(
  pixels: Pixels,
  rows: number,
  cols: number,
  out64: Float32Array,
): boolean {
  const { width, height, channels, data } = pixels;
  const rowBytes = width * channels;
  const contiguous = channels === 3 && rows === height && cols === width;
  const stripRows = stripRowsFor(rowBytes);
  const L = layout(rows, cols, stripRows * rowBytes);
  const k = kernel(L.end);
  if (k === null) return false;
  const quads = (cols + 3) >> 2;
  if (!contiguous) {
    const xoff = new Int32Array(k.memory.buffer, L.xoff, quads * 4);
    xoff.fill(0);
    for (let x = 0; x < cols; x++) xoff[x] = Math.floor((x * width) / cols) * channels;
  }
  const luma = contiguous ? k.lumaRgb : channels === 3 ? k.lumaGather3 : k.lumaGather1;
  // Rows past the last repeat it: they fill the padding lanes with ordinary values.
  const sourceRow = (y: number): number => (y < rows ? Math.floor((y * height) / rows) : height - 1);
  const m8 = new Uint8Array(k.memory.buffer);
  let stripY = -stripRows;
  const fill = (y0: number): void => {
    if (y0 >= stripY + stripRows) {
      stripY = y0;
      const n = Math.min(stripRows, L.rp - y0);
      if (contiguous && y0 < rows) {
        const end = Math.min(y0 + n, rows);
        m8.set(data.subarray(y0 * rowBytes, end * rowBytes), L.strip);
        const last = L.strip + (end - 1 - y0) * rowBytes;
        for (let y = end; y < y0 + n; y++)
          m8.copyWithin(L.strip + (y - y0) * rowBytes, last, last + rowBytes);
      } else {
        for (let y = 0; y < n; y++) {
          const src = sourceRow(y0 + y) * rowBytes;
          m8.set(data.subarray(src, src + rowBytes), L.strip + y * rowBytes);
        }
      }
    }
    luma(L.strip + (y0 - stripY) * rowBytes, rowBytes, PASS_LANES / 4, quads, L.lumaT, LINE16, L.xoff);
  };
  blur(k, L, fill, out64);
  return true;
}

/** `downsampleTo64` of a float32 luma plane (rows × cols, not modified) into `out64`; false without SIMD. */
export function downsampleLumaSimd(
  luma: Float32Array,
  rows: number,
  cols: number,
  out64: Float32Array,
): boolean {
  // 16 rows at a time go to the strip (the last row repeated past the end) and are transposed there.
  const L = layout(rows, cols, PASS_LANES * cols * 4 + 64);
  const k = kernel(L.end);
  if (k === null) return false;
  const f = new Float32Array(k.memory.buffer);
  const fill = (y0: number): void => {
    const end = Math.min(y0 + PASS_LANES, rows);
    f.set(luma.subarray(y0 * cols, end * cols), L.strip / 4);
    for (let y = end; y < y0 + PASS_LANES; y++) {
      f.set(luma.subarray((rows - 1) * cols, rows * cols), L.strip / 4 + (y - y0) * cols);
    }
    k.tblock(L.strip, cols * 4, (cols + 3) >> 2, L.lumaT);
  };
  blur(k, L, fill, out64);
  return true;
}

/**
 * The PDQ WebAssembly kernels' instance and memory (one per thread, module state), and the DCT and
 * quality metric run on them. The memory starts with a fixed part: the DCT matrix and its transpose,
 * the DCT's partial product, its output, the 64×64 plane and the quality sum.
 */
import { PDQ_DOWNSAMPLE_SIDE } from './pdq-blur.js';
import { PDQ_DCT_MATRIX } from './pdq-dct.js';
import { compileKernel, reserve, type WasmMemory } from './wasm.js';
import { pdqKernelBytes } from './wasm-pdq.js';

const SIDE = PDQ_DOWNSAMPLE_SIDE;
const FREQS = 16;

/** Kernel memory kept between calls (all but giant images); larger needs get a throw-away instance. */
const KEEP_KERNEL_BYTES = 32 << 20;

// Fixed layout at the start of the memory (bytes): the DCT matrix and its transpose, the DCT's partial
// product, its output and the 64×64 plane. Per-call regions follow from FIXED_END.
const D_AT = 0;
const DT_AT = D_AT + FREQS * SIDE * 4;
const TMP_AT = DT_AT + FREQS * SIDE * 4;
const OUT16_AT = TMP_AT + FREQS * SIDE * 4;
const DOWN64_AT = OUT16_AT + FREQS * FREQS * 4;
const QUALITY_AT = DOWN64_AT + SIDE * SIDE * 4;
/** Where per-call data may start. */
export const FIXED_END = QUALITY_AT + 64;

type Fn = (...args: number[]) => void;

/** The PDQ kernels' exports (see wasm-pdq.ts). */
export interface Kernel {
  readonly memory: WasmMemory;
  readonly pass: Fn;
  readonly passT: Fn;
  readonly passPick: Fn;
  readonly colAdd: Fn;
  readonly colAddW: Fn;
  readonly colAddSubW: Fn;
  readonly colSubW: Fn;
  readonly tblock: Fn;
  readonly lumaRgb: Fn;
  readonly lumaGather1: Fn;
  readonly lumaGather3: Fn;
  readonly dct: Fn;
  readonly quality: Fn;
}

let factory: (() => Record<string, unknown>) | null | undefined;
let kept: Kernel | undefined;

function instantiate(make: () => Record<string, unknown>): Kernel {
  const e = make();
  const k: Kernel = {
    memory: e.memory as WasmMemory,
    pass: e.pass as Fn,
    passT: e.passT as Fn,
    passPick: e.passPick as Fn,
    colAdd: e.colAdd as Fn,
    colAddW: e.colAddW as Fn,
    colAddSubW: e.colAddSubW as Fn,
    colSubW: e.colSubW as Fn,
    tblock: e.tblock as Fn,
    lumaRgb: e.lumaRgb as Fn,
    lumaGather1: e.lumaGather1 as Fn,
    lumaGather3: e.lumaGather3 as Fn,
    dct: e.dct as Fn,
    quality: e.quality as Fn,
  };
  reserve(k.memory, FIXED_END);
  const f = new Float32Array(k.memory.buffer);
  f.set(PDQ_DCT_MATRIX, D_AT / 4);
  for (let u = 0; u < FREQS; u++) {
    for (let j = 0; j < SIDE; j++) f[DT_AT / 4 + j * FREQS + u] = PDQ_DCT_MATRIX[u * SIDE + j]!;
  }
  return k;
}

/** A kernel with at least `bytes` of memory, or null without WebAssembly SIMD. */
export function kernel(bytes: number): Kernel | null {
  if (factory === undefined) factory = compileKernel(pdqKernelBytes());
  if (factory === null) return null;
  let k: Kernel;
  if (bytes > KEEP_KERNEL_BYTES) {
    k = instantiate(factory);
  } else {
    kept ??= instantiate(factory);
    k = kept;
  }
  reserve(k.memory, bytes);
  return k;
}

/** True when the PDQ kernels compiled here (Node 20 always has WebAssembly SIMD; a test pins it). */
export function pdqSimdAvailable(): boolean {
  return kernel(0) !== null;
}

/**
 * `dct64To16` into `out16` and the quality sum of pdqQualityFrom64 (before the division by 90) of the
 * 64×64 plane, with the SIMD kernels; null without SIMD.
 */
export function dctAndQualitySimd(b64: Float32Array, out16: Float32Array): number | null {
  const k = kernel(FIXED_END);
  if (k === null) return null;
  const f = new Float32Array(k.memory.buffer);
  f.set(b64.subarray(0, SIDE * SIDE), DOWN64_AT / 4);
  k.dct(DOWN64_AT, D_AT, DT_AT, TMP_AT, OUT16_AT);
  k.quality(DOWN64_AT, QUALITY_AT);
  out16.set(f.subarray(OUT16_AT / 4, OUT16_AT / 4 + FREQS * FREQS));
  return new Int32Array(k.memory.buffer, QUALITY_AT, 1)[0]!;
}

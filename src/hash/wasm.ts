/**
 * A tiny WebAssembly assembler for the SIMD kernels in this folder: LEB128 numbers, the opcodes they use
 * and a module builder. The kernels are written as arrays of opcodes in TypeScript, so nothing needs a
 * compiler at install time. Every kernel has a scalar fallback, and a test pins that each one compiles.
 */

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

const vec = (items: readonly (readonly number[])[]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const utf8Name = (s: string): number[] => vec([...s].map((c) => [c.charCodeAt(0)]));

export const T_I32 = 0x7f;
export const T_V128 = 0x7b;

/** Local declarations: `[count, type]` runs (a function's body starts with these). */
export const locals = (runs: readonly (readonly [number, number])[]): number[] => vec(runs);

const memarg = (alignLog2: number, offset: number): number[] => [...uleb(alignLog2), ...uleb(offset)];
const simd = (code: number): number[] => [0xfd, ...uleb(code)];
const f32Bytes = (x: number): number[] => [...new Uint8Array(Float32Array.of(x).buffer)];

/** Core and SIMD instructions, each as its bytes. Loads and stores take a static byte offset. */
export const op = {
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number): number[] => [0x0c, depth],
  brIf: (depth: number): number[] => [0x0d, depth],
  get: (i: number): number[] => [0x20, ...uleb(i)],
  set: (i: number): number[] => [0x21, ...uleb(i)],
  tee: (i: number): number[] => [0x22, ...uleb(i)],
  i32Load: (offset = 0): number[] => [0x28, ...memarg(2, offset)],
  i32Store: (offset = 0): number[] => [0x36, ...memarg(2, offset)],
  i32Store8: (offset = 0): number[] => [0x3a, ...memarg(0, offset)],
  i32: (n: number): number[] => [0x41, ...sleb(n)],
  f32: (x: number): number[] => [0x43, ...f32Bytes(x)],
  i32Eqz: [0x45],
  i32LtS: [0x48],
  i32LtU: [0x49],
  i32GtS: [0x4a],
  i32LeS: [0x4c],
  i32GeU: [0x4f],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32And: [0x71],
  i32Shl: [0x74],
  i32ShrS: [0x75],
  i32ShrU: [0x76],
  f32ConvertI32S: [0xb2],
  select: [0x1b],
  v128Load: (offset = 0): number[] => [...simd(0x00), ...memarg(0, offset)],
  v128Load32Splat: (offset = 0): number[] => [...simd(0x09), ...memarg(0, offset)],
  v128Store: (offset = 0): number[] => [...simd(0x0b), ...memarg(0, offset)],
  v128Const: (bytes: readonly number[]): number[] => [...simd(0x0c), ...bytes],
  i8x16Shuffle: (lanes: readonly number[]): number[] => [...simd(0x0d), ...lanes],
  /**
   * Picks bytes of one vector by the constant `lanes`; 0x80 gives a zero byte. (V8 compiles this to one
   * pshufb; a one-operand i8x16.shuffle is several times slower there.)
   */
  swizzleConst: (lanes: readonly number[]): number[] => [...simd(0x0c), ...lanes, ...simd(0x0e)],
  i16x8Splat: simd(0x10),
  i32x4Splat: simd(0x11),
  f32x4Splat: simd(0x13),
  i32x4ExtractLane: (lane: number): number[] => [...simd(0x1b), lane],
  v128And: simd(0x4e),
  v128Load32Lane: (lane: number, offset = 0): number[] => [...simd(0x56), ...memarg(0, offset), lane],
  v128Store32Lane: (lane: number, offset = 0): number[] => [...simd(0x5a), ...memarg(0, offset), lane],
  v128Load32Zero: (offset = 0): number[] => [...simd(0x5c), ...memarg(0, offset)],
  v128Load64Zero: (offset = 0): number[] => [...simd(0x5d), ...memarg(0, offset)],
  i8x16NarrowI16x8U: simd(0x66),
  i16x8NarrowI32x4U: simd(0x86),
  i16x8ExtendLowI8x16U: simd(0x89),
  i16x8ExtendHighI8x16U: simd(0x8a),
  i32x4ExtendLowI16x8U: simd(0xa9),
  i32x4ExtendHighI16x8U: simd(0xaa),
  i32x4Abs: simd(0xa0),
  i32x4Shl: simd(0xab),
  i32x4ShrS: simd(0xac),
  i32x4ShrU: simd(0xad),
  i32x4Add: simd(0xae),
  i32x4Mul: simd(0xb5),
  i32x4DotI16x8S: simd(0xba),
  f32x4Add: simd(0xe4),
  f32x4Sub: simd(0xe5),
  f32x4Mul: simd(0xe6),
  f32x4Div: simd(0xe7),
  i32x4TruncSatF32x4S: simd(0xf8),
  f32x4ConvertI32x4S: simd(0xfa),
} as const;

/**
 * `body` run `count` times (`count`: instructions leaving an i32; counted down in the local `counter`;
 * nothing when it is ≤ 0). The body sits two blocks deep: `br 1` inside it leaves the loop.
 */
export function repeat(count: readonly number[], counter: number, body: readonly number[]): number[] {
  // biome-ignore format: one instruction group per line reads best
  return [
    ...count, ...op.set(counter),
    ...op.block, ...op.loop,
    ...op.get(counter), ...op.i32(0), ...op.i32LeS, ...op.brIf(1),
    ...body,
    ...op.get(counter), ...op.i32(1), ...op.i32Sub, ...op.set(counter),
    ...op.br(0),
    ...op.end, ...op.end,
  ];
}

/** `local += by` (an i32 local and an i32 local or constant instruction). */
export const bump = (local: number, by: readonly number[]): number[] => [
  ...op.get(local),
  ...by,
  ...op.i32Add,
  ...op.set(local),
];

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
    ...section(
      7,
      vec([[...utf8Name('memory'), 0x02, 0], ...funcs.map((f, i) => [...utf8Name(f.name), 0x00, i])]),
    ),
    ...section(10, vec(funcs.map((f) => [...uleb(f.body.length), ...f.body]))),
  ]);
}

/** The part of the WebAssembly API used here (this project's type libraries do not declare it). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object) => { readonly exports: Record<string, unknown> };
}

const PAGE = 65536;

/**
 * Compiles `bytes` once; returns a factory of fresh instances (their exports), or null when this runtime
 * has no WebAssembly or no SIMD (the module then fails to compile and the caller uses scalar code).
 */
export function compileKernel(bytes: Uint8Array): (() => Record<string, unknown>) | null {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (wasm === undefined) return null;
  let module: object;
  try {
    module = new wasm.Module(bytes);
  } catch {
    return null;
  }
  return () => new wasm.Instance(module).exports;
}

/** Grows `memory` to at least `bytes`. */
export function reserve(memory: WasmMemory, bytes: number): void {
  const have = memory.buffer.byteLength;
  if (bytes > have) memory.grow(Math.ceil((bytes - have) / PAGE));
}

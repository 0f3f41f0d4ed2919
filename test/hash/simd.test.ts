import { describe, expect, it } from 'vitest';
import { lumaFromPixels, pdqQualityFrom64, squashToReference } from '../../src/hash/pdq.js';
import { downsampleTo64 } from '../../src/hash/pdq-blur.js';
import { dct64To16 } from '../../src/hash/pdq-dct.js';
import { dctAndQualitySimd, pdqSimdAvailable } from '../../src/hash/pdq-kernel.js';
import { downsampleLumaSimd, downsamplePixelsSimd } from '../../src/hash/pdq-simd.js';
import { pillowGreyResizeLanczos, pillowResizeLanczos } from '../../src/hash/pillow-resample.js';
import { pillowSimdAvailable } from '../../src/hash/pillow-resample-simd.js';
import type { Pixels } from '../../src/image/types.js';
import { noise } from '../helpers/noise.js';

/** Noise on top of a gradient, so blurs and DCTs see both structure and detail. */
function image(width: number, height: number, channels: 1 | 3, seed: number): Pixels {
  const data = noise(width * height * channels, seed);
  for (let i = 0; i < data.length; i++) {
    const p = Math.floor(i / channels);
    data[i] = ((data[i]! >> 2) + ((p % width) * 3 + Math.floor(p / width) * 2)) & 255;
  }
  return { width, height, channels, data };
}

const same = (a: Float32Array, b: Float32Array): boolean =>
  a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

// The SIMD kernels fall back to scalar code when they fail to compile, which keeps results right but
// would silently lose their speed: an opcode mistake must fail a test, not only a benchmark.
describe('WebAssembly SIMD kernels', () => {
  it('compile on this runtime', () => {
    expect(pillowSimdAvailable()).toBe(true);
    expect(pdqSimdAvailable()).toBe(true);
  });
});

// Sizes around the kernels' block edges (4-pixel steps, 16-lane blocks, 4-row groups) and window edges.
const SIZES: readonly (readonly [number, number])[] = [
  [5, 5],
  [7, 300],
  [300, 7],
  [16, 16],
  [17, 33],
  [63, 64],
  [64, 65],
  [127, 129],
  [250, 190],
  [500, 313],
  [513, 200],
  [1030, 777],
  // Windows wider than 32 rows or columns: the column pass's first adds span several 16-row blocks.
  [40, 4500],
  [4500, 40],
];

describe('PDQ SIMD downsampling equals the scalar path, float for float', () => {
  for (const [w, h] of SIZES) {
    for (const channels of [1, 3] as const) {
      it(`${w}×${h}, ${channels} channel(s), full size and squashed`, () => {
        const px = image(w, h, channels, w * 31 + h + channels);
        const scalar = new Float32Array(64 * 64);
        const simd = new Float32Array(64 * 64);
        // Full size: the contiguous RGB kernel, or the gather kernel for grey.
        downsampleTo64(lumaFromPixels(px), h, w, scalar, true);
        expect(downsamplePixelsSimd(px, h, w, simd)).toBe(true);
        expect(same(simd, scalar)).toBe(true);
        // The reference squash (gather kernels) when it applies.
        const sq = squashToReference(px);
        if (sq !== px) {
          downsampleTo64(lumaFromPixels(sq), 512, 512, scalar);
          expect(downsamplePixelsSimd(px, 512, 512, simd)).toBe(true);
          expect(same(simd, scalar)).toBe(true);
        }
        // From a float luma plane.
        const luma = lumaFromPixels(px);
        downsampleTo64(luma, h, w, scalar, true);
        expect(downsampleLumaSimd(luma, h, w, simd)).toBe(true);
        expect(same(simd, scalar)).toBe(true);
      });
    }
  }

  it('computes the DCT and the quality sum as the scalar code', () => {
    for (const seed of [1, 2, 3]) {
      const b64 = Float32Array.from(noise(64 * 64, seed), (v, i) => v * 0.37 + (i % 64) * 1.1);
      const scalar = new Float32Array(256);
      const simd = new Float32Array(256);
      dct64To16(b64, scalar);
      const sum = dctAndQualitySimd(b64, simd);
      expect(same(simd, scalar)).toBe(true);
      expect(Math.min(100, Math.trunc(sum! / 90))).toBe(pdqQualityFrom64(b64));
    }
  });
});

describe('pHash SIMD resize equals the scalar passes', () => {
  const greyScalar = (p: Pixels): Uint8Array => {
    const out = new Uint8Array(p.width * p.height);
    for (let i = 0; i < out.length; i++) {
      const [r, g, b] = [p.data[3 * i]!, p.data[3 * i + 1]!, p.data[3 * i + 2]!];
      out[i] = (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
    }
    return out;
  };

  for (const [w, h] of [...SIZES, [2000, 1500] as const]) {
    it(`${w}×${h} RGB to 32×32 and 17×9`, () => {
      const px = image(w, h, 3, w + h);
      const grey = greyScalar(px);
      for (const [ow, oh] of [
        [32, 32],
        [17, 9],
      ] as const) {
        expect(pillowGreyResizeLanczos(px, ow, oh)).toEqual(
          pillowResizeLanczos(grey, w, h, ow, oh, 'scalar'),
        );
      }
    });
  }
});

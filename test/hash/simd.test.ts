import { describe, expect, it } from 'vitest';
import { blurSimdAvailable } from '../../src/hash/pdq-blur.js';
import { pillowSimdAvailable } from '../../src/hash/pillow-resample-simd.js';

// The SIMD kernels fall back to scalar code when they fail to compile, which keeps results right but
// would silently lose their speed: an opcode mistake must fail a test, not only a benchmark.
describe('WebAssembly SIMD kernels', () => {
  it('compile on this runtime', () => {
    expect(pillowSimdAvailable()).toBe(true);
    expect(blurSimdAvailable()).toBe(true);
  });
});
